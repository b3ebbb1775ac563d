"""Invoices: the money rules, numbering, statuses, payments and refunds, and what staff and
clients read.

Money is integer cents in the invoice's currency. Percentages (discount, tax, deposit) are
integers in thousandths of a percent. The one rule for the totals is `totals`: tax is charged
on the discounted subtotal and rounded half-up to the cent.

A draft has no number. Sending allocates the next number from the shop row in the same
transaction (one `UPDATE ... RETURNING`, which locks the row on PostgreSQL and is serialized
by SQLite), so concurrent sends get distinct consecutive numbers and a rolled-back send gives
its number back instead of leaving a hole. Numbers are never reused: a void invoice keeps its.

Every writer locks the invoice row first (`_lock`), so a staff payment and a Stripe payment
of the same invoice happen one after the other and the paid amount is never lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, case, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, func, select

from kontrol_app.models import (
    Customer,
    CustomerContact,
    EmailKind,
    Invoice,
    InvoiceDueTotal,
    InvoiceEvent,
    InvoiceLine,
    InvoicePayment,
    InvoiceStatus,
    Job,
    PaymentMethod,
    Shop,
    utcnow,
)
from kontrol_app.services import outbox
from kontrol_app.services.clock import shop_time, shop_today, shop_zone
from kontrol_app.services.errors import InvalidInput, NotAllowed, NotFound
from kontrol_app.services.money import (
    HUNDRED_PERCENT,
    format_money,
    format_percent,
    parse_amount,
    parse_percent,
    percent_of,
    plain_amount,
)
from kontrol_app.services.paging import page_window
from kontrol_app.services.portal_links import portal_url
from kontrol_app.services.search import contains
from kontrol_app.services.shop import get_shop
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.stamps import customer_rows_stamp
from kontrol_app.services.validation import clean_text
from kontrol_app.services.versions import claim_version

PAGE_SIZE = 25
MAX_LINES = 10_000
MAX_QUANTITY = 10_000_000
MAX_UNIT_PRICE = 100_000_000_00  # 100 million in major units: beyond any print order
STALE_INVOICE = "Someone else changed this invoice — reload to see their changes"
OPEN = (InvoiceStatus.SENT, InvoiceStatus.PARTIALLY_PAID)

STATUS_LABELS = {
    InvoiceStatus.DRAFT: "Draft",
    InvoiceStatus.SENT: "Sent",
    InvoiceStatus.PARTIALLY_PAID: "Partially Paid",
    InvoiceStatus.PAID: "Paid",
    InvoiceStatus.VOID: "Void",
}
OVERDUE = "overdue"  # a filter value and a label, never stored
METHOD_LABELS = {
    PaymentMethod.CASH: "Cash",
    PaymentMethod.CHECK: "Check",
    PaymentMethod.BANK_TRANSFER: "Bank transfer",
    PaymentMethod.CARD_ELSEWHERE: "Card (elsewhere)",
    PaymentMethod.STRIPE: "Card (Stripe)",
}
STAFF_METHODS = [m for m in PaymentMethod if m != PaymentMethod.STRIPE]


# --- the money rule ------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    subtotal: int
    discount: int
    tax: int
    total: int
    deposit: int


def totals(
    line_amounts: list[int],
    *,
    discount_kind: str = "",
    discount_value: int = 0,
    tax_rate: int = 0,
    deposit_kind: str = "",
    deposit_value: int = 0,
) -> Totals:
    """The invoice's totals from its line amounts. A discount never takes the subtotal below
    zero; tax is on the discounted subtotal, rounded half-up; a deposit is at most the total."""
    subtotal = sum(line_amounts)
    if discount_kind == "amount":
        discount = min(max(discount_value, 0), max(subtotal, 0))
    elif discount_kind == "percent":
        discount = percent_of(subtotal, discount_value)
    else:
        discount = 0
    taxable = subtotal - discount
    tax = percent_of(taxable, tax_rate)
    total = taxable + tax
    if deposit_kind == "amount":
        deposit = min(max(deposit_value, 0), max(total, 0))
    elif deposit_kind == "percent":
        deposit = percent_of(total, deposit_value)
    else:
        deposit = 0
    return Totals(subtotal, discount, tax, total, deposit)


def balance(invoice: Invoice) -> int:
    """What is still owed (0 for a draft or void invoice: nothing is owed on those)."""
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        return 0
    return max(invoice.total_cents - invoice.paid_cents, 0)


def is_overdue(invoice: Invoice, today: date) -> bool:
    return invoice.status in OPEN and invoice.due_date is not None and invoice.due_date < today and balance(invoice) > 0


def due_now(invoice: Invoice) -> tuple[str, int]:
    """What the client can pay now: ("deposit", cents) until the deposit is paid, then
    ("balance", cents). ("", 0) when nothing can be paid."""
    owed = balance(invoice)
    if owed <= 0:
        return "", 0
    if invoice.deposit_cents > invoice.paid_cents:
        return "deposit", min(invoice.deposit_cents - invoice.paid_cents, owed)
    return "balance", owed


def status_label(invoice: Invoice, today: date) -> str:
    return "Overdue" if is_overdue(invoice, today) else STATUS_LABELS[InvoiceStatus(invoice.status)]


# --- the form --------------------------------------------------------------------------------


@dataclass
class LineInput:
    description: str = ""
    quantity: str = "1"
    unit_price: str = ""


@dataclass
class InvoiceInput:
    """What the invoice form sends; every number as typed."""

    lines: list[LineInput] = field(default_factory=list)
    discount_kind: str = ""  # "", "amount", "percent"
    discount: str = ""
    tax_rate: str = ""
    deposit_kind: str = ""
    deposit: str = ""
    notes: str = ""
    due_date: str = ""  # YYYY-MM-DD
    # The version the form was loaded at; None for a new invoice.
    version: int | None = field(default=None, compare=False)


def _clean_lines(lines: list[LineInput], currency: str) -> list[InvoiceLine]:
    if not lines:
        raise InvalidInput("Add at least one line.", "lines")
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"An invoice can have at most {MAX_LINES:,} lines.", "lines")
    cleaned = []
    for index, line in enumerate(lines):
        where = f"line {index + 1}"
        description = clean_text(
            line.description, field=f"lines.{index}.description", label=f"a description on {where}",
            max_length=300, required=True,
        )
        raw_quantity = str(line.quantity or "").strip().replace(",", "")
        if not (raw_quantity.isascii() and raw_quantity.isdigit()) or len(raw_quantity) > 9 or not 0 < int(raw_quantity) <= MAX_QUANTITY:
            raise InvalidInput(f"Enter the quantity on {where} as a whole number, like 144.", f"lines.{index}.quantity")
        unit = parse_amount(line.unit_price, currency, allow_negative=True)
        if unit is None or abs(unit) > MAX_UNIT_PRICE:
            raise InvalidInput(
                f"Enter the unit price on {where} as an amount, like 12.50 (a credit may be negative).",
                f"lines.{index}.unit_price",
            )
        quantity = int(raw_quantity)
        cleaned.append(
            InvoiceLine(position=index, description=description, quantity=quantity, unit_price_cents=unit, amount_cents=quantity * unit)
        )
    return cleaned


def _clean_share(kind: str, raw: str, currency: str, *, field: str, what: str) -> tuple[str, int]:
    """A discount or deposit: nothing, an amount in cents, or a percentage."""
    if kind not in ("", "amount", "percent"):
        raise InvalidInput(f"Choose how the {what} is given.", field)
    if kind == "" or not (raw or "").strip():
        return "", 0
    if kind == "amount":
        cents = parse_amount(raw, currency)
        if cents is None or cents > MAX_UNIT_PRICE:
            raise InvalidInput(f"Enter the {what} as an amount, like 50.00.", field)
        return ("amount", cents) if cents else ("", 0)
    rate = parse_percent(raw)
    if rate is None:
        raise InvalidInput(f"Enter the {what} as a percentage from 0 to 100, like 10 or 12.5.", field)
    return ("percent", rate) if rate else ("", 0)


def _clean(data: InvoiceInput, currency: str) -> tuple[dict, list[InvoiceLine]]:
    lines = _clean_lines(data.lines, currency)
    discount_kind, discount_value = _clean_share(data.discount_kind, data.discount, currency, field="discount", what="discount")
    tax_raw = (data.tax_rate or "").strip()
    tax_rate = parse_percent(tax_raw) if tax_raw else 0
    if tax_rate is None:
        raise InvalidInput("Enter the tax rate as a percentage from 0 to 100, like 8.875.", "tax_rate")
    deposit_kind, deposit_value = _clean_share(data.deposit_kind, data.deposit, currency, field="deposit", what="deposit")
    due: date | None = None
    if (data.due_date or "").strip():
        try:
            due = date.fromisoformat(data.due_date.strip())
        except ValueError:
            raise InvalidInput("Enter the due date as a date, like 2026-04-12.", "due_date") from None
    result = totals(
        [line.amount_cents for line in lines], discount_kind=discount_kind, discount_value=discount_value,
        tax_rate=tax_rate, deposit_kind=deposit_kind, deposit_value=deposit_value,
    )
    if result.total < 0:
        raise InvalidInput("The total cannot be below zero: check the credits and the discount.", "lines")
    if deposit_kind == "percent" and deposit_value >= HUNDRED_PERCENT or deposit_kind == "amount" and deposit_value >= result.total > 0:
        raise InvalidInput("A deposit must be less than the total (leave it empty to ask for the whole amount).", "deposit")
    columns = {
        "discount_kind": discount_kind,
        "discount_value": discount_value,
        "tax_rate": tax_rate,
        "deposit_kind": deposit_kind,
        "deposit_value": deposit_value,
        "subtotal_cents": result.subtotal,
        "discount_cents": result.discount,
        "tax_cents": result.tax,
        "total_cents": result.total,
        "deposit_cents": result.deposit,
        "notes": clean_text(data.notes, field="notes", label="the notes", max_length=5000, multiline=True),
        "due_date": due,
    }
    return columns, lines


def _shop(session: Session) -> Shop:
    shop = get_shop(session)
    if shop is None:
        raise NotAllowed("Set up the shop first (Settings → Shop Info).")
    return shop


def _job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("That job does not exist.")
    return job


def _lock(session: Session, invoice_id: int) -> Invoice:
    """The invoice's row, locked until the commit (PostgreSQL; SQLite writers take turns)."""
    invoice = session.exec(
        select(Invoice).where(Invoice.id == invoice_id).with_for_update().execution_options(populate_existing=True)
    ).first()
    if invoice is None:
        raise NotFound("That invoice does not exist.")
    return invoice


