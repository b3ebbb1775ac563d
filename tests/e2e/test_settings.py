"""Settings in a real browser against the production build: Team (adding staff, what
staff may not do, signing someone out everywhere), Email (the local mailbox, preview,
retry), Automations (the email editor's checks, live preview and save) and Shop Info
(removing the logo, a refused email)."""

from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from kontrol_app.models import (
    EmailKind,
    EmailStatus,
    JobStatus,
    OutboxEmail,
    Shop,
    StaffSession,
    StaffUser,
    StatusAutomation,
    StoredFile,
)
from kontrol_app.services import files as files_service
from kontrol_app.services import shop as shop_service
from kontrol_app.services import staff as staff_service
from kontrol_app.services.automations import PLACEHOLDERS
from kontrol_app.services.clock import shop_time

from .conftest import eventually, owner_principal
from .pages import (
    at,
    field_of,
    live_button,
    sign_in_with_form,
    staff_page_live,
    table_row,
    toast,
    user_menu,
)

NEW_STAFF = {"name": "Sam Stitcher", "email": "sam@smithembroidery.example", "password": "needle and thread 42"}
OWNER_ONLY = "Only the shop owner can change these settings."
NO_PROVIDER = "No email provider is set up, so emails are delivered to this local mailbox."
SHOP_TIME = re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2} [AP]M$")
UNKNOWN_FOO = "Unknown placeholder {foo}. Use: " + ", ".join("{" + p + "}" for p in PLACEHOLDERS) + "."


def _png(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 48), color).save(buffer, format="PNG")
    return buffer.getvalue()


# --------------------------------------------------------------------------- Team


def _staff_users(db_session) -> list[tuple[str, str, str]]:
    with db_session() as session:
        return [(u.name, u.email, u.role) for u in session.exec(select(StaffUser).order_by(StaffUser.id)).all()]


