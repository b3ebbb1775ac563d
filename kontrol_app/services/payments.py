"""Card payments through Stripe Checkout: Pay Now, and getting paid exactly once.

Pay Now creates a Checkout Session on the server for what the client owes (the deposit, or
the balance; "Pay all open invoices" takes every open balance) and remembers exactly what it
asked for in a `CheckoutAttempt`. Both the webhook and the portal's return page call one
idempotent `fulfil(session_id)`: it re-fetches the session from Stripe (a query string or an
event body is never trusted for money), checks it is paid and that the amount and currency
are what we asked, and in one transaction records the payments, settles the invoices, queues
the receipt and tells the staff. The attempt is claimed with one conditional UPDATE, so of
eight concurrent deliveries exactly one records anything; `(session, invoice)` is unique in
`invoice_payment` as a second lock on the same door.

Webhook events are verified with Stripe's own `construct_event` (5-minute tolerance); an
event id already handled changes nothing. When Stripe cannot be reached during fulfilment the
webhook answers 500 and Stripe delivers again later: nothing is half-written.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

import stripe
from sqlalchemy import update
from sqlmodel import Session, select

from kontrol_app.models import (
    CheckoutAttempt,
    Customer,
    Invoice,
    InvoicePayment,
    PaymentMethod,
    StripeEvent,
    utcnow,
)
from kontrol_app.services import invoices, notifications, stripe_account
from kontrol_app.services.clock import shop_today
from kontrol_app.services.errors import NotAllowed, NotFound, ServiceError
from kontrol_app.services.invoices.records import _lock
from kontrol_app.services.money import format_money
from kontrol_app.services.portal_links import portal_url
from kontrol_app.services.shop import display_name, get_shop, shop_info, shop_timezone
from kontrol_app.settings import get_settings

log = logging.getLogger(__name__)

WEBHOOK_TOLERANCE_SECONDS = 300
HANDLED_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
)
# How long an unfulfilled checkout may still turn into a payment we have not heard about
# (Stripe's sessions expire after 24 h; its retries of an event go on for 3 days).
PENDING_WINDOW = timedelta(days=3)


class PaymentUnavailable(ServiceError):
    """Card payment cannot start (no key, Stripe unreachable, the key revoked)."""


class StripeUnreachable(Exception):
    """Stripe did not answer during fulfilment: nothing was written; try again later."""


class WebhookRefused(Exception):
    """The request is not a genuine, fresh Stripe event (answer 400)."""


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."


def _unavailable(session: Session) -> PaymentUnavailable:
    return PaymentUnavailable(_sentence(f"Card payment is not available right now — contact {display_name(shop_info(session))}"))


def card_payments_available(session: Session) -> bool:
    """Whether clients are offered Pay Now: Stripe accepted the current key in Settings ->
    Payments' Test connection (the environment's key or the saved one). A key saved but never
    tested (a typo, a revoked key) would offer a button that only fails, in place of the shop's
    own payment instructions; `start_checkout` stays the guard when Stripe refuses later."""
    return stripe_account.is_connected(session)


@dataclass(frozen=True)
class PayOptions:
    card: bool  # Pay Now, Pay deposit, Pay all open invoices are offered
    offline: str  # how else to pay, shown on an invoice with something to pay ("" for none)


def pay_options(session: Session) -> PayOptions:
    """How the portal's Invoices tab offers payment: by card when the shop can take it, and the
    shop's own payment instructions (Settings -> Payments, printed on the PDF as "How to pay")
    beside it, as on the PDF; with neither, "To pay this invoice, contact <shop>."."""
    shop = get_shop(session)
    instructions = (shop.payment_instructions if shop is not None else "").strip()
    if card_payments_available(session):
        return PayOptions(True, instructions)
    return PayOptions(False, instructions or _sentence(f"To pay this invoice, contact {display_name(shop_info(session))}"))


def invoice_email_data(session: Session) -> dict[str, str]:
    """What an invoice's email says about paying (sent, reminded): "View and pay" only when the
    portal offers Pay Now, and the shop's instructions (or whom to contact) as the portal shows."""
    options = pay_options(session)
    return {"pay_online": "1" if options.card else "", "how_to_pay": options.offline}


# --- Pay Now ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Allocation:
    invoice_id: int
    number: str
    amount_cents: int
    kind: str  # "deposit" or "balance"