def _event(session: Session, invoice: Invoice, kind: str, text: str, actor: str) -> None:
    session.add(InvoiceEvent(invoice_id=invoice.id, kind=kind, text=outbox.clip(text, 1000), actor=actor))


def new_invoice_input(session: Session, actor: StaffPrincipal, job_id: int) -> InvoiceInput:
    """A fresh form for the job: its first line from the job, the shop's tax rate, the due
    date from the payment terms."""
    job = _job(session, job_id)
    shop = _shop(session)
    today = shop_today(shop.timezone)
    return InvoiceInput(
        lines=[LineInput(description=job.title, quantity=str(job.quantity or 1), unit_price="")],
        tax_rate=format_percent(shop.tax_rate) if shop.tax_rate else "",
        due_date=(today + timedelta(days=shop.payment_terms_days)).isoformat(),
    )


def create_draft(session: Session, actor: StaffPrincipal, job_id: int, data: InvoiceInput) -> int:
    job = _job(session, job_id)
    shop = _shop(session)
    columns, lines = _clean(data, shop.currency)
    invoice = Invoice(
        customer_id=job.customer_id, job_id=job.id, currency=shop.currency, created_by_staff_id=actor.id, **columns
    )
    session.add(invoice)
    session.flush()
    for line in lines:
        line.invoice_id = invoice.id
    session.add_all(lines)
    _event(session, invoice, "created", "Draft created", actor.name)
    return invoice.id