def test_owner_adds_staff_who_signs_in_without_owner_rights_and_is_signed_out_everywhere(
    shop, new_context, sign_in_as, db_session
):
    owner = new_context().new_page()
    sign_in_as(owner, shop, "/settings/team")
    expect(owner).to_have_url(at("/settings/team"))
    staff_page_live(owner, shop.name)
    expect(table_row(owner, shop.email)).to_contain_text("Owner")  # the loader has run
    add = live_button(owner, "Add staff")

    def type_form(values: dict[str, str]) -> None:
        for name, value in values.items():
            owner.locator(f"input[name={name}]").fill(value)

    def expect_typed(values: dict[str, str]) -> None:
        for name, value in values.items():
            expect(owner.locator(f"input[name={name}]")).to_have_value(value)

    # Too short a password: the message sits with the password, nothing typed is lost.
    typed = NEW_STAFF | {"password": "short"}
    type_form(typed)
    add.click()
    expect(field_of(owner, "password").get_by_role("alert")).to_have_text("Use at least 8 characters.")
    expect(field_of(owner, "email").get_by_role("alert")).to_have_count(0)
    expect_typed(typed)

    # Someone on the team already uses the email: the message sits with the email.
    typed = NEW_STAFF | {"email": shop.email.upper()}
    type_form(typed)
    add.click()
    expect(field_of(owner, "email").get_by_role("alert")).to_have_text("Someone on the team already uses this email.")
    expect(field_of(owner, "password").get_by_role("alert")).to_have_count(0)
    expect_typed(typed)
    assert _staff_users(db_session) == [(shop.name, shop.email, "owner")]

    type_form(NEW_STAFF)
    add.click()
    expect(toast(owner, f"{NEW_STAFF['name']} can now sign in with {NEW_STAFF['email']}.")).to_be_visible()
    row = table_row(owner, NEW_STAFF["email"])
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(0)).to_have_text(NEW_STAFF["name"])
    expect(row.get_by_role("cell").nth(2)).to_have_text("Staff")
    expect(owner.locator("input[name=email]")).to_have_value("")  # the form was cleared
    expect(owner.locator(".field-error")).to_have_count(0)
    assert _staff_users(db_session) == [(shop.name, shop.email, "owner"), (NEW_STAFF["name"], NEW_STAFF["email"], "staff")]

    # The new person signs in on another device with the temporary password.
    staff = new_context().new_page()
    sign_in_with_form(staff, NEW_STAFF["email"], NEW_STAFF["password"])
    expect(staff).to_have_url(at("/"))
    expect(user_menu(staff, NEW_STAFF["name"])).to_be_visible()

    # Shop Info is read-only for them.
    staff.goto("/settings/shop")
    shop_name = staff.locator("input[name=name]")
    expect(shop_name).to_have_value(shop.shop_name)  # the loader has run
    expect(staff.get_by_text(OWNER_ONLY)).to_be_visible()
    expect(shop_name).not_to_be_editable()
    expect(staff.get_by_role("button", name="Save", exact=True)).to_have_count(0)
    expect(staff.get_by_role("button", name="Upload logo")).to_have_count(0)

    # Automations: the switches are greyed out for them, and the page says why.
    staff.goto("/settings/automations")
    expect(staff.locator(".automation-row").first).to_be_visible()
    expect(staff.locator("#owner-only")).to_have_text(OWNER_ONLY)

    # Team: they see who is on it, but cannot add anyone or sign anyone out.
    staff.goto("/settings/team")
    expect(table_row(staff, NEW_STAFF["email"])).to_contain_text("Staff")
    expect(table_row(staff, shop.email)).to_contain_text("Owner")
    expect(staff.get_by_role("heading", name="Add staff")).to_have_count(0)
    expect(staff.locator("input[name=password]")).to_have_count(0)
    expect(staff.get_by_role("button", name="Sign out everywhere")).to_have_count(0)

    # The owner signs them out everywhere: their next page load goes to Sign in.
    row.get_by_role("button", name="Sign out everywhere").click()
    expect(toast(owner, "Signed out of 1 session(s).")).to_be_visible()
    with db_session() as session:
        sessions = session.exec(select(StaffSession)).all()
    theirs = [s for s in sessions if s.staff_user_id != shop.id]
    assert theirs and all(s.revoked_at is not None for s in theirs)
    assert all(s.revoked_at is None for s in sessions if s.staff_user_id == shop.id)
    staff.reload()
    expect(staff).to_have_url(at("/sign-in", query="next="))
    staff.goto("/customers")
    expect(staff).to_have_url(at("/sign-in", query="next="))
    # The owner's own session is untouched.
    owner.reload()
    expect(table_row(owner, NEW_STAFF["email"])).to_contain_text("Staff")
    expect(owner).to_have_url(at("/settings/team"))


# --------------------------------------------------------------------------- Email


def _only_email(db_session) -> OutboxEmail:
    with db_session() as session:
        return session.exec(select(OutboxEmail)).one()


def _sent(db_session) -> OutboxEmail | None:
    email = _only_email(db_session)
    return email if email.status == EmailStatus.SENT else None


