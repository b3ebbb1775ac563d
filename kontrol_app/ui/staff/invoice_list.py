"""Invoices: every invoice of the shop, filtered by status and searched by number, customer
or job, with what is open and overdue; paged in SQL."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import invoices
from kontrol_app.ui.components.invoice_status import invoice_badge
from kontrol_app.ui.components.tables import PagedState, paged_table
from kontrol_app.ui.guard import StaffPrincipal, staff_event
from kontrol_app.ui.services import read, scan
from kontrol_app.ui.staff.shell import guarded, staff_page

# (value, label): "all" on screen is "" for the service (a Radix select item cannot be empty).
STATUS_FILTERS = [
    ("all", "All"),
    ("open", "Open"),  # what is still owed: the filter a shop wants most, next to All
    ("draft", "Draft"),
    ("sent", "Sent"),
    ("partially_paid", "Partially Paid"),
    ("paid", "Paid"),
    (invoices.OVERDUE, "Overdue"),
    ("void", "Void"),
]


def _row(row: invoices.InvoiceRow) -> dict[str, str]:
    return {
        "id": str(row.id),
        "number": row.number,
        "customer": row.customer_name,
        "customer_href": f"/customers/{row.customer_id}",
        "job": row.job_title,
        # The job page opens on its Invoices tab with this invoice shown.
        "href": f"/jobs/{row.job_id}?tab=invoices&invoice={row.id}" if row.job_id else "",
        "total": row.total,
        "balance": row.balance,
        "status": row.status,
        "status_label": row.status_label,
        "issued": row.issued,
        "due_date": row.due_date,
    }


class InvoiceListState(PagedState, rx.State):
    rows: list[dict[str, str]] = []
    status: str = "all"
    search: str = ""
    open_total: str = ""
    overdue_total: str = ""
    any_overdue: bool = False  # red only when something is overdue

    async def _refresh(self, principal: StaffPrincipal) -> None:
        filters = invoices.InvoiceFilters(status="" if self.status == "all" else self.status, search=self.search)
        key = (filters.status, filters.search, self.page)
        reader = scan if self.search.strip() else read
        result = await self._read_changed(key, invoices.list_invoices, principal, filters, page=self.page, reader=reader)
        if result is None:
            return
        self.rows = [_row(r) for r in result.rows]
        self.page, self.pages, self.total = result.page, result.pages, result.total
        self.open_total, self.overdue_total, self.any_overdue = result.open_total, result.overdue_total, result.any_overdue

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        wanted = self.router.url.query_parameters.get("status", "")
        self.status = wanted if wanted in {value for value, _ in STATUS_FILTERS} else "all"
        self.search = ""
        self.page = 1
        await self._refresh(principal)

    @staff_event
    async def set_filter(self, principal: StaffPrincipal, name: str, value: str):
        if name in ("status", "search"):
            setattr(self, name, value)
            self.page = 1
            await self._refresh(principal)


def _invoice_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.cond(row["href"] != "", rx.link(row["number"], href=row["href"], weight="medium"), rx.text(row["number"])),
        ),
        rx.table.cell(rx.link(row["customer"], href=row["customer_href"], color_scheme="gray", high_contrast=True)),
        rx.table.cell(row["job"]),
        rx.table.cell(row["total"]),
        rx.table.cell(row["balance"]),
        rx.table.cell(row["due_date"]),
        rx.table.cell(invoice_badge(row["status"], row["status_label"])),
        class_name="invoice-list-row",
    )


def invoice_list_page() -> rx.Component:
    state = InvoiceListState
    return staff_page(
        "Invoices",
        "Invoices",
        rx.hstack(
            rx.text("Open: ", rx.el.strong(state.open_total, custom_attrs={"id": "open-total"}), size="3"),
            rx.text("·", size="3", aria_hidden="true"),
            rx.text(
                "Overdue: ",
                rx.el.strong(state.overdue_total, custom_attrs={"id": "overdue-total"}),
                size="3",
                color_scheme=rx.cond(state.any_overdue, "red", "gray"),
            ),
            spacing="2",
            align="center",
            wrap="wrap",
            margin_bottom="12px",
            custom_attrs={"id": "invoice-totals-line"},
        ),
        rx.flex(
            rx.input(
                rx.input.slot(rx.icon("search", size=16)),
                placeholder="Number, customer or job",
                value=state.search,
                on_change=lambda v: state.set_filter("search", v),
                debounce_timeout=300,
                name="search",
                aria_label="Search invoices by number, customer or job",
                min_width="240px",
            ),
            rx.select.root(
                rx.select.trigger(aria_label="Status filter"),
                rx.select.content(*[rx.select.item(label, value=value) for value, label in STATUS_FILTERS]),
                value=state.status,
                on_change=lambda v: state.set_filter("status", v),
                name="status",
            ),
            spacing="3",
            wrap="wrap",
            margin_bottom="12px",
        ),
        rx.cond(state.errors.length() > 0, rx.text(state.errors.values().join(" "), color_scheme="red", size="2", role="alert")),
        rx.cond(
            state.total == 0,
            rx.cond(  # nothing filtered: say how one starts
                (state.status == "all") & (state.search == ""),
                rx.text("No invoices yet. Create one from a job's Invoices tab.", color_scheme="gray"),
                rx.text("No invoices match these filters.", color_scheme="gray"),
            ),
            paged_table(
                ["Invoice", "Customer", "Job", "Total", "Balance", "Due", "Status"], state.rows, _invoice_row, state, ("invoice", "invoices"),
                phone=("Invoice", "Customer", "Balance", "Status"),
            ),
        ),
    )


ON_LOAD = guarded(InvoiceListState.load)
