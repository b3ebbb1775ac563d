"""Payments and refunds on an invoice: money in (`apply_payment`, and `record_payment` for
what staff take by cash, check, bank transfer or a card elsewhere), money back out
(`apply_refund`, `record_refund`), the status a payment settles the invoice to, and voiding an
invoice (refused while anything is paid). Stripe's side of paying lives in services/payments.py,
which books its payments and refunds through `apply_payment` and `apply_refund`."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from kontrol_app.models import EmailKind, Invoice, InvoicePayment, InvoiceStatus, PaymentMethod, utcnow
from kontrol_app.services import outbox
from kontrol_app.services.clock import shop_today
from kontrol_app.services.errors import Checks, NotAllowed
from kontrol_app.services.invoices.drafting import invoice_portal_url
from kontrol_app.services.invoices.records import _event, _lock, _shop
from kontrol_app.services.invoices.money_rule import balance
from kontrol_app.services.money import format_money, parse_amount
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.validation import clean_text, optional_date

METHOD_LABELS = {
    PaymentMethod.CASH: "Cash",
    PaymentMethod.CHECK: "Check",
    PaymentMethod.BANK_TRANSFER: "Bank transfer",
    PaymentMethod.CARD_ELSEWHERE: "Card (elsewhere)",
    PaymentMethod.STRIPE: "Card (Stripe)",
}
STAFF_METHODS = [m for m in PaymentMethod if m != PaymentMethod.STRIPE]


def _settle_status(invoice: Invoice) -> None:
    """Sent / Partially Paid / Paid from what has been paid (never for a draft or void)."""
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        return
    if invoice.paid_cents >= invoice.total_cents:
        if invoice.status != InvoiceStatus.PAID:
            invoice.paid_at = utcnow()
        invoice.status = InvoiceStatus.PAID
    else:
        invoice.status = InvoiceStatus.PARTIALLY_PAID if invoice.paid_cents > 0 else InvoiceStatus.SENT
        invoice.paid_at = None


def _book(session: Session, invoice: Invoice, payment: InvoicePayment, kind: str, history: str) -> None:
    """A payment row (money in: positive; a refund: negative) onto its locked invoice: the paid
    amount, the status it settles to, and the line in the invoice's history."""
    session.add(payment)
    invoice.paid_cents += payment.amount_cents
    _settle_status(invoice)
    invoice.updated_at = utcnow()
    session.add(invoice)
    session.flush()
    _event(session, invoice, kind, history, payment.recorded_by)


def apply_payment(
    session: Session,
    invoice: Invoice,
    *,
    amount_cents: int,
    method: str,
    received_on: date,
    reference: str = "",
    recorded_by: str,
    staff_user_id: int | None = None,
    stripe_session_id: str | None = None,
    stripe_payment_intent: str | None = None,
    email_client: bool = True,
) -> InvoicePayment:
    """Money in, on a locked invoice, in the caller's transaction: the payment row, the
    paid amount and status, the history, and (unless told not to) the receipt to the client."""
    payment = InvoicePayment(
        invoice_id=invoice.id, amount_cents=amount_cents, method=method, received_on=received_on,
        reference=reference, recorded_by=recorded_by, staff_user_id=staff_user_id,
        stripe_session_id=stripe_session_id, stripe_payment_intent=stripe_payment_intent,
    )
    label = METHOD_LABELS.get(method, method)
    _book(session, invoice, payment, "payment", f"Payment {format_money(amount_cents, invoice.currency)} ({label})")
    data = {
        "number": invoice.number,
        "amount": format_money(amount_cents, invoice.currency),
        "method": label,
        "balance": format_money(balance(invoice), invoice.currency),
        "paid_in_full": invoice.status == InvoiceStatus.PAID,
        "invoice_url": invoice_portal_url(session, invoice),
    }
    for contact in outbox.contacts_to_email(session, invoice.customer_id) if email_client else []:
        outbox.queue_email(
            session, kind=EmailKind.PAYMENT_RECEIPT, to=contact.email, data=data,
            dedupe_key=f"receipt:{payment.id}:{contact.id}",
        )
    return payment