def test_the_local_mailbox_lists_previews_and_retries_emails(shop, make_customer, page, sign_in_as, db_session):
    customer = make_customer("Riverside Runners", email="sam@riverside.example", contact_name="Sam Rivers")
    sign_in_as(page, shop, f"/customers/{customer.id}")
    expect(page.locator("#portal-url")).to_have_text(customer.portal_url)
    page.get_by_role("button", name="Email link to client").click()
    page.get_by_role("dialog").get_by_role("button", name="Send email").click()
    expect(toast(page, "Portal link emailed to sam@riverside.example.")).to_be_visible()

    # The sender (a background task of the server) delivers it to the local mailbox.
    email = eventually(lambda: _sent(db_session), what="the portal-link email being sent")
    assert email.kind == EmailKind.PORTAL_LINK and email.delivered_via == "mailbox"

    page.goto("/settings/email")
    expect(page).to_have_url(at("/settings/email"))
    rows = page.locator(".outbox-row")
    expect(rows).to_have_count(1)  # the loader has run (it also says which provider is set)
    expect(page.get_by_text("Page 1 of 1 · 1 email", exact=True)).to_be_visible()
    expect(page.get_by_text(NO_PROVIDER)).to_be_visible()
    expect(page.get_by_text("Emails are sent through Resend.")).to_have_count(0)
    cells = rows.first.get_by_role("cell")
    expect(cells.nth(0)).to_have_text("sam@riverside.example")
    expect(cells.nth(1)).to_have_text(email.subject)
    assert email.subject == f"Your order portal at {shop.shop_name}"
    expect(cells.nth(2)).to_have_text("Portal link")
    expect(cells.nth(3)).to_have_text("Sent")
    expect(cells.nth(4)).to_have_text(SHOP_TIME)
    expect(cells.nth(4)).to_have_text(shop_time(email.sent_at, "UTC"))
    expect(rows.first.get_by_role("button", name="Retry")).to_have_count(0)

    # View: the HTML as the client gets it (sandboxed), and the plain-text part.
    rows.first.get_by_role("button", name="View").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=email.subject)).to_be_visible()
    html = page.frame_locator("iframe[title='Email preview']")
    expect(html.locator("body")).to_contain_text(shop.shop_name)
    expect(html.get_by_role("link", name="Open your portal")).to_have_attribute("href", customer.portal_url)
    dialog.get_by_role("tab", name="Plain text").click()
    text = dialog.locator("pre")
    expect(text).to_contain_text(customer.portal_url)
    assert text.inner_text().strip() == email.text_body.strip()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)

    # A delivery that failed for good: shown as Failed with the reason, and retried.
    with db_session() as session:
        row = session.get(OutboxEmail, email.id)
        row.status, row.last_error = EmailStatus.FAILED, "Resend answered 422: The to address is invalid."
        session.add(row)
    page.reload()
    expect(cells.nth(3)).to_have_text("Failed")
    cells.nth(3).locator(".rt-Badge").hover()
    expect(page.get_by_role("tooltip")).to_contain_text("Resend answered 422: The to address is invalid.")
    rows.first.get_by_role("button", name="Retry").click()
    expect(toast(page, "The email will be sent again.")).to_be_visible()
    expect(cells.nth(3)).to_have_text(re.compile(r"^(Queued|Sent)$"))
    expect(rows.first.get_by_role("button", name="Retry")).to_have_count(0)
    assert _only_email(db_session).status in (EmailStatus.QUEUED, EmailStatus.SENT)
    retried = eventually(lambda: _sent(db_session), what="the retried email being sent")
    assert retried.last_error == "" and retried.idempotency_key == email.idempotency_key
    page.reload()
    expect(cells.nth(3)).to_have_text("Sent")


# --------------------------------------------------------------------------- Automations


def test_automation_email_editor_checks_previews_and_saves(shop, page, sign_in_as, db_session):
    sign_in_as(page, shop, "/settings/automations")
    row = page.locator(".automation-row").filter(has=page.get_by_role("cell", name="In Production", exact=True))
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(2)).to_have_text("{job_title} is now {status}")
    row.get_by_role("button", name="Edit email").click()

    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Email when a job moves to In Production")).to_be_visible()
    subject = dialog.locator("input[name=subject]")
    body = dialog.locator("textarea[name=body]")
    preview = dialog.locator("#automation-preview")
    expect(subject).to_have_value("{job_title} is now {status}")
    expect(preview).to_contain_text("Spring League T-Shirts is now In Production")

    # A placeholder Kontrol cannot fill: the message sits with the text, and Save refuses it.
    body.fill("Hi {contact_name}, your {foo} is moving.")
    body_error = field_of(page, "body").get_by_role("alert")
    expect(body_error).to_have_text(UNKNOWN_FOO)
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(body_error).to_have_text(UNKNOWN_FOO)
    expect(dialog).to_be_visible()
    with db_session() as session:
        assert session.get(StatusAutomation, JobStatus.IN_PRODUCTION.value) is None

    # A valid edit: the preview follows with the sample values as each field is typed.
    body.fill("Hi {contact_name},\n\n{job_title} is being printed now.")
    expect(body_error).to_have_count(0)
    expect(preview).to_contain_text("Hi Sarah,")
    expect(preview).to_contain_text("Spring League T-Shirts is being printed now.")
    expect(preview).to_contain_text("Spring League T-Shirts is now In Production")
    subject.fill("{job_title} is on the press at {shop_name}")
    expect(preview).to_contain_text(f"Spring League T-Shirts is on the press at {shop.shop_name}")
    expect(preview).not_to_contain_text("{")

    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(toast(page, "Saved the In Production email.")).to_be_visible()
    expect(dialog).to_have_count(0)
    expect(row.get_by_role("cell").nth(2)).to_have_text("{job_title} is on the press at {shop_name}")
    with db_session() as session:
        saved = session.get(StatusAutomation, JobStatus.IN_PRODUCTION.value)
        assert saved.subject == "{job_title} is on the press at {shop_name}"
        assert saved.body == "Hi {contact_name},\n\n{job_title} is being printed now."
        assert saved.enabled is False  # editing the text does not switch the email on

    page.reload()
    expect(row.get_by_role("cell").nth(2)).to_have_text("{job_title} is on the press at {shop_name}")
    row.get_by_role("button", name="Edit email").click()
    expect(subject).to_have_value("{job_title} is on the press at {shop_name}")
    expect(body).to_have_value("Hi {contact_name},\n\n{job_title} is being printed now.")