def invoice_input(session: Session, actor: StaffPrincipal, invoice_id: int) -> InvoiceInput:
    """The form of a saved invoice, every number written as it would be typed."""
    invoice = _get(session, invoice_id)

    def share(kind: str, value: int) -> str:
        if kind == "amount":
            return plain_amount(value, invoice.currency)
        return format_percent(value) if kind == "percent" else ""

    return InvoiceInput(
        lines=[
            LineInput(line.description, str(line.quantity), plain_amount(line.unit_price_cents, invoice.currency))
            for line in _lines(session, invoice_id)
        ],
        discount_kind=invoice.discount_kind,
        discount=share(invoice.discount_kind, invoice.discount_value),
        tax_rate=format_percent(invoice.tax_rate) if invoice.tax_rate else "",
        deposit_kind=invoice.deposit_kind,
        deposit=share(invoice.deposit_kind, invoice.deposit_value),
        notes=invoice.notes,
        due_date=invoice.due_date.isoformat() if invoice.due_date else "",
        version=invoice.version,
    )


def update_draft(session: Session, actor: StaffPrincipal, invoice_id: int, data: InvoiceInput) -> None:
    invoice = _lock(session, invoice_id)
    if invoice.status != InvoiceStatus.DRAFT:
        raise NotAllowed("Only a draft can be edited. Void this invoice and create a new one to change it.")
    columns, lines = _clean(data, invoice.currency)
    claim_version(session, Invoice, invoice.id, data.version, STALE_INVOICE)
    for name, value in columns.items():
        setattr(invoice, name, value)
    invoice.updated_at = utcnow()
    session.add(invoice)
    for old in _lines(session, invoice.id):
        session.delete(old)
    session.flush()
    for line in lines:
        line.invoice_id = invoice.id
    session.add_all(lines)
    _event(session, invoice, "edited", "Draft edited", actor.name)


