"""In a real browser, at phone width: a PDF proof page by page in the portal ("Page 1 of 3",
Previous page / Next page from the keyboard, "Showing 20 of 22 pages") and on the staff
Mockups tab; and a revision pin placed with the keyboard only (no mouse) and stored."""

from __future__ import annotations

import io
import json
import re

from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from kontrol_app.models import ApprovalRecord
from kontrol_app.services import mockups

from .a11y import assert_accessible
from .conftest import owner_principal

PHONE = {"width": 375, "height": 812}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), (20, 90, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _pdf(pages: int) -> bytes:
    """Each page its own colour, so each page's preview is a different picture."""
    buffer = io.BytesIO()
    first, *rest = [Image.new("RGB", (600, 400), (200, (11 * n) % 256, 40)) for n in range(pages)]
    first.save(buffer, format="PDF", save_all=True, append_images=rest)
    return buffer.getvalue()


def _send(db_session, shop, job_id: int, data: bytes, name: str) -> int:
    actor = owner_principal(shop)
    with db_session() as session:
        version = mockups.upload_version(session, actor, job_id, data, name=name)
    with db_session() as session:
        mockups.send_for_approval(session, actor, version.id, message="Here is the proof.")
    return version.id


def _fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _focused_name(page) -> str:
    return page.evaluate("document.activeElement && (document.activeElement.getAttribute('name') || document.activeElement.textContent)")


def _loaded(page, image) -> None:
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def test_a_pdf_proof_is_shown_page_by_page_with_the_keyboard(shop, make_customer, make_job, new_context, portal_sign_in, sign_in_as, db_session):
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    job_id = make_job(acme.id, "Spring League Tees", status="artwork")
    total = mockups.MAX_PREVIEW_PAGES + 2
    _send(db_session, shop, job_id, _pdf(total), "catalogue.pdf")

    client = new_context().new_page()
    client.set_viewport_size(PHONE)
    portal_sign_in(client, f"{acme.portal_url}?job={job_id}", acme.email)
    section = client.locator("#approval-section")
    expect(section).to_contain_text("Artwork for your approval — v1")
    page_text = client.locator("#approval-page-text")
    shown = mockups.MAX_PREVIEW_PAGES
    expect(page_text).to_have_text(f"Page 1 of {shown}")
    expect(client.locator("#approval-pages-note")).to_have_text(f"Showing {shown} of {total} pages — download the original to see them all.")
    image = section.get_by_role("img", name=f"Artwork v1, page 1 of {shown}")
    expect(image).to_be_visible()
    _loaded(client, image)
    first_src = image.get_attribute("src")

    # Keyboard only: focus Next page and press Enter; the page turns and focus stays on the button.
    next_page = client.get_by_role("button", name="Next page")
    previous = client.get_by_role("button", name="Previous page")
    expect(previous).to_have_attribute("aria-disabled", "true")
    next_page.focus()
    client.keyboard.press("Enter")
    expect(page_text).to_have_text(f"Page 2 of {shown}")
    client.keyboard.press("Enter")
    expect(page_text).to_have_text(f"Page 3 of {shown}")
    expect(next_page).to_be_focused()
    third = section.get_by_role("img", name=f"Artwork v1, page 3 of {shown}")
    expect(third).to_be_visible()
    _loaded(client, third)
    third_src = third.get_attribute("src")
    assert third_src != first_src
    # The page's preview is the client's to read (the files route), and it is a PNG.
    response = client.context.request.get(third_src)
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    previous.focus()
    client.keyboard.press("Enter")
    expect(page_text).to_have_text(f"Page 2 of {shown}")
    client.keyboard.press("Enter")
    client.keyboard.press("Enter")  # already on page 1: stays there, focus kept
    expect(page_text).to_have_text(f"Page 1 of {shown}")
    expect(previous).to_be_focused()
    expect(previous).to_have_attribute("aria-disabled", "true")
    expect(client.locator("#approval-pins")).to_contain_text("Pins go on page 1.")
    assert _fits_the_width(client)
    assert_accessible(client, "the portal's PDF proof, page by page")

    # Someone signed out gets nothing of a page.
    stranger = new_context().new_page()
    assert stranger.request.get(third_src).status == 404

    # Staff: the same pages in a dialog on the Mockups tab.
    staff = new_context().new_page()
    sign_in_as(staff, shop, f"/jobs/{job_id}")
    staff.get_by_role("tab", name="Mockups").click()
    staff.get_by_role("button", name=f"View {shown} pages").click()
    dialog = staff.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Showing {shown} of {total} pages")
    expect(dialog.locator("img.mockup-page")).to_have_count(shown)
    expect(dialog.get_by_role("img", name="v1, page 2", exact=True)).to_have_attribute("src", re.compile(r"^/api/files/\d+/"))


def test_a_pin_is_placed_with_the_keyboard_only_and_kept_with_the_revisions(shop, make_customer, make_job, new_context, portal_sign_in, db_session):
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    job_id = make_job(acme.id, "Spring League Tees", status="artwork")
    _send(db_session, shop, job_id, _png(), "front.png")

    client = new_context().new_page()
    client.set_viewport_size(PHONE)
    portal_sign_in(client, f"{acme.portal_url}?job={job_id}", acme.email)
    pins = client.locator("#approval-pins")
    expect(pins).to_be_visible()
    across, down = pins.get_by_label("Across"), pins.get_by_label("Down")
    expect(across).to_have_value("4")
    expect(down).to_have_value("4")

    # Across: two steps right (65%); Tab to Down: one step up (35%); Tab to Add pin; Enter.
    across.focus()
    client.keyboard.press("ArrowDown")
    expect(across).to_have_value("5")
    client.keyboard.press("ArrowDown")
    expect(across).to_have_value("6")
    client.keyboard.press("Tab")
    expect(down).to_be_focused()
    client.keyboard.press("ArrowUp")
    expect(down).to_have_value("3")
    client.keyboard.press("Tab")
    add = pins.get_by_role("button", name="Add pin")
    expect(add).to_be_focused()
    client.keyboard.press("Enter")
    note = pins.get_by_label("Pin 1", exact=True)
    expect(note).to_be_visible()
    expect(pins.locator(".pin-marker")).to_have_count(1)
    expect(pins.locator(".pin-marker")).to_have_text("1")

    # On to the pin's note with Tab, typed; then the notes box and Request Revisions by keyboard.
    client.keyboard.press("Tab")
    expect(note).to_be_focused()
    client.keyboard.type("Move the crest to the right")
    client.keyboard.press("Tab")  # the debounced box sends on blur
    assert _fits_the_width(client)
    assert_accessible(client, "the portal's approval with a pin placed by keyboard")
    client.get_by_label("What should change?").focus()
    client.keyboard.type("See the pin")
    client.keyboard.press("Tab")
    request = client.get_by_role("button", name="Request Revisions", exact=True)
    # The pins sit between "What should change?" and the button that sends them.
    tops = [box.bounding_box()["y"] for box in (client.get_by_label("What should change?"), pins, request)]
    assert tops == sorted(tops), tops
    request.focus()
    client.keyboard.press("Enter")
    expect(client.locator("#portal-job-status")).to_have_text("Revisions Requested")
    expect(client.locator("#approval-answer")).to_be_visible()

    with db_session() as session:
        [record] = session.exec(select(ApprovalRecord).where(ApprovalRecord.job_id == job_id)).all()
        assert record.decision == "revisions" and record.notes == "See the pin"
        assert json.loads(record.pins) == [{"x": 0.65, "y": 0.35, "note": "Move the crest to the right"}]