# --------------------------------------------------------------------------- Shop Info


def test_remove_logo_clears_the_header_and_deletes_the_file(shop, page, sign_in_as, db_session, e2e_server):
    with db_session() as session:
        info = shop_service.save_logo(session, owner_principal(shop), _png(), e2e_server.files_dir)
        sha256 = session.get(StoredFile, session.exec(select(Shop)).one().logo_file_id).sha256
    logo_file = files_service.blob_path(sha256, e2e_server.files_dir)
    assert logo_file.is_file()

    sign_in_as(page, shop, "/settings/shop")
    header_logo = page.locator("img[alt='Shop logo']:not(#logo-preview)")
    expect(header_logo).to_have_attribute("src", info.logo_path)
    expect(page.locator("#logo-preview")).to_have_attribute("src", info.logo_path)

    page.get_by_role("button", name="Remove logo").click()

    expect(toast(page, "Logo removed.")).to_be_visible()
    expect(header_logo).to_have_count(0)
    expect(page.locator("#logo-preview")).to_have_count(0)
    expect(page.get_by_text("No logo yet")).to_be_visible()
    expect(page.get_by_role("button", name="Remove logo")).to_have_count(0)
    assert not logo_file.exists()
    with db_session() as session:
        row = session.exec(select(Shop)).one()
        assert row.logo_file_id is None
    assert page.context.request.get(info.logo_path).status == 404

    page.reload()
    expect(page.locator("input[name=name]")).to_have_value(shop.shop_name)
    expect(page.get_by_text("No logo yet")).to_be_visible()
    expect(header_logo).to_have_count(0)


def test_an_invalid_shop_email_is_refused_and_nothing_is_saved(shop, page, sign_in_as, db_session):
    with db_session() as session:
        before = session.exec(select(Shop)).one().model_dump()
    sign_in_as(page, shop, "/settings/shop")
    email = page.locator("input[name=email]")
    expect(email).to_have_value(shop.email)  # the loader has run

    page.locator("input[name=phone]").fill("+1 555 0199")
    email.fill("orders-at-smith-embroidery")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(field_of(page, "email").get_by_role("alert")).to_have_text("Enter a valid email address, like name@example.com.")
    expect(toast(page, "Shop info was not saved. Check the highlighted field.")).to_be_visible()
    expect(field_of(page, "phone").get_by_role("alert")).to_have_count(0)
    expect(email).to_have_value("orders-at-smith-embroidery")
    expect(page.locator("input[name=phone]")).to_have_value("+1 555 0199")
    with db_session() as session:
        assert session.exec(select(Shop)).one().model_dump() == before

    page.reload()
    expect(email).to_have_value(shop.email)
    expect(page.locator("input[name=phone]")).to_have_value(before["phone"])
    expect(page.locator(".field-error")).to_have_count(0)


