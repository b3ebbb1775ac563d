"""In a real browser: the job page's Mockups tab. Staff upload versions, a fake image is
refused, the print checklist, Send for Approval (email + status), a newer version
replacing an older request, and the approval gate (Art Approved, In Production) with an offline approval."""

from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import Page, expect

from kontrol_app.models import EmailKind
from kontrol_app.models.jobs import JobStatus
from kontrol_app.services import mockups

from .a11y import assert_accessible
from .conftest import OWNER_NAME, owner_principal
from .pages import choose, downloaded, staff_page_live, toast

GATE = "The current artwork isn't approved yet. Send it for approval, or record an offline approval."


def _png(path, color: tuple[int, int, int], size: tuple[int, int] = (400, 300)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _version(page: Page, label: str):
    return page.locator(f".mockup-version[data-label='{label}']")


def _send(page: Page, label: str, message: str = "") -> None:
    _version(page, label).get_by_role("button", name="Send for Approval").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=f"Send {label} for approval")).to_be_visible()
    if message:
        dialog.get_by_label("Message (optional)").fill(message)
        dialog.get_by_label("Message (optional)").press("Tab")  # the debounced box sends on blur
    dialog.get_by_role("button", name="Send to client").click()
    expect(toast(page, "Sent to 1 contact.").last).to_be_visible()
    expect(dialog).to_have_count(0)


def test_mockups_upload_send_replace_and_the_production_gate(
    shop, page, sign_in_as, make_customer, make_job, outbox, tmp_path
):
    customer = make_customer("Riverside Runners", email="sam@riverside.example", contact_name="Sam Rivers")
    job = make_job(customer.id, "Spring League T-Shirts", quantity=144, status=JobStatus.ARTWORK)
    sign_in_as(page, shop, f"/jobs/{job}")
    staff_page_live(page, OWNER_NAME)
    status = page.locator("#job-status")
    expect(status).to_have_text("Artwork")

    page.get_by_role("tab", name="Mockups").click()
    expect(page.locator("#approval-status")).to_be_visible()
    file_input = page.locator("#mockup input[type=file]")

    # v1: a real PNG, with its preview, file name and state.
    file_input.set_input_files(_png(tmp_path / "front.png", (200, 30, 30)))
    expect(toast(page, "v1 uploaded.")).to_be_visible()
    v1 = _version(page, "v1")
    expect(v1).to_contain_text("front.png")
    expect(v1).to_contain_text(f"Uploaded by {OWNER_NAME}")
    preview = v1.get_by_role("img", name="Preview of v1")
    expect(preview).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=preview.element_handle())
    expect(v1.get_by_role("link", name="Download v1")).to_have_attribute("href", re.compile(r"^/api/files/\d+/"))
    assert downloaded(page, v1.get_by_role("link", name="Download v1")).startswith(b"\x89PNG")

    # A text file named .png: refused next to the field; the note typed stays; no new version.
    note = page.get_by_label("What changed (optional)")
    note.fill("Bigger logo on the front")
    note.press("Tab")  # the debounced box sends on blur
    fake = tmp_path / "sneaky.png"
    fake.write_text("<html><script>alert(1)</script></html>\n")
    file_input.set_input_files(fake)
    error = page.locator("#mockup-error")
    expect(error).to_have_text("This file type is not accepted here. Upload a PNG, JPEG or WebP image or a PDF.")
    expect(note).to_have_value("Bigger logo on the front")
    expect(page.locator(".mockup-version")).to_have_count(1)
    # Past 25 MB the browser refuses it: the same place says so, the page keeps its tab and note.
    huge = tmp_path / "huge.png"
    with huge.open("wb") as out:
        out.truncate(26 * 1024 * 1024)
    file_input.set_input_files(huge)
    expect(error).to_have_text("The file must be a PNG, JPEG, WebP or PDF up to 25 MB.")
    expect(page.get_by_role("tab", name="Mockups")).to_have_attribute("aria-selected", "true")
    expect(note).to_have_value("Bigger logo on the front")
    expect(page.locator(".mockup-version")).to_have_count(1)

    # The print checklist: one point per line.
    checklist = page.get_by_label("Points the client confirms, one per line")
    checklist.fill("Spelling of names checked\n\nInk colours: PMS 286 C + white")
    checklist.press("Tab")
    page.get_by_role("button", name="Save checklist").click()
    expect(toast(page, "Checklist saved.")).to_be_visible()
    expect(checklist).to_have_value("Spelling of names checked\nInk colours: PMS 286 C + white")

    # Send v1: the client is emailed and the job awaits approval.
    _send(page, "v1", "Here is the first proof.")
    expect(status).to_have_text("Awaiting Approval")
    [email] = outbox(EmailKind.ARTWORK_READY, to=customer.email)
    assert "Spring League T-Shirts" in email.subject
    assert "Here is the first proof." in email.text_body
    assert f"job={job}" in email.text_body

    # v2 replaces v1's request only once v2 is sent.
    file_input.set_input_files(_png(tmp_path / "front-v2.png", (30, 30, 200)))
    expect(toast(page, "v2 uploaded.")).to_be_visible()
    v2 = _version(page, "v2")
    expect(v2).to_contain_text("Bigger logo on the front")  # the note kept after the refusal
    expect(note).to_have_value("")
    expect(page.locator(".mockup-version").first).to_have_attribute("data-label", "v2")  # newest first
    expect(v1.locator(".mockup-state")).not_to_have_text("This version was replaced by v2")
    _send(page, "v2")
    expect(v1.locator(".mockup-state")).to_have_text("This version was replaced by v2")
    expect(v1.get_by_role("button", name="Send for Approval")).to_have_count(0)
    assert len(outbox(EmailKind.ARTWORK_READY, to=customer.email)) == 2

    # The approval gate: Art Approved and In Production are refused with its message (next to
    # the status) until an approval is recorded.
    for target in ("Art Approved", "In Production"):
        choose(page, "Set status", target)
        expect(page.get_by_text(GATE)).to_be_visible()
        expect(status).to_have_text("Awaiting Approval")

    page.get_by_role("button", name="Approved offline").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Who approved").fill("Sam Rivers")
    choose(page, "How", "Phone")
    dialog.get_by_label("Note").fill("Approved v2 on the phone at 10:14")
    dialog.get_by_label("Note").press("Tab")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(toast(page, "Offline approval recorded.")).to_be_visible()
    expect(dialog).to_have_count(0)
    expect(page.locator(".approval-record")).to_have_count(1)
    expect(page.locator(".approval-record")).to_contain_text("Approved offline by Sam Rivers (phone)")
    expect(page.locator("#approval-status")).to_contain_text("v2 approved (offline) by Sam Rivers")
    expect(status).to_have_text("Art Approved")

    choose(page, "Set status", "In Production")
    expect(status).to_have_text("In Production")
    expect(page.get_by_text(GATE)).to_have_count(0)