def _allocations(session: Session, customer_id: int, invoice_ids: list[int] | None) -> list[Allocation]:
    """What this checkout pays: one invoice's amount due now, or (None) every open balance."""
    if invoice_ids is None:
        rows = session.exec(
            select(Invoice)
            .where(Invoice.customer_id == customer_id, Invoice.status.in_([s.value for s in invoices.OPEN]))
            .order_by(Invoice.id)
        ).all()
        chosen = [(row, ("balance", invoices.balance(row))) for row in rows]
    else:
        chosen = []
        for invoice_id in invoice_ids:
            row = invoices.portal_invoice(session, customer_id, invoice_id)
            chosen.append((row, invoices.due_now(row)))
    allocations = [Allocation(row.id, row.number or "", amount, kind) for row, (kind, amount) in chosen if amount > 0]
    if not allocations:
        raise NotAllowed("There is nothing to pay on this invoice." if invoice_ids else "You have no open invoices.")
    return allocations


def start_checkout(
    session: Session, customer_id: int, contact_id: int | None, email: str, invoice_ids: list[int] | None
) -> str:
    """Create the Checkout Session and return Stripe's page to send the browser to.

    The idempotency key names what is being paid and the amounts still owed, within the hour:
    a double click (or a retry after a timeout) gets the same session, not a second one."""
    allocations = _allocations(session, customer_id, invoice_ids)
    client = stripe_account.client(session)
    if client is None:
        raise _unavailable(session)
    customer = session.get(Customer, customer_id)
    currency = session.get(Invoice, allocations[0].invoice_id).currency
    if any(session.get(Invoice, a.invoice_id).currency != currency for a in allocations):
        raise NotAllowed("These invoices are in different currencies: pay them one at a time.")
    total = sum(a.amount_cents for a in allocations)
    base = portal_url(customer)
    ids = ",".join(str(a.invoice_id) for a in allocations)
    line_items = [
        {
            "quantity": 1,
            "price_data": {
                "currency": currency.lower(),
                "unit_amount": a.amount_cents,
                "product_data": {"name": f"{a.number} — deposit" if a.kind == "deposit" else a.number},
            },
        }
        for a in allocations
    ]
    params = {
        "mode": "payment",
        "line_items": line_items,
        "success_url": f"{base}?paid={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base}?tab=invoices",
        "client_reference_id": str(customer_id),
        "metadata": {"invoice_ids": ids, "customer_id": str(customer_id)},
        "payment_intent_data": {"metadata": {"invoice_ids": ids, "customer_id": str(customer_id)}},
    }
    if email:
        params["customer_email"] = email
    hour = utcnow().strftime("%Y%m%d%H")
    key = hashlib.sha256(f"kontrol:{customer_id}:{[(a.invoice_id, a.amount_cents) for a in allocations]}:{hour}".encode()).hexdigest()
    try:
        checkout = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": f"checkout-{key[:48]}"})
    except stripe.StripeError as error:
        log.warning("Stripe refused or did not answer a checkout for customer %s: %s", customer_id, error)
        raise _unavailable(session) from None
    if session.exec(select(CheckoutAttempt.id).where(CheckoutAttempt.session_id == checkout.id)).first() is None:
        session.add(
            CheckoutAttempt(
                session_id=checkout.id,
                customer_id=customer_id,
                contact_id=contact_id,
                allocations=json.dumps([{"invoice_id": a.invoice_id, "amount_cents": a.amount_cents} for a in allocations]),
                amount_cents=total,
                currency=currency,
            )
        )
        session.flush()
    return checkout.url


# --- fulfilment ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fulfilment:
    outcome: str  # paid, already_paid, processing, mismatch, unknown, failed, expired
    customer_id: int | None = None
    invoice_numbers: tuple[str, ...] = ()


def _retrieve(session: Session, session_id: str):
    client = stripe_account.client(session)
    if client is None:
        raise StripeUnreachable("no Stripe key")
    try:
        return client.v1.checkout.sessions.retrieve(session_id)
    except stripe.InvalidRequestError as error:
        if getattr(error, "http_status", None) == 404:
            return None
        raise StripeUnreachable(str(error)) from error
    except stripe.StripeError as error:
        raise StripeUnreachable(str(error)) from error


