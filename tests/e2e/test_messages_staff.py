"""In a real browser, the staff side of Messages: a client's thread (with a PDF) shows with the
unread badge in the navigation; staff open it (the badge clears), see a `<script>` message as
text and its link as a safe anchor, reply and see the reply, see the client's next message
arrive without a reload, make the PDF a mockup version; axe passes and at 390 px nothing
scrolls sideways."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import func, select

from kontrol_app.models import CustomerContact, MockupVersion
from kontrol_app.models.jobs import JobStatus
from kontrol_app.services import messages
from kontrol_app.services.portal_auth import PortalPrincipal
from tests.helpers.artwork import pdf_bytes

from .a11y import assert_accessible
from .conftest import OWNER_NAME
from .pages import staff_page_live, toast

HOSTILE = "<script>window.__pwned = 1</script> the proof is at https://example.com/proof."
PHONE = {"width": 390, "height": 844}


def _overflowing(page) -> list[str]:
    """What sticks out past the right edge (empty: nothing scrolls sideways)."""
    return page.evaluate(
        """() => document.documentElement.scrollWidth <= window.innerWidth + 1 ? [] :
        [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
            && !(e.parentElement && e.parentElement.closest('*') && [...(function* (n) { while ((n = n.parentElement)) yield n; })(e)]
                 .some(a => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX))))
            .slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
    )


def test_staff_open_a_client_thread_reply_and_make_its_pdf_a_mockup(shop, page, sign_in_as, make_customer, make_job, e2e_server, tmp_path):
    customer = make_customer("Riverside Runners", email="sam@riverside.example", contact_name="Sam Rivers")
    job = make_job(customer.id, "Spring League T-Shirts", status=JobStatus.ARTWORK)
    with e2e_server.session() as session:
        contact = session.exec(select(CustomerContact).where(CustomerContact.customer_id == customer.id)).one()
        sam = PortalPrincipal(customer.id, contact.id, "Sam Rivers", "sam@riverside.example")
        thread_id = messages.start_thread_client(session, sam, HOSTILE, job_id=job, attachments=[("logo.pdf", pdf_bytes(1))])

    sign_in_as(page, shop, "/")
    staff_page_live(page, OWNER_NAME)
    badge = page.locator("#messages-unread")
    expect(badge).to_have_text("1 unread")

    page.get_by_role("link", name="Messages").click()
    item = page.locator(f".thread-item button[data-thread-id='{thread_id}']")
    expect(item).to_contain_text("1 unread")
    expect(item).to_contain_text("Spring League T-Shirts")
    item.click()
    expect(page.locator("#thread-subject")).to_have_text("Spring League T-Shirts")
    expect(badge).to_have_count(0)  # opening is reading, for the whole team

    # The message is text: the tag shows as typed, runs nowhere, and only the http link is one.
    body = page.locator(".message-client .message-body").first
    expect(body).to_contain_text("<script>window.__pwned = 1</script> the proof is at")
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("[...document.scripts].some(s => s.textContent.includes('__pwned'))") is False
    link = body.locator("a")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "https://example.com/proof")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")

    # A reply with a file that lies about its type: refused next to the field, the text kept.
    reply = page.get_by_label("Reply")
    reply.fill("Thanks Sam, v2 attached.")
    files = page.get_by_label("Attach files")
    fake = tmp_path / "fake.pdf"
    fake.write_text("<html><script>alert(1)</script></html>\n")
    files.set_input_files(fake)
    expect(page.locator(".picked-file")).to_have_text("fake.pdf")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#message-files-error")).to_contain_text("fake.pdf")
    expect(reply).to_have_value("Thanks Sam, v2 attached.")
    expect(page.locator(".message-shop")).to_have_count(0)

    # Another file: the reply and its PDF show on the shop's side.
    page.get_by_role("button", name="Remove files").click()
    real = tmp_path / "v2.pdf"
    real.write_bytes(pdf_bytes(1))
    files.set_input_files(real)
    page.get_by_role("button", name="Send", exact=True).click()
    shop_message = page.locator(".message-shop")
    expect(shop_message.locator(".message-body")).to_have_text("Thanks Sam, v2 attached.")
    expect(shop_message.locator(".attachment-name")).to_have_text("v2.pdf")
    expect(reply).to_have_value("")
    expect(page.locator(".picked-file")).to_have_count(0)

    # The client's next message arrives without a reload.
    with e2e_server.session() as session:
        messages.post_client(session, sam, thread_id, "Great, thank you!")
    expect(page.locator(".message-client .message-body").nth(1)).to_have_text("Great, thank you!", timeout=8000)

    # The PDF becomes the job's first mockup version.
    page.get_by_role("button", name="Make a mockup version from logo.pdf").click()
    expect(toast(page, "v1 added to the job's mockups.")).to_be_visible()
    with e2e_server.session() as session:
        assert session.exec(select(func.count()).select_from(MockupVersion).where(MockupVersion.job_id == job)).one() == 1

    assert_accessible(page, "/messages with a thread open")

    # The customer page names its one conversation (not "All 1 conversations").
    page.goto(f"/customers/{customer.id}")
    staff_page_live(page, OWNER_NAME)
    expect(page.locator("#customer-messages").get_by_role("link", name="The conversation in Messages")).to_be_visible()

    # The job page's Messages tab lists the thread with a link to it.
    page.goto(f"/jobs/{job}?tab=messages")
    staff_page_live(page, OWNER_NAME)
    expect(page.get_by_role("link", name="Spring League T-Shirts")).to_have_attribute("href", f"/messages?thread={thread_id}")
    assert_accessible(page, "the job's Messages tab")

    # New message from the job: a second thread about it, listed on the tab and the customer page.
    page.get_by_role("button", name="New message").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert_accessible(page, "the job's New message dialog")
    dialog.get_by_label("Message").fill("Sizes for the reorder?")
    dialog.get_by_role("button", name="Send", exact=True).click()
    expect(toast(page, "Message sent to the customer's contacts.")).to_be_visible()
    expect(page.locator(".job-thread-row")).to_have_count(2)
    page.goto(f"/customers/{customer.id}")
    staff_page_live(page, OWNER_NAME)
    expect(page.locator("#customer-messages .customer-thread")).to_have_count(2)
    expect(page.locator("#customer-messages").get_by_role("link", name="All 2 conversations")).to_have_attribute("href", f"/messages?customer={customer.id}")

    # Elsewhere in the app, a new client message lights the badge without a reload.
    with e2e_server.session() as session:
        messages.post_client(session, sam, thread_id, "One more thing.")
    expect(badge).to_have_text("1 unread", timeout=8000)

    # On a phone: the list, then the thread in its place; nothing scrolls sideways.
    page.set_viewport_size(PHONE)
    page.goto("/messages")
    staff_page_live(page, OWNER_NAME)
    expect(page.locator(f".thread-item button[data-thread-id='{thread_id}']")).to_be_visible()
    assert not (wide := _overflowing(page)), "\n".join(wide)
    page.goto(f"/messages?thread={thread_id}")
    staff_page_live(page, OWNER_NAME)
    expect(page.locator("#thread-subject")).to_be_visible()
    expect(page.get_by_role("button", name="Back to list")).to_be_visible()
    assert not (wide := _overflowing(page)), "\n".join(wide)
    assert_accessible(page, "/messages at phone width")
