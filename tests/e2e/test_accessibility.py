"""In a real browser: every staff and portal page passes axe-core (nothing
serious or critical), every label names its control, and a field's error is announced."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kontrol_app.models.jobs import JobStatus

from .a11y import assert_accessible
from .conftest import OWNER_NAME
from .pages import live_button, sign_in_with_form, staff_page_live

# (route, what the page shows once its data has loaded). {customer} and {job} are ids.
STAFF_PAGES = [
    ("/", "Get a client onto the portal in under 5 minutes"),
    ("/customers", "Riverside Runners"),
    ("/customers/new", "New customer"),
    ("/customers/{customer}", "Portal Link"),
    ("/customers/{customer}/edit", "Edit customer"),
    ("/jobs", "Spring League T-Shirts"),
    ("/jobs/board", "Spring League T-Shirts"),
    ("/jobs/new", "New job"),
    ("/jobs/{job}", "Tracking"),
    ("/jobs/{job}/edit", "Edit job"),
    ("/invoices", "No invoices yet. Create one from a job's Invoices tab."),
    ("/messages", "No conversations yet. Start one from a job's Messages tab; clients' messages arrive here."),
    ("/quotes", "No quote requests yet"),
    ("/settings", "Shop name"),
    ("/settings/shop", "Shop name"),
    ("/settings/automations", "Edit email"),
    ("/settings/team", "Add staff"),
    ("/settings/email", "No emails yet."),
    ("/settings/payments", "Webhook signing secret"),
]


# Checked by the tests below other than STAFF_PAGES: signed out, and the client portal.
OTHER_PAGES = {"/setup", "/sign-in", "/public/portal/[link]"}


def test_every_registered_page_is_checked():
    """A page added to the app without a line in STAFF_PAGES fails here, not in production."""
    from kontrol_app.kontrol_app import app

    registered = {"/" + ("" if route == "index" else route) for route in app._unevaluated_pages}
    checked = {route.replace("{customer}", "[customer_id]").replace("{job}", "[job_id]") for route, _ in STAFF_PAGES}
    assert registered - checked - OTHER_PAGES == set()


@pytest.fixture
def quiet_page(page: Page) -> Page:
    """No animations: axe judges colours as they end, not half-way through a fade-in."""
    page.emulate_media(reduced_motion="reduce")
    return page


@pytest.fixture
def customer_and_job(make_customer, make_job):
    customer = make_customer("Riverside Runners", email="sam@riverside.example", contact_name="Sam Rivers")
    job = make_job(customer.id, "Spring League T-Shirts", quantity=144, due_date="2030-04-12", status=JobStatus.IN_PRODUCTION)
    return customer, job


def _visible_text(page: Page, text: str) -> None:
    expect(page.get_by_text(text, exact=True).first).to_be_visible()


@pytest.mark.parametrize(("route", "shows"), STAFF_PAGES, ids=[route for route, _ in STAFF_PAGES])
def test_staff_page_has_no_serious_axe_violations(shop, customer_and_job, quiet_page, sign_in_as, route, shows):
    customer, job = customer_and_job
    path = route.format(customer=customer.id, job=job)
    sign_in_as(quiet_page, shop, path)
    staff_page_live(quiet_page, OWNER_NAME)
    _visible_text(quiet_page, shows)
    assert_accessible(quiet_page, path)


def test_staff_dialogs_have_no_serious_axe_violations(shop, customer_and_job, quiet_page, sign_in_as):
    page = quiet_page
    customer, _ = customer_and_job
    sign_in_as(page, shop, f"/customers/{customer.id}")
    staff_page_live(page, OWNER_NAME)
    page.get_by_role("button", name="Email link to client").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert_accessible(page, "the Email link to client dialog")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.get_by_role("button", name="Regenerate", exact=True).click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    assert_accessible(page, "the Regenerate link dialog")
    page.keyboard.press("Escape")

    page.goto("/settings/automations")
    staff_page_live(page, OWNER_NAME)
    page.get_by_role("button", name="Edit email").first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert_accessible(page, "the automation email editor")

    page.goto("/")
    staff_page_live(page, OWNER_NAME)
    page.get_by_role("button", name=OWNER_NAME).click()
    expect(page.get_by_role("menuitem", name="Sign out")).to_be_visible()
    assert_accessible(page, "the user menu")
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Notifications").click()
    expect(page.get_by_role("dialog", name="Notifications")).to_be_visible()
    assert_accessible(page, "the notifications bell")


def test_job_mockups_tab_has_no_serious_axe_violations(shop, make_customer, make_job, quiet_page, sign_in_as, e2e_server):
    """The job page's Mockups tab with a version on it, and its two dialogs."""
    import io

    from PIL import Image

    from kontrol_app.services import mockups

    from .conftest import owner_principal

    page = quiet_page
    customer = make_customer("Riverside Runners", email="sam@riverside.example", contact_name="Sam Rivers")
    job = make_job(customer.id, "Spring League T-Shirts", quantity=144, status=JobStatus.ARTWORK)
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 30, 30)).save(buffer, format="PNG")
    with e2e_server.session() as session:
        mockups.upload_version(session, owner_principal(shop), job, buffer.getvalue(), name="front.png", note="First proof")
    sign_in_as(page, shop, f"/jobs/{job}")
    staff_page_live(page, OWNER_NAME)
    page.get_by_role("tab", name="Mockups").click()
    expect(page.get_by_role("img", name="Preview of v1")).to_be_visible()
    assert_accessible(page, "the job's Mockups tab")

    page.get_by_role("button", name="Send for Approval").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert_accessible(page, "the Send for Approval dialog")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.get_by_role("button", name="Approved offline").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert_accessible(page, "the Approved offline dialog")
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    assert_accessible(page, "the Withdraw confirmation")
    page.keyboard.press("Escape")


