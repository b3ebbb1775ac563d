"""Pay Now and getting paid: the real Stripe SDK over real HTTP against the fake Stripe
(tests/fakes/stripe_server.py), webhooks through the real route. Every fault Stripe's
webhooks can throw ends with no double payment and the right final state."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlmodel import Session, select

from kontrol_app.models import (
    CheckoutAttempt,
    CustomerContact,
    Invoice,
    InvoicePayment,
    InvoiceStatus,
    Notification,
    OutboxEmail,
    StripeEvent,
)
from kontrol_app.services import invoices, payments
from kontrol_app.settings import get_settings
from tests.factories import make_customer, make_invoice, make_job
from tests.fakes.stripe_server import API_KEY, WEBHOOK_SECRET, server_error, unauthorized
from tests.helpers.concurrency import all_at_once

WEBHOOK = "/api/stripe/webhook"


@pytest.fixture
def stripe_env(fake_stripe, monkeypatch, database):
    monkeypatch.setenv("STRIPE_SECRET_KEY", API_KEY)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("STRIPE_API_BASE", fake_stripe.url)
    get_settings.cache_clear()
    yield fake_stripe
    get_settings.cache_clear()


@pytest.fixture
def shop(session: Session, owner, stripe_env) -> dict:
    customer = make_customer(session, owner, "Smith Embroidery", "sarah@example.com")
    job = make_job(session, owner, customer, "Spring League T-Shirts")
    invoice = make_invoice(session, owner, job, [("Shirts", "10", "84.00")], send=True)  # $840.00
    contact = session.exec(select(CustomerContact).where(CustomerContact.customer_id == customer)).first()
    return {"customer": customer, "job": job, "invoice": invoice, "contact": contact.id, "owner": owner}


def _checkout(session: Session, shop: dict, invoice_ids: list[int] | None = None) -> str:
    """Pay Now as the client presses it; returns the Checkout Session id."""
    url = payments.start_checkout(
        session, shop["customer"], shop["contact"], "sarah@example.com", [shop["invoice"]] if invoice_ids is None else invoice_ids
    )
    session.commit()
    return url.rsplit("/", 1)[1]


def _post(api_client, fake, event, **signing) -> int:
    body, header = fake.signed(event, **signing)
    return api_client.post(WEBHOOK, content=body, headers={"stripe-signature": header, "content-type": "application/json"}).status_code


def _payments(session: Session) -> list[InvoicePayment]:
    session.expire_all()
    return list(session.exec(select(InvoicePayment).order_by(InvoicePayment.id)).all())


def _invoice(session: Session, invoice_id: int) -> Invoice:
    session.expire_all()
    return session.get(Invoice, invoice_id)


# --- Pay Now --------------------------------------------------------------------------------------


def test_pay_now_asks_stripe_for_the_balance_in_the_shop_currency(session, shop, stripe_env):
    session_id = _checkout(session, shop)
    created = [r for r in stripe_env.api_requests if r.method == "POST" and r.path == "/v1/checkout/sessions"][0]
    params = created.params
    assert params["mode"] == "payment"
    line = params["line_items"][0]
    assert line["price_data"]["unit_amount"] == "84000" and line["price_data"]["currency"] == "usd"
    assert line["price_data"]["product_data"]["name"] == "INV-0001"
    assert params["customer_email"] == "sarah@example.com"
    assert params["metadata"]["invoice_ids"] == str(shop["invoice"])
    assert "{CHECKOUT_SESSION_ID}" in params["success_url"] and "/public/portal/" in params["cancel_url"]
    assert created.idempotency_key and created.idempotency_key.startswith("checkout-")
    attempt = session.exec(select(CheckoutAttempt)).one()
    assert (attempt.session_id, attempt.amount_cents, attempt.currency) == (session_id, 84_000, "USD")


def test_a_double_click_makes_one_checkout(session, shop, stripe_env):
    assert _checkout(session, shop) == _checkout(session, shop)
    assert len(stripe_env.sessions) == 1
    assert len(session.exec(select(CheckoutAttempt)).all()) == 1


def test_a_deposit_is_asked_first(session, shop, stripe_env):
    invoice = make_invoice(session, shop["owner"], shop["job"], [("Hoodies", "20", "30.00")], deposit_kind="percent", deposit="50", send=True)
    _checkout(session, shop, [invoice])
    line = stripe_env.api_requests[-1].params["line_items"][0]
    assert line["price_data"]["unit_amount"] == "30000"
    assert line["price_data"]["product_data"]["name"] == "INV-0002 — deposit"


def test_pay_all_open_invoices_is_one_checkout_for_every_open_balance(session, shop, stripe_env):
    second = make_invoice(session, shop["owner"], shop["job"], [("Hats", "12", "10.00")], send=True)
    invoices.record_payment(session, shop["owner"], second, amount="20", method="cash")
    make_invoice(session, shop["owner"], shop["job"], [("Draft", "1", "99")])  # a draft is never paid
    session.commit()
    session_id = payments.start_checkout(session, shop["customer"], shop["contact"], "sarah@example.com", None).rsplit("/", 1)[1]
    session.commit()
    assert stripe_env.sessions[session_id]["amount_total"] == 84_000 + 10_000
    stripe_env.complete(session_id)
    assert payments.fulfil(session, session_id).outcome == "paid"
    session.commit()
    assert _invoice(session, shop["invoice"]).status == InvoiceStatus.PAID
    assert _invoice(session, second).status == InvoiceStatus.PAID


@pytest.mark.parametrize("fault", ["unreachable", "revoked", "no_key"])
def test_when_stripe_cannot_take_the_payment_the_client_is_told_and_nothing_changes(session, shop, stripe_env, monkeypatch, fault):
    if fault == "unreachable":
        stripe_env.script(server_error(), server_error(), server_error())
    elif fault == "revoked":
        stripe_env.script(unauthorized())
    else:
        monkeypatch.delenv("STRIPE_SECRET_KEY")
        get_settings.cache_clear()
    with pytest.raises(payments.PaymentUnavailable, match="Card payment is not available right now — contact Test Print Co."):
        _checkout(session, shop)
    session.rollback()
    assert session.exec(select(CheckoutAttempt)).all() == []


def test_nothing_to_pay_and_foreign_invoices_are_refused(session, shop, stripe_env, owner):
    other = make_job(session, owner, make_customer(session, owner, "Other Co", "o@example.com"), "Other job")
    foreign = make_invoice(session, owner, other, send=True)
    with pytest.raises(payments.NotFound):
        _checkout(session, shop, [foreign])
    draft = make_invoice(session, owner, shop["job"])
    with pytest.raises(payments.NotFound):
        _checkout(session, shop, [draft])
    assert stripe_env.api_requests == []


# --- getting paid ----------------------------------------------------------------------------------


def test_the_webhook_marks_it_paid_sends_the_receipt_and_tells_the_staff(session, shop, stripe_env, api_client):
    session_id = _checkout(session, shop)
    event = stripe_env.complete(session_id)
    assert _post(api_client, stripe_env, event) == 200
    invoice = _invoice(session, shop["invoice"])
    assert invoice.status == InvoiceStatus.PAID and invoices.balance(invoice) == 0
    [payment] = _payments(session)
    assert (payment.amount_cents, payment.method, payment.stripe_session_id) == (84_000, "stripe", session_id)
    assert payment.stripe_payment_intent == stripe_env.sessions[session_id]["payment_intent"]
    kinds = [e.kind for e in session.exec(select(OutboxEmail)).all()]
    assert kinds.count("payment_receipt") == 1
    assert session.exec(select(Notification).where(Notification.kind == "payment")).one().title == "Smith Embroidery paid $840.00"


def test_the_same_event_delivered_eight_times_pays_once(session, shop, stripe_env, api_client):
    event = stripe_env.complete(_checkout(session, shop))
    assert [_post(api_client, stripe_env, event) for _ in range(8)] == [200] * 8
    assert len(_payments(session)) == 1
    assert _invoice(session, shop["invoice"]).paid_cents == 84_000
    assert len(session.exec(select(StripeEvent)).all()) == 1


def test_eight_concurrent_deliveries_pay_once(session, shop, stripe_env):
    event = stripe_env.complete(_checkout(session, shop))
    body, header = stripe_env.signed(event)
    results = all_at_once(8, lambda worker: payments.receive_webhook(worker, body, header))
    # One delivery records it; the others find it done, or lose the race and are retried by Stripe.
    assert [r for r in results if r == "paid"] == ["paid"], results
    assert len(_payments(session)) == 1
    assert _invoice(session, shop["invoice"]).paid_cents == 84_000


def test_the_return_page_racing_the_webhook_pays_once(session, shop, stripe_env, api_client):
    session_id = _checkout(session, shop)
    event = stripe_env.complete(session_id)
    outcomes = []
    thread = threading.Thread(target=lambda: outcomes.append(_post(api_client, stripe_env, event)))
    thread.start()
    with Session(session.get_bind()) as other:
        returned = payments.return_from_checkout(other, shop["customer"], session_id)
        other.commit()
    thread.join(30)
    assert outcomes == [200] and returned.outcome in ("paid", "already_paid")
    assert len(_payments(session)) == 1


def test_the_return_page_never_trusts_the_query_string(session, shop, stripe_env, owner):
    session_id = _checkout(session, shop)  # not paid on Stripe's side
    assert payments.return_from_checkout(session, shop["customer"], session_id).outcome == "failed"
    with pytest.raises(payments.NotFound):
        payments.return_from_checkout(session, shop["customer"], "cs_test_made_up")
    other = make_customer(session, owner, "Other Co", "o@example.com")
    with pytest.raises(payments.NotFound):  # someone else's checkout
        payments.return_from_checkout(session, other, session_id)
    assert _payments(session) == []


def test_events_out_of_order_end_in_the_right_state(session, shop, stripe_env, api_client):
    session_id = _checkout(session, shop)
    completed = stripe_env.complete(session_id)
    refunded = stripe_env.refund(session_id, 4_000)
    # The refund arrives first: the payment is not known yet, so Stripe is asked to retry.
    assert _post(api_client, stripe_env, refunded) == 500
    assert _post(api_client, stripe_env, completed) == 200
    assert _post(api_client, stripe_env, refunded) == 200
    assert _post(api_client, stripe_env, refunded) == 200  # and again: nothing more
    invoice = _invoice(session, shop["invoice"])
    assert (invoice.paid_cents, invoice.refunded_cents, invoice.status) == (80_000, 4_000, InvoiceStatus.PARTIALLY_PAID)
    assert invoices.invoice_detail(session, shop["owner"], shop["invoice"]).refunded == "$40.00"
    # An expiry notice for a session already paid changes nothing.
    assert _post(api_client, stripe_env, stripe_env.event("checkout.session.expired", stripe_env.session(session_id))) == 200
    assert session.exec(select(CheckoutAttempt.status)).one() == "paid"


def test_a_full_refund_reopens_the_whole_balance(session, shop, stripe_env, api_client):
    session_id = _checkout(session, shop)
    assert _post(api_client, stripe_env, stripe_env.complete(session_id)) == 200
    assert _post(api_client, stripe_env, stripe_env.refund(session_id)) == 200
    invoice = _invoice(session, shop["invoice"])
    assert (invoice.paid_cents, invoice.status, invoices.balance(invoice)) == (0, InvoiceStatus.SENT, 84_000)


def test_an_event_for_an_unknown_checkout_changes_nothing(session, shop, stripe_env, api_client):
    stranger = {"id": "cs_test_not_ours", "object": "checkout.session", "payment_status": "paid", "amount_total": 84_000}
    assert _post(api_client, stripe_env, stripe_env.event("checkout.session.completed", stranger)) == 200
    assert _payments(session) == []


@pytest.mark.parametrize("tamper", [{"amount_total": 100}, {"currency": "eur"}])
def test_a_wrong_amount_or_currency_is_not_recorded_and_the_staff_are_told(session, shop, stripe_env, api_client, tamper):
    session_id = _checkout(session, shop)
    event = stripe_env.complete(session_id)
    stripe_env.set_amount(session_id, **tamper)
    assert _post(api_client, stripe_env, event) == 200
    assert _payments(session) == []
    assert _invoice(session, shop["invoice"]).status == InvoiceStatus.SENT
    assert session.exec(select(CheckoutAttempt.status)).one() == "mismatch"
    assert session.exec(select(Notification.kind)).all() == ["payment_problem"]


@pytest.mark.parametrize("signing", [{"secret": "whsec_somebody_else"}, {"timestamp": int(time.time()) - 600}])
def test_a_bad_signature_or_a_stale_event_is_refused(session, shop, stripe_env, api_client, signing):
    event = stripe_env.complete(_checkout(session, shop))
    assert _post(api_client, stripe_env, event, **signing) == 400
    assert api_client.post(WEBHOOK, content=json.dumps(event)).status_code == 400  # unsigned
    assert _payments(session) == []


def test_stripe_failing_during_fulfilment_answers_500_and_writes_nothing(session, shop, stripe_env, api_client):
    event = stripe_env.complete(_checkout(session, shop))
    stripe_env.script(server_error(), server_error(), server_error())  # the SDK retries twice
    assert _post(api_client, stripe_env, event) == 500
    assert _payments(session) == [] and session.exec(select(StripeEvent)).all() == []
    assert session.exec(select(CheckoutAttempt.status)).one() == "open"
    assert _post(api_client, stripe_env, event) == 200  # Stripe's retry
    assert _invoice(session, shop["invoice"]).status == InvoiceStatus.PAID


def test_a_delayed_payment_is_recorded_when_it_settles_and_a_failure_leaves_the_invoice_open(session, shop, stripe_env, api_client):
    stripe_env.async_payments = True
    session_id = _checkout(session, shop)
    assert _post(api_client, stripe_env, stripe_env.complete(session_id)) == 200
    assert _payments(session) == []
    assert _post(api_client, stripe_env, stripe_env.settle_async(session_id, succeed=True)) == 200
    assert _invoice(session, shop["invoice"]).status == InvoiceStatus.PAID

    second = make_invoice(session, shop["owner"], shop["job"], [("Caps", "5", "10")], send=True)
    failing = _checkout(session, shop, [second])
    assert _post(api_client, stripe_env, stripe_env.complete(failing)) == 200
    assert _post(api_client, stripe_env, stripe_env.settle_async(failing, succeed=False)) == 200
    assert _invoice(session, second).status == InvoiceStatus.SENT
    session.expire_all()
    assert session.exec(select(CheckoutAttempt.status).where(CheckoutAttempt.session_id == failing)).one() == "failed"
