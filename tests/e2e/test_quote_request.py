"""Request a Quote in a real browser (issue 11): the client fills the three steps (a reload in
the middle of step 2 loses nothing, the uploaded artwork included), reviews, edits a step,
submits; the confirmation email lands and "Your quote requests" lists QR-0001 as New. The
form at phone width with its messages by the fields. Reorder on a shipped order opens a
pre-filled request."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

from PIL import Image
from playwright.sync_api import Page, expect
from sqlmodel import select

from kontrol_app.models import Customer, EmailKind, Job, QuoteDraft

from .a11y import assert_accessible
from .conftest import eventually

PHONE = {"width": 390, "height": 844}


def _png(path) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 40, 40)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def _open_quote_tab(page: Page) -> None:
    page.get_by_role("tab", name="Request a Quote", exact=True).click()
    expect(page.get_by_role("tab", name="Request a Quote", exact=True)).to_have_attribute("aria-selected", "true")


def _heading(page: Page):
    return page.locator("#quote-step-title")


def _draft(db_session) -> dict:
    with db_session() as session:
        row = session.exec(select(QuoteDraft)).first()
        return json.loads(row.data) if row else {}


def test_the_client_requests_a_quote_through_three_steps(shop, make_customer, new_context, portal_sign_in, outbox, db_session, tmp_path):
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    with db_session() as session:
        customer = session.get(Customer, acme.id)
        customer.address, customer.shipping_address = "1 Billing Way", "5 Dock Road\nSpringfield"
        session.add(customer)

    page = new_context().new_page()
    portal_sign_in(page, acme.portal_url, acme.email)
    _open_quote_tab(page)
    expect(_heading(page)).to_have_text("Step 1 of 3: What and how many")
    expect(page.locator("#quote-requests")).to_contain_text("No quote requests yet.")
    assert_accessible(page, "Request a Quote, step 1")

    # Step 1: what and how many, with the live total.
    page.get_by_label("What do you need?").select_option("tshirts")
    page.get_by_label("Garment brand and style").fill("Gildan 5000")
    page.get_by_label("Colour", exact=True).fill("Navy")
    for size, count in (("S", "12"), ("M", "24"), ("L", "12")):
        page.get_by_label(size, exact=True).fill(count)
    expect(page.locator("#quote-total")).to_have_text("48")
    page.get_by_role("button", name="Next").click()
    expect(_heading(page)).to_have_text("Step 2 of 3: Artwork and decoration")

    # Step 2: decoration, a placement with its colours, notes, a refused file, the artwork.
    page.get_by_label("Decoration").select_option(label="Screen print")
    page.get_by_role("checkbox", name="Front", exact=True).click()
    colours = page.get_by_label("Colours (Front)")
    expect(colours).to_have_value("1")
    colours.fill("2")
    page.get_by_label("Notes").fill("Crest on the front, two inks")
    page.get_by_label("Artwork files").set_input_files(_png(tmp_path / "crest.png"))
    shown = page.locator(".quote-file").filter(has_text="crest.png")
    expect(shown).to_have_count(1)
    # A file that is not artwork is refused by the files field; nothing typed or kept is lost.
    fake = tmp_path / "fake.png"
    fake.write_text("not a picture at all")
    page.get_by_label("Artwork files").set_input_files(str(fake))  # the server judges the bytes
    expect(page.locator("#quote-files-error")).to_contain_text("fake.png: This file type is not accepted here.")
    expect(page.get_by_label("Notes")).to_have_value("Crest on the front, two inks")
    expect(shown).to_have_count(1)
    # The preview comes through the private files route (it really loads).
    preview = shown.get_by_role("img", name="crest.png")
    expect(preview).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 120", arg=preview.element_handle())
    # Every change is on the server before the page goes away.
    eventually(
        lambda: _draft(db_session).get("artwork", {}).get("notes") == "Crest on the front, two inks"
        and _draft(db_session)["artwork"].get("placements") == {"front": "2"}
        and len(_draft(db_session)["artwork"].get("file_ids", [])) == 1,
        what="step 2 kept on the server",
    )
    assert_accessible(page, "Request a Quote, step 2 with a file")

    # The phone's browser drops the page in the middle of step 2: nothing is lost.
    page.reload()
    _open_quote_tab(page)
    expect(_heading(page)).to_have_text("Step 2 of 3: Artwork and decoration")
    expect(page.get_by_label("Decoration")).to_have_value("screen_print")
    expect(page.get_by_role("checkbox", name="Front", exact=True)).to_be_checked()
    expect(page.get_by_label("Colours (Front)")).to_have_value("2")
    expect(page.get_by_label("Notes")).to_have_value("Crest on the front, two inks")
    expect(page.locator(".quote-file").filter(has_text="crest.png")).to_have_count(1)
    # Back keeps step 1 as typed, Next returns.
    page.get_by_role("button", name="Back", exact=True).click()
    expect(_heading(page)).to_have_text("Step 1 of 3: What and how many")
    expect(page.get_by_label("Garment brand and style")).to_have_value("Gildan 5000")
    expect(page.get_by_label("M", exact=True)).to_have_value("24")
    page.get_by_role("button", name="Next").click()
    expect(_heading(page)).to_have_text("Step 2 of 3: Artwork and decoration")
    page.get_by_role("button", name="Next").click()

    # Step 3: the in-hands date, shipping to the customer's shipping address, a budget.
    expect(_heading(page)).to_have_text("Step 3 of 3: Timing and delivery")
    page.get_by_label("In-hands date").fill((date.today() + timedelta(days=60)).isoformat())
    page.get_by_label("Shipping", exact=True).click()  # checked once the server has it
    expect(page.get_by_label("Shipping", exact=True)).to_be_checked()
    expect(page.get_by_label("Shipping address")).to_have_value("5 Dock Road\nSpringfield")
    page.get_by_label("Budget (optional)").fill("450")
    expect(page.locator("#quote-rush-warning")).to_have_count(0)
    page.get_by_role("button", name="Next").click()

    # The review, an Edit, and back to the review.
    expect(_heading(page)).to_have_text("Review your request")
    review = page.locator("#quote-review")
    for line in (
        "What: 48 T-shirts (Gildan 5000, Navy)",
        "Sizes: S 12 · M 24 · L 12",
        "Decoration: Screen print",
        "Placements: Front (2 colours)",
        "Artwork: 1 file",
        "Delivery: Shipping to 5 Dock Road Springfield",
        "Budget: $450.00",
        "Notes: Crest on the front, two inks",
    ):
        expect(review).to_contain_text(line)
    assert_accessible(page, "Request a Quote, review")
    page.get_by_role("button", name="Edit What and how many").click()
    expect(_heading(page)).to_have_text("Step 1 of 3: What and how many")
    page.get_by_label("Colour", exact=True).fill("Black")
    page.get_by_role("button", name="Save and review").click()
    expect(review).to_contain_text("What: 48 T-shirts (Gildan 5000, Black)")

    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#quote-submitted")).to_have_text("Thanks — your request QR-0001 is in. We'll email you at sarah@acme.example.")
    [email] = outbox(EmailKind.QUOTE_REQUEST_CONFIRMATION, to=acme.email)
    assert "QR-0001" in email.subject and "48 T-shirts (Gildan 5000, Black)" in email.text_body
    row = page.locator("#quote-request-QR-0001")
    expect(row.locator(".quote-request-status")).to_have_text("New")
    expect(row).to_contain_text("48 T-shirts · Screen print")
    assert _draft(db_session) == {}  # the draft became the request
    assert_accessible(page, "Request a Quote, submitted")


def test_the_form_at_phone_width_says_what_is_wrong_by_each_field(shop, make_customer, new_context, portal_sign_in):
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    page = new_context().new_page()
    page.set_viewport_size(PHONE)
    portal_sign_in(page, acme.portal_url, acme.email)
    _open_quote_tab(page)

    page.get_by_label("M", exact=True).fill("abc")
    page.get_by_role("button", name="Next").click()
    item = page.get_by_label("What do you need?")
    expect(item).to_have_attribute("aria-invalid", "true")
    expect(item).to_have_accessible_description("Choose what you need from the list.")
    size_m = page.get_by_label("M", exact=True)
    expect(size_m).to_have_attribute("aria-invalid", "true")
    expect(size_m).to_have_accessible_description("Enter a whole number from 0 to 100,000.")
    expect(size_m).to_have_value("abc")  # kept as typed
    expect(_heading(page)).to_have_text("Step 1 of 3: What and how many")
    assert_accessible(page, "Request a Quote at phone width, with errors")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_label("What do you need?").select_option("hoodies")
    size_m.fill("10")
    expect(size_m).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#quote-total")).to_have_text("10")
    page.get_by_role("button", name="Next").click()
    expect(_heading(page)).to_have_text("Step 2 of 3: Artwork and decoration")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#quote-placements-error")).to_have_text("Choose where the decoration goes (at least one placement).")
    expect(page.get_by_label("Decoration")).to_have_accessible_description("Choose a decoration, or Not sure.")
    page.get_by_label("Decoration").select_option(label="Not sure")
    page.get_by_role("checkbox", name="Back", exact=True).click()
    page.get_by_label("Colours (Back)").fill("13")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Colours (Back)")).to_have_accessible_description("Enter the number of colours, 1 to 12.")
    page.get_by_label("Colours (Back)").fill("3")
    page.get_by_role("button", name="Next").click()

    expect(_heading(page)).to_have_text("Step 3 of 3: Timing and delivery")
    when = page.get_by_label("In-hands date")
    when.fill("2020-01-01")
    page.get_by_role("button", name="Next").click()
    expect(when).to_have_accessible_description("That date has passed — choose a date from today on.")
    expect(page.locator("#quote-delivery-error")).to_have_text("Choose pickup or shipping.")
    page.get_by_label("Budget (optional)").fill("lots")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Budget (optional)")).to_have_accessible_description(
        "Enter the budget as an amount, like 450 or 450.00 — or leave it empty."
    )
    assert_accessible(page, "Request a Quote step 3 at phone width, with errors")
    # Tomorrow is sooner than the production time: a warning, not a refusal.
    when.fill((date.today() + timedelta(days=1)).isoformat())
    expect(page.locator("#quote-rush-warning")).to_contain_text("sooner than our usual production time")
    page.get_by_label("Pickup", exact=True).click()  # checked once the server has it
    expect(page.get_by_label("Pickup", exact=True)).to_be_checked()
    page.get_by_label("Budget (optional)").fill("")
    page.get_by_role("button", name="Next").click()
    expect(_heading(page)).to_have_text("Review your request")
    expect(page.locator("#quote-review")).to_contain_text("Placements: Back (3 colours)")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Start over asks first, then clears everything.
    page.get_by_role("button", name="Start over").click()
    page.get_by_role("button", name="Clear the form").click()
    expect(_heading(page)).to_have_text("Step 1 of 3: What and how many")
    expect(page.get_by_label("M", exact=True)).to_have_value("")


def test_reorder_on_a_shipped_order_opens_a_prefilled_request(shop, make_customer, make_job, new_context, portal_sign_in, db_session):
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    job_id = make_job(acme.id, "Spring League Tees", quantity=144, status="shipped")
    make_job(acme.id, "Banner Run", status="artwork")  # not finished: no Reorder
    with db_session() as session:
        job = session.get(Job, job_id)
        job.garment, job.colour = "Gildan 5000", "Navy"
        session.add(job)

    page = new_context().new_page()
    portal_sign_in(page, acme.portal_url, acme.email)
    expect(page.get_by_role("button", name="Reorder Banner Run")).to_have_count(0)
    page.get_by_role("button", name="Reorder Spring League Tees").click()

    expect(page.get_by_role("tab", name="Request a Quote", exact=True)).to_have_attribute("aria-selected", "true")
    expect(_heading(page)).to_have_text("Step 1 of 3: What and how many")
    expect(page.locator("#quote-reorder-of")).to_have_text("Reorder of Spring League Tees")
    expect(page.get_by_label("What do you need?")).to_have_value("tshirts")
    expect(page.get_by_label("Garment brand and style")).to_have_value("Gildan 5000")
    expect(page.get_by_label("Colour", exact=True)).to_have_value("Navy")
    expect(page.get_by_label("One size", exact=True)).to_have_value("144")
    expect(page.locator("#quote-total")).to_have_text("144")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Decoration")).to_have_value("screen_print")
    assert_accessible(page, "Request a Quote, a reorder")