def _allocate_number(session: Session) -> str:
    """The next invoice number, taken in the caller's transaction (see the module docstring)."""
    while True:
        prefix, taken = session.exec(
            update(Shop)
            .where(Shop.id == _shop(session).id)
            .values(invoice_next_number=Shop.invoice_next_number + 1)
            .returning(Shop.invoice_prefix, Shop.invoice_next_number - 1)
        ).one()
        number = f"{prefix}{taken:04d}"
        # The owner may have set the next number back onto numbers already used: skip those.
        if session.exec(select(Invoice.id).where(Invoice.number == number)).first() is None:
            return number


def contacts_to_email(session: Session, customer_id: int) -> list[CustomerContact]:
    return list(
        session.exec(
            select(CustomerContact)
            .where(CustomerContact.customer_id == customer_id, CustomerContact.email.is_not(None), CustomerContact.email != "")
            .order_by(CustomerContact.id)
        ).all()
    )


def invoice_portal_url(session: Session, invoice: Invoice) -> str:
    customer = session.get(Customer, invoice.customer_id)
    return f"{portal_url(customer)}?invoice={invoice.id}"


def send_invoice(
    session: Session, actor: StaffPrincipal, invoice_id: int, *, expected_version: int | None = None, email_client: bool = True
) -> str:
    """Draft -> Sent: the number is allocated, Pay Now appears in the portal, and the
    "Invoice INV-0001 from <shop>" email (PDF attached) goes to every contact. Returns the number.
    Sending an already sent invoice again re-sends the email (the number stays).
    `email_client=False` (the demo, imports) only marks it sent."""
    invoice = _lock(session, invoice_id)
    if invoice.status == InvoiceStatus.VOID:
        raise NotAllowed("A void invoice cannot be sent.")
    if invoice.total_cents <= 0 and invoice.status == InvoiceStatus.DRAFT:
        raise InvalidInput("The invoice total is zero: add a price before sending it.", "lines")
    if email_client and not contacts_to_email(session, invoice.customer_id):
        raise NotAllowed("This customer has no email address: add one on the customer page to send the invoice.")
    first_send = invoice.status == InvoiceStatus.DRAFT
    if expected_version is not None:
        claim_version(session, Invoice, invoice.id, expected_version, STALE_INVOICE)
    if first_send:
        invoice.number = _allocate_number(session)
        invoice.status = InvoiceStatus.SENT
        invoice.sent_at = utcnow()
        if invoice.due_date is None:
            shop = _shop(session)
            invoice.due_date = shop_today(shop.timezone) + timedelta(days=shop.payment_terms_days)
        _event(session, invoice, "sent", f"Sent as {invoice.number}", actor.name)
    else:
        _event(session, invoice, "resent", f"{invoice.number} emailed again", actor.name)
    invoice.updated_at = utcnow()
    session.add(invoice)
    session.flush()
    if email_client:
        queue_invoice_email(session, invoice, resend=not first_send)
    return invoice.number


def queue_invoice_email(session: Session, invoice: Invoice, *, resend: bool = False) -> int:
    """The invoice email to every contact, the PDF attached. Returns how many were queued."""
    from kontrol_app.services import invoice_pdf  # the PDF needs the whole invoice view

    pdf = invoice_pdf.render(session, invoice.id)
    data = {
        "number": invoice.number,
        "job_title": _job_title(session, invoice),
        "total": format_money(invoice.total_cents, invoice.currency),
        "balance": format_money(balance(invoice), invoice.currency),
        "due_date": invoice.due_date.strftime("%b %-d, %Y") if invoice.due_date else "",
        "invoice_url": invoice_portal_url(session, invoice),
    }
    kind, amount = due_now(invoice)
    if kind == "deposit":
        data["deposit"] = format_money(amount, invoice.currency)
    queued = 0
    stamp = utcnow().isoformat() if resend else "first"
    for contact in contacts_to_email(session, invoice.customer_id):
        email = outbox.queue_email(
            session, kind=EmailKind.INVOICE_SENT, to=contact.email, data=data,
            dedupe_key=f"invoice:{invoice.id}:{contact.id}:{stamp}", attachment=(f"{invoice.number}.pdf", pdf),
        )
        queued += email is not None
    return queued


def _job_title(session: Session, invoice: Invoice) -> str:
    if invoice.job_id is None:
        return ""
    job = session.get(Job, invoice.job_id)
    return job.title if job is not None else ""


# --- payments --------------------------------------------------------------------------------


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
    for contact in contacts_to_email(session, invoice.customer_id) if email_client else []:
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