def test_the_owner_sets_the_production_time(shop, page, sign_in_as, db_session):
    sign_in_as(page, shop, "/settings/shop")
    days = page.get_by_label("Production time, business days")
    expect(days).to_have_value("7")  # the default, from the loader
    days.fill("61")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(field_of(page, "production_days").get_by_role("alert")).to_contain_text("whole number of business days, 0 to 60")
    with db_session() as session:
        assert session.exec(select(Shop)).one().production_days == 7
    days.fill("5")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(toast(page, "Shop info saved.")).to_be_visible()
    with db_session() as session:
        assert session.exec(select(Shop)).one().production_days == 5
    page.reload()
    expect(page.get_by_label("Production time, business days")).to_have_value("5")


def test_owner_deactivates_resets_and_reactivates_a_member_who_changes_their_own_password(
    shop, new_context, sign_in_as, db_session
):
    with db_session() as session:
        staff_service.add_staff(session, owner_principal(shop), **NEW_STAFF)
    member = new_context().new_page()
    sign_in_with_form(member, NEW_STAFF["email"], NEW_STAFF["password"])
    expect(user_menu(member, NEW_STAFF["name"])).to_be_visible()

    owner = new_context().new_page()
    sign_in_as(owner, shop, "/settings/team")
    staff_page_live(owner, shop.name)
    row = table_row(owner, NEW_STAFF["email"])
    expect(table_row(owner, shop.email).get_by_role("button")).to_have_count(0)  # nobody deactivates the owner

    # Deactivated: signed out at once, and the right password answers like a wrong one.
    row.get_by_role("button", name="Deactivate").click()
    expect(toast(owner, f"{NEW_STAFF['name']} is signed out and can no longer sign in.")).to_be_visible()
    expect(row).to_contain_text("Deactivated")
    member.reload()
    expect(member).to_have_url(at("/sign-in"))
    sign_in_with_form(member, NEW_STAFF["email"], NEW_STAFF["password"])
    expect(field_of(member, "password").get_by_role("alert")).to_have_text("Email or password is incorrect.")

    # Reactivated with a new password the owner sets.
    row.get_by_role("button", name="Reactivate").click()
    expect(row).not_to_contain_text("Deactivated")
    row.get_by_role("button", name="Reset password").click()
    dialog = owner.get_by_role("dialog")
    expect(dialog).to_contain_text("Reset password for " + NEW_STAFF["name"])
    dialog.locator("input[name=new_password]").fill("short")
    live_button(owner, "Set password").click()
    expect(dialog.get_by_role("alert")).to_have_text("Use at least 8 characters.")
    dialog.locator("input[name=new_password]").fill("a fresh start 77")
    owner.get_by_role("button", name="Set password").click()
    expect(toast(owner, f"New password set for {NEW_STAFF['name']}. Their sessions have ended.")).to_be_visible()
    expect(dialog).to_have_count(0)

    sign_in_with_form(member, NEW_STAFF["email"], "a fresh start 77")
    expect(user_menu(member, NEW_STAFF["name"])).to_be_visible()

    # They change their own password: a wrong current one is refused next to its field.
    member.goto("/settings/team")
    staff_page_live(member, NEW_STAFF["name"])
    member.locator("input[name=current_password]").fill("not it")
    member.locator("input[name=new_password]").fill("my very own secret")
    live_button(member, "Change password").click()
    expect(field_of(member, "current_password").get_by_role("alert")).to_have_text("Your current password is not right.")
    expect(member.locator("input[name=new_password]")).to_have_value("my very own secret")  # nothing typed is lost
    member.locator("input[name=current_password]").fill("a fresh start 77")
    member.get_by_role("button", name="Change password").click()
    expect(toast(member, "Password changed.")).to_be_visible()
    member.reload()
    expect(member).to_have_url(at("/settings/team"))  # this browser stays signed in
    with db_session() as session:
        assert staff_service.sign_in(session, email=NEW_STAFF["email"], password="my very own secret")