def _claim(session: Session, attempt: CheckoutAttempt, to: str, *, allowed: tuple[str, ...]) -> bool:
    """Move the attempt to `to` only from one of `allowed`, in one conditional UPDATE: of
    concurrent callers exactly one gets True."""
    claimed = session.exec(
        update(CheckoutAttempt)
        .where(CheckoutAttempt.id == attempt.id, CheckoutAttempt.status.in_(allowed))
        .values(status=to, completed_at=utcnow())
    ).rowcount
    session.expire(attempt)
    return claimed == 1


def fulfil(session: Session, session_id: str) -> Fulfilment:
    """Record the payment of Checkout Session `session_id` if Stripe says it is paid, once.
    Safe to call any number of times, from anywhere, in any order."""
    attempt = session.exec(select(CheckoutAttempt).where(CheckoutAttempt.session_id == session_id)).first()
    if attempt is None:
        return Fulfilment("unknown")
    if attempt.status == "paid":
        return Fulfilment("already_paid", attempt.customer_id)
    checkout = _retrieve(session, session_id)
    if checkout is None:
        return Fulfilment("unknown", attempt.customer_id)
    if checkout.payment_status != "paid":
        return Fulfilment("processing" if checkout.status == "complete" else "failed", attempt.customer_id)
    allocations = json.loads(attempt.allocations)
    expected_ids = ",".join(str(a["invoice_id"]) for a in allocations)
    metadata = checkout.metadata.to_dict() if checkout.metadata is not None else {}
    if (
        checkout.amount_total != attempt.amount_cents
        or (checkout.currency or "").upper() != attempt.currency
        or metadata.get("invoice_ids") != expected_ids
    ):
        log.error(
            "Checkout %s does not match what was asked (%s %s for %s): Stripe says %s %s for %s",
            session_id, attempt.amount_cents, attempt.currency, expected_ids,
            checkout.amount_total, checkout.currency, metadata.get("invoice_ids"),
        )
        if _claim(session, attempt, "mismatch", allowed=("open", "failed")):
            notifications.notify(
                session, kind="payment_problem",
                title="A card payment did not match its invoice",
                body=f"Stripe Checkout {session_id}: check it in your Stripe dashboard before refunding or recording it.",
                link="/invoices",
            )
        return Fulfilment("mismatch", attempt.customer_id)
    if not _claim(session, attempt, "paid", allowed=("open", "failed", "expired")):
        return Fulfilment("already_paid", attempt.customer_id)
    intent = checkout.payment_intent if isinstance(checkout.payment_intent, str) or checkout.payment_intent is None else checkout.payment_intent.id
    today = shop_today(shop_timezone(session))
    numbers = []
    for allocation in allocations:
        invoice = _lock(session, allocation["invoice_id"])
        # Money was taken: it is recorded even if staff voided or settled the invoice meanwhile.
        invoices.apply_payment(
            session, invoice, amount_cents=allocation["amount_cents"], method=PaymentMethod.STRIPE,
            received_on=today, reference=session_id, recorded_by="Stripe",
            stripe_session_id=session_id, stripe_payment_intent=intent,
        )
        numbers.append(invoice.number or "")
    customer = session.get(Customer, attempt.customer_id)
    amount = format_money(attempt.amount_cents, attempt.currency)
    settled = [session.get(Invoice, a["invoice_id"]) for a in allocations]
    owed = sum(invoices.balance(invoice) for invoice in settled)
    notifications.notify(
        session, kind="payment",
        title=f"{customer.name} paid {amount}",
        body=f"Card payment for {', '.join(numbers)}.",
        link="/invoices?status=paid",
        email_data={
            "customer_name": customer.name,
            "amount": amount,
            "number": ", ".join(numbers),
            "method": invoices.METHOD_LABELS[PaymentMethod.STRIPE],
            "paid_in_full": owed == 0,
            "balance": format_money(owed, attempt.currency),
            "invoice_url": get_settings().base_url.rstrip("/") + "/invoices",
        },
    )
    return Fulfilment("paid", attempt.customer_id, tuple(numbers))


