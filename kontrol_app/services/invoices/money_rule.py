"""The money rule: an invoice's totals (`totals`: tax on the discounted subtotal, rounded
half-up to the cent; a deposit is at most the total), what is still owed (`balance`), what the
client can pay now (`due_now`), and the status it shows (overdue is never stored: it is read
from the due date and the balance)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kontrol_app.models import Invoice, InvoiceStatus
from kontrol_app.services.money import percent_of

OPEN = (InvoiceStatus.SENT, InvoiceStatus.PARTIALLY_PAID)
NOTHING_OWED = (InvoiceStatus.DRAFT, InvoiceStatus.VOID)  # not sent yet, or cancelled

STATUS_LABELS = {
    InvoiceStatus.DRAFT: "Draft",
    InvoiceStatus.SENT: "Sent",
    InvoiceStatus.PARTIALLY_PAID: "Partially Paid",
    InvoiceStatus.PAID: "Paid",
    InvoiceStatus.VOID: "Void",
}
OVERDUE = "overdue"  # a filter value and a label, never stored


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
    if invoice.status in NOTHING_OWED:
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
