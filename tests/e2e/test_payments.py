"""In a real browser: issue 9's loop. Staff create and send an invoice from the job page (the
email with the PDF lands in the mailbox); the client sees Pay Now in the portal, pays on the
(fake) Stripe Checkout page, comes back to the portal and sees Paid; the receipt lands; staff
see it paid, and the customer's Open Invoices is back to $0."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from kontrol_app.models import EmailKind

from .conftest import OWNER_NAME, owner_principal
from .pages import staff_page_live


def _connect_stripe(e2e_server, shop, e2e_stripe) -> None:
    """Settings -> Payments as the owner would fill it (tests/e2e/test_payments_settings.py
    drives that page itself)."""
    from kontrol_app.services import stripe_account

    with e2e_server.session() as session:
        stripe_account.save_keys(
            session, owner_principal(shop), secret_key=next(iter(e2e_stripe.valid_keys)), webhook_secret=e2e_stripe.webhook_secret
        )


def test_staff_send_an_invoice_and_the_client_pays_it_by_card(
    shop, server_settings, e2e_server, e2e_stripe, make_customer, make_job, new_context, sign_in_as, portal_sign_in, outbox
):
    _connect_stripe(e2e_server, shop, e2e_stripe)
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    job_id = make_job(acme.id, "Spring League T-Shirts", quantity=12, status="artwork")

    # Staff: Open the job -> Create Invoice -> add line items -> Send Invoice.
    staff = new_context().new_page()
    sign_in_as(staff, shop, f"/jobs/{job_id}")
    staff_page_live(staff, OWNER_NAME)
    staff.get_by_role("tab", name="Invoices").click()
    staff.get_by_role("button", name="Create Invoice").click()
    staff.get_by_label("Unit price", exact=False).first.fill("70.00")  # 12 x $70.00 = $840.00
    staff.get_by_role("button", name="Send Invoice").first.click()
    expect(staff.get_by_text("INV-0001").first).to_be_visible()

    [sent] = outbox(EmailKind.INVOICE_SENT, to=acme.email)
    assert sent.subject.startswith("Invoice INV-0001 from") and sent.attachment_name == "INV-0001.pdf"
    [link] = set(re.findall(r"https?://\S+\?invoice=\d+", sent.text_body))

    # The client follows the email's link, signs in, and lands on the Invoices tab.
    client = new_context().new_page()
    client.set_viewport_size({"width": 375, "height": 812})
    portal_sign_in(client, link, acme.email)
    card = client.locator(".invoice-card").filter(has_text="INV-0001")
    expect(card).to_contain_text("Spring League T-Shirts")
    expect(card).to_contain_text("$840.00")
    expect(card.get_by_role("link", name="Download PDF of INV-0001")).to_be_visible()

    # Pay Now -> Stripe's page (the fake) -> Pay -> back to the portal, paid.
    card.get_by_role("button", name="Pay Now").click()
    expect(client).to_have_url(re.compile(re.escape(e2e_stripe.url) + r"/checkout/cs_"))
    client.get_by_role("button", name="Pay").click()
    expect(client.locator("#payment-return")).to_have_text("Thank you — your payment was received.")
    card = client.locator(".invoice-card").filter(has_text="INV-0001")
    expect(card.locator(".invoice-status")).to_have_text(re.compile(r"^Paid "))
    expect(card.get_by_role("button", name="Pay Now")).to_have_count(0)

    # The receipt went to the client; the shop's bell rang.
    [receipt] = outbox(EmailKind.PAYMENT_RECEIPT, to=acme.email)
    assert "INV-0001" in receipt.subject
    expect(staff.locator("#notifications-count")).to_have_text("1", timeout=10_000)

    # Staff see it paid, and the customer owes nothing.
    staff.goto("/invoices")
    staff_page_live(staff, OWNER_NAME)
    row = staff.get_by_role("row").filter(has_text="INV-0001")
    expect(row).to_contain_text("Paid")
    staff.goto(f"/customers/{acme.id}")
    expect(staff.get_by_text("Open Invoices").locator("..")).to_contain_text("$0.00")
