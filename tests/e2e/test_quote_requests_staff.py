"""Quote Requests for staff in a real browser (issue 11 item 4): a request a client submitted
(through the service) shows on the navigation's badge; staff open it, see the answers and the
file, Convert to job, find the file under the job's Files and make it a mockup; the client's
Active Orders shows the job as Quote. And Reply, then Decline, on another request."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from kontrol_app.models import CustomerContact, EmailKind, Message, MessageThread, QuoteRequest
from kontrol_app.services import quotes
from kontrol_app.services.portal_view import PortalViewer

from .a11y import assert_accessible
from .conftest import OWNER_NAME
from .pages import at, staff_page_live, toast

LIVE_MS = 10_000  # the bell (and the badge with it) polls every 3 s
FAR = (date.today() + timedelta(days=60)).isoformat()
WHAT = {"item_type": "tshirts", "garment": "Gildan 5000", "colour": "Navy", "size_mode": "adult", "quantities": {"S": "12", "M": "24", "L": "12"}}
ARTWORK = {"decoration": "screen_print", "placements": {"front": "2"}, "notes": "Crest on the front"}
TIMING = {"in_hands_date": FAR, "delivery": "pickup"}
JOB_URL = re.compile(r"^https?://[^/]+/jobs/\d+/?(\?.*)?$")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def submit_request(db_session, email: str, files: tuple[tuple[str, bytes], ...] = ()) -> tuple[int, str]:
    """What the portal's Request a Quote tab does, through the service: (id, number)."""
    with db_session() as session:
        contact = session.exec(select(CustomerContact).where(CustomerContact.email == email)).one()
        viewer = PortalViewer(contact.customer_id, "", contact.name, contact.email, False, contact.id)
        ids = [quotes.upload_artwork(session, viewer, data, name).id for name, data in files]
        for step, data in ((1, WHAT), (2, ARTWORK | {"file_ids": ids}), (3, TIMING)):
            assert quotes.save_draft(session, viewer, step, data, go_to=step + 1).ok
        number = quotes.submit(session, viewer)
    with db_session() as session:
        return session.exec(select(QuoteRequest.id).where(QuoteRequest.number == number)).one(), number


def test_staff_convert_a_request_to_a_job_and_make_its_file_a_mockup(
    shop, make_customer, db_session, new_context, sign_in_as, portal_sign_in
):
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    submit_request(db_session, acme.email, (("crest.png", _png()),))

    staff = new_context().new_page()
    staff.emulate_media(reduced_motion="reduce")
    sign_in_as(staff, shop, "/")
    staff_page_live(staff, OWNER_NAME)
    badge = staff.locator("#quotes-unread")
    expect(badge).to_have_text("1 new", timeout=LIVE_MS)
    expect(staff.locator("#dashboard-new-quotes")).to_have_text("1 new quote request")  # Needs attention
    staff.get_by_role("navigation", name="Sections").get_by_role("link", name="Quote Requests").click()
    expect(staff).to_have_url(at("/quotes"))
    staff.mouse.move(0, 0)  # not hovering the navigation link (axe would judge its hover colour)
    row = staff.locator(".quote-request-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Acme Uniforms")
    expect(row).to_contain_text("48 T-shirts · Screen print")
    expect(row.locator(".quote-status")).to_have_text("New")
    assert_accessible(staff, "the Quote Requests list")

    row.get_by_role("link", name="QR-0001").click()
    expect(staff.locator("#quote-number")).to_have_text("QR-0001")
    answers = staff.locator("#quote-answers")
    expect(answers).to_contain_text("48 T-shirts (Gildan 5000, Navy)")
    expect(answers).to_contain_text("Front (2 colours)")
    expect(answers).to_contain_text("Crest on the front")
    expect(staff.locator("#quote-sizes")).to_contain_text("24")
    expect(staff.locator(".quote-file-name")).to_have_text("crest.png")
    preview = staff.get_by_role("img", name="Preview of crest.png")
    expect(preview).to_be_visible()
    staff.wait_for_function("img => img.complete && img.naturalWidth === 120", arg=preview.element_handle())
    expect(badge).to_have_count(0)  # opened: no longer new
    assert_accessible(staff, "a quote request")

    staff.get_by_role("button", name="Convert to job").click()
    expect(staff).to_have_url(JOB_URL)
    staff_page_live(staff, OWNER_NAME)
    expect(staff.locator("#job-status")).to_have_text("Quote")
    # The request's answers became the notes, a line each (not one run-on paragraph).
    notes = staff.locator("#job-notes")
    expect(notes).to_contain_text("Decoration:")
    assert notes.evaluate("e => e.innerText.split('\\n').filter(Boolean).length") > 3
    files = staff.locator("#job-files")
    expect(files.locator(".job-file-name")).to_have_text("crest.png")
    expect(files.locator(".job-file-source")).to_have_text("Quote request QR-0001")
    assert_accessible(staff, "the job's Files")
    staff.get_by_role("button", name="Make a mockup version from crest.png").click()
    expect(toast(staff, "v1 added to the job's mockups.")).to_be_visible()
    staff.get_by_role("tab", name="Mockups").click()
    expect(staff.locator(".mockup-version[data-label='v1']")).to_contain_text("crest.png")

    # The request says where it went.
    staff.goto("/quotes")
    staff_page_live(staff, OWNER_NAME)
    expect(staff.locator(".quote-request-row .quote-status")).to_have_text("Converted to order")
    staff.get_by_role("link", name="QR-0001").click()
    expect(staff.locator("#quote-job-link")).to_be_visible()
    expect(staff.get_by_role("button", name="Convert to job")).to_have_count(0)

    # The client's portal shows the job as a Quote.
    client = new_context().new_page()
    portal_sign_in(client, acme.portal_url, acme.email)
    card = client.locator(".order-card").filter(has_text="48 T-shirts (QR-0001)")
    expect(card.locator(".status-badge")).to_have_text("Quote")


