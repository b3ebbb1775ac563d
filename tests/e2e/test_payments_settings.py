"""Settings -> Payments in a real browser against the production build: keys saved and shown
masked, Test connection against the session's fake Stripe, the webhook to set up, the invoice
defaults with their checks, the Dashboard checklist ticking, and staff kept out."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from kontrol_app.models import Invoice, InvoiceStatus, Shop
from kontrol_app.services import staff as staff_service
from tests.fakes.stripe_server import ACCOUNT_NAME, API_KEY, WEBHOOK_SECRET

from .conftest import owner_principal
from .pages import field_of, live_button, staff_page_live, toast

STRIPE_ITEM = "Stripe connected so clients can pay online"
REVOKED_KEY = "sk_test_revokedkeyrevoked0000oked"


def _stripe_item(page):
    return page.locator(".checklist-item").filter(has_text=STRIPE_ITEM)


def _expect_ticked(page, ticked: bool) -> None:
    item = _stripe_item(page)
    expect(item).to_have_count(1)
    expect(item.locator("svg.lucide-circle-check")).to_have_count(1 if ticked else 0)
    expect(item.get_by_role("link", name="Settings → Payments")).to_have_count(0 if ticked else 1)


def test_keys_masked_test_connection_and_the_checklist(shop, page, sign_in_as, db_session, e2e_server, e2e_stripe):
    sign_in_as(page, shop, "/")
    _expect_ticked(page, False)
    _stripe_item(page).get_by_role("link", name="Settings → Payments").click()
    staff_page_live(page, shop.name)
    expect(page.get_by_text("Not connected yet: save your keys, then Test connection.")).to_be_visible()

    # The webhook to paste into Stripe, and the events to select.
    expect(page.locator("#webhook-url")).to_have_text(f"{e2e_server.base_url}/api/stripe/webhook")
    for event in ("checkout.session.completed", "checkout.session.expired", "charge.refunded"):
        expect(page.locator("#webhook-events").get_by_text(event, exact=True)).to_be_visible()

    # A publishable key is refused next to its box.
    save = live_button(page, "Save keys")
    page.get_by_label("Secret key").fill("pk_live_51HqPublishableKey000000")
    save.click()
    expect(field_of(page, "secret_key").get_by_role("alert")).to_contain_text("That is the publishable key")

    # A key Stripe refuses: saved, but Test connection says why next to the key.
    page.get_by_label("Secret key").fill(REVOKED_KEY)
    page.get_by_label("Webhook signing secret").fill(WEBHOOK_SECRET)
    save.click()
    expect(toast(page, "Stripe keys saved.")).to_be_visible()
    expect(page.locator("#saved-secret-key")).to_have_text("sk_test_…oked")
    page.get_by_role("button", name="Test connection").click()
    expect(field_of(page, "secret_key").get_by_role("alert")).to_contain_text("Stripe refused this key: Invalid API Key provided")
    expect(toast(page, "The connection was not tested.")).to_be_visible()  # true of every refusal, a missing key too
    expect(page.get_by_text("Not connected yet: save your keys, then Test connection.")).to_be_visible()

    # The real key; the signing secret box left empty keeps the saved one.
    page.get_by_label("Secret key").fill(API_KEY)
    save.click()
    expect(page.locator("#saved-secret-key")).to_have_text("sk_test_…_key")
    expect(page.locator("#saved-webhook-secret")).to_have_text("whsec_…cret")
    expect(page.get_by_label("Secret key")).to_have_value("")  # never put back in a box
    expect(page.get_by_label("Secret key")).to_have_attribute("type", "password")
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#stripe-connection")).to_contain_text(f"Connected to {ACCOUNT_NAME} — test mode")
    html = page.content()
    assert API_KEY not in html and WEBHOOK_SECRET not in html
    with db_session() as session:
        row = session.exec(select(Shop)).one()
        assert row.stripe_checked_at is not None and API_KEY not in row.stripe_secret_key

    # The key survives a reload, still masked; the Dashboard ticks Stripe.
    page.reload()
    expect(page.locator("#saved-secret-key")).to_have_text("sk_test_…_key")
    expect(page.locator("#stripe-connection")).to_contain_text(f"Connected to {ACCOUNT_NAME} — test mode")
    page.goto("/")
    _expect_ticked(page, True)

    # Remove keys (confirmed): not connected any more.
    page.goto("/settings/payments")
    staff_page_live(page, shop.name)
    page.get_by_role("button", name="Remove keys").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove keys").click()
    expect(toast(page, "Stripe keys removed.")).to_be_visible()
    expect(page.get_by_text("Not connected yet: save your keys, then Test connection.")).to_be_visible()
    page.goto("/")
    _expect_ticked(page, False)


def test_invoice_defaults_with_the_next_number_rule(shop, make_customer, page, sign_in_as, db_session):
    customer = make_customer("Numbered Co", email="ann@numbered.example")
    with db_session() as session:  # an invoice already numbered SE-0009
        session.add(Invoice(customer_id=customer.id, number="SE-0009", status=InvoiceStatus.SENT, total_cents=100))
    sign_in_as(page, shop, "/settings/payments")
    staff_page_live(page, shop.name)
    expect(page.locator("#invoice-currency")).to_have_text("USD")
    expect(page.locator("#next-invoice")).to_have_text("Next invoice: INV-0001")
    page.get_by_label("Default tax rate, %").fill("8.875")
    page.get_by_label("Invoice number prefix").fill("SE-")
    page.get_by_label("Next number").fill("9")
    expect(page.locator("#next-invoice")).to_have_text("Next invoice: SE-0009")
    page.get_by_label("Payment terms").fill("30")
    page.get_by_label("Payment instructions").fill("Checks payable to Smith Embroidery.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(field_of(page, "invoice_next_number").get_by_role("alert")).to_have_text("SE-0009 is already used: the next number must be 10 or more.")
    with db_session() as session:
        assert session.exec(select(Shop)).one().invoice_prefix == "INV-"  # refused: nothing saved
    page.get_by_label("Next number").fill("10")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(toast(page, "Invoice settings saved.")).to_be_visible()
    expect(page.locator("#next-invoice")).to_have_text("Next invoice: SE-0010")
    with db_session() as session:
        row = session.exec(select(Shop)).one()
        assert (row.tax_rate, row.invoice_prefix, row.invoice_next_number, row.payment_terms_days) == (8875, "SE-", 10, 30)
        assert row.payment_instructions == "Checks payable to Smith Embroidery."


def test_staff_are_told_payments_are_the_owners(shop, page, sign_in_as, db_session):
    with db_session() as session:
        member = staff_service.add_staff(session, owner_principal(shop), name="Sam Stitcher", email="sam@smith.example", password="needle and thread 42")
    staff = type(shop)(member.id, "Sam Stitcher", "sam@smith.example", "needle and thread 42", shop.shop_name)
    sign_in_as(page, staff, "/settings/payments")
    staff_page_live(page, "Sam Stitcher")
    expect(page.get_by_text("Only the owner can change payments.")).to_be_visible()
    expect(page.get_by_label("Secret key")).to_have_count(0)
    expect(page.get_by_role("button", name="Test connection")).to_have_count(0)


def test_invoice_reminders_in_automations(shop, page, sign_in_as, db_session):
    sign_in_as(page, shop, "/settings/automations")
    staff_page_live(page, shop.name)
    card = page.locator("#invoice-reminders")
    expect(card.get_by_label("Days before the due date")).to_have_value("3")
    expect(card.get_by_label("Days after the due date")).to_have_value("1, 7, 14")
    card.get_by_label("Remind clients of unpaid invoices").click()
    card.get_by_label("Days after the due date").fill("1, seven")
    card.get_by_role("button", name="Save invoice reminders").click()
    expect(field_of(page, "invoice_after_days").get_by_role("alert")).to_contain_text("separated by commas, like 1, 7, 14")
    with db_session() as session:
        assert not session.exec(select(Shop)).one().invoice_reminders  # refused: nothing saved
    card.get_by_label("Days before the due date").fill("2")
    card.get_by_label("Days after the due date").fill("10, 2")
    card.get_by_role("button", name="Save invoice reminders").click()
    expect(toast(page, "Invoice reminders on: 2 day(s) before and 2, 10 day(s) after the due date.")).to_be_visible()
    expect(card.get_by_label("Days after the due date")).to_have_value("2, 10")
    with db_session() as session:
        row = session.exec(select(Shop)).one()
        assert (row.invoice_reminders, row.invoice_reminder_before_days, row.invoice_reminder_after_days) == (True, 2, "2,10")
