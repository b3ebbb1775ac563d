"""In a real browser: issue 8's whole approval loop, both sides through the UI. Staff upload
a PNG v1 and send it; the client follows the emailed link, signs in with the code, lands on
the job and asks for revisions with a pin; staff see the bell and the pin, upload a PDF v2,
compare, set the checklist and send; the client approves; staff start production; both
download the certificate, which holds the typed name and the file's SHA-256."""

from __future__ import annotations

import io
import re

from tests.helpers.pdf import first_page_text
from fpdf import FPDF
from PIL import Image
from playwright.sync_api import Page, expect
from sqlmodel import select

from kontrol_app.models import ApprovalRecord, EmailKind
from kontrol_app.ui.portal.tabs.approval import AGREE

from .conftest import OWNER_NAME
from .pages import choose, staff_page_live, toast

POINT = "Spelling of names checked"


def _png(path, colour: tuple[int, int, int]):
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), colour).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _pdf(path):
    document = FPDF(orientation="landscape")
    document.add_page()
    document.set_fill_color(200, 40, 40)
    document.rect(20, 20, 200, 120, style="F")
    document.set_font("helvetica", size=28)
    document.text(30, 170, "Spring League Tees - bigger logo")
    document.output(str(path))
    return path


def _version(page: Page, label: str):
    return page.locator(f".mockup-version[data-label='{label}']")


def _send(page: Page, label: str, message: str) -> None:
    _version(page, label).get_by_role("button", name="Send for Approval").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=f"Send {label} for approval")).to_be_visible()
    dialog.get_by_label("Message (optional)").fill(message)
    dialog.get_by_label("Message (optional)").press("Tab")  # the debounced box sends on blur
    dialog.get_by_role("button", name="Send to client").click()
    expect(toast(page, "Sent to 1 contact.").last).to_be_visible()
    expect(dialog).to_have_count(0)


def _open_mockups(page: Page, job_id: int) -> None:
    page.goto(f"/jobs/{job_id}")
    staff_page_live(page, OWNER_NAME)
    page.get_by_role("tab", name="Mockups").click()
    expect(page.locator("#approval-status")).to_be_visible()


def _certificate_text(page: Page, href: str) -> str:
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    return first_page_text(response.body())


