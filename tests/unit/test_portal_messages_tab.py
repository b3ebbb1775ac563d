"""The portal's Messages tab as the browser drives it (its state, through Reflex's handlers):
the list with unread counts, opening a thread, starting one about a job with a PDF, a refused
attachment that keeps the typed text, text that stays text, a `?thread=` link, the poll."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
import reflex as rx
from reflex.state import State
from sqlmodel import Session, select

import kontrol_app.kontrol_app  # noqa: F401  (registers the portal page and its `link` route arg)
from kontrol_app.api.cookies import PORTAL_COOKIE
from kontrol_app.models import Customer, CustomerContact, Message, MessageThread, StoredFile, utcnow
from kontrol_app.models import PortalSession as PortalSessionRow
from kontrol_app.services import messages, portal_links
from kontrol_app.services.tokens import new_token, token_hash
from kontrol_app.ui.portal.live import PortalLive
from kontrol_app.ui.portal.session import PortalSession
from kontrol_app.ui.portal.tabs.messages import GENERAL, LINK_REL, MessagesTab
from kontrol_app.ui.portal.tabs.nav import PortalTabs
from kontrol_app.ui.portal.tabs.orders import OrdersTab
from tests.factories import make_customer, make_job
from tests.helpers.artwork import pdf_bytes
from tests.helpers.states import browser_tab, run_handler, screen


@pytest.fixture
def client(session: Session, owner) -> dict:
    customer_id = make_customer(session, owner, "Acme Uniforms", "sarah@acme.example")
    job_id = make_job(session, owner, customer_id, "Spring League T-Shirts", quantity="12")
    contact = session.exec(select(CustomerContact).where(CustomerContact.customer_id == customer_id)).first()
    token = new_token()
    session.add(PortalSessionRow(customer_id=customer_id, contact_id=contact.id, token_hash=token_hash(token), expires_at=utcnow() + timedelta(days=1)))
    other_id = make_customer(session, owner, "Other Customer", "other@example.com")
    other_thread = messages.start_thread_staff(session, owner, other_id, "Not for Acme", subject="Other business")
    session.commit()
    link = portal_links.portal_path(session.get(Customer, customer_id)).rsplit("/", 1)[1]
    return {"link": link, "cookie": f"{PORTAL_COOKIE}={token}", "owner": owner, "job_id": job_id, "customer_id": customer_id, "other_thread": other_thread, "other_customer": other_id, "contact_id": contact.id}


def _open(client: dict, **query: str) -> State:
    search = "&".join(f"{k}={v}" for k, v in query.items())
    root = browser_tab(
        cookie=client["cookie"],
        query={"link": client["link"], **query},
        path=f"/public/portal/{client['link']}" + (f"?{search}" if search else ""),
    )
    run_handler(screen(root, PortalSession), "load")
    return root


def _upload(name: str, data: bytes) -> rx.UploadFile:
    return rx.UploadFile(file=io.BytesIO(data), path=Path(name), size=len(data))


def _staff_thread(session: Session, client: dict, body: str = "Your proof is ready") -> int:
    thread_id = messages.start_thread_staff(session, client["owner"], client["customer_id"], body, job_id=client["job_id"])
    session.commit()
    return thread_id


def test_the_list_shows_each_thread_with_its_unread_count_and_opening_reads_it(client, session):
    thread_id = _staff_thread(session, client)
    root = _open(client)
    tab = screen(root, MessagesTab)
    [row] = tab.threads
    assert (row.id, row.job_title, row.unread, row.snippet) == (thread_id, "Spring League T-Shirts", 1, "Your proof is ready")
    assert tab.unread_total == 1 and tab.mode == "list"
    assert all(t.id != client["other_thread"] for t in tab.threads)

    run_handler(tab, "open_thread", thread_id)
    assert tab.mode == "thread" and tab.title == "Spring League T-Shirts"
    [shown] = tab.shown
    assert not shown.mine and shown.sender == client["owner"].name
    assert [p.text for p in shown.parts] == ["Your proof is ready"]
    assert tab.unread_total == 0 and tab.threads[0].unread == 0
    # Read for good: a fresh page agrees.
    assert screen(_open(client), MessagesTab).unread_total == 0


def test_another_customers_thread_does_not_open(client):
    root = _open(client)
    tab = screen(root, MessagesTab)
    run_handler(tab, "open_thread", client["other_thread"])
    assert tab.mode == "list" and tab.shown == [] and tab.refusal == messages.NOT_IN_PORTAL


def test_an_emailed_thread_link_opens_the_messages_tab_on_that_thread(client, session):
    thread_id = _staff_thread(session, client)
    root = _open(client, thread=str(thread_id))
    assert screen(root, PortalTabs).tab == "messages"
    assert screen(root, MessagesTab).thread_id == thread_id and screen(root, MessagesTab).mode == "thread"
    # Someone else's thread, or not a number: the portal opens as usual.
    for value in (str(client["other_thread"]), "x1", "²"):
        root = _open(client, thread=value)
        assert screen(root, PortalTabs).tab == "orders" and screen(root, MessagesTab).mode == "list"


def test_the_client_starts_a_thread_about_a_job_with_a_pdf(client, session):
    root = _open(client)
    orders = screen(root, OrdersTab)
    run_handler(orders, "open_job", client["job_id"])
    tab = screen(root, MessagesTab)
    run_handler(tab, "about_job", client["job_id"])
    assert screen(root, PortalTabs).tab == "messages"
    assert tab.mode == "new" and tab.about == str(client["job_id"])
    assert [job.label for job in tab.jobs] == ["Spring League T-Shirts"]
    run_handler(tab, "set_body", "Here is our logo, see https://acme.example/brand.")
    run_handler(tab, "send", [_upload("logo.pdf", pdf_bytes(1))])
    assert tab.errors == {} and tab.refusal == ""
    assert tab.mode == "thread" and tab.body == ""
    thread = session.exec(select(MessageThread).where(MessageThread.customer_id == client["customer_id"])).one()
    assert tab.thread_id == thread.id and thread.job_id == client["job_id"] and thread.created_by_side == "client"
    [shown] = tab.shown
    assert shown.mine
    assert [(p.text, p.url) for p in shown.parts] == [
        ("Here is our logo, see ", ""),
        ("https://acme.example/brand", "https://acme.example/brand"),
        (".", ""),
    ]
    [attachment] = shown.attachments
    assert attachment.name == "logo.pdf" and attachment.pdf and not attachment.image
    assert attachment.download_url.endswith("?download=1")
    assert LINK_REL == "noopener noreferrer nofollow"
    # A reply in the open thread.
    run_handler(tab, "set_body", "And the back print.")
    run_handler(tab, "send", [])
    assert [m.parts[0].text for m in tab.shown] == ["Here is our logo, see ", "And the back print."]


def test_a_general_message_needs_a_subject_and_keeps_what_was_typed(client, session):
    root = _open(client)
    run_handler(screen(root, PortalTabs), "set_tab", "messages")
    tab = screen(root, MessagesTab)
    run_handler(tab, "new_conversation")
    assert tab.about == GENERAL
    run_handler(tab, "send", [])  # nothing typed: both boxes say so at once
    assert set(tab.errors) == {messages.FIELD_SUBJECT, messages.FIELD_BODY} and tab.mode == "new"
    run_handler(tab, "set_body", "Do you print hoodies?")
    run_handler(tab, "send", [])
    assert messages.FIELD_SUBJECT in tab.errors and tab.body == "Do you print hoodies?" and tab.mode == "new"
    assert session.exec(select(MessageThread).where(MessageThread.customer_id == client["customer_id"])).all() == []
    run_handler(tab, "set_subject", "Hoodies")
    run_handler(tab, "send", [])
    assert tab.errors == {} and tab.mode == "thread" and tab.title == "Hoodies"


def test_a_refused_attachment_says_why_next_to_the_field_and_keeps_the_text(client, session):
    thread_id = _staff_thread(session, client)
    root = _open(client, thread=str(thread_id))
    tab = screen(root, MessagesTab)
    run_handler(tab, "set_body", "Our logo attached")
    run_handler(tab, "send", [_upload("logo.png", b"this is not a PNG at all")])
    assert tab.errors[messages.FIELD_FILES].startswith("logo.png: ")
    assert tab.body == "Our logo attached" and len(tab.shown) == 1
    assert session.exec(select(Message).where(Message.thread_id == thread_id)).all()[-1].body == "Your proof is ready"
    assert session.exec(select(StoredFile).where(StoredFile.kind == "message_attachment")).all() == []
    # Six files: refused whole, the text still there.
    run_handler(tab, "send", [_upload(f"p{n}.pdf", pdf_bytes(1)) for n in range(6)])
    assert "at most 5" in tab.errors[messages.FIELD_FILES] and tab.body == "Our logo attached"


def test_markup_stays_text(client, session):
    root = _open(client)
    run_handler(screen(root, PortalTabs), "set_tab", "messages")
    tab = screen(root, MessagesTab)
    run_handler(tab, "new_conversation")
    run_handler(tab, "set_subject", "<b>bold</b>")
    body = "<script>alert(1)</script> <img src=x onerror=alert(2)> javascript:alert(3)"
    run_handler(tab, "set_body", body)
    run_handler(tab, "send", [])
    [shown] = tab.shown
    assert [(p.text, p.url) for p in shown.parts] == [(body, "")]
    assert tab.title == "<b>bold</b>"


def test_the_poll_shows_a_shop_reply_and_the_badge(client, session):
    thread_id = _staff_thread(session, client)
    root = _open(client)
    tab = screen(root, MessagesTab)
    run_handler(tab, "open_thread", thread_id)
    run_handler(screen(root, PortalLive), "poll", "tick")  # nothing new: nothing reloads
    assert len(tab.shown) == 1
    messages.post_staff(session, client["owner"], thread_id, "Printing tomorrow")
    session.commit()
    run_handler(screen(root, PortalLive), "poll", "tick")
    assert [m.parts[0].text for m in tab.shown] == ["Your proof is ready", "Printing tomorrow"]
    assert tab.unread_total == 0  # it is open in front of them
    run_handler(tab, "back_to_list")
    messages.post_staff(session, client["owner"], thread_id, "Shipped")
    session.commit()
    run_handler(screen(root, PortalLive), "poll", "tick")
    assert tab.unread_total == 1 and tab.threads[0].unread == 1 and tab.threads[0].snippet == "Shipped"


def test_an_open_thread_on_a_hidden_tab_is_not_marked_read(client, session):
    """The poll runs on every tab (the label's badge); a thread left open behind another tab
    is not in front of the client, so a new message stays unread and the list shows again."""
    thread_id = _staff_thread(session, client)
    root = _open(client, thread=str(thread_id))
    tab = screen(root, MessagesTab)
    assert tab.mode == "thread" and tab.unread_total == 0
    run_handler(screen(root, PortalTabs), "set_tab", "orders")
    messages.post_staff(session, client["owner"], thread_id, "Shipped")
    session.commit()
    run_handler(screen(root, PortalLive), "poll", "tick")
    assert tab.unread_total == 1 and tab.mode == "list" and tab.threads[0].unread == 1
