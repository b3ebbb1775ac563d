"""Drafting and sending an invoice: the form (`InvoiceInput`) and the checks on what was typed,
creating and editing a draft, the number allocated on the first send, and the invoice email
with its PDF."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from kontrol_app.models import (
    Customer,
    EmailKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Shop,
    utcnow,
)
from kontrol_app.services import outbox
from kontrol_app.services.clock import shop_today
from kontrol_app.services.errors import Checks, InvalidInput, NotAllowed
from kontrol_app.services.invoices.money_rule import balance, due_now, totals
from kontrol_app.services.invoices.records import _event, _get, _job_title, _lines, _lock, _shop
from kontrol_app.services.jobs import get_job
from kontrol_app.services.money import (
    HUNDRED_PERCENT,
    format_money,
    format_percent,
    parse_amount,
    parse_percent,
    plain_amount,
)
from kontrol_app.services.portal_links import portal_url
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.validation import clean_text, optional_date
from kontrol_app.services.versions import claim_version

MAX_LINES = 10_000
MAX_QUANTITY = 10_000_000
MAX_UNIT_PRICE = 100_000_000_00  # 100 million in major units: beyond any print order
STALE_INVOICE = "Someone else changed this invoice — reload to see their changes"


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
    """Every line, each refusal named by its line and box (all of them at once)."""
    if not lines:
        raise InvalidInput("Add at least one line.", "lines")
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"An invoice can have at most {MAX_LINES:,} lines.", "lines")
    checks = Checks()
    cleaned = []
    for index, line in enumerate(lines):
        where = f"line {index + 1}"
        description = checks(
            clean_text, line.description, field=f"lines.{index}.description", label=f"a description on {where}",
            max_length=300, required=True,
        )
        raw_quantity = str(line.quantity or "").strip().replace(",", "")
        if not (raw_quantity.isascii() and raw_quantity.isdigit()):
            checks.refuse(f"Enter the quantity on {where} as a whole number, like 144.", f"lines.{index}.quantity")
        elif len(raw_quantity) > 9 or not 0 < int(raw_quantity) <= MAX_QUANTITY:
            checks.refuse(f"Enter a quantity on {where} from 1 to {MAX_QUANTITY:,}.", f"lines.{index}.quantity")
        unit = parse_amount(line.unit_price, currency, allow_negative=True)
        if (unit is not None and abs(unit) > MAX_UNIT_PRICE) or (unit is None and _too_long_a_number(line.unit_price)):
            checks.refuse(
                f"Enter a unit price on {where} of at most {format_money(MAX_UNIT_PRICE, currency)}.", f"lines.{index}.unit_price"
            )
        elif unit is None:
            checks.refuse(
                f"Enter the unit price on {where} as an amount, like 12.50 (a credit may be negative).",
                f"lines.{index}.unit_price",
            )
        if checks.errors:
            continue  # the rest are only checked now; nothing is kept from a refused form
        quantity = int(raw_quantity)
        cleaned.append(
            InvoiceLine(position=index, description=description, quantity=quantity, unit_price_cents=unit, amount_cents=quantity * unit)
        )
    checks.done()
    return cleaned


def _too_long_a_number(text: str) -> bool:
    """Digits (and the marks of an amount) too many for any price: say the limit, not the form."""
    digits = [ch for ch in (text or "") if ch.isascii() and ch.isdigit()]
    return len(digits) > 12 and all(ch.isascii() and (ch.isdigit() or ch in ".,-+$ ") for ch in (text or "").strip())


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


def _tax_rate(raw: str) -> int:
    text = (raw or "").strip()
    rate = parse_percent(text) if text else 0
    if rate is None:
        raise InvalidInput("Enter the tax rate as a percentage from 0 to 100, like 8.875.", "tax_rate")
    return rate


def _clean(data: InvoiceInput, currency: str) -> tuple[dict, list[InvoiceLine]]:
    checks = Checks()  # every box first, in the form's order; then what depends on them all
    lines = checks(_clean_lines, data.lines, currency)
    discount_kind, discount_value = checks(_clean_share, data.discount_kind, data.discount, currency, field="discount", what="discount") or ("", 0)
    tax_rate = checks(_tax_rate, data.tax_rate)
    deposit_kind, deposit_value = checks(_clean_share, data.deposit_kind, data.deposit, currency, field="deposit", what="deposit") or ("", 0)
    due = checks(optional_date, data.due_date, "due_date", label="the due date")
    notes = checks(clean_text, data.notes, field="notes", label="the notes", max_length=5000, multiline=True)
    checks.done()
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
        "notes": notes,
        "due_date": due,
    }
    return columns, lines


def new_invoice_input(session: Session, actor: StaffPrincipal, job_id: int) -> InvoiceInput:
    """A fresh form for the job: its first line from the job, the shop's tax rate, the due
    date from the payment terms."""
    job = get_job(session, job_id)
    shop = _shop(session)
    today = shop_today(shop.timezone)
    return InvoiceInput(
        lines=[LineInput(description=job.title, quantity=str(job.quantity or 1), unit_price="")],
        tax_rate=format_percent(shop.tax_rate) if shop.tax_rate else "",
        due_date=(today + timedelta(days=shop.payment_terms_days)).isoformat(),
    )


def create_draft(session: Session, actor: StaffPrincipal, job_id: int, data: InvoiceInput) -> int:
    job = get_job(session, job_id)
    shop = _shop(session)
    columns, lines = _clean(data, shop.currency)
    invoice = Invoice(
        customer_id=job.customer_id, job_id=job.id, currency=shop.currency, created_by_staff_id=actor.id, **columns
    )
    session.add(invoice)
    _write_lines(session, invoice, lines, "created", "Draft created", actor)
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
    _write_lines(session, invoice, lines, "edited", "Draft edited", actor)


def _write_lines(session: Session, invoice: Invoice, lines: list, kind: str, text: str, actor: StaffPrincipal) -> None:
    """The draft's lines as the form has them (after the invoice row, so it has its id), and
    the history line that says who created or edited it."""
    session.flush()
    for line in lines:
        line.invoice_id = invoice.id
    session.add_all(lines)
    _event(session, invoice, kind, text, actor.name)


def _allocate_number(session: Session) -> str:
    """The next invoice number, taken in the caller's transaction (see the package docstring, in __init__)."""
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
    if email_client and not outbox.contacts_to_email(session, invoice.customer_id):
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
    from kontrol_app.services import payments  # payments builds on invoices

    pdf = invoice_pdf.render(session, invoice.id)
    data = {
        "number": invoice.number,
        "job_title": _job_title(session, invoice),
        "total": format_money(invoice.total_cents, invoice.currency),
        "balance": format_money(balance(invoice), invoice.currency),
        "due_date": invoice.due_date.strftime("%b %-d, %Y") if invoice.due_date else "",
        "invoice_url": invoice_portal_url(session, invoice),
        **payments.invoice_email_data(session),
    }
    kind, amount = due_now(invoice)
    if kind == "deposit":
        data["deposit"] = format_money(amount, invoice.currency)
    queued = 0
    stamp = utcnow().isoformat() if resend else "first"
    for contact in outbox.contacts_to_email(session, invoice.customer_id):
        email = outbox.queue_email(
            session, kind=EmailKind.INVOICE_SENT, to=contact.email, data=data,
            dedupe_key=f"invoice:{invoice.id}:{contact.id}:{stamp}", attachment=(f"{invoice.number}.pdf", pdf),
        )
        queued += email is not None
    return queued