def test_signed_out_staff_pages_have_no_serious_axe_violations(no_shop, quiet_page):
    page = quiet_page
    page.goto("/setup")
    live_button(page, "Create shop")
    assert_accessible(page, "/setup")
    # A wrong password shows the field errors: still fine, and announced.
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create shop").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page, "/setup with errors")


def test_sign_in_page_has_no_serious_axe_violations_and_announces_errors(shop, quiet_page):
    page = quiet_page
    page.goto("/sign-in")
    live_button(page, "Sign in")
    assert_accessible(page, "/sign-in")

    # A click on a label puts the cursor in its box.
    page.locator("label", has_text="Email").click()
    expect(page.get_by_label("Email")).to_be_focused()

    sign_in_with_form(page, shop.email, "not the password", path="")
    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    message = page.locator("#" + password.get_attribute("aria-describedby"))
    expect(message).to_have_text("Email or password is incorrect.")
    expect(page.get_by_label("Email")).not_to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "/sign-in with an error")


def test_portal_pages_have_no_serious_axe_violations(shop, customer_and_job, quiet_page, outbox, make_job, db_session):
    from kontrol_app.models import EmailKind

    from .conftest import code_in

    page = quiet_page
    customer, _ = customer_and_job
    page.goto(customer.portal_url)
    send = live_button(page, "Send me a code")
    assert_accessible(page, "the portal's sign-in page")

    page.get_by_label("Email").fill(customer.email)
    send.click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert_accessible(page, "the portal's code step")

    page.get_by_label("Code").fill("000000")
    live_button(page, "Sign in").click()
    expect(page.get_by_label("Code")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "the portal's code step with an error")

    [email] = outbox(EmailKind.SIGN_IN_CODE, to=customer.email)
    page.get_by_label("Code").fill(code_in(email.text_body))
    live_button(page, "Sign in").click()
    for tab in ("Active Orders", "Invoices", "Messages", "Request a Quote", "My Branding"):
        page.get_by_role("tab", name=tab, exact=True).click()
        expect(page.get_by_role("tab", name=tab, exact=True)).to_have_attribute("aria-selected", "true")
        assert_accessible(page, f"the portal's {tab} tab")

    page.get_by_role("tab", name="Active Orders", exact=True).click()
    page.get_by_role("button", name="View details").click()
    expect(page.locator("#portal-job-detail")).to_be_visible()
    assert_accessible(page, "the portal's job detail")

    # A job with artwork sent for approval: the banner, the approval section, its errors.
    page.goto(f"{customer.portal_url}?job={_job_with_sent_artwork(shop, customer, make_job, db_session)}")
    expect(page.locator("#approval-section")).to_be_visible()
    assert_accessible(page, "the portal's job awaiting approval")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator("#approval-section .field-error").first).to_be_visible()
    assert_accessible(page, "the portal's approval with an error")
    page.get_by_role("tab", name="My Branding", exact=True).click()
    expect(page.locator("#approval-banner")).to_be_visible()
    assert_accessible(page, "the portal's approval banner")