def apply_refund(
    session: Session,
    invoice: Invoice,
    *,
    amount_cents: int,
    method: str,
    received_on: date,
    reference: str = "",
    recorded_by: str,
    staff_user_id: int | None = None,
    stripe_refund_id: str | None = None,
    stripe_payment_intent: str | None = None,
) -> InvoicePayment:
    """Money back out: the balance reopens ("Refunded $X" in the history)."""
    refund = InvoicePayment(
        invoice_id=invoice.id, amount_cents=-amount_cents, method=method, received_on=received_on,
        reference=reference, recorded_by=recorded_by, staff_user_id=staff_user_id,
        stripe_refund_id=stripe_refund_id, stripe_payment_intent=stripe_payment_intent,
    )
    invoice.refunded_cents += amount_cents
    _book(session, invoice, refund, "refund", f"Refunded {format_money(amount_cents, invoice.currency)}")
    return refund


def _clean_payment(
    invoice: Invoice, amount: str, received_on: str, reference: str, timezone: str, *, limit: int, over: str, checks: Checks | None = None
) -> tuple[int, date, str]:
    """The dialog's boxes, every wrong one named at once (with what `checks` already holds)."""
    checks = checks or Checks()
    cents = parse_amount(amount, invoice.currency)
    if cents is None or cents <= 0:
        checks.refuse("Enter the amount received, like 250.00.", "amount")
    elif cents > limit:
        checks.refuse(over.format(limit=format_money(limit, invoice.currency)), "amount")
    day = checks(optional_date, received_on, "received_on") or shop_today(timezone)
    if day > shop_today(timezone) + timedelta(days=1):
        checks.refuse("The date cannot be in the future.", "received_on")
    reference = checks(clean_text, reference, field="reference", label="the reference", max_length=200)
    checks.done()
    return cents, day, reference


def record_payment(
    session: Session,
    actor: StaffPrincipal,
    invoice_id: int,
    *,
    amount: str,
    method: str,
    received_on: str = "",
    reference: str = "",
    email_client: bool = True,
) -> None:
    """Record Payment: cash, check, bank transfer or a card taken elsewhere."""
    invoice = _lock(session, invoice_id)
    if invoice.status == InvoiceStatus.DRAFT:
        raise NotAllowed("Send the invoice before recording a payment.")
    if invoice.status == InvoiceStatus.VOID:
        raise NotAllowed("This invoice is void.")
    owed = balance(invoice)
    if owed <= 0:
        raise NotAllowed("This invoice is already paid in full.")
    checks = Checks()
    if method not in {m.value for m in STAFF_METHODS}:
        checks.refuse("Choose how it was paid.", "method")
    cents, day, reference = _clean_payment(
        invoice, amount, received_on, reference, _shop(session).timezone, limit=owed,
        over="That is more than the balance of {limit}.", checks=checks,
    )
    apply_payment(
        session, invoice, amount_cents=cents, method=method, received_on=day, reference=reference,
        recorded_by=actor.name, staff_user_id=actor.id, email_client=email_client,
    )


def record_refund(
    session: Session, actor: StaffPrincipal, invoice_id: int, *, amount: str, received_on: str = "", reference: str = ""
) -> None:
    """Money given back outside Stripe (a Stripe refund arrives by its webhook)."""
    invoice = _lock(session, invoice_id)
    if invoice.paid_cents <= 0:
        raise NotAllowed("Nothing has been paid on this invoice.")
    cents, day, reference = _clean_payment(
        invoice, amount, received_on, reference, _shop(session).timezone, limit=invoice.paid_cents,
        over="That is more than was paid ({limit}).",
    )
    apply_refund(
        session, invoice, amount_cents=cents, method="refund", received_on=day, reference=reference,
        recorded_by=actor.name, staff_user_id=actor.id,
    )


def void_invoice(session: Session, actor: StaffPrincipal, invoice_id: int, *, reason: str) -> None:
    invoice = _lock(session, invoice_id)
    if invoice.status == InvoiceStatus.VOID:
        raise NotAllowed("This invoice is already void.")
    reason = clean_text(reason, field="void_reason", label="the reason", max_length=500, required=True)
    if invoice.paid_cents > 0:
        raise NotAllowed(
            f"This invoice has payments of {format_money(invoice.paid_cents, invoice.currency)}. "
            "Refund them before voiding it."
        )
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = utcnow()
    invoice.void_reason = reason
    invoice.updated_at = utcnow()
    session.add(invoice)
    _event(session, invoice, "voided", f"Voided: {reason}", actor.name)
