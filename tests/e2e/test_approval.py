"""In a real browser: the client's side of artwork approval. Staff send a version (through
the services), the client follows the emailed link, signs in, lands on the job, asks for
revisions, then approves v2; staff Preview cannot decide, not even over the websocket.
The client's side runs at phone width (375 px)."""

from __future__ import annotations

import io
import json
import re

from tests.helpers.pdf import first_page_text
from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from kontrol_app.api.cookies import PORTAL_COOKIE, STAFF_COOKIE
from kontrol_app.models import ApprovalRecord, Job
from kontrol_app.services import mockups
from kontrol_app.ui.portal.session import PREVIEW_READ_ONLY
from kontrol_app.ui.portal.session import PortalSession as PortalSessionState
from kontrol_app.ui.portal.tabs.approval import AGREE, ApprovalTab

from .conftest import owner_principal
from .pages import downloaded, field_of, toast
from .sockets import PortalSocket

CHECKLIST = ["Spelling of names checked", "Placement: left chest, 3.5 in wide"]
ONE_WAITING = "1 job awaiting your approval — click to review"


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _pdf(pages: int) -> bytes:
    buffer = io.BytesIO()
    first, *rest = [Image.new("RGB", (600, 400), (200, 40 * n, 40)) for n in range(pages)]
    first.save(buffer, format="PDF", save_all=True, append_images=rest)
    return buffer.getvalue()


def _send_version(db_session, shop, job_id: int, colour: tuple[int, int, int], note: str, message: str, *, pdf_pages: int = 0) -> int:
    actor = owner_principal(shop)
    upload, name = (_pdf(pdf_pages), "proof.pdf") if pdf_pages else (_png(colour), "front.png")
    with db_session() as session:
        version = mockups.upload_version(session, actor, job_id, upload, name=name, note=note)
    with db_session() as session:
        mockups.send_for_approval(session, actor, version.id, message=message)
    return version.id


def _job_status(db_session, job_id: int) -> str:
    with db_session() as session:
        return session.exec(select(Job).where(Job.id == job_id)).one().status


