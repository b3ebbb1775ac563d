"""In a real browser against the production build: customers, their portal link
(copy, preview, regenerate, email) and the client's email-code sign-in to the portal."""

from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from kontrol_app.models import Customer, CustomerContact, EmailKind, PortalSession
from kontrol_app.services import shop as shop_service

from .a11y import assert_accessible
from .conftest import code_in, owner_principal
from .pages import (
    LINK_NOT_VALID,
    at,
    expect_portal_sign_in_form,
    expect_portal_tabs,
    field_of,
    live_button,
    staff_page_live,
    toast,
)

LOGO_SRC = re.compile(r"^/api/files/\d+/logo-[0-9a-f]{16}\.png$")
CUSTOMER_ID_URL = re.compile(r"^https?://[^/]+/customers/(\d+)/?(\?.*)?$")


def _portal_url_pattern(base_url: str, slug: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(f"{base_url}/public/portal/{slug}-") + r"[a-z2-7]{26}$")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 48), (20, 90, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _portal_url_on(page) -> str:
    url = page.locator("#portal-url")
    expect(url).to_have_text(re.compile(r"/public/portal/"))
    return url.inner_text().strip()


def _request_code(page, email: str) -> None:
    send = live_button(page, "Send me a code")
    page.locator("input[name=email]").fill(email)
    send.click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text(email, exact=True)).to_be_visible()


