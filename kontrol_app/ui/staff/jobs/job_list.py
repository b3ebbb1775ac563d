"""Jobs: the list with its filters."""

from __future__ import annotations

from dataclasses import astuple

import reflex as rx

from kontrol_app.services import jobs as job_service
from kontrol_app.services import statuses
from kontrol_app.ui.components.status import status_badge
from kontrol_app.ui.components.tables import PagedState, paged_table
from kontrol_app.ui.guard import StaffPrincipal, staff_event
from kontrol_app.ui.services import read, scan
from kontrol_app.ui.staff.shell import guarded, staff_page
from kontrol_app.ui.staff.jobs.common import jobs_header, row_dict


class JobListState(PagedState, rx.State):
    rows: list[dict[str, str]] = []
    status: str = "active"
    search: str = ""
    customer_search: str = ""
    due_from: str = ""
    due_to: str = ""
    customer_name: str = ""
    _customer_id: int | None = None
    # The last job of each page shown since page 1 (pages are only reached by Next and
    # Previous): either reads on from the page before's, as quick at page 2,000 as at page 2.
    # A tuple: Reflex hands out a list, and each row in it, through a change-tracking proxy.
    _trail: tuple[job_service.JobRow, ...] = ()

    async def _refresh(self, principal: StaffPrincipal, *, after: job_service.JobRow | None = None) -> None:
        filters = job_service.JobFilters(
            status="" if self.status == "all" else self.status,
            customer_id=self._customer_id,
            due_from=self.due_from,
            due_to=self.due_to,
            search=self.search,
            customer_search=self.customer_search,
        )
        # The page is the same read by position or on from the last row (`after`, faster).
        key = (*astuple(filters), self.page)
        reader = scan if (self.search + self.customer_search).strip() else read
        result = await self._read_changed(key, job_service.list_jobs, principal, filters, page=self.page, after=after,
                                          reader=reader)
        if result is None:
            return
        if reader is read and result.page < result.pages:  # Next, read ahead (not for a text search)
            self._read_ahead((*astuple(filters), result.page + 1), job_service.list_jobs, principal, filters,
                             page=result.page + 1, after=result.rows[-1] if result.rows else None)
        self.rows = [row_dict(r) for r in result.rows]
        before = self._trail[: result.page - 1]
        self._trail = (*before, *result.rows[-1:]) if len(before) == result.page - 1 else ()  # () once a page is skipped
        self.page, self.pages, self.total = result.page, result.pages, result.total

    @staff_event
    async def go_to_page(self, principal: StaffPrincipal, page: int):
        after = self._trail[page - 2] if 2 <= page <= len(self._trail) + 1 else None  # else by position
        self.page = page
        await self._refresh(principal, after=after)

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        query = self.router.url.query_parameters
        customer = query.get("customer", "")
        self._customer_id = int(customer) if customer.isdigit() else None
        if statuses.from_value(query.get("status", "")) is not None:  # the Dashboard's links
            self.status = query["status"]
        self.customer_name = ""
        if self._customer_id:
            self.customer_name = await read(job_service.customer_name, self._customer_id) or ""
        self.page = 1
        await self._refresh(principal)

    @staff_event
    async def set_filter(self, principal: StaffPrincipal, name: str, value: str):
        if name in ("status", "search", "customer_search", "due_from", "due_to"):
            setattr(self, name, value)
            self.page = 1
            await self._refresh(principal)


def _job_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["title"], href="/jobs/" + row["id"].to(str), weight="medium")),
        rx.table.cell(rx.link(row["customer"], href="/customers/" + row["customer_id"].to(str), color_scheme="gray")),
        rx.table.cell(row["pieces"]),
        rx.table.cell(row["due"]),
        rx.table.cell(status_badge(row["status"].to(str))),
        class_name="job-row",
    )


def job_list_page() -> rx.Component:
    state = JobListState
    return staff_page(
        "Jobs",
        "Jobs",
        jobs_header("list"),
        rx.cond(
            state.customer_name != "",
            rx.callout(
                rx.hstack(rx.text("Showing jobs for ", state.customer_name), rx.link("Show all customers", href="/jobs"), spacing="3"),
                icon="filter",
                margin_bottom="12px",
            ),
        ),
        rx.flex(
            rx.input(
                rx.input.slot(rx.icon("search", size=16)),
                placeholder="Search job titles",
                aria_label="Search job titles",
                value=state.search,
                on_change=lambda v: state.set_filter("search", v),
                debounce_timeout=300,
                name="search",
                min_width="220px",
            ),
            rx.input(
                rx.input.slot(rx.icon("users", size=16)),
                placeholder="Customer",
                aria_label="Filter by customer",
                value=state.customer_search,
                on_change=lambda v: state.set_filter("customer_search", v),
                debounce_timeout=300,
                name="customer_search",
                min_width="180px",
            ),
            rx.select.root(
                rx.select.trigger(placeholder="Status", aria_label="Status filter"),
                rx.select.content(
                    rx.select.item("Active jobs", value="active"),
                    rx.select.item("All jobs", value="all"),
                    *[rx.select.item(statuses.LABELS[s], value=s.value) for s in statuses.ALL_STATUSES],
                ),
                value=state.status,
                on_change=lambda v: state.set_filter("status", v),
                name="status",
            ),
            rx.hstack(
                rx.text("Due", size="2"),
                rx.input(type="date", value=state.due_from, on_change=lambda v: state.set_filter("due_from", v), name="due_from", aria_label="Due from"),
                rx.text("to", size="2"),
                rx.input(type="date", value=state.due_to, on_change=lambda v: state.set_filter("due_to", v), name="due_to", aria_label="Due to"),
                align="center",
                wrap="wrap",  # on a phone "to" and its date go under "Due"
            ),
            spacing="3",
            wrap="wrap",
            margin_bottom="12px",
        ),
        rx.cond(state.errors.length() > 0, rx.text(state.errors.values().join(" "), color_scheme="red", size="2", role="alert")),
        rx.cond(
            state.total == 0,
            rx.cond(  # a new shop's list is not "filtered": it says how to start
                (state.status == "active") & (state.search == "") & (state.customer_search == "") & (state.due_from == "")
                & (state.due_to == "") & (state.customer_name == ""),
                rx.text("No active jobs. Click New job to start one.", color_scheme="gray", id="jobs-empty"),
                rx.text("No jobs match these filters.", color_scheme="gray", id="jobs-empty"),
            ),
            paged_table(["Job", "Customer", "Quantity", "Due", "Status"], state.rows, _job_row, state, ("job", "jobs"), phone=("Job", "Customer", "Due", "Status")),
        ),
    )


LIST_ON_LOAD = guarded(JobListState.load)
