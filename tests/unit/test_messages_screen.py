"""The staff Messages page and the job page's Messages tab, driven as the browser drives them
(signed in, real database): the list unread first, `?thread=` opens and marks read, a reply,
a refused attachment keeps what was typed, a client's message shows on the next poll, close
and reopen, promote an attachment, and a new thread from the job page."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlmodel import Session

import kontrol_app.kontrol_app  # noqa: F401  (registers every page, state and route var)
from kontrol_app.services import messages
from kontrol_app.services.portal_auth import PortalPrincipal
from kontrol_app.ui.staff.customers.messages import CustomerMessagesState
from kontrol_app.ui.staff.jobs.messages import JobMessagesState
from kontrol_app.ui.staff.messages import MessagesState
from kontrol_app.ui.staff.messages_badge import MessagesBadgeState
from tests.factories import make_owner
from tests.helpers.artwork import artwork_customers, pdf_bytes
from tests.helpers.sql import peeks, statements
from tests.helpers.states import browser_tab, database_rows, run_handler, screen, staff_cookie


class Upload:
    """What Reflex hands an upload handler: a name and an async read."""

    def __init__(self, data: bytes, filename: str) -> None:
        self.filename = filename
        self._data = io.BytesIO(data)

    async def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    owner = make_owner(session)
    world = artwork_customers(session, owner)
    world["owner"] = owner
    world["cookie"] = staff_cookie(session)
    world["sarah_viewer"] = PortalPrincipal(world["customer"], world["sarah"], "Sarah Smith", "sarah@smith.example")
    return world


def _client_thread(session: Session, world: dict[str, Any], body: str, **kwargs: Any) -> int:
    thread_id = messages.start_thread_client(session, world["sarah_viewer"], body, **kwargs)
    session.commit()
    return thread_id


def _page(world: dict[str, Any], query: dict[str, str] | None = None):
    # The query string rides on the address, as a link from an email brings it.
    path = "/messages" + ("?" + urlencode(query) if query else "")
    root = browser_tab(cookie=world["cookie"], path=path)
    page = screen(root, MessagesState)
    run_handler(page, "load")
    return page, screen(root, MessagesBadgeState)


def test_the_list_shows_unread_first_and_a_thread_link_opens_it_and_marks_it_read(session, world):
    general = _client_thread(session, world, "Do you print hoodies?", subject="Hoodies")
    messages.start_thread_staff(session, world["owner"], world["customer"], "Catalog attached.", subject="Spring catalog")
    session.commit()
    page, badge = _page(world)
    assert [t.subject for t in page.threads] == ["Hoodies", "Spring catalog"]  # unread first
    assert page.threads[0].unread == 1 and page.unread_total == 1 and badge.unread == 1
    assert page.thread_id == 0

    page, badge = _page(world, {"thread": str(general)})
    assert page.thread_id == general and page.subject == "Hoodies" and page.customer_name == "Smith Embroidery"
    [message] = page.thread_messages
    assert (message.side, message.sender, message.segments[0].text) == ("client", "Sarah Smith", "Do you print hoodies?")
    assert page.unread_total == 0 and badge.unread == 0  # opening is reading

    run_handler(page, "set_filter", "show", "unread")
    assert page.threads == [] and page.total == 0
    run_handler(page, "set_filter", "show", "all")
    run_handler(page, "set_filter", "search", "catalog")
    assert [t.subject for t in page.threads] == ["Spring catalog"]

    missing, _ = _page(world, {"thread": "999999"})
    assert missing.thread_id == 0 and missing.not_found == "That conversation does not exist."
    junk, _ = _page(world, {"thread": "1 or 1=1"})
    assert junk.thread_id == 0 and junk.not_found


def test_a_customer_filter_from_the_link_and_clearing_it(session, world):
    _client_thread(session, world, "Hello from Smith", subject="Smith question")
    pat = PortalPrincipal(world["other"], world["pat"], "Pat Pixel", "pat@pixel.example")
    messages.start_thread_client(session, pat, "Hello from Pixel", subject="Pixel question")
    session.commit()
    page, _ = _page(world, {"customer": str(world["other"])})
    assert page.customer_filter_name == "Pixel Labs" and [t.subject for t in page.threads] == ["Pixel question"]
    run_handler(page, "clear_customer")
    assert {t.subject for t in page.threads} == {"Smith question", "Pixel question"}


def test_a_reply_hostile_text_and_links_stay_text_and_a_refused_file_keeps_the_draft(session, world):
    thread_id = _client_thread(session, world, "<script>alert(1)</script> see https://example.com/proof.", subject="Proof")
    page, _ = _page(world, {"thread": str(thread_id)})
    segments = page.thread_messages[0].segments
    assert [(s.text, s.url) for s in segments] == [
        ("<script>alert(1)</script> see ", ""),
        ("https://example.com/proof", "https://example.com/proof"),
        (".", ""),
    ]

    run_handler(page, "set_reply", "Here is v2, see attached.")
    before = database_rows()
    run_handler(page, "send", [Upload(b"<html><script>alert(1)</script></html>", "proof.pdf")])
    assert "proof.pdf" in page.errors.get("attachments", "")
    assert page.reply == "Here is v2, see attached."  # what was typed is kept
    assert database_rows() == before

    run_handler(page, "set_reply", "   ")
    run_handler(page, "send", [])
    assert page.errors.get("body") == "Write a message."

    run_handler(page, "set_reply", "Here is v2, see attached.")
    run_handler(page, "send", [Upload(pdf_bytes(1), "v2.pdf")])
    assert page.errors == {} and page.reply == ""
    reply = page.thread_messages[-1]
    assert (reply.side, reply.sender, reply.segments[0].text) == ("shop", "Olivia Owner", "Here is v2, see attached.")
    [attachment] = reply.attachments
    assert (attachment.name, attachment.label, attachment.pdf, attachment.image) == ("v2.pdf", "PDF", True, False)
    assert attachment.url.startswith("/api/files/") and not attachment.promotable  # a general thread has no job


def test_a_client_message_shows_on_the_next_poll_and_close_and_reopen(session, world):
    thread_id = _client_thread(session, world, "First", job_id=world["job"])
    page, badge = _page(world, {"thread": str(thread_id)})
    run_handler(page, "poll", "tick")
    assert [m.segments[0].text for m in page.thread_messages] == ["First"]

    messages.post_client(session, world["sarah_viewer"], thread_id, "Second")
    session.commit()
    run_handler(page, "poll", "tick")
    assert [m.segments[0].text for m in page.thread_messages] == ["First", "Second"]
    assert page.unread_total == 0  # it was on screen: read

    run_handler(page, "close_thread")
    assert page.closed and page.closed_when and page.threads[0].closed
    run_handler(page, "reopen_thread")
    assert not page.closed


def test_a_pdf_attachment_becomes_a_mockup_version(session, world):
    thread_id = _client_thread(session, world, "Our artwork", job_id=world["job"], attachments=[("logo.pdf", pdf_bytes(1))])
    page, _ = _page(world, {"thread": str(thread_id)})
    [attachment] = page.thread_messages[0].attachments
    assert attachment.promotable
    result = run_handler(page, "promote", attachment.id)
    assert "v1 added to the job's mockups." in repr(result)
    before = database_rows()
    run_handler(page, "promote", 999_999)
    assert page.errors.get("form") == "That attachment does not exist."
    assert database_rows() == before


def test_the_job_tab_lists_the_jobs_threads_and_starts_one(session, world):
    _client_thread(session, world, "About the shirts", job_id=world["job"])
    _client_thread(session, world, "Something else", subject="General")
    root = browser_tab(cookie=world["cookie"], query={"job_id": str(world["job"])}, path=f"/jobs/{world['job']}")
    tab = screen(root, JobMessagesState)
    run_handler(tab, "load")
    assert [t.subject for t in tab.threads] == ["Spring League T-Shirts"]

    run_handler(tab, "set_new_open", True)
    run_handler(tab, "set_body", "v2 is ready.")
    before = database_rows()
    run_handler(tab, "start", [Upload(b"not a zip", "art.zip")])
    assert "art.zip" in tab.errors.get("attachments", "") and tab.body == "v2 is ready." and tab.new_open
    assert database_rows() == before

    result = run_handler(tab, "start", [])
    assert "Message sent" in repr(result) and not tab.new_open and tab.body == ""
    assert len(tab.threads) == 2  # the client's unread thread first, then the new one
    assert (tab.threads[1].last_sender, tab.threads[1].snippet, tab.threads[1].job_id) == ("Olivia Owner", "v2 is ready.", world["job"])


def test_the_customer_card_lists_only_that_customers_threads(session, world):
    thread_id = _client_thread(session, world, "Smith asks", subject="Smith question")
    pat = PortalPrincipal(world["other"], world["pat"], "Pat Pixel", "pat@pixel.example")
    messages.start_thread_client(session, pat, "Pixel asks", subject="Pixel question")
    session.commit()
    root = browser_tab(cookie=world["cookie"], query={"customer_id": str(world["customer"])}, path=f"/customers/{world['customer']}")
    card = screen(root, CustomerMessagesState)
    run_handler(card, "load")
    assert [(t.id, t.subject, t.unread) for t in card.threads] == [(thread_id, "Smith question", 1)]
    assert card.total == 1 and card.all_href == f"/messages?customer={world['customer']}"


def test_a_long_thread_opens_on_its_newest_50_and_load_earlier_keeps_them_across_a_poll(session, world):
    thread_id = _client_thread(session, world, "m0", subject="Long")
    for number in range(1, 55):
        messages.post_staff(session, world["owner"], thread_id, f"m{number}")
    session.commit()
    page, _ = _page(world, {"thread": str(thread_id)})
    shown = lambda: [m.segments[0].text for m in page.thread_messages]  # noqa: E731
    assert shown() == [f"m{n}" for n in range(5, 55)] and page.has_earlier
    run_handler(page, "load_earlier")
    assert shown() == [f"m{n}" for n in range(55)] and not page.has_earlier

    messages.post_client(session, world["sarah_viewer"], thread_id, "m55")
    session.commit()
    run_handler(page, "poll", "tick")
    assert shown() == [f"m{n}" for n in range(56)] and not page.has_earlier


def test_opening_a_read_thread_only_reads_it_and_an_unchanged_list_is_not_sent_again(session, world):
    hoodies = _client_thread(session, world, "Do you print hoodies?", subject="Hoodies")
    caps = _client_thread(session, world, "And caps?", subject="Caps")
    page, badge = _page(world)
    run_handler(page, "open_thread", hoodies)  # unread: its row in the list and the badge change
    assert "threads" in page.dirty_vars and badge.unread == 1
    page.dirty_vars.clear()  # as once the update has gone to the browser

    with statements() as sent:
        run_handler(page, "open_thread", hoodies)  # read now: nothing in the list or badge changes
    assert page.thread_id == hoodies and "threads" not in page.dirty_vars
    recounts = [sql for sql in sent if sql.lstrip().upper().startswith("SELECT") and "count(" in sql.lower()]
    assert not recounts  # neither the list, the badge nor the stamp is counted again
    assert not [sql for sql in sent if sql.lstrip().upper().startswith("UPDATE")]  # and the read mark stays
    run_handler(page, "set_filter", "show", "all")  # the list it already shows
    assert "threads" not in page.dirty_vars

    run_handler(page, "open_thread", caps)
    assert "threads" in page.dirty_vars and badge.unread == 0
    assert [t.unread for t in page.threads] == [0, 0]


def test_a_read_thread_opened_again_in_another_tab_comes_from_what_the_worker_read(session, world):
    hoodies = _client_thread(session, world, "Do you print hoodies?", subject="Hoodies")
    page, _ = _page(world)
    run_handler(page, "open_thread", hoodies)  # unread: marks it read (a write)
    run_handler(page, "open_thread", hoodies)  # read at the version after that write
    other, _ = _page(world)
    with statements() as sent:
        run_handler(other, "open_thread", hoodies)
    assert sent == peeks()  # only the session check's peek
    assert other.subject == "Hoodies" and [m.id for m in other.thread_messages] == [m.id for m in page.thread_messages] != []
    _client_thread(session, world, "Also aprons?", subject="Aprons")  # any write: read again
    with statements() as sent:
        run_handler(other, "open_thread", hoodies)
    assert len(sent) > 1