def _job_with_sent_artwork(shop, customer, make_job, db_session) -> int:
    import io

    from PIL import Image

    from kontrol_app.services import mockups

    from .conftest import owner_principal

    job_id = make_job(customer.id, "Coaches Polos", quantity=12, status=JobStatus.ARTWORK)
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (20, 90, 200)).save(buffer, format="PNG")
    actor = owner_principal(shop)
    with db_session() as session:
        mockups.set_checklist(session, actor, job_id, ["Spelling of names checked"])
        version = mockups.upload_version(session, actor, job_id, buffer.getvalue(), name="front.png")
    with db_session() as session:
        mockups.send_for_approval(session, actor, version.id, message="Here is the first proof.")
    return job_id


def test_portal_preview_has_no_serious_axe_violations(shop, customer_and_job, quiet_page, context, sign_in_as):
    page = quiet_page
    customer, _ = customer_and_job
    sign_in_as(page, shop, f"/customers/{customer.id}")
    staff_page_live(page, OWNER_NAME)
    with context.expect_page() as opened:
        page.get_by_role("link", name="Preview").click()
    preview = opened.value
    preview.emulate_media(reduced_motion="reduce")
    expect(preview.locator("#preview-banner")).to_be_visible()
    expect(preview.get_by_role("tab", name="Active Orders")).to_be_visible()
    assert_accessible(preview, "the staff Preview of the portal")


def test_every_kind_of_control_is_named_by_its_label(shop, customer_and_job, quiet_page, sign_in_as):
    page = quiet_page
    sign_in_as(page, shop, "/jobs/new")
    staff_page_live(page, OWNER_NAME)
    expect(page.get_by_label("Title")).to_have_attribute("name", "title")  # rx.input
    expect(page.get_by_label("Notes")).to_have_attribute("name", "notes")  # rx.text_area
    assert page.get_by_label("Notes").evaluate("e => e.tagName") == "TEXTAREA"
    expect(page.get_by_label("Customer")).to_have_attribute("name", "customer_search")  # inside a wrapper
    # A Radix select: the label names its trigger button.
    expect(page.get_by_role("combobox", name="Decoration")).to_be_visible()
    expect(page.get_by_label("Decoration")).to_have_attribute("role", "combobox")

    page.goto("/settings/shop")
    staff_page_live(page, OWNER_NAME)
    expect(page.get_by_role("combobox", name="Currency")).to_be_visible()  # rx.select
    assert page.get_by_label("Timezone").evaluate("e => e.tagName") == "SELECT"  # a native select
    expect(page.get_by_label("Email")).to_have_attribute("name", "email")
    hint = page.locator("#" + page.get_by_label("Email").get_attribute("aria-describedby"))
    expect(hint).to_have_text("Clients see this in the portal header.")

    page.goto("/settings/automations")
    staff_page_live(page, OWNER_NAME)
    page.get_by_role("button", name="Edit email").first.click()
    switch = page.get_by_label("Send this email")  # a switch with its label beside it
    expect(switch).to_have_attribute("role", "switch")
    expect(page.get_by_label("Subject")).to_have_attribute("name", "subject")

    # Rows of a foreach: each row's label names its own box.
    page.goto("/customers/new")
    staff_page_live(page, OWNER_NAME)
    page.get_by_role("button", name="Add contact").click()
    page.get_by_role("button", name="Add contact").click()
    names = page.get_by_label("Name", exact=True)
    expect(names).to_have_count(2)
    names.nth(1).fill("Second Contact")
    expect(names.nth(0)).to_have_value("")
