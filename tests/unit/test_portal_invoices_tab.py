"""The portal's Invoices tab as the browser drives it (its state, through Reflex's handlers):
the cards, Pay Now offered only when the shop can take cards (else how to pay the shop), Pay
Now refused all the same from a stale page, View (lines, totals, payments; only the client's
own sent invoices), the return page with a made-up session, and a `?invoice=` link opening the
tab and that invoice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from reflex.state import State
from sqlmodel import Session, select

import kontrol_app.kontrol_app  # noqa: F401  (registers the portal page and its `link` route arg)
from kontrol_app.api.cookies import PORTAL_COOKIE
from kontrol_app.models import CheckoutAttempt, Customer, CustomerContact, Invoice, InvoiceStatus, utcnow
from kontrol_app.models import PortalSession as PortalSessionRow
from kontrol_app.services import invoices, portal_links
from kontrol_app.services.tokens import new_token, token_hash
from kontrol_app.ui.portal.session import PortalSession
from kontrol_app.ui.portal.tabs.invoices import InvoicesTab
from kontrol_app.ui.portal.tabs.nav import PortalTabs
from tests.factories import make_customer, make_invoice, make_job
from tests.helpers.states import browser_tab, run_handler, screen


@pytest.fixture
def client(session: Session, owner) -> dict:
    customer_id = make_customer(session, owner, "Acme Uniforms", "sarah@acme.example")
    job_id = make_job(session, owner, customer_id, "Spring League T-Shirts", quantity="12")
    invoice_id = make_invoice(session, owner, job_id, [("Shirts", "12", "70.00")], send=True)
    make_invoice(session, owner, job_id, [("Draft only", "1", "5")])
    contact = session.exec(select(CustomerContact).where(CustomerContact.customer_id == customer_id)).first()
    token = new_token()
    session.add(PortalSessionRow(customer_id=customer_id, contact_id=contact.id, token_hash=token_hash(token), expires_at=utcnow() + timedelta(days=1)))
    session.commit()
    link = portal_links.portal_path(session.get(Customer, customer_id)).rsplit("/", 1)[1]
    return {"link": link, "cookie": f"{PORTAL_COOKIE}={token}", "invoice_id": invoice_id, "owner": owner, "job_id": job_id}


def _open(client: dict, **query: str) -> State:
    search = "&".join(f"{k}={v}" for k, v in query.items())
    root = browser_tab(
        cookie=client["cookie"], query={"link": client["link"], **query},
        path=f"/public/portal/{client['link']}" + (f"?{search}" if search else ""),
    )
    run_handler(screen(root, PortalSession), "load")
    return root


def test_the_client_sees_sent_invoices_with_pay_now_and_never_a_draft(client):
    tab = screen(_open(client), InvoicesTab)
    [card] = tab.invoices
    assert card.heading.startswith("INV-0001 · ") and card.amount == "$840.00" and card.job_title == "Spring League T-Shirts"
    assert (card.pay_label, card.status_label) == ("Pay Now", "Sent")
    assert card.pdf_url == f"/api/invoices/{client['invoice_id']}/pdf"
    assert tab.open_count == 1


def test_paid_invoices_say_when_and_offer_no_pay_now(client, session):
    invoices.record_payment(session, client["owner"], client["invoice_id"], amount="840", method="cash")
    session.commit()
    [card] = screen(_open(client), InvoicesTab).invoices
    assert card.status_label.startswith("Paid ") and card.pay_label == ""


def test_pay_now_without_stripe_says_so_next_to_the_invoices_and_changes_nothing(client, session):
    root = _open(client)
    run_handler(screen(root, InvoicesTab), "pay", client["invoice_id"])
    assert screen(root, InvoicesTab).pay_error == "Card payment is not available right now — contact Test Print Co."
    assert session.exec(select(CheckoutAttempt)).all() == []


def test_a_made_up_return_from_stripe_is_not_taken_for_a_payment(client):
    root = _open(client, paid="cs_test_made_up")
    tab = screen(root, InvoicesTab)
    assert tab.return_message.startswith("We could not find that payment")
    assert screen(root, PortalTabs).tab == "invoices"
    assert tab.invoices[0].pay_label == "Pay Now"


def test_an_emailed_invoice_link_opens_the_invoices_tab(client):
    assert screen(_open(client, invoice=str(client["invoice_id"])), PortalTabs).tab == "invoices"
    assert screen(_open(client), PortalTabs).tab == "orders"


# --- card payments offered only when the shop can take them; View -------------------------------


@pytest.fixture
def stripe_key(fake_stripe, monkeypatch):
    """A Stripe key (the fake's), as STRIPE_SECRET_KEY sets it, not yet tested."""
    from kontrol_app.settings import get_settings
    from tests.fakes.stripe_server import API_KEY

    monkeypatch.setenv("STRIPE_SECRET_KEY", API_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", fake_stripe.url)
    get_settings.cache_clear()
    yield fake_stripe
    get_settings.cache_clear()


@pytest.fixture
def stripe_connected(stripe_key, client, session):
    """The shop can take cards: Settings -> Payments' Test connection accepted the key."""
    from kontrol_app.services import stripe_account

    stripe_account.test_connection(session, client["owner"])
    session.commit()
    return stripe_key


def test_without_stripe_no_pay_button_is_offered_and_the_card_says_whom_to_contact(client, session):
    make_invoice(session, client["owner"], client["job_id"], [("Hoodies", "2", "30")], send=True)  # two open: Pay all too
    tab = screen(_open(client), InvoicesTab)
    assert tab.open_count == 2  # something to pay on both...
    assert tab.card_payments is False  # ...but neither Pay Now nor Pay all open invoices shows
    assert tab.pay_offline == "To pay this invoice, contact Test Print Co."


def _payment_instructions(client, session, text: str) -> None:
    """Settings -> Payments' "Payment instructions", the other defaults as they were."""
    from kontrol_app.services import stripe_account

    stripe_account.update_payment_settings(
        session, client["owner"], tax_rate="", invoice_prefix="INV-", invoice_next_number="9",
        payment_terms_days="14", payment_instructions=text,
    )
    session.commit()


def test_without_stripe_the_shops_own_payment_instructions_say_how_to_pay(client, session):
    _payment_instructions(client, session, "Checks payable to Test Print Co.\nBank: 000-111")
    tab = screen(_open(client), InvoicesTab)
    assert (tab.card_payments, tab.pay_offline) == (False, "Checks payable to Test Print Co.\nBank: 000-111")


def test_a_key_never_tested_offers_no_pay_now_and_keeps_the_instructions(client, session, stripe_key):
    tab = screen(_open(client), InvoicesTab)
    assert (tab.card_payments, tab.pay_offline) == (False, "To pay this invoice, contact Test Print Co.")


def test_with_stripe_the_shops_payment_instructions_show_beside_pay_now(client, session, stripe_connected):
    _payment_instructions(client, session, "Checks payable to Test Print Co.")
    tab = screen(_open(client), InvoicesTab)
    assert (tab.card_payments, tab.pay_offline) == (True, "Checks payable to Test Print Co.")


def test_with_stripe_pay_now_is_offered_and_takes_the_client_to_checkout(client, session, stripe_connected):
    root = _open(client)
    tab = screen(root, InvoicesTab)
    assert (tab.card_payments, tab.pay_offline) == (True, "")
    assert tab.invoices[0].pay_label == "Pay Now"
    run_handler(tab, "pay", client["invoice_id"])
    assert screen(root, InvoicesTab).pay_error == ""
    [attempt] = session.exec(select(CheckoutAttempt)).all()
    assert attempt.amount_cents == 84_000


def test_view_shows_the_lines_totals_and_payments_and_a_second_click_hides_them(client, session):
    invoices.record_payment(session, client["owner"], client["invoice_id"], amount="40", method="check", reference="Check 1234")
    session.commit()
    root = _open(client)
    run_handler(screen(root, InvoicesTab), "view_invoice", client["invoice_id"])
    tab = screen(root, InvoicesTab)
    assert tab.detail_id == client["invoice_id"]
    assert tab.detail_lines == [{"description": "Shirts", "quantity": "12", "unit_price": "$70.00", "amount": "$840.00"}]
    assert [(row["label"], row["amount"]) for row in tab.detail_totals] == [
        ("Subtotal", "$840.00"), ("Total", "$840.00"), ("Paid", "$40.00"), ("Balance", "$800.00"),
    ]
    [payment] = tab.detail_payments
    assert (payment["kind"], payment["amount"], payment["method"]) == ("Payment", "$40.00", "Check")
    assert "Check 1234" not in str(tab.detail_payments)  # staff's reference and who recorded it stay with staff
    run_handler(tab, "view_invoice", client["invoice_id"])
    assert screen(root, InvoicesTab).detail_id == 0


def test_view_never_opens_a_draft_or_another_customers_invoice(client, session):
    draft_id = session.exec(select(Invoice.id).where(Invoice.status == InvoiceStatus.DRAFT)).one()
    other = make_customer(session, client["owner"], "Other Co", "other@example.com")
    other_job = make_job(session, client["owner"], other, "Other Job")
    foreign_id = make_invoice(session, client["owner"], other_job, [("Secret widget", "1", "99")], send=True)
    root = _open(client)
    for invoice_id in (draft_id, foreign_id, 999_999):
        run_handler(screen(root, InvoicesTab), "view_invoice", invoice_id)
        tab = screen(root, InvoicesTab)
        assert (tab.detail_id, tab.detail_lines) == (0, [])


def test_an_emailed_invoice_link_opens_that_invoice_details(client):
    tab = screen(_open(client, invoice=str(client["invoice_id"])), InvoicesTab)
    assert tab.detail_id == client["invoice_id"] and tab.detail_lines[0]["description"] == "Shirts"
