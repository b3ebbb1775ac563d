"""In a real browser: issue 9's loop. Staff create and send an invoice from the job page (the
email with the PDF lands in the mailbox); the client sees Pay Now in the portal, pays on the
(fake) Stripe Checkout page, comes back to the portal and sees Paid; the receipt lands; staff
see it paid, and the customer's Open Invoices is back to $0."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import select

from kontrol_app.models import EmailKind, Shop, utcnow

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
        # Test connection's success (the server asks the fake Stripe; this process knows no Stripe).
        row = session.exec(select(Shop)).one()
        row.stripe_account_name, row.stripe_checked_at = "Fake Print Shop", utcnow()
        session.add(row)


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


def test_without_stripe_staff_are_told_and_the_portal_offers_no_card_payment(
    shop, server_settings, e2e_server, e2e_stripe, make_customer, make_job, new_context, sign_in_as, portal_sign_in, outbox
):
    """The shop has not connected Stripe: Send Invoice carries a note (and still sends); the
    client sees how to pay the shop instead of Pay Now / Pay deposit / Pay all, can View the
    invoice's lines and download the PDF. Connected later, the buttons appear; a page still
    showing them after the key is removed is refused by the server."""
    from kontrol_app.services import staff as staff_service
    from kontrol_app.services import stripe_account
    from tests.factories import make_invoice

    from .a11y import assert_accessible

    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    job_id = make_job(acme.id, "Spring League T-Shirts", quantity=12, status="artwork")
    hoodies = make_job(acme.id, "Holiday Hoodies", quantity=6)
    with e2e_server.session() as session:  # INV-0001: a deposit is due first
        make_invoice(session, owner_principal(shop), hoodies, [("Hoodies", "6", "66")], send=True, deposit_kind="amount", deposit="100")

    # Staff: the note by Send Invoice, with the way to Settings -> Payments; sending works.
    staff = new_context().new_page()
    sign_in_as(staff, shop, f"/jobs/{job_id}")
    staff_page_live(staff, OWNER_NAME)
    staff.get_by_role("tab", name="Invoices").click()
    staff.get_by_role("button", name="Create Invoice").click()
    note = staff.locator("#invoice-editor .card-payments-note")
    expect(note).to_contain_text("Clients can't pay by card yet: connect Stripe in Settings → Payments.")
    expect(note.get_by_role("link", name="Settings → Payments")).to_have_attribute("href", "/settings/payments")
    # A team member can't open Settings -> Payments: told who can.
    with e2e_server.session() as session:
        member = staff_service.add_staff(session, owner_principal(shop), name="Tom Press", email="tom@shop.example",
                                         password="press-on-123")
    colleague = new_context().new_page()
    sign_in_as(colleague, member, f"/jobs/{job_id}")
    staff_page_live(colleague, "Tom Press")
    colleague.get_by_role("tab", name="Invoices").click()
    colleague.get_by_role("button", name="Create Invoice").click()
    expect(colleague.locator("#invoice-editor .card-payments-note")).to_contain_text(
        "Clients can't pay by card yet: the shop's owner can connect Stripe in Settings → Payments."
    )
    colleague.close()
    staff.get_by_label("Unit price", exact=False).first.fill("70.00")  # 12 x $70.00 = $840.00
    staff.get_by_role("button", name="Send Invoice").first.click()
    expect(staff.locator("#invoice-title")).to_have_text("INV-0002")
    [sent] = [e for e in outbox(EmailKind.INVOICE_SENT, to=acme.email) if e.subject.startswith("Invoice INV-0002 from")]
    [link] = set(re.findall(r"https?://\S+\?invoice=\d+", sent.text_body))

    # The client: no card buttons anywhere, whom to contact instead, the PDF, and View.
    client = new_context().new_page()
    portal_sign_in(client, link, acme.email)
    cards = client.locator(".invoice-card")
    expect(cards).to_have_count(2)
    for card in (cards.filter(has_text="INV-0001"), cards.filter(has_text="INV-0002")):
        expect(card.locator(".pay-offline")).to_have_text(f"To pay this invoice, contact {shop.shop_name}.")
        expect(card.get_by_role("button", name=re.compile(r"^Pay"))).to_have_count(0)
    expect(client.get_by_role("button", name="Pay all open invoices")).to_have_count(0)
    card = cards.filter(has_text="INV-0002")
    expect(card.get_by_role("link", name="Download PDF of INV-0002")).to_be_visible()
    # The emailed link opened this invoice's details: its lines, totals and balance.
    details = card.locator(".invoice-details")
    expect(details.locator(".invoice-line")).to_have_text(["Spring League T-Shirts12$70.00$840.00"])
    expect(details.locator(".invoice-total-row").last).to_have_text("Balance$840.00")
    assert_accessible(client, "the portal's invoice with its details open, without Stripe")
    card.get_by_role("button", name="Hide details of INV-0002").click()
    expect(details).to_have_count(0)
    other = cards.filter(has_text="INV-0001")
    other.get_by_role("button", name="View INV-0001").click()
    expect(other.locator(".invoice-line")).to_have_text(["Hoodies6$66.00$396.00"])
    expect(other.locator(".invoice-total-row").filter(has_text="Deposit")).to_have_text("Deposit$100.00")

    # Stripe connected: the buttons come (after a reload), the contact line goes.
    _connect_stripe(e2e_server, shop, e2e_stripe)
    client.reload()
    card = client.locator(".invoice-card").filter(has_text="INV-0002")
    expect(card.get_by_role("button", name="Pay Now")).to_be_visible()
    expect(client.locator(".invoice-card").filter(has_text="INV-0001").get_by_role("button", name="Pay deposit $100.00")).to_be_visible()
    expect(client.get_by_role("button", name="Pay all open invoices")).to_be_visible()
    expect(client.locator(".pay-offline")).to_have_count(0)

    # The keys removed while this page still shows Pay Now: the server refuses it.
    with e2e_server.session() as session:
        stripe_account.remove_keys(session, owner_principal(shop))
    card.get_by_role("button", name="Pay Now").click()
    expect(client.locator("#pay-error")).to_have_text(f"Card payment is not available right now — contact {shop.shop_name}.")
