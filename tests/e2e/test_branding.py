"""My Branding in a real browser (issue 11): the client uploads a logo, adds brand colours and a
print file and updates the shipping address; staff see the kit on the customer page and on a
job; a new sign-in email applies only with the code sent to it; at phone width (390 px)."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from kontrol_app.models import Customer, CustomerContact, EmailKind
from kontrol_app.services import branding
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.services.shop import shop_timezone
from kontrol_app.models.base import utcnow

from kontrol_app.ui.portal.tabs.branding import LOGO_REFUSED

from .a11y import assert_accessible
from .conftest import code_in
from .pages import at, toast

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>window.__pwned = 1</script><rect width="10" height="10"/></svg>'


def _png(path, colour=(10, 61, 145)) -> str:
    Image.new("RGB", (120, 60), colour).save(path, format="PNG")
    return str(path)


def _svg(path) -> str:
    path.write_text(SVG)
    return str(path)


def _fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _open_branding(page) -> None:
    page.get_by_role("tab", name="My Branding", exact=True).click()
    expect(page.get_by_role("heading", name="Brand colours")).to_be_visible()


def test_the_client_builds_a_brand_kit_and_staff_see_it(
    shop, make_customer, make_job, new_context, portal_sign_in, sign_in_as, db_session, tmp_path
):
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith", phone="555-0100")
    job_id = make_job(acme.id, "Spring League Tees", quantity=144)
    client = new_context().new_page()
    dialogs: list[str] = []
    client.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    portal_sign_in(client, acme.portal_url, acme.email)
    _open_branding(client)
    expect(client.locator("#brand-logo-none")).to_be_visible()
    assert_accessible(client, "the portal's My Branding tab, empty")

    # An SVG is not a logo: refused next to the logo with what to do instead.
    client.get_by_label("Logo file").set_input_files(_svg(tmp_path / "logo.svg"))
    expect(client.locator("#brand-logo-error")).to_have_text(LOGO_REFUSED)
    expect(client.locator("#brand-logo-preview")).to_have_count(0)
    # A PNG is.
    client.get_by_label("Logo file").set_input_files(_png(tmp_path / "acme-logo.png"))
    expect(client.locator("#brand-logo-preview")).to_have_attribute("src", re.compile(r"^/api/files/\d+/acme-logo\.png$"))
    client.wait_for_function("img => img.complete && img.naturalWidth === 120", arg=client.locator("#brand-logo-preview").element_handle())
    expect(client.get_by_role("button", name="Replace logo")).to_be_visible()
    expect(client.locator("#brand-logo-error")).to_have_count(0)

    # The SVG as a print file: kept, a download only (no preview, nothing ran).
    client.get_by_label("Print files").set_input_files(_svg(tmp_path / "logo.svg"))
    file_row = client.locator(".brand-file").filter(has_text="logo.svg")
    expect(file_row).to_contain_text("SVG")
    expect(file_row.get_by_role("link", name="Download logo.svg")).to_have_attribute("href", re.compile(r"^/api/files/\d+/logo\.svg\?download=1$"))
    expect(file_row.get_by_role("link", name="View logo.svg")).to_have_count(0)
    expect(file_row.locator("img")).to_have_count(0)

    # Colours: a wrong one is named by its row and what was typed stays; then saved.
    for number, typed in enumerate(("#0a3d91", "PMS 286 C", "#12345"), start=1):
        client.get_by_role("button", name="Add colour").click()
        expect(client.locator(".colour-row")).to_have_count(number)
        client.get_by_label(f"Colour {number}", exact=True).fill(typed)
    client.get_by_role("button", name="Save colours").click()
    third = client.get_by_label("Colour 3", exact=True)
    expect(third).to_have_attribute("aria-invalid", "true")
    expect(client.locator("#brand-colours").get_by_role("alert")).to_contain_text("Colour 3: “#12345” is not a hex colour")
    expect(third).to_have_value("#12345")
    expect(client.get_by_label("Colour 1", exact=True)).to_have_value("#0a3d91")
    assert_accessible(client, "the portal's My Branding tab with a colour error")
    client.get_by_role("button", name="Remove colour 3").click()
    client.get_by_role("button", name="Save colours").click()
    expect(toast(client, "Brand colours saved.")).to_be_visible()
    expect(client.get_by_label("Colour 1", exact=True)).to_have_value("#0A3D91")
    swatch = client.locator(".colour-row").first.locator(".colour-swatch")
    expect(swatch).to_have_css("background-color", "rgb(10, 61, 145)")

    # The shipping address; the billing address and the rest stay as they were.
    client.get_by_label("Shipping address", exact=True).fill("Dock 4\n9 Side Road\nSpringfield")
    client.get_by_role("button", name="Save", exact=True).click()
    expect(toast(client, "Contact details saved.")).to_be_visible()
    with db_session() as session:
        customer = session.get(Customer, acme.id)
        assert customer.shipping_address == "Dock 4\n9 Side Road\nSpringfield" and customer.phone == "555-0100"
        day = branding._day(utcnow(), shop_timezone(session))
    expect(client.locator("#brand-updated")).to_have_text(f"Updated by Sarah Smith on {day}")
    assert client.evaluate("window.__pwned === undefined") and dialogs == []
    assert_accessible(client, "the portal's My Branding tab, filled")

    # Staff: the customer page's Brand kit card.
    staff = new_context().new_page()
    sign_in_as(staff, shop, f"/customers/{acme.id}")
    expect(staff).to_have_url(at(f"/customers/{acme.id}"))
    card = staff.locator("#brand-kit")
    expect(card.locator("#brand-kit-updated")).to_have_text(f"Updated by Sarah Smith on {day}")
    logo = card.get_by_role("img", name="Customer logo")
    expect(logo).to_have_attribute("src", re.compile(r"^/api/files/\d+/acme-logo\.png$"))
    staff.wait_for_function("img => img.complete && img.naturalWidth === 120", arg=logo.element_handle())
    expect(card.locator(".brand-kit-colour")).to_have_text(["#0A3D91", "PMS 286 C"])
    expect(card.locator(".brand-kit-swatch")).to_have_count(1)
    download = card.get_by_role("link", name="Download logo.svg")
    expect(download).to_have_attribute("href", re.compile(r"^/api/files/\d+/logo\.svg\?download=1$"))
    response = staff.request.get(download.get_attribute("href"))
    assert response.status == 200 and response.headers["content-disposition"].startswith("attachment;")
    expect(card.locator("#brand-kit-shipping")).to_contain_text("Dock 4")
    assert_accessible(staff, "the customer page with a brand kit")

    # ... and on the job's Details tab, for the files of a job.
    staff.goto(f"/jobs/{job_id}")
    job_card = staff.locator("#brand-kit")
    expect(job_card.get_by_role("link", name="Download logo.svg")).to_be_visible()
    expect(job_card.locator(".brand-kit-colour")).to_have_text(["#0A3D91", "PMS 286 C"])

    # A customer without a kit says so.
    other = make_customer("Pixel Labs", email="pat@pixel.example")
    staff.goto(f"/customers/{other.id}")
    expect(staff.locator("#brand-kit")).to_contain_text("No brand kit yet")

    # Staff previewing the portal read the kit and get no controls to change it.
    staff.goto(acme.portal_path + "?preview=1")
    expect(staff.locator("#preview-banner")).to_be_visible()
    _open_branding(staff)
    expect(staff.get_by_label("Colour 1", exact=True)).to_have_value("#0A3D91")
    expect(staff.get_by_role("button", name="Save colours")).to_have_count(0)
    expect(staff.get_by_role("button", name="Replace logo")).to_have_count(0)
    expect(staff.get_by_role("button", name="Change email")).to_have_count(0)


def test_a_new_sign_in_email_applies_with_its_code_at_phone_width(
    shop, make_customer, new_context, portal_sign_in, outbox, db_session, tmp_path
):
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    make_customer("Pixel Labs", email="pat@pixel.example")
    # A full kit, with a long file name, for the phone-width check.
    with db_session() as session:
        contact = session.exec(select(CustomerContact).where(CustomerContact.customer_id == acme.id)).one()
        sarah = PortalViewer(acme.id, acme.name, contact.name, contact.email, False, contact.id)
        branding.set_logo(session, sarah, Path(_png(tmp_path / "logo.png")).read_bytes(), name="logo.png")
        branding.add_print_file(session, sarah, SVG.encode(), name="acme-uniforms-primary-logo-full-colour-reversed-final-v7.svg")
        branding.set_colours(session, sarah, ["#0A3D91", "PMS 286 C", "Cool Gray 11 C", "#FFF"])
    client = new_context().new_page()
    client.set_viewport_size({"width": 390, "height": 844})
    portal_sign_in(client, acme.portal_url, acme.email)
    _open_branding(client)
    expect(client.locator("#sign-in-email")).to_have_text("sarah@acme.example")
    expect(client.locator(".brand-file")).to_have_count(1)
    expect(client.locator("#brand-logo-preview")).to_be_visible()
    assert _fits_the_width(client), "My Branding scrolls sideways at 390 px"
    # The portal's tabs wrap onto lines that each end at the list's right edge (none ragged).
    ragged = client.evaluate(
        """() => {
            const list = document.querySelector('[role=tablist]');
            const right = list.getBoundingClientRect().right, ends = {};
            for (const tab of list.querySelectorAll('[role=tab]')) {
                const box = tab.getBoundingClientRect(), line = Math.round(box.top);
                ends[line] = Math.max(ends[line] || 0, box.right);
            }
            return Object.values(ends).filter(end => Math.abs(end - right) > 1.5).length;
        }"""
    )
    assert ragged == 0, f"{ragged} line(s) of the portal's tabs end short of the list at 390 px"
    assert_accessible(client, "My Branding at 390 px")

    client.get_by_role("button", name="Change email").click()
    new_email = client.get_by_label("New email", exact=True)
    # Another customer's sign-in email is answered like any other: its owner gets a notice, not a code.
    new_email.fill("pat@pixel.example")
    client.get_by_role("button", name="Send code").click()
    expect(client.get_by_label("Code", exact=True)).to_be_visible()
    expect(client.locator("#brand-email")).to_contain_text("pat@pixel.example")
    [told] = outbox(EmailKind.EMAIL_CHANGE_CODE)
    assert told.to_email == "pat@pixel.example" and "no code was sent" in told.text_body
    client.get_by_role("button", name="Cancel").click()
    client.get_by_role("button", name="Change email").click()

    new_email.fill("sarah.new@acme.example")
    client.get_by_role("button", name="Send code").click()
    expect(client.get_by_label("Code", exact=True)).to_be_visible()
    expect(client.locator("#brand-email")).to_contain_text("sarah.new@acme.example")
    [_, sent] = outbox(EmailKind.EMAIL_CHANGE_CODE)
    assert sent.to_email == "sarah.new@acme.example"
    notices = outbox(EmailKind.EMAIL_CHANGE_NOTICE)
    assert [n.to_email for n in notices] == ["sarah@acme.example"] * 2
    assert _fits_the_width(client), "the code step scrolls sideways at 390 px"

    # A wrong code: said next to the box; still the old email.
    code = code_in(sent.text_body)
    client.get_by_label("Code", exact=True).fill(f"{(int(code) + 1) % 1_000_000:06d}")
    client.get_by_role("button", name="Confirm").click()
    expect(client.get_by_label("Code", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(client.locator("#sign-in-email")).to_have_text("sarah@acme.example")
    assert_accessible(client, "My Branding's code step with an error")

    # A reload keeps the step (the code is on its way); the right code applies it.
    client.reload()
    _open_branding(client)
    client.get_by_label("Code", exact=True).fill(code)
    client.get_by_role("button", name="Confirm").click()
    expect(toast(client, "You now sign in with sarah.new@acme.example.")).to_be_visible()
    expect(client.locator("#sign-in-email")).to_have_text("sarah.new@acme.example")
    expect(client.get_by_role("button", name="Change email")).to_be_visible()
    assert len(outbox(EmailKind.EMAIL_CHANGE_NOTICE, to="sarah@acme.example")) == 3  # asked twice, then changed
    assert_accessible(client, "My Branding after the email change")

    # Another device signs in with the new email.
    phone = new_context().new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    portal_sign_in(phone, acme.portal_url, "sarah.new@acme.example")
    _open_branding(phone)
    expect(phone.locator("#sign-in-email")).to_have_text("sarah.new@acme.example")
    assert _fits_the_width(phone)
