"""Reading one invoice: `InvoiceView`, the invoice formatted in its currency as staff, the
client's portal and the PDF read it (its lines, the rows of totals under them, its payments and
history), and the staff's invoice page and a job's invoices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from kontrol_app.models import Customer, Invoice, InvoiceEvent, InvoicePayment, InvoiceStatus
from kontrol_app.services.clock import shop_time, shop_today, shop_zone
from kontrol_app.services.invoices.records import _get, _job_title, _lines, _shop
from kontrol_app.services.invoices.money_rule import OVERDUE, balance, due_now, is_overdue, status_label
from kontrol_app.services.invoices.payments_and_refunds import METHOD_LABELS
from kontrol_app.services.jobs import get_job
from kontrol_app.services.money import format_money, format_percent
from kontrol_app.services.staff import StaffPrincipal


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
    get_job(session, job_id)
    rows = session.exec(select(Invoice).where(Invoice.job_id == job_id).order_by(Invoice.id.desc())).all()
    return [view(session, row) for row in rows]