def _clean_payment(invoice: Invoice, amount: str, received_on: str, reference: str, timezone: str, *, limit: int, over: str) -> tuple[int, date, str]:
    cents = parse_amount(amount, invoice.currency)
    if cents is None or cents <= 0:
        raise InvalidInput("Enter the amount received, like 250.00.", "amount")
    if cents > limit:
        raise InvalidInput(over.format(limit=format_money(limit, invoice.currency)), "amount")
    day = shop_today(timezone)
    if (received_on or "").strip():
        try:
            day = date.fromisoformat(received_on.strip())
        except ValueError:
            raise InvalidInput("Enter the date as a date, like 2026-04-12.", "received_on") from None
        if day > shop_today(timezone) + timedelta(days=1):
            raise InvalidInput("The date cannot be in the future.", "received_on")
    reference = clean_text(reference, field="reference", label="the reference", max_length=200)
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
    if method not in {m.value for m in STAFF_METHODS}:
        raise InvalidInput("Choose how it was paid.", "method")
    owed = balance(invoice)
    if owed <= 0:
        raise NotAllowed("This invoice is already paid in full.")
    cents, day, reference = _clean_payment(
        invoice, amount, received_on, reference, _shop(session).timezone, limit=owed,
        over="That is more than the balance of {limit}.",
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


# --- reading ---------------------------------------------------------------------------------


def _get(session: Session, invoice_id: int) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound("That invoice does not exist.")
    return invoice


def _lines(session: Session, invoice_id: int) -> list[InvoiceLine]:
    return list(session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id).order_by(InvoiceLine.position)).all())


@dataclass(frozen=True)
class LineView:
    description: str
    quantity: int
    unit_price: str
    amount: str


@dataclass(frozen=True)
class PaymentView:
    id: int
    amount: str
    is_refund: bool
    method: str
    received_on: str
    reference: str
    recorded_by: str


@dataclass(frozen=True)
class EventView:
    text: str
    actor: str
    when: str


@dataclass(frozen=True)
class TotalRow:
    key: str  # subtotal, discount, tax, total, deposit, paid, refunded, balance
    label: str
    amount: str
    bold: bool = False


@dataclass(frozen=True)
class InvoiceView:
    """One invoice as staff, the client and the PDF read it (formatted in its currency)."""

    id: int
    number: str  # "" for a draft
    title: str  # "INV-0001", or "Draft invoice"
    status: str  # stored value, or "overdue"
    status_label: str
    customer_id: int
    customer_name: str
    job_id: int | None
    job_title: str
    currency: str
    lines: list[LineView]
    subtotal: str
    discount: str  # "" when none
    discount_label: str  # "Discount (10%)"
    tax: str
    tax_label: str  # "Tax (8.875%)"
    total: str
    paid: str
    refunded: str  # "" when none
    balance: str
    balance_cents: int
    deposit: str  # "" when none
    due_kind: str  # "deposit", "balance" or ""
    due_now: str
    due_now_cents: int
    issued: str  # "Mar 28" style date of sending ("" for a draft)
    due_date: str
    paid_on: str
    notes: str
    void_reason: str
    payments: list[PaymentView]
    history: list[EventView]
    totals: list[TotalRow]  # the rows under its lines, wherever it is shown (`_total_rows`)
    version: int
    total_cents: int = 0
    paid_cents: int = 0  # payments minus refunds: what a refund may give back