def _fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_client_asks_for_revisions_then_approves_v2(
    shop, make_customer, make_job, new_context, portal_sign_in, sign_in_as, session_token, outbox, db_session, e2e_server
):
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    job_id = make_job(acme.id, "Spring League Tees", quantity=144, status="artwork")
    with db_session() as session:
        mockups.set_checklist(session, owner_principal(shop), job_id, CHECKLIST)
    _send_version(db_session, shop, job_id, (20, 90, 200), "First draft", "Here is the first proof.")

    # The email's link goes straight to the job.
    [email] = outbox("artwork_ready", to=acme.email)
    [link] = set(re.findall(r"https?://\S+\?job=" + str(job_id), email.text_body))
    context = new_context()
    client = context.new_page()
    client.set_viewport_size({"width": 375, "height": 812})
    portal_sign_in(client, link, acme.email)
    expect(client).to_have_url(re.compile(r"\?job=" + str(job_id) + "$"))
    detail = client.locator("#portal-job-detail")
    expect(detail).to_contain_text("Spring League Tees")
    section = client.locator("#approval-section")
    expect(section).to_be_visible()
    # The banner points at this job, which is open with its approval form: it stands aside.
    expect(client.locator("#approval-banner")).to_have_count(0)
    expect(section).to_contain_text("Artwork for your approval — v1")
    expect(section).to_contain_text("Here is the first proof.")
    expect(client.get_by_role("link", name="Download the original")).to_have_attribute("href", re.compile(r"/api/files/\d+/"))
    assert downloaded(client, client.get_by_role("link", name="Download the original")).startswith(b"\x89PNG")
    assert _fits_the_width(client)

    # Click to zoom: the image full size in a dialog.
    client.get_by_role("button", name="Zoom the artwork").click()
    dialog = client.get_by_role("dialog")
    expect(dialog.get_by_role("img", name="Artwork v1")).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)

    # Approve without a name: the message is next to the name field, nothing is decided.
    for point in CHECKLIST:
        client.get_by_label(point).check()
    client.get_by_label(AGREE).check()
    client.get_by_role("button", name="Approve", exact=True).click()
    expect(field_of(client, "typed_name")).to_contain_text("Type your full name.")
    expect(client.get_by_label("Your full name")).to_have_attribute("aria-invalid", "true")
    assert _job_status(db_session, job_id) == "awaiting_approval"

    # Request revisions with a note: the answer shows at once, the buttons go, the timeline moves.
    client.get_by_role("button", name="Request Revisions", exact=True).click()
    expect(field_of(client, "revision_notes")).to_contain_text("Say what should change.")
    client.get_by_label("What should change?").fill("Make the logo bigger")
    client.get_by_role("button", name="Request Revisions", exact=True).click()
    expect(client.locator("#portal-job-status")).to_have_text("Revisions Requested")
    expect(client.locator("#approval-answer")).to_be_visible()
    expect(client.locator("#approval-decided")).to_be_visible()
    expect(client.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
    expect(client.locator("#approval-banner")).to_have_count(0)
    assert _job_status(db_session, job_id) == "revisions_requested"

    # Staff send v2 (a PDF): the open portal shows it without a reload.
    v2 = _send_version(db_session, shop, job_id, (200, 40, 40), "Bigger logo", "Logo is bigger now.", pdf_pages=2)
    expect(section).to_contain_text("Artwork for your approval — v2")
    expect(section).to_contain_text("PDF, 2 pages")
    expect(section.get_by_role("img", name="Artwork v2")).to_be_visible()
    expect(client.locator("#portal-job-status")).to_have_text("Awaiting Approval")
    expect(client.locator("#approval-banner")).to_have_count(0)  # this job is open
    client.get_by_role("tab", name="Invoices", exact=True).click()
    expect(client.locator("#approval-banner")).to_have_text(ONE_WAITING)  # on every other tab
    client.get_by_role("tab", name="Active Orders", exact=True).click()
    expect(section).to_contain_text("Artwork for your approval — v2")
    expect(client.locator("#approval-banner")).to_have_count(0)
    client.get_by_role("button", name="All orders").click()
    expect(client.locator("#approval-banner")).to_have_text(ONE_WAITING)  # the list: the job is a click away
    client.get_by_role("button", name="View details").click()
    expect(section).to_contain_text("Artwork for your approval — v2")

    # Staff Preview shows the same job, and refuses Approve: on the page ...
    staff = context.new_page()
    sign_in_as(staff, shop, "/")
    staff.goto(f"{acme.portal_path}?preview=1&job={job_id}")
    expect(staff.locator("#preview-banner")).to_be_visible()
    expect(staff.locator("#approval-section")).to_contain_text("Artwork for your approval — v2")
    staff.get_by_role("button", name="Approve", exact=True).click()
    expect(toast(staff, PREVIEW_READ_ONLY)).to_be_visible()
    # ... and from a script on the websocket, even with this browser's client cookie.
    [client_cookie] = [c for c in context.cookies() if c["name"] == PORTAL_COOKIE]
    cookie = f"{STAFF_COOKIE}={session_token(shop)}; {PORTAL_COOKIE}={client_cookie['value']}"
    socket = PortalSocket(e2e_server.base_url, cookie, acme.portal_path, preview=True)
    try:
        socket.send(PortalSessionState.load, {})
        socket.wait_for(lambda update: "Spring League Tees" in update)  # control: Preview shows it
        for handler in (ApprovalTab.approve, ApprovalTab.request_revisions, ApprovalTab.decline):
            socket.send(handler, {"version_id": v2})
            socket.wait_for(lambda update: PREVIEW_READ_ONLY in update)
    finally:
        socket.close()
    assert _job_status(db_session, job_id) == "awaiting_approval"

    # The client approves v2 with the checklist, the name and the tick.
    client.get_by_label("Your full name").fill("Sarah Smith")
    for point in CHECKLIST:
        client.get_by_label(point).check()
    client.get_by_label(AGREE).check()
    assert _fits_the_width(client)
    client.get_by_role("button", name="Approve", exact=True).click()
    expect(client.locator("#portal-job-status")).to_have_text("Art Approved")
    expect(client.locator("#approval-answer")).to_be_visible()
    expect(client.locator("#approval-decided")).to_contain_text("Approved by Sarah Smith")
    expect(client.locator("#approval-section h2")).to_have_text("Artwork — v2")  # no longer "for your approval"
    expect(client.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
    expect(client.locator("#approval-banner")).to_have_count(0)
    expect(detail.locator(".timeline-step.current")).to_contain_text("Art Approved")
    assert _job_status(db_session, job_id) == "art_approved"

    # Both download the approval certificate: it holds the typed name and the file's SHA-256.
    with db_session() as session:
        record = session.exec(select(ApprovalRecord).where(ApprovalRecord.version_id == v2)).one()
    certificate_url = f"/api/approvals/{record.id}/certificate.pdf"
    expect(client.get_by_role("link", name="Download certificate")).to_have_attribute("href", certificate_url)
    _assert_certificate(client.request.get(certificate_url), "Sarah Smith", record.sha256)
    assert record.sha256 in first_page_text(downloaded(client, client.get_by_role("link", name="Download certificate")))
    staff.goto(f"/jobs/{job_id}")
    staff.get_by_role("tab", name="Mockups").click()
    staff_link = staff.locator("#approval-records").get_by_role("link", name="Download certificate")
    expect(staff_link).to_have_attribute("href", certificate_url)
    _assert_certificate(staff.request.get(certificate_url), "Sarah Smith", record.sha256)
    assert record.sha256 in first_page_text(downloaded(staff, staff_link))


def _assert_certificate(response, name: str, sha256: str) -> None:
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = first_page_text(response.body())
    assert name in text and sha256 in text


def test_the_banner_counts_and_opens_the_first_job(shop, make_customer, make_job, new_context, portal_sign_in, db_session):
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    first = make_job(acme.id, "Spring League Tees", status="artwork")
    second = make_job(acme.id, "Coaches Polos", status="artwork")
    for job_id in (first, second):
        _send_version(db_session, shop, job_id, (20, 90, 200), "", "")
    client = new_context().new_page()
    portal_sign_in(client, acme.portal_url, acme.email)
    expect(client.locator(".order-card").filter(has_text="Awaiting your approval")).to_have_count(2)
    client.get_by_role("tab", name="My Branding", exact=True).click()
    banner = client.get_by_role("button", name="2 jobs awaiting your approval — click to review")
    banner.click()
    expect(client.get_by_role("tab", name="Active Orders", exact=True)).to_have_attribute("aria-selected", "true")
    expect(client.locator("#portal-job-detail")).to_be_visible()
    expect(client.locator("#approval-section")).to_contain_text("Artwork for your approval — v1")


def test_the_job_view_and_the_banner_say_approve_by(shop, make_customer, make_job, new_context, portal_sign_in, outbox, db_session):
    from datetime import timedelta

    from kontrol_app.services.approve_by import business_days_before
    from kontrol_app.services.clock import shop_today
    from kontrol_app.services.shop import shop_timezone

    with db_session() as session:
        due = shop_today(shop_timezone(session)) + timedelta(days=40)
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    job_id = make_job(acme.id, "Spring League Tees", due_date=due.isoformat(), status="artwork")
    _send_version(db_session, shop, job_id, (20, 90, 200), "", "")
    last = business_days_before(due, 7)  # the default production time
    wording = re.compile(rf"Approve by {last:%b} {last.day}\b.* to keep your {due:%b} {due.day}\b.* due date")
    [email] = outbox("artwork_ready", to=acme.email)
    assert wording.search(email.text_body), email.text_body
    client = new_context().new_page()
    portal_sign_in(client, acme.portal_url, acme.email)
    expect(client.locator("#approval-banner-approve-by")).to_have_text(wording)
    client.locator("#approval-banner").click()
    expect(client.locator("#approval-approve-by")).to_have_text(wording)



def test_revision_pins_on_the_preview_are_shown_to_staff_on_the_same_image(
    shop, make_customer, make_job, new_context, portal_sign_in, sign_in_as, outbox, db_session
):
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    job_id = make_job(acme.id, "Spring League Tees", quantity=144, status="artwork")
    _send_version(db_session, shop, job_id, (20, 90, 200), "First draft", "Here is the first proof.")
    [email] = outbox("artwork_ready", to=acme.email)
    [link] = set(re.findall(r"https?://\S+\?job=" + str(job_id), email.text_body))
    client = new_context().new_page()
    portal_sign_in(client, link, acme.email)

    # Two clicks on the artwork: two numbered pins; the first is removed, the other becomes 1.
    pins = client.locator("#approval-pins")
    image = pins.get_by_role("img", name="Place pins on v1")
    expect(image).to_be_visible()
    client.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    box = image.bounding_box()
    image.click(position={"x": box["width"] * 0.9, "y": box["height"] * 0.9}, force=True)
    expect(pins.get_by_label("Pin 1", exact=True)).to_be_visible()
    image.click(position={"x": box["width"] * 0.42, "y": box["height"] * 0.31}, force=True)
    expect(pins.get_by_label("Pin 2", exact=True)).to_be_visible()
    pins.get_by_role("button", name="Remove pin 1").click()
    expect(pins.get_by_label("Pin 2", exact=True)).to_have_count(0)
    pins.get_by_label("Pin 1", exact=True).fill("Make the logo bigger")
    pins.get_by_label("Pin 1", exact=True).press("Tab")  # the debounced box sends on blur
    client.get_by_label("What should change?").fill("See the pin")
    client.get_by_role("button", name="Request Revisions", exact=True).click()
    expect(client.locator("#portal-job-status")).to_have_text("Revisions Requested")
    with db_session() as session:
        [record] = session.exec(select(ApprovalRecord).where(ApprovalRecord.job_id == job_id)).all()
        assert json.loads(record.pins) == [{"x": 0.45, "y": 0.35, "note": "Make the logo bigger"}]

    # Staff: the numbered marker on the same preview, and the note under it.
    staff = new_context().new_page()
    sign_in_as(staff, shop, f"/jobs/{job_id}")
    staff.get_by_role("tab", name="Mockups").click()
    shown = staff.locator("#approval-records .approval-pins")
    expect(shown.locator(".pin-notes")).to_have_text("1: Make the logo bigger")
    picture = shown.get_by_role("img", name="The client's pins on the preview")
    expect(picture).to_be_visible()
    staff.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    marker, frame = shown.locator(".pin-marker").bounding_box(), picture.bounding_box()
    centre_x = (marker["x"] + marker["width"] / 2 - frame["x"]) / frame["width"]
    centre_y = (marker["y"] + marker["height"] / 2 - frame["y"]) / frame["height"]
    assert abs(centre_x - 0.45) < 0.02 and abs(centre_y - 0.35) < 0.02