def test_the_mockups_tab_fits_a_phone(shop, new_context, sign_in_as, make_customer, make_job, e2e_server):
    from kontrol_app.services import mockups

    from .conftest import owner_principal

    customer = make_customer("Riverside Runners", email="sam@riverside.example")
    job = make_job(customer.id, "Spring League T-Shirts", status=JobStatus.ARTWORK)
    buffer = io.BytesIO()
    Image.new("RGB", (2400, 1200), (200, 30, 30)).save(buffer, format="PNG")
    with e2e_server.session() as session:
        mockups.upload_version(
            session, owner_principal(shop), job, buffer.getvalue(), name="a-rather-long-file-name-for-the-front-print.png",
            note="Moved the logo 2 cm up and made the sponsor line bigger",
        )
    page = new_context().new_page()
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in_as(page, shop, f"/jobs/{job}")
    staff_page_live(page, OWNER_NAME)
    page.get_by_role("tab", name="Mockups").click()
    preview = page.get_by_role("img", name="Preview of v1")
    expect(preview).to_be_visible()
    # The browser got the preview (at most 1600 px wide), never the 2400 px original.
    page.wait_for_function("img => img.complete && img.naturalWidth > 0 && img.naturalWidth <= 1600", arg=preview.element_handle())
    for name in ("Send for Approval", "Withdraw", "Approved offline", "Save checklist"):
        button = page.get_by_role("button", name=name, exact=True)
        button.scroll_into_view_if_needed()
        expect(button).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways"


def test_compare_two_versions_side_by_side_and_stacked_on_a_phone(
    shop, page, sign_in_as, make_customer, make_job, db_session, tmp_path
):
    customer = make_customer("Riverside Runners", email="sam@riverside.example")
    job = make_job(customer.id, "Spring League T-Shirts", quantity=144, status=JobStatus.ARTWORK)
    for colour, name, note in (((200, 30, 30), "front.png", "First proof"), ((30, 30, 200), "front-v2.png", "Bigger logo")):
        with db_session() as session:
            mockups.upload_version(session, owner_principal(shop), job, _png(tmp_path / name, colour).read_bytes(), name=name, note=note)
    sign_in_as(page, shop, f"/jobs/{job}")
    staff_page_live(page, OWNER_NAME)
    page.get_by_role("tab", name="Mockups").click()

    compare = page.locator("#mockup-compare")
    expect(page.get_by_role("combobox", name="Left")).to_contain_text("v1")
    expect(page.get_by_role("combobox", name="Right")).to_contain_text("v2")
    left, right = compare.get_by_role("img", name="Preview of v1"), compare.get_by_role("img", name="Preview of v2")
    expect(left).to_be_visible()
    expect(right).to_be_visible()
    expect(compare.locator(".compare-side[data-label='v1']")).to_contain_text("What changed: First proof")
    expect(compare.locator(".compare-side[data-label='v2']")).to_contain_text("What changed: Bigger logo")
    expect(compare.locator(".compare-side[data-label='v2']")).to_contain_text(f"Uploaded by {OWNER_NAME}")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=right.element_handle())
    a, b = left.bounding_box(), right.bounding_box()
    assert b["x"] > a["x"] + a["width"] - 1 and abs(b["y"] - a["y"]) < 2  # next to each other

    choose(page, "Left", "v2")
    expect(compare.get_by_role("img", name="Preview of v2")).to_have_count(2)
    choose(page, "Left", "v1")
    expect(left).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: one above the other
    expect(left).to_be_visible()
    a, b = left.bounding_box(), right.bounding_box()
    assert b["y"] >= a["y"] + a["height"] - 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert_accessible(page, "the Mockups tab's compare area")