def _refund(session: Session, charge) -> str:
    """charge.refunded: every refund on the charge not yet recorded reopens the balance of
    the invoices that charge paid, newest refund last."""
    intent = charge.payment_intent if isinstance(charge.payment_intent, str) or charge.payment_intent is None else charge.payment_intent.id
    payments = session.exec(
        select(InvoicePayment)
        .where(InvoicePayment.stripe_payment_intent == intent, InvoicePayment.amount_cents > 0)
        .order_by(InvoicePayment.id)
    ).all() if intent else []
    if not payments:
        # The payment itself may not be recorded yet (events arrive in any order): while a
        # checkout is still pending, ask Stripe to deliver this again later.
        pending = session.exec(
            select(CheckoutAttempt.id).where(
                CheckoutAttempt.status.in_(("open", "failed")), CheckoutAttempt.created_at > utcnow() - PENDING_WINDOW
            )
        ).first()
        if pending is not None:
            raise StripeUnreachable(f"refund for {intent} before its payment is recorded")
        return "unknown"
    refunds = charge.refunds.data if charge.refunds is not None else []
    today = shop_today(shop_timezone(session))
    recorded = 0
    for refund in sorted(refunds, key=lambda r: r.created or 0):
        if session.exec(select(InvoicePayment.id).where(InvoicePayment.stripe_refund_id == refund.id)).first():
            continue
        remaining = refund.amount
        # Spread over the invoices the charge paid, each at most what it received from it.
        for payment in payments:
            if remaining <= 0:
                break
            invoice = _lock(session, payment.invoice_id)
            already = -sum(
                p.amount_cents for p in session.exec(
                    select(InvoicePayment).where(
                        InvoicePayment.invoice_id == invoice.id,
                        InvoicePayment.stripe_payment_intent == intent,
                        InvoicePayment.amount_cents < 0,
                    )
                ).all()
            )
            share = min(remaining, payment.amount_cents - already)
            if share <= 0:
                continue
            invoices.apply_refund(
                session, invoice, amount_cents=share, method=PaymentMethod.STRIPE, received_on=today,
                reference=refund.id, recorded_by="Stripe",
                stripe_refund_id=refund.id if share == remaining else f"{refund.id}:{invoice.id}",
                stripe_payment_intent=intent,
            )
            remaining -= share
            recorded += 1
    return "refunded" if recorded else "already_refunded"


def _settle_failure(session: Session, session_id: str, to: str) -> str:
    attempt = session.exec(select(CheckoutAttempt).where(CheckoutAttempt.session_id == session_id)).first()
    if attempt is None:
        return "unknown"
    return to if _claim(session, attempt, to, allowed=("open",)) else "unchanged"


def handle_event(session: Session, event) -> str:
    """Act on one verified event, in the caller's transaction; returns what happened."""
    obj = event.data.object
    if event.type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        return fulfil(session, obj.id).outcome
    if event.type == "checkout.session.async_payment_failed":
        return _settle_failure(session, obj.id, "failed")
    if event.type == "checkout.session.expired":
        return _settle_failure(session, obj.id, "expired")
    if event.type == "charge.refunded":
        return _refund(session, obj)
    return "ignored"


def verify(session: Session, payload: bytes, signature: str):
    """The event, if `payload` was signed with our webhook secret within the tolerance."""
    secret = stripe_account.webhook_secret(session)
    if not secret or not signature:
        raise WebhookRefused("no webhook secret configured" if not secret else "unsigned")
    try:
        return stripe.Webhook.construct_event(payload, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise WebhookRefused(str(error)) from error


def receive_webhook(session: Session, payload: bytes, signature: str) -> str:
    """Verify and handle one delivery in the caller's transaction. An event id already seen
    changes nothing. Raises WebhookRefused (answer 400) or StripeUnreachable (answer 500)."""
    event = verify(session, payload, signature)
    if session.get(StripeEvent, event.id) is not None:
        return "duplicate"
    outcome = handle_event(session, event)
    # A concurrent delivery of the same event fails here (primary key) and rolls back.
    session.add(StripeEvent(id=event.id, type=event.type))
    session.flush()
    return outcome


def checkout_customer(session: Session, session_id: str) -> int | None:
    """Whose checkout this is (for the return page to check the viewer), or None."""
    attempt = session.exec(select(CheckoutAttempt).where(CheckoutAttempt.session_id == session_id)).first()
    return attempt.customer_id if attempt is not None else None


def return_from_checkout(session: Session, customer_id: int, session_id: str) -> Fulfilment:
    """The portal's return page: fulfil the viewer's own checkout (never trusting that it was
    paid because the browser came back), and say how it went."""
    if checkout_customer(session, session_id) != customer_id:
        raise NotFound("That payment is not in your portal.")
    try:
        return fulfil(session, session_id)
    except StripeUnreachable:
        # The webhook will record it; the client is told it is being confirmed.
        return Fulfilment("processing", customer_id)
