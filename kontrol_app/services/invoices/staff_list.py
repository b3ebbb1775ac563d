"""The staff's Invoices list and the totals of what is owed: filters, search and pages, the open
and overdue tallies (read from the counts the database keeps, `InvoiceDueTotal`) that the list
and the dashboard show, and a customer's open balance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, case, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, func, select

from kontrol_app.models import Customer, Invoice, InvoiceDueTotal, InvoiceStatus, Job
from kontrol_app.services.clock import shop_today
from kontrol_app.services.errors import InvalidInput
from kontrol_app.services.invoices.records import _shop
from kontrol_app.services.invoices.money_rule import NOTHING_OWED, OPEN, OVERDUE, balance, is_overdue, status_label
from kontrol_app.services.invoices.reading import _day
from kontrol_app.services.money import format_money
from kontrol_app.services.paging import page_window
from kontrol_app.services.search import contains
from kontrol_app.services.staff import StaffPrincipal

PAGE_SIZE = 25


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
    any_overdue: bool = False  # something is past due (the page shows the total in red)


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
                # A draft or void owes nothing: "—", not a $0.00 beside its total.
                invoice.job_title or "", money(invoice.total_cents, invoice),
                "—" if invoice.status in NOTHING_OWED else money(balance(invoice), invoice),
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
        tally.overdue_cents > 0,
    )
