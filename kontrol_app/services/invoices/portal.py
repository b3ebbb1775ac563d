"""The client's invoices in the portal: only their own sent invoices (never a draft), the cards of
the Invoices tab, one invoice in full without what only staff see, and the stamp the open
portal polls to notice a change."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlmodel import Session, select

from kontrol_app.models import Invoice, InvoiceStatus, Job
from kontrol_app.services.clock import shop_today
from kontrol_app.services.errors import NotFound
from kontrol_app.services.invoices.records import _shop
from kontrol_app.services.invoices.money_rule import OPEN, balance, due_now, is_overdue, status_label
from kontrol_app.services.invoices.reading import InvoiceView, _day, view
from kontrol_app.services.money import format_money


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


def _short_day(value: date | datetime | None, timezone: str, this_year: int) -> str:
    """"Mar 4"; with its year when that is not this year ("Due Dec 20, 2025" in January)."""
    text = _day(value, timezone)
    return text.rsplit(",", 1)[0] if text.endswith(f", {this_year}") else text


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
            label = f"Paid {_short_day(invoice.paid_at, shop.timezone, today.year)}".strip()
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
            notes.append(f"Due {_short_day(invoice.due_date, shop.timezone, today.year)}")
        if invoice.status == InvoiceStatus.PARTIALLY_PAID:
            notes.append(f"Balance {money(balance(invoice))}")
        if invoice.refunded_cents:
            notes.append(f"Refunded {money(invoice.refunded_cents)}")
        cards.append(
            PortalInvoice(
                id=invoice.id,
                number=invoice.number or "",
                job_title=job_title or "",
                heading=f"{invoice.number} · {_short_day(invoice.sent_at, shop.timezone, today.year)}",
                amount=money(invoice.total_cents),
                status_label=label,
                status_color="red" if overdue else _PORTAL_COLORS.get(InvoiceStatus(invoice.status), "gray"),
                note=" · ".join(notes),
                pay_label=pay,
                pdf_url=f"/api/invoices/{invoice.id}/pdf",
            )
        )
    return cards
