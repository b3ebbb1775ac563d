"""In a real browser, at phone width (390 px): the client starts a conversation about a job
from the job's details, with a PDF; a `<script>` in the text stays text; the shop replies
(through the service) and the open portal shows the badge and the reply without a reload."""

from __future__ import annotations

import re

from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from kontrol_app.models import Message, MessageThread
from kontrol_app.services import messages

from .a11y import report, violations
from .conftest import owner_principal

LIVE_MS = 6000  # the portal polls every 3 s: "within ~5 s"
BODY = '<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2"> Logo attached, brief at https://example.com/brief.'


def _pdf(path) -> str:
    Image.new("RGB", (600, 400), (200, 40, 40)).save(path, format="PDF")
    return str(path)


def _fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _no_axe_failures(page) -> None:
    found = violations(page)
    assert not found, report(found)


def test_the_client_writes_about_a_job_and_sees_the_shops_reply_live(shop, make_customer, make_job, new_context, portal_sign_in, db_session, tmp_path):
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    job_id = make_job(acme.id, "Spring League Tees", quantity=144, status="artwork")
    client = new_context().new_page()
    dialogs: list[str] = []
    client.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    client.set_viewport_size({"width": 390, "height": 844})
    portal_sign_in(client, acme.portal_url, acme.email)

    # From the job's details: a new conversation about it.
    client.get_by_role("button", name="View details").click()
    client.get_by_role("button", name="Message the shop about this order").click()
    expect(client.get_by_role("heading", name="New message")).to_be_visible()
    expect(client.get_by_label("About", exact=True)).to_have_value(str(job_id))
    _no_axe_failures(client)
    client.get_by_label("Message", exact=True).fill(BODY)
    client.get_by_label("Attach files").set_input_files(_pdf(tmp_path / "logo.pdf"))
    expect(client.locator(".selected-file")).to_have_text("logo.pdf")
    client.get_by_role("button", name="Send", exact=True).click()

    # The thread: the text as typed (no script ran, none was made), the link, the PDF.
    expect(client.locator("#thread-title")).to_have_text("Spring League Tees")
    mine = client.locator(".message.mine")
    expect(mine).to_have_count(1)
    expect(mine.locator(".message-body")).to_have_text(BODY)
    link = mine.get_by_role("link", name="https://example.com/brief")
    expect(link).to_have_attribute("href", "https://example.com/brief")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(mine.get_by_role("link", name="View logo.pdf")).to_have_attribute("href", re.compile(r"^/api/files/\d+/logo\.pdf$"))
    expect(mine.get_by_role("link", name="Download logo.pdf")).to_have_attribute("href", re.compile(r"\?download=1$"))
    expect(client.locator(".selected-file")).to_have_count(0)
    assert client.evaluate("window.__pwned === undefined") and dialogs == []
    assert client.locator("#thread-messages script, #thread-messages img[src='x']").count() == 0
    assert _fits_the_width(client), "the page scrolls sideways"
    _no_axe_failures(client)
    with db_session() as session:
        thread = session.exec(select(MessageThread).where(MessageThread.customer_id == acme.id)).one()
        assert thread.job_id == job_id and thread.staff_unread
        [message] = session.exec(select(Message).where(Message.thread_id == thread.id)).all()
        assert message.body == BODY

    # A file that is not what its name says: refused next to the field, the reply kept.
    fake = tmp_path / "back.png"
    fake.write_bytes(b"not really a PNG")
    client.get_by_label("Your reply").fill("And here is the back")
    client.get_by_label("Attach files").set_input_files(str(fake))
    client.get_by_role("button", name="Send", exact=True).click()
    expect(client.locator("#message-files-error")).to_contain_text("back.png: ")
    expect(client.get_by_label("Your reply")).to_have_value("And here is the back")
    expect(mine).to_have_count(1)
    client.get_by_role("button", name="Remove files").click()
    expect(client.locator(".selected-file")).to_have_count(0)
    # A type the picker refuses before sending: said next to the field at once.
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ not artwork")
    client.get_by_label("Attach files").set_input_files(str(program))
    expect(client.locator("#message-files-error")).to_contain_text("each a PNG, JPEG, WebP, PDF")
    expect(client.locator(".selected-file")).to_have_count(0)
    expect(client.get_by_label("Your reply")).to_have_value("And here is the back")

    # Back on the list, the shop replies: the badge (tab and thread) shows without a reload.
    client.get_by_role("button", name="All conversations").click()
    row = client.locator(f"#thread-{thread.id}")
    expect(row).to_contain_text("Spring League Tees")
    messages_tab = client.get_by_role("tab", name=re.compile(r"^Messages"))
    expect(messages_tab).to_have_accessible_name("Messages")
    with db_session() as session:
        messages.post_staff(session, owner_principal(shop), thread.id, "Thanks Sarah, proof coming today.")
    expect(messages_tab).to_have_accessible_name("Messages 1 new", timeout=LIVE_MS)
    expect(row.locator(".thread-unread")).to_have_text("1 new")
    expect(row.locator(".thread-snippet")).to_contain_text("Thanks Sarah, proof coming today.")
    _no_axe_failures(client)

    # Opening it reads it; a second reply shows in the open thread, live.
    row.get_by_role("button", name=re.compile("^Open conversation")).click()
    theirs = client.locator(".message.theirs")
    expect(theirs).to_have_count(1)
    expect(theirs.locator(".message-body")).to_have_text("Thanks Sarah, proof coming today.")
    expect(messages_tab).to_have_accessible_name("Messages")
    with db_session() as session:
        messages.post_staff(session, owner_principal(shop), thread.id, "Proof is up: https://example.com/proof")
    expect(theirs).to_have_count(2, timeout=LIVE_MS)
    expect(theirs.nth(1).get_by_role("link", name="https://example.com/proof")).to_be_visible()
    expect(messages_tab).to_have_accessible_name("Messages")  # it is open in front of them
    assert _fits_the_width(client), "the page scrolls sideways"

    # On another tab the label's badge stays live.
    client.get_by_role("tab", name="Active Orders").click()
    with db_session() as session:
        messages.post_staff(session, owner_principal(shop), thread.id, "Shipping Friday.")
    expect(messages_tab).to_have_accessible_name("Messages 1 new", timeout=LIVE_MS)
    messages_tab.click()
    expect(row.locator(".thread-unread")).to_have_text("1 new")
    assert dialogs == []
