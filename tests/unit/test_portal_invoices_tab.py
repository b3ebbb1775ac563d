"""The portal's Invoices tab as the browser drives it (its state, through Reflex's handlers):
the cards, Pay Now when Stripe cannot take the card, the return page with a made-up session,
and a `?invoice=` link opening the tab."""

from __future__ import annotations

from datetime import timedelta

import pytest
from reflex.state import State
from sqlmodel import Session, select

import kontrol_app.kontrol_app  # noqa: F401  (registers the portal page and its `link` route arg)
from kontrol_app.api.cookies import PORTAL_COOKIE
from kontrol_app.models import CheckoutAttempt, Customer, CustomerContact, utcnow
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