def test_staff_creates_a_customer_and_copies_the_portal_link(
    shop, make_customer, page, context, sign_in_as, db_session, base_url
):
    make_customer("Acme Uniforms", email="buyer@acme.example", contact_name="Ann Acme")
    sign_in_as(page, shop, "/customers/new")
    expect(page.get_by_role("heading", name="New customer")).to_be_visible()
    staff_page_live(page, shop.name)

    typed = {"name": "Riverside Runners", "contact_name": "Sam Rivers", "email": "sam@riverside", "phone": "+1 555 0142"}
    for name, value in typed.items():
        page.locator(f"input[name={name}]").fill(value)
    save = page.get_by_role("button", name="Save customer")
    save.click()

    # A bad email: the message sits with the field, what was typed stays, nothing is saved.
    email_error = field_of(page, "email").get_by_role("alert")
    expect(email_error).to_have_text("Enter a valid email address, like name@example.com.")
    expect(field_of(page, "name").get_by_role("alert")).to_have_count(0)
    for name, value in typed.items():
        expect(page.locator(f"input[name={name}]")).to_have_value(value)
    expect(page).to_have_url(at("/customers/new"))

    # Another customer's email is refused, naming that customer.
    page.locator("input[name=email]").fill("Buyer@Acme.example")
    save.click()
    expect(email_error).to_have_text("Another customer (Acme Uniforms) already uses this email.")
    expect(page.locator("input[name=name]")).to_have_value("Riverside Runners")
    with db_session() as session:
        assert session.exec(select(Customer).where(Customer.name == "Riverside Runners")).first() is None

    page.locator("input[name=email]").fill("sam@riverside.example")
    save.click()

    expect(page).to_have_url(CUSTOMER_ID_URL)
    customer_id = int(CUSTOMER_ID_URL.match(page.url).group(1))
    expect(page.get_by_role("heading", name="Riverside Runners")).to_be_visible()
    expect(page.locator("#customer-contact-line")).to_have_text("sam@riverside.example · +1 555 0142")
    stats = page.locator(".stat-card")
    expect(stats).to_have_count(3)
    expect(stats.filter(has_text="Active Jobs")).to_contain_text("0")
    expect(stats.filter(has_text="Open Invoices")).to_contain_text("$0.00")
    expect(stats.filter(has_text="Total Orders")).to_contain_text("0")
    expect(page.get_by_role("heading", name="Portal Link")).to_be_visible()
    expect(page.locator("#no-email-warning")).to_have_count(0)
    portal_url = _portal_url_on(page)
    assert _portal_url_pattern(base_url, "riverside-runners").match(portal_url), portal_url
    with db_session() as session:
        contact = session.exec(select(CustomerContact).where(CustomerContact.customer_id == customer_id)).one()
        assert (contact.email, contact.name, contact.is_primary) == ("sam@riverside.example", "Sam Rivers", True)
        assert session.get(Customer, customer_id).portal_link_copied_at is None

    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(toast(page, "Portal link copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == portal_url
    with db_session() as session:
        assert session.get(Customer, customer_id).portal_link_copied_at is not None


def test_client_signs_in_with_an_emailed_code_and_signs_out(
    shop, make_customer, new_context, outbox, db_session, e2e_server
):
    with db_session() as session:
        shop_service.save_logo(session, owner_principal(shop), _png(), e2e_server.files_dir)
    customer = make_customer("Riverside Runners", email="sam@riverside.example", contact_name="Sam Rivers", phone="+1 555 0142")
    other = make_customer("Acme Uniforms", email="buyer@acme.example")

    client = new_context().new_page()
    client.goto(customer.portal_url)
    expect(client.locator("#portal-shop-name")).to_have_text(shop.shop_name)
    logo = client.get_by_role("img", name="Shop logo")
    expect(logo).to_have_attribute("src", LOGO_SRC)
    client.wait_for_function("img => img.complete && img.naturalWidth === 96", arg=logo.element_handle())
    expect_portal_sign_in_form(client)

    # Another customer's email gets the very same answer on this link, and no code.
    _request_code(client, other.email)
    assert outbox(EmailKind.SIGN_IN_CODE) == []
    client.get_by_role("button", name="Use a different email").click()

    _request_code(client, customer.email)
    [email] = outbox(EmailKind.SIGN_IN_CODE)
    assert email.to_email == customer.email
    assert email.subject == f"Your sign-in code for {shop.shop_name}"
    assert outbox(EmailKind.SIGN_IN_CODE, to=other.email) == []
    client.locator("input[name=code]").fill(code_in(email.text_body))
    live_button(client, "Sign in").click()

    expect(client).to_have_url(at(customer.portal_path))
    expect_portal_tabs(client)
    expect(client.locator("#portal-shop-name")).to_have_text(shop.shop_name)
    expect(client.get_by_role("link", name=shop.email)).to_have_attribute("href", f"mailto:{shop.email}")
    expect(client.get_by_text("Hi Sam Rivers — Riverside Runners")).to_be_visible()
    expect(client.get_by_text("No active orders yet")).to_be_visible()

    client.reload()
    expect_portal_tabs(client)
    expect(client.get_by_role("heading", name="Sign in to your portal")).to_have_count(0)
    # A new tab starts from nothing but the cookie: the session itself is what signs it in.
    other_tab = client.context.new_page()
    other_tab.goto(customer.portal_url)
    expect_portal_tabs(other_tab)
    other_tab.close()

    client.get_by_role("tab", name="My Branding", exact=True).click()
    expect(client.get_by_label("Phone", exact=True)).to_have_value("+1 555 0142")
    expect(client.get_by_text("Sam Rivers · sam@riverside.example")).to_be_visible()

    client.get_by_role("button", name="Sign out").click()
    expect_portal_sign_in_form(client)
    expect(client).to_have_url(at(customer.portal_path))
    # Nothing of the customer's stays in this tab's state to be re-sent when it loads again.
    frames: list[str] = []
    client.on("websocket", lambda socket: socket.on("framereceived", lambda frame: frames.append(str(frame))))
    client.reload()
    expect_portal_sign_in_form(client)
    expect(client.locator("#portal-shop-name")).to_have_text(shop.shop_name)
    assert frames and any(shop.shop_name in frame for frame in frames)
    assert not [frame for frame in frames if "+1 555 0142" in frame or "Sam Rivers" in frame or "Riverside Runners" in frame]
    other_tab = client.context.new_page()
    other_tab.goto(customer.portal_url)
    expect_portal_sign_in_form(other_tab)
    with db_session() as session:
        sessions = session.exec(select(PortalSession)).all()
    assert len(sessions) == 1 and sessions[0].revoked_at is not None


def test_preview_shows_the_portal_as_the_customer_sees_it(shop, make_customer, page, context, sign_in_as):
    customer = make_customer("Riverside Runners", email="sam@riverside.example")
    sign_in_as(page, shop, f"/customers/{customer.id}")
    assert _portal_url_on(page) == customer.portal_url

    with context.expect_page() as opened:
        page.get_by_role("link", name="Preview").click()
    preview = opened.value

    expect(preview).to_have_url(at(customer.portal_path, query=r"preview=1"))
    expect(preview.locator("#preview-banner")).to_contain_text("Preview — viewing as Riverside Runners")
    expect_portal_tabs(preview)
    expect(preview.locator("#portal-shop-name")).to_have_text(shop.shop_name)
    expect(preview.get_by_role("heading", name="Sign in to your portal")).to_have_count(0)
    expect(preview.locator("input[name=code]")).to_have_count(0)
    expect(preview.get_by_role("button", name="Sign out")).to_have_count(0)


def test_regenerate_retires_the_old_link_and_its_sign_ins(
    shop, make_customer, new_context, sign_in_as, portal_sign_in, db_session
):
    customer = make_customer("Riverside Runners", email="sam@riverside.example")
    client = new_context().new_page()
    portal_sign_in(client, customer.portal_url, customer.email)

    staff_context = new_context()
    staff = staff_context.new_page()
    sign_in_as(staff, shop, f"/customers/{customer.id}")
    assert _portal_url_on(staff) == customer.portal_url
    staff.get_by_role("button", name="Regenerate").click()
    dialog = staff.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Regenerate the portal link?")
    dialog.get_by_role("button", name="Regenerate link").click()
    expect(toast(staff, "New portal link made.")).to_be_visible()
    expect(staff.locator("#portal-url")).not_to_have_text(customer.portal_url)
    new_url = _portal_url_on(staff)
    assert new_url != customer.portal_url and "/public/portal/riverside-runners-" in new_url

    # The old link is gone: a plain 404 page, never indexed, never leaked as a referrer.
    answer = client.reload()
    assert answer is not None and answer.status == 404
    expect(client.get_by_text(LINK_NOT_VALID)).to_be_visible()
    expect(client.locator("#dead-link-shop")).to_contain_text(shop.shop_name)  # whom to ask for a new one
    assert_accessible(client, "a regenerated portal link")
    old = staff_context.request.get(customer.portal_url)
    assert old.status == 404
    assert LINK_NOT_VALID in old.text()
    assert "noindex" in old.headers["x-robots-tag"]
    assert old.headers["referrer-policy"] == "no-referrer"
    assert staff_context.request.get(new_url).status == 200

    # The client's browser, signed in before, is signed out on the new link too.
    client.goto(new_url)
    expect_portal_sign_in_form(client)
    expect(client.locator("#portal-shop-name")).to_have_text(shop.shop_name)
    client.reload()
    expect_portal_sign_in_form(client)
    with db_session() as session:
        sessions = session.exec(select(PortalSession)).all()
    assert sessions and all(s.revoked_at is not None for s in sessions)


def test_email_link_to_client_queues_the_portal_email(shop, make_customer, page, sign_in_as, outbox):
    customer = make_customer("Riverside Runners", email="sam@riverside.example", contact_name="Sam Rivers")
    sign_in_as(page, shop, f"/customers/{customer.id}")
    assert _portal_url_on(page) == customer.portal_url

    page.get_by_role("button", name="Email link to client").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("To sam@riverside.example")
    message = dialog.locator("textarea[name=intro_message]")
    expect(message).to_have_value(re.compile(r"^Hey Sam — .*" + re.escape(customer.portal_url)))
    assert outbox(EmailKind.PORTAL_LINK) == []
    dialog.get_by_role("button", name="Send email").click()

    expect(toast(page, "Portal link emailed to sam@riverside.example.")).to_be_visible()
    expect(dialog).to_have_count(0)
    [email] = outbox(EmailKind.PORTAL_LINK)
    assert email.to_email == customer.email
    assert customer.portal_url in email.text_body and customer.portal_url in email.html_body


def test_a_customer_without_email_shows_the_no_access_warning(shop, make_customer, page, sign_in_as):
    with_email = make_customer("Riverside Runners", email="sam@riverside.example")
    without = make_customer("Walk-in Wendy")

    sign_in_as(page, shop, f"/customers/{without.id}")
    expect(page.get_by_role("heading", name="Walk-in Wendy")).to_be_visible()
    expect(page.locator("#no-email-warning")).to_contain_text("No email on file")
    expect(page.get_by_role("button", name="Email link to client")).to_be_disabled()

    page.goto(f"/customers/{with_email.id}")
    expect(page.get_by_role("heading", name="Riverside Runners")).to_be_visible()
    expect(page.get_by_role("button", name="Email link to client")).to_be_enabled()
    expect(page.locator("#no-email-warning")).to_have_count(0)


def test_the_signed_in_portal_fits_a_phone(shop, make_customer, make_job, new_context, portal_sign_in):
    customer = make_customer("Riverside Runners", email="sam@riverside.example")
    make_job(customer.id, "Spring League T-Shirts with a rather long name for a small screen", quantity=1440, due_date="2030-04-12")
    client = new_context().new_page()
    client.set_viewport_size({"width": 390, "height": 844})

    portal_sign_in(client, customer.portal_url, customer.email)

    expect_portal_tabs(client)
    expect(client.locator(".order-card")).to_contain_text("1,440 pcs · Due Apr 12")
    width = client.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 2, f"the page is {width} px wide at a 390 px viewport"
    client.get_by_role("button", name="View details").click()
    expect(client.locator("#portal-job-status")).to_have_text("Quote")
    width = client.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 2, f"the job page is {width} px wide at a 390 px viewport"