def test_staff_reply_then_decline_a_request_on_a_phone(shop, make_customer, db_session, new_context, sign_in_as, outbox):
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    submit_request(db_session, acme.email)
    request_id, number = submit_request(db_session, acme.email)
    assert number == "QR-0002"

    staff = new_context().new_page()
    staff.set_viewport_size({"width": 390, "height": 844})  # on a phone
    staff.emulate_media(reduced_motion="reduce")
    sign_in_as(staff, shop, f"/quotes?request={request_id}")  # the bell's link
    staff_page_live(staff, OWNER_NAME)
    expect(staff.locator("#quote-number")).to_have_text("QR-0002")
    expect(staff.locator("#quote-status")).to_have_text("New")
    expect(staff.locator(".quote-file-name")).to_have_count(0)

    # An empty reply is refused next to the field; the dialog stays open.
    staff.get_by_role("button", name="Reply", exact=True).click()
    dialog = staff.get_by_role("dialog")
    dialog.get_by_role("button", name="Send reply").click()
    expect(dialog.locator(".field-error")).to_have_text("Write a message.")
    assert_accessible(staff, "the Reply dialog")
    dialog.get_by_label("Message").fill("About $9 a shirt with a 2-colour front. Shall we go ahead?")
    dialog.get_by_role("button", name="Send reply").click()
    expect(toast(staff, "Reply sent to Acme Uniforms.")).to_be_visible()
    expect(staff.get_by_role("dialog")).to_have_count(0)
    expect(staff.locator("#quote-status")).to_have_text("Quoted")
    link = staff.locator("#quote-thread-link")
    expect(link).to_be_visible()
    [notice] = outbox(EmailKind.MESSAGE_TO_CLIENT, to=acme.email)
    assert "About $9 a shirt" in notice.text_body

    # A second reply joins the same conversation.
    staff.get_by_role("button", name="Reply", exact=True).click()
    staff.get_by_role("dialog").get_by_label("Message").fill("Or $8 each for 100.")
    staff.get_by_role("dialog").get_by_role("button", name="Send reply").click()
    expect(staff.get_by_role("dialog")).to_have_count(0)  # closed once the reply was kept
    with db_session() as session:
        [thread] = session.exec(select(MessageThread)).all()
        assert thread.subject == "Quote request QR-0002"
        assert len(session.exec(select(Message).where(Message.thread_id == thread.id)).all()) == 2
    assert link.get_attribute("href").endswith(f"/messages?thread={thread.id}")

    # Decline, with a message to the client.
    staff.get_by_role("button", name="Decline", exact=True).click()
    dialog = staff.get_by_role("dialog")
    dialog.get_by_label("Message to the client (optional)").fill("We are booked until June, sorry.")
    dialog.get_by_role("button", name="Decline request").click()
    expect(toast(staff, "QR-0002 declined.")).to_be_visible()
    expect(staff.locator("#quote-status")).to_have_text("Declined")
    expect(staff.get_by_text("Declined: We are booked until June, sorry.")).to_be_visible()
    for action in ("Convert to job", "Reply", "Decline"):
        expect(staff.get_by_role("button", name=action, exact=True)).to_have_count(0)
    [declined] = outbox(EmailKind.QUOTE_REQUEST_DECLINED, to=acme.email)
    assert "QR-0002" in declined.subject and "We are booked until June, sorry." in declined.text_body

    # The list: the one not opened yet first, then the declined one.
    staff.get_by_role("link", name="All quote requests").click()
    rows = staff.locator(".quote-request-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("QR-0001")
    expect(rows.nth(1).locator(".quote-status")).to_have_text("Declined")