def _day(value: date | datetime | None, timezone: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(shop_zone(timezone)).date()
    return value.strftime("%b %-d, %Y")


def view(session: Session, invoice: Invoice) -> InvoiceView:
    shop = _shop(session)
    money = lambda cents: format_money(cents, invoice.currency)  # noqa: E731 - local shorthand
    today = shop_today(shop.timezone)
    kind, now = due_now(invoice)
    customer = session.get(Customer, invoice.customer_id)
    payments = session.exec(select(InvoicePayment).where(InvoicePayment.invoice_id == invoice.id).order_by(InvoicePayment.id)).all()
    events = session.exec(select(InvoiceEvent).where(InvoiceEvent.invoice_id == invoice.id).order_by(InvoiceEvent.id)).all()
    status = OVERDUE if is_overdue(invoice, today) else invoice.status
    discount_label = f"Discount ({format_percent(invoice.discount_value)}%)" if invoice.discount_kind == "percent" else "Discount"
    tax_label = f"Tax ({format_percent(invoice.tax_rate)}%)"
    return InvoiceView(
        id=invoice.id,
        number=invoice.number or "",
        title=invoice.number or "Draft invoice",
        status=status,
        status_label=status_label(invoice, today),
        customer_id=invoice.customer_id,
        customer_name=customer.name if customer is not None else "",
        job_id=invoice.job_id,
        job_title=_job_title(session, invoice),
        currency=invoice.currency,
        lines=[LineView(line.description, line.quantity, money(line.unit_price_cents), money(line.amount_cents)) for line in _lines(session, invoice.id)],
        subtotal=money(invoice.subtotal_cents),
        discount=money(-invoice.discount_cents) if invoice.discount_cents else "",
        discount_label=discount_label,
        tax=money(invoice.tax_cents),
        tax_label=tax_label,
        total=money(invoice.total_cents),
        paid=money(invoice.paid_cents),
        refunded=money(invoice.refunded_cents) if invoice.refunded_cents else "",
        balance=money(balance(invoice)),
        balance_cents=balance(invoice),
        deposit=money(invoice.deposit_cents) if invoice.deposit_cents else "",
        due_kind=kind,
        due_now=money(now) if now else "",
        due_now_cents=now,
        issued=_day(invoice.sent_at, shop.timezone),
        due_date=_day(invoice.due_date, shop.timezone),
        paid_on=_day(invoice.paid_at, shop.timezone) if invoice.status == InvoiceStatus.PAID else "",
        notes=invoice.notes,
        void_reason=invoice.void_reason,
        payments=[
            PaymentView(
                p.id, money(abs(p.amount_cents)), p.amount_cents < 0, METHOD_LABELS.get(p.method, "Refund"),
                _day(p.received_on, shop.timezone), p.reference, p.recorded_by,
            )
            for p in payments
        ],
        history=[EventView(e.text, e.actor, shop_time(e.created_at, shop.timezone)) for e in events],
        totals=_total_rows(invoice, money, discount_label, tax_label),
        version=invoice.version,
        total_cents=invoice.total_cents,
        paid_cents=invoice.paid_cents,
    )


def _total_rows(invoice: Invoice, money: Callable[[int], str], discount_label: str, tax_label: str) -> list[TotalRow]:
    """The rows under an invoice's lines, the same on the staff's page, in the client's portal
    and on the PDF: only those that say something (no "Paid $0.00" before a payment, no balance
    on a draft, which owes nothing yet, or on a void)."""
    rows = [TotalRow("subtotal", "Subtotal", money(invoice.subtotal_cents))]
    if invoice.discount_cents:
        rows.append(TotalRow("discount", discount_label, money(-invoice.discount_cents)))
    if invoice.tax_rate or invoice.tax_cents:
        rows.append(TotalRow("tax", tax_label, money(invoice.tax_cents)))
    rows.append(TotalRow("total", "Total", money(invoice.total_cents), bold=True))
    if invoice.deposit_cents:
        rows.append(TotalRow("deposit", "Deposit", money(invoice.deposit_cents)))
    if invoice.paid_cents or invoice.refunded_cents:
        rows.append(TotalRow("paid", "Paid", money(invoice.paid_cents)))
    if invoice.refunded_cents:
        rows.append(TotalRow("refunded", "Refunded", money(invoice.refunded_cents)))
    if invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        rows.append(TotalRow("balance", "Balance", money(balance(invoice)), bold=True))
    return rows


def invoice_detail(session: Session, actor: StaffPrincipal, invoice_id: int) -> InvoiceView:
    return view(session, _get(session, invoice_id))


def job_invoices(session: Session, actor: StaffPrincipal, job_id: int) -> list[InvoiceView]:
    _job(session, job_id)
    rows = session.exec(select(Invoice).where(Invoice.job_id == job_id).order_by(Invoice.id.desc())).all()
    return [view(session, row) for row in rows]


_OPEN_BALANCE = sa_select(func.coalesce(func.sum(Invoice.total_cents - Invoice.paid_cents), 0)).where(
    Invoice.customer_id == bindparam("customer_id"), Invoice.status.in_([s.value for s in OPEN])
)


def open_balance(session: Session, customer_id: int) -> int:
    """What the customer owes on sent and partially paid invoices (the Open Invoices card)."""
    return session.connection().execute(_OPEN_BALANCE, {"customer_id": customer_id}).scalar_one()


@dataclass(frozen=True)
class InvoiceRow:
    id: int
    number: str
    customer_id: int
    customer_name: str
    job_id: int | None
    job_title: str
    total: str
    balance: str
    status: str  # stored value, or "overdue"
    status_label: str
    issued: str
    due_date: str


@dataclass(frozen=True)
class InvoicePage:
    rows: list[InvoiceRow]
    total: int
    page: int
    pages: int
    open_total: str  # what all open invoices still owe (whatever the filter)
    overdue_total: str


@dataclass
class InvoiceFilters:
    status: str = ""  # a stored status, "overdue", "open", or "" for all
    search: str = ""  # number, customer or job


def _filtered(query, filters: InvoiceFilters, today: date):
    open_values = [s.value for s in OPEN]
    if filters.status == OVERDUE:
        query = query.where(Invoice.status.in_(open_values), Invoice.due_date < today, Invoice.total_cents > Invoice.paid_cents)
    elif filters.status == "open":
        query = query.where(Invoice.status.in_(open_values))
    elif filters.status:
        if filters.status not in {s.value for s in InvoiceStatus}:
            raise InvalidInput("Choose a status from the list.", "status")
        query = query.where(Invoice.status == filters.status)
    text = filters.search.strip()
    if text:
        query = query.where(
            or_(
                contains(Invoice.number, text),
                Invoice.customer_id.in_(select(Customer.id).where(contains(Customer.name, text))),
                Invoice.job_id.in_(select(Job.id).where(contains(Job.title, text))),
            )
        )
    return query


@dataclass(frozen=True)
class OpenTally:
    """The sent and partially paid invoices: how many, how many are overdue, what they still
    owe and the part of it past due (cents)."""

    invoices: int
    overdue: int
    owed_cents: int
    overdue_cents: int


_DUE = InvoiceDueTotal  # (kept by the database: see the model)
_PAST_DUE = _DUE.due_date < bindparam("today")
_OPEN_TALLY = sa_select(
    func.coalesce(func.sum(_DUE.invoices), 0),
    func.coalesce(func.sum(case((_PAST_DUE, _DUE.owing), else_=0)), 0),
    func.coalesce(func.sum(_DUE.owed_cents), 0),
    func.coalesce(func.sum(case((_PAST_DUE, _DUE.owed_cents), else_=0)), 0),
).where(_DUE.status.in_([s.value for s in OPEN]))
_STATUS_TALLY = sa_select(func.coalesce(func.sum(_DUE.invoices), 0)).where(_DUE.status.in_(bindparam("statuses", expanding=True)))


def open_tally(session: Session, today: date) -> OpenTally:
    return OpenTally(*session.connection().execute(_OPEN_TALLY, {"today": today}).one())


def open_totals(session: Session, today: date) -> tuple[int, int]:
    """What all sent and partially paid invoices still owe, and the part of it past due (cents)."""
    tally = open_tally(session, today)
    return tally.owed_cents, tally.overdue_cents


def _count(session: Session, filters: InvoiceFilters, today: date, tally: OpenTally) -> int:
    """How many invoices the filters find: from the kept counts unless a search narrows them."""
    if filters.search.strip():
        return session.exec(select(func.count()).select_from(_filtered(select(Invoice.id), filters, today).subquery())).one()
    if filters.status == "open":
        return tally.invoices
    if filters.status == OVERDUE:
        return tally.overdue
    wanted = [filters.status] if filters.status else [s.value for s in InvoiceStatus]
    return session.connection().execute(_STATUS_TALLY, {"statuses": wanted}).scalar_one()


_LIST_COLUMNS = (
    Invoice.id, Invoice.number, Invoice.customer_id, Invoice.job_id, Invoice.status, Invoice.currency, Invoice.total_cents,
    Invoice.paid_cents, Invoice.due_date, Invoice.sent_at, Customer.name.label("customer_name"), Job.title.label("job_title"),
)


def list_invoices(
    session: Session, actor: StaffPrincipal, filters: InvoiceFilters, *, page: int = 1, page_size: int = PAGE_SIZE
) -> InvoicePage:
    shop = _shop(session)
    today = shop_today(shop.timezone)
    chosen = _filtered(select(Invoice.id), filters, today)  # (refuses a made-up status first)
    tally = open_tally(session, today)
    total = _count(session, filters, today, tally)
    window = page_window(total, page, page_size)
    # Newest first: drafts (no number) by creation, the rest by number order of sending.
    ordering = (Invoice.id.desc(),)
    page_ids = chosen.order_by(*ordering).offset(window.offset).limit(window.limit).subquery()
    # Columns, not Invoice objects (a row answers balance() and is_overdue() by the same names).
    rows = session.connection().execute(
        sa_select(*_LIST_COLUMNS)
        .join(page_ids, page_ids.c.id == Invoice.id)
        .join(Customer, Customer.id == Invoice.customer_id)
        .outerjoin(Job, Job.id == Invoice.job_id)
        .order_by(*ordering)
    ).all()
    money = lambda cents, invoice: format_money(cents, invoice.currency)  # noqa: E731
    return InvoicePage(
        [
            InvoiceRow(
                invoice.id, invoice.number or "Draft", invoice.customer_id, invoice.customer_name, invoice.job_id,
                invoice.job_title or "", money(invoice.total_cents, invoice), money(balance(invoice), invoice),
                OVERDUE if is_overdue(invoice, today) else invoice.status, status_label(invoice, today),
                _day(invoice.sent_at, shop.timezone), _day(invoice.due_date, shop.timezone),
            )
            for invoice in rows
        ],
        total,
        window.page,
        window.pages,
        format_money(tally.owed_cents, shop.currency),
        format_money(tally.overdue_cents, shop.currency),
    )


# --- the portal --------------------------------------------------------------------------------


def portal_invoice(session: Session, customer_id: int, invoice_id: int) -> Invoice:
    """One of the client's own sent invoices, or "not found" (the same answer for a foreign
    id, a draft, and an id that does not exist)."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.customer_id != customer_id or invoice.status == InvoiceStatus.DRAFT:
        raise NotFound("That invoice is not in your portal.")
    return invoice


def portal_detail(session: Session, customer_id: int, invoice_id: int) -> InvoiceView:
    """One of the client's own sent invoices in full (lines, totals, payments): what the PDF
    says, without what only staff see (the history, who recorded a payment and its reference,
    the reason for a void)."""
    full = view(session, portal_invoice(session, customer_id, invoice_id))
    return replace(full, history=[], void_reason="", payments=[replace(p, reference="", recorded_by="") for p in full.payments])


@dataclass(frozen=True)
class PortalInvoice:
    """One card of the portal's Invoices tab, as the guide draws it."""

    id: int
    number: str
    job_title: str
    heading: str  # "INV-0112 · Mar 28"
    amount: str  # the total
    status_label: str  # "Paid Feb 14", "Overdue", "Partially Paid"
    status_color: str
    note: str  # "Due Apr 3", "Balance $420.00", "Refunded $40.00"
    pay_label: str  # "Pay Now", "Pay deposit $420.00", "Pay balance $420.00"; "" when nothing to pay
    pdf_url: str


_PORTAL_COLORS = {
    InvoiceStatus.SENT: "blue",
    InvoiceStatus.PARTIALLY_PAID: "amber",
    InvoiceStatus.PAID: "green",
    InvoiceStatus.VOID: "gray",
}


def _short_day(value: date | datetime | None, timezone: str) -> str:
    return _day(value, timezone).rsplit(",", 1)[0]


def portal_cards(session: Session, customer_id: int) -> list[PortalInvoice]:
    """The client's sent invoices (never a draft), newest first."""
    shop = _shop(session)
    today = shop_today(shop.timezone)
    rows = session.exec(
        select(Invoice, Job.title)
        .outerjoin(Job, Job.id == Invoice.job_id)
        .where(Invoice.customer_id == customer_id, Invoice.status != InvoiceStatus.DRAFT)
        .order_by(Invoice.sent_at.desc(), Invoice.id.desc())
    ).all()
    cards = []
    for invoice, job_title in rows:
        money = lambda cents: format_money(cents, invoice.currency)  # noqa: E731, B023 - used at once
        overdue = is_overdue(invoice, today)
        if invoice.status == InvoiceStatus.PAID:
            label = f"Paid {_short_day(invoice.paid_at, shop.timezone)}".strip()
        else:
            label = status_label(invoice, today)
        kind, amount = due_now(invoice)
        pay = ""
        if kind == "deposit":
            pay = f"Pay deposit {money(amount)}"
        elif kind == "balance":
            pay = "Pay Now" if invoice.paid_cents == 0 else f"Pay balance {money(amount)}"
        notes = []
        if invoice.status in OPEN and invoice.due_date is not None:
            notes.append(f"Due {_short_day(invoice.due_date, shop.timezone)}")
        if invoice.status == InvoiceStatus.PARTIALLY_PAID:
            notes.append(f"Balance {money(balance(invoice))}")
        if invoice.refunded_cents:
            notes.append(f"Refunded {money(invoice.refunded_cents)}")
        cards.append(
            PortalInvoice(
                id=invoice.id,
                number=invoice.number or "",
                job_title=job_title or "",
                heading=f"{invoice.number} · {_short_day(invoice.sent_at, shop.timezone)}",
                amount=money(invoice.total_cents),
                status_label=label,
                status_color="red" if overdue else _PORTAL_COLORS.get(InvoiceStatus(invoice.status), "gray"),
                note=" · ".join(notes),
                pay_label=pay,
                pdf_url=f"/api/invoices/{invoice.id}/pdf",
            )
        )
    return cards


# Built once (Core): every open portal runs it every few seconds.
_PORTAL_STAMP = customer_rows_stamp(Invoice, bindparam("customer_id"))  # the open portal's poll reads it too


def portal_stamp(session: Session, customer_id: int) -> str:
    """Changes whenever any of the customer's invoices changes."""
    return session.connection().execute(_PORTAL_STAMP, {"customer_id": customer_id}).scalar_one()
