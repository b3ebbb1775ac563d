"""In a real browser against the production build: creating the shop, signing
in and out, and Settings -> Shop Info (logo and contact details)."""

from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from kontrol_app.models import Shop, StaffSession, StaffUser, StoredFile
from kontrol_app.services import files as files_service
from kontrol_app.services import shop as shop_service
from kontrol_app.services import staff as staff_service

from .pages import at, field_of, live_button, sign_in_with_form, sign_out, toast, user_menu

# Where the browser fetches the logo: a content-hashed name behind Kontrol's own route.
LOGO_SRC = re.compile(r"^/api/files/\d+/logo-[0-9a-f]{16}\.png$")


def _png(width: int = 96, height: int = 48, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def _shop_row(db_session) -> Shop:
    with db_session() as session:
        return session.exec(select(Shop)).one()


def test_first_visit_creates_the_shop_through_the_form(no_shop, page, db_session):
    page.goto("/settings/team")
    expect(page).to_have_url(at("/setup"))
    expect(page.get_by_role("heading", name="Create your shop")).to_be_visible()

    create = live_button(page, "Create shop")
    typed = {"shop_name": "Ink & Thread", "name": "Maya Stitch", "email": "maya@example.com", "password": "short"}
    for name, value in typed.items():
        page.locator(f"input[name={name}]").fill(value)
    create.click()

    # The message sits with the password field; nothing typed is lost; no shop yet.
    expect(field_of(page, "password").get_by_role("alert")).to_have_text("Use at least 8 characters.")
    expect(field_of(page, "email").get_by_role("alert")).to_have_count(0)
    for name, value in typed.items():
        expect(page.locator(f"input[name={name}]")).to_have_value(value)
    expect(page).to_have_url(at("/setup"))
    with db_session() as session:
        assert not staff_service.has_staff(session)

    # A bad email is the server's to refuse (no browser bubble), in the same place; the
    # password's message, fixed meanwhile, goes.
    page.locator("input[name=password]").fill("a much longer password")
    page.locator("input[name=email]").fill("maya@")
    create.click()
    expect(field_of(page, "email").get_by_role("alert")).to_have_text("Enter a valid email address, like name@example.com.")
    expect(field_of(page, "password").get_by_role("alert")).to_have_count(0)

    page.locator("input[name=email]").fill("maya@example.com")
    create.click()

    expect(page).to_have_url(at("/settings/shop"))
    expect(page.locator("#shop-name")).to_have_text("Ink & Thread")
    expect(user_menu(page, "Maya Stitch")).to_be_visible()
    expect(page.locator("input[name=name]")).to_have_value("Ink & Thread")
    with db_session() as session:
        owner = session.exec(select(StaffUser)).one()
        assert (owner.email, owner.name, owner.role) == ("maya@example.com", "Maya Stitch", "owner")
        assert session.exec(select(Shop)).one().name == "Ink & Thread"

    # The shop exists now: the setup page is closed for good. (Setup sends people to Sign in,
    # which sends a signed-in owner on to the Dashboard.)
    page.goto("/setup")
    expect(page).to_have_url(re.compile(r"^https?://[^/]+/(sign-in/?(\?.*)?)?$"))
    expect(page.get_by_role("heading", name="Create your shop")).to_have_count(0)


def test_sign_out_from_the_user_menu_ends_the_session(shop, page, sign_in_as, db_session):
    sign_in_as(page, shop, "/")
    expect(user_menu(page, shop.name)).to_be_visible()

    sign_out(page, shop.name)

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    with db_session() as session:
        sessions = session.exec(select(StaffSession)).all()
    assert sessions and all(s.revoked_at is not None for s in sessions)
    page.goto("/customers")
    expect(page).to_have_url(at("/sign-in", query=r"next="))


def test_signed_out_visit_signs_in_and_returns_to_the_page(shop, page):
    page.goto("/settings/email")
    expect(page).to_have_url(at("/sign-in", query=r"next=(/|%2F)settings(/|%2F)email"))

    sign_in_with_form(page, shop.email, shop.password, path="")

    expect(page).to_have_url(at("/settings/email"))
    expect(page.get_by_text("No email provider is set up")).to_be_visible()
    expect(user_menu(page, shop.name)).to_be_visible()


def test_wrong_password_is_refused_with_one_message(shop, page, context):
    sign_in_with_form(page, shop.email, "not the password")

    expect(field_of(page, "password").get_by_role("alert")).to_have_text("Email or password is incorrect.")
    expect(page).to_have_url(at("/sign-in"))
    expect(page.locator("input[name=email]")).to_have_value(shop.email)
    assert not [c for c in context.cookies() if c["name"] == "kontrol_staff"]

    # Both boxes empty: each says what to fill in (not a wrong password).
    sign_in_with_form(page, "", "", path="")
    expect(field_of(page, "email").get_by_role("alert")).to_have_text("Enter your email.")
    expect(field_of(page, "password").get_by_role("alert")).to_have_text("Enter your password.")


def test_shop_info_logo_and_phone_are_saved(shop, page, sign_in_as, db_session, e2e_server, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(_png())
    sign_in_as(page, shop, "/settings/shop")
    expect(page).to_have_url(at("/settings/shop"))
    phone = page.locator("input[name=phone]")
    # The form shows what is stored before anything is typed into it.
    expect(page.locator("input[name=name]")).to_have_value(shop.shop_name)

    page.locator("#logo input[type=file]").set_input_files(logo)
    expect(toast(page, "Logo saved.")).to_be_visible()
    preview = page.locator("#logo-preview")
    expect(preview).to_have_attribute("src", LOGO_SRC)
    phone.fill("+1 555 0100")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(toast(page, "Shop info saved.")).to_be_visible()

    row = _shop_row(db_session)
    assert row.phone == "+1 555 0100"
    with db_session() as session:
        stored = session.get(StoredFile, row.logo_file_id)
    assert files_service.blob_path(stored.sha256, e2e_server.files_dir).read_bytes() == logo.read_bytes()

    page.reload()
    expect(page.locator("input[name=name]")).to_have_value(shop.shop_name)
    expect(phone).to_have_value("+1 555 0100")
    expect(preview).to_have_attribute("src", LOGO_SRC)
    assert preview.get_attribute("src").startswith(f"/api/files/{row.logo_file_id}/")
    header_logo = page.locator("img[alt='Shop logo']:not(#logo-preview)")
    expect(header_logo).to_be_visible()
    expect(header_logo).to_have_attribute("src", LOGO_SRC)
    # Really an image the browser could decode, served by the logo route.
    page.wait_for_function("img => img.complete && img.naturalWidth === 96", arg=header_logo.element_handle())


def test_a_text_file_named_png_is_refused_and_the_logo_kept(shop, page, sign_in_as, db_session, e2e_server, tmp_path):
    owner = staff_service.StaffPrincipal(id=shop.id, name=shop.name, email=shop.email, role="owner")
    with db_session() as session:
        kept = shop_service.save_logo(session, owner, _png(color=(10, 120, 40)), e2e_server.files_dir).logo_path
    fake = tmp_path / "logo.png"
    fake.write_text("this is not an image\n")

    sign_in_as(page, shop, "/settings/shop")
    preview = page.locator("#logo-preview")
    expect(preview).to_have_attribute("src", kept)

    page.locator("#logo input[type=file]").set_input_files(fake)

    expect(page.locator(".field-error")).to_have_text("The logo must be a PNG, JPEG or WebP image.")
    expect(preview).to_have_attribute("src", kept)
    # Past 5 MB the browser refuses it before sending: said in the same place, the form kept.
    page.get_by_label("Phone").fill("555-0199")
    huge = tmp_path / "huge.png"
    with huge.open("wb") as out:
        out.truncate(6 * 1024 * 1024)
    page.locator("#logo input[type=file]").set_input_files(huge)
    expect(page.locator(".field-error")).to_have_text("The logo must be a PNG, JPEG or WebP image up to 5 MB.")
    expect(page.get_by_label("Phone")).to_have_value("555-0199")
    expect(preview).to_have_attribute("src", kept)
    row = _shop_row(db_session)
    assert kept.startswith(f"/api/files/{row.logo_file_id}/")
    page.reload()
    expect(preview).to_have_attribute("src", kept)
    expect(page.locator(".field-error")).to_have_count(0)
    page.wait_for_function("img => img.complete && img.naturalWidth === 96", arg=preview.element_handle())