def test_the_whole_approval_loop(
    shop, make_customer, make_job, new_context, sign_in_as, portal_sign_in, outbox, db_session, tmp_path
):
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    job_id = make_job(acme.id, "Spring League Tees", quantity=144, status="artwork")

    # Staff upload a PNG v1 through the Mockups tab and send it.
    staff = new_context().new_page()
    sign_in_as(staff, shop, f"/jobs/{job_id}")
    _open_mockups(staff, job_id)
    status = staff.locator("#job-status")
    file_input = staff.locator("#mockup input[type=file]")
    file_input.set_input_files(_png(tmp_path / "front.png", (20, 90, 200)))
    expect(toast(staff, "v1 uploaded.")).to_be_visible()
    expect(_version(staff, "v1")).to_contain_text("front.png")
    _send(staff, "v1", "Here is the first proof.")
    expect(status).to_have_text("Awaiting Approval")

    # The email lands with the link to the job.
    [email] = outbox(EmailKind.ARTWORK_READY, to=acme.email)
    assert "Spring League Tees" in email.subject
    [link] = set(re.findall(r"https?://\S+\?job=" + str(job_id), email.text_body))

    # The client follows it, signs in with the code and lands on the job.
    client = new_context().new_page()
    client.set_viewport_size({"width": 375, "height": 812})
    portal_sign_in(client, link, acme.email)
    expect(client).to_have_url(re.compile(r"\?job=" + str(job_id) + "$"))
    expect(client.locator("#portal-job-detail")).to_contain_text("Spring League Tees")
    section = client.locator("#approval-section")
    expect(section).to_contain_text("Artwork for your approval — v1")
    expect(section).to_contain_text("Here is the first proof.")

    # Revisions with a pin and a note.
    pins = client.locator("#approval-pins")
    image = pins.get_by_role("img", name="Place pins on v1")
    expect(image).to_be_visible()
    client.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    box = image.bounding_box()
    image.click(position={"x": box["width"] * 0.42, "y": box["height"] * 0.31}, force=True)
    pin = pins.get_by_label("Pin 1", exact=True)
    expect(pin).to_be_visible()
    pin.fill("Make the logo bigger")
    pin.press("Tab")  # the debounced box sends on blur
    client.get_by_label("What should change?").fill("Bigger logo, please")
    client.get_by_role("button", name="Request Revisions", exact=True).click()
    expect(client.locator("#portal-job-status")).to_have_text("Revisions Requested")

    # Staff: the bell rings without a reload, and the pin shows on the Mockups tab.
    expect(staff.locator("#notifications-count")).to_have_text("1", timeout=10_000)  # polled every 3 s
    expect(staff.get_by_role("button", name="Notifications")).to_have_attribute("aria-label", "Notifications, 1 unread")
    _open_mockups(staff, job_id)
    expect(status).to_have_text("Revisions Requested")
    shown = staff.locator("#approval-records .approval-pins")
    expect(shown.locator(".pin-notes")).to_have_text("1: Make the logo bigger")
    expect(shown.get_by_role("img", name="The client's pins on the preview")).to_be_visible()
    expect(shown.locator(".pin-marker")).to_have_count(1)

    # Staff upload a PDF v2 through the UI and compare it with v1 side by side.
    file_input = staff.locator("#mockup input[type=file]")
    file_input.set_input_files(_pdf(tmp_path / "proof-v2.pdf"))
    expect(toast(staff, "v2 uploaded.")).to_be_visible()
    expect(_version(staff, "v2")).to_contain_text("proof-v2.pdf")
    compare = staff.locator("#mockup-compare")
    choose(staff, "Left", "v1")
    choose(staff, "Right", "v2")
    left, right = compare.get_by_role("img", name="Preview of v1"), compare.get_by_role("img", name="Preview of v2")
    expect(left).to_be_visible()
    expect(right).to_be_visible()
    staff.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=left.element_handle())
    staff.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=right.element_handle())
    a, b = left.bounding_box(), right.bounding_box()
    assert b["x"] > a["x"] + a["width"] - 1 and abs(b["y"] - a["y"]) < 2  # next to each other

    # One checklist point, then send v2.
    checklist = staff.get_by_label("Points the client confirms, one per line")
    checklist.fill(POINT)
    checklist.press("Tab")
    staff.get_by_role("button", name="Save checklist").click()
    expect(toast(staff, "Checklist saved.")).to_be_visible()
    _send(staff, "v2", "Logo is bigger now.")
    expect(status).to_have_text("Awaiting Approval")
    assert len(outbox(EmailKind.ARTWORK_READY, to=acme.email)) == 2

    # The open portal shows v2; the client ticks the point, types the name and approves.
    expect(section).to_contain_text("Artwork for your approval — v2")
    expect(client.locator("#portal-job-status")).to_have_text("Awaiting Approval")
    client.get_by_label(POINT).check()
    client.get_by_label("Your full name").fill("Sarah Smith")
    client.get_by_label(AGREE).check()
    client.get_by_role("button", name="Approve", exact=True).click()
    expect(client.locator("#portal-job-status")).to_have_text("Art Approved")
    expect(client.locator("#approval-decided")).to_contain_text("Approved by Sarah Smith")

    # Staff see Art Approved and move the job to In Production.
    _open_mockups(staff, job_id)
    expect(status).to_have_text("Art Approved")
    choose(staff, "Set status", "In Production")
    expect(status).to_have_text("In Production")

    # Both download the certificate: it holds the typed name and the file's SHA-256.
    with db_session() as session:
        record = session.exec(
            select(ApprovalRecord).where(ApprovalRecord.job_id == job_id, ApprovalRecord.decision == "approved")
        ).one()
    client_link = client.get_by_role("link", name="Download certificate")
    staff_link = staff.locator("#approval-records").get_by_role("link", name="Download certificate")
    expect(client_link).to_have_attribute("href", re.compile(r"/certificate\.pdf$"))
    expect(staff_link).to_have_attribute("href", client_link.get_attribute("href"))
    for page, href in ((client, client_link.get_attribute("href")), (staff, staff_link.get_attribute("href"))):
        text = _certificate_text(page, href)
        assert "Sarah Smith" in text and record.sha256 in text
