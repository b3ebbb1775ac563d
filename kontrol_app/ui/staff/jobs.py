"""Jobs: the list with filters, the board, the new/edit form and the job page."""

from __future__ import annotations

import reflex as rx

from kontrol_app.models import Carrier
from kontrol_app.services import jobs as job_service
from kontrol_app.services import shop as shop_service
from kontrol_app.services import statuses
from kontrol_app.services.clock import shop_time
from kontrol_app.services.errors import ServiceError
from kontrol_app.services.tracking import CARRIER_LABELS
from kontrol_app.ui.components.forms import field, form_error
from kontrol_app.ui.components.status import status_badge
from kontrol_app.ui.components.tables import paged_table
from kontrol_app.ui.services import call, current_staff
from kontrol_app.ui.staff.shell import guarded, staff_page

FORM_FIELDS = ("title", "quantity", "due_date", "decoration", "garment", "colour", "notes")
STATUS_OPTIONS = [statuses.LABELS[s] for s in statuses.ALL_STATUSES]
DECORATIONS = {label: value.value for value, label in job_service.DECORATION_LABELS.items()}


def _job_id_from_path(path: str) -> int | None:
    parts = [p for p in (path or "").split("/") if p]
    if len(parts) >= 2 and parts[0] == "jobs" and parts[1].isdigit():
        return int(parts[1])
    return None


def _due(value) -> str:  # noqa: ANN001
    return f"{value:%b} {value.day}, {value.year}" if value else ""


def _row_dict(row: job_service.JobRow) -> dict[str, str]:
    return {
        "id": str(row.id),
        "title": row.title,
        "customer": row.customer_name,
        "customer_id": str(row.customer_id),
        "pieces": f"{row.quantity:,} pcs",
        "due": _due(row.due_date),
        "status": statuses.label(row.status),
        "status_value": row.status,
        "next": statuses.label(nxt) if (nxt := statuses.next_status(row.status)) else "",
    }


# --- list ---------------------------------------------------------------------------


class JobListState(rx.State):
    rows: list[dict[str, str]] = []
    status: str = "active"
    search: str = ""
    due_from: str = ""
    due_to: str = ""
    customer_name: str = ""
    page: int = 1
    pages: int = 1
    total: int = 0
    error: str = ""
    _customer_id: int | None = None

    async def _refresh(self) -> None:
        principal = await current_staff(self)
        if principal is None:
            return
        filters = job_service.JobFilters(
            status="" if self.status == "all" else self.status,
            customer_id=self._customer_id,
            due_from=self.due_from,
            due_to=self.due_to,
            search=self.search,
        )
        self.error = ""
        try:
            result = await call(job_service.list_jobs, principal, filters, page=self.page)
        except ServiceError as error:
            self.error = error.message
            return
        self.rows = [_row_dict(r) for r in result.rows]
        self.page, self.pages, self.total = result.page, result.pages, result.total

    @rx.event
    async def load(self):
        customer = self.router.url.query_parameters.get("customer", "")
        self._customer_id = int(customer) if customer.isdigit() else None
        self.customer_name = ""
        if self._customer_id:
            principal = await current_staff(self)
            if principal is not None:
                matches = await call(job_service.customer_name, self._customer_id)
                self.customer_name = matches or ""
        self.page = 1
        await self._refresh()

    @rx.event
    async def set_filter(self, name: str, value: str):
        if name in ("status", "search", "due_from", "due_to"):
            setattr(self, name, value[:100])
            self.page = 1
            await self._refresh()

    @rx.event
    async def go_to_page(self, page: int):
        self.page = page
        await self._refresh()


def _job_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["title"], href="/jobs/" + row["id"].to(str), weight="medium")),
        rx.table.cell(rx.link(row["customer"], href="/customers/" + row["customer_id"].to(str), color_scheme="gray")),
        rx.table.cell(row["pieces"]),
        rx.table.cell(row["due"]),
        rx.table.cell(status_badge(row["status"].to(str))),
        class_name="job-row",
    )


def _jobs_header(current: str) -> rx.Component:
    return rx.hstack(
        rx.link(rx.button("List", variant="solid" if current == "list" else "soft", size="2"), href="/jobs"),
        rx.link(rx.button("Board", variant="solid" if current == "board" else "soft", size="2"), href="/jobs/board"),
        rx.spacer(),
        rx.link(rx.button(rx.icon("plus", size=16), "New job"), href="/jobs/new"),
        width="100%",
        margin_bottom="12px",
    )


def job_list_page() -> rx.Component:
    state = JobListState
    return staff_page(
        "Jobs",
        "Jobs",
        _jobs_header("list"),
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
                value=state.search,
                on_change=lambda v: state.set_filter("search", v),
                debounce_timeout=300,
                name="search",
                min_width="220px",
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
            ),
            spacing="3",
            wrap="wrap",
            margin_bottom="12px",
        ),
        rx.cond(state.error != "", rx.text(state.error, color_scheme="red", size="2", role="alert")),
        rx.cond(
            state.total == 0,
            rx.text("No jobs match these filters.", color_scheme="gray"),
            paged_table(["Job", "Customer", "Quantity", "Due", "Status"], state.rows, _job_row, state, "jobs"),
        ),
    )


# --- board --------------------------------------------------------------------------


class JobBoardState(rx.State):
    columns: list[dict] = []

    async def _refresh(self, principal) -> None:  # noqa: ANN001
        columns = await call(job_service.board, principal)
        self.columns = [
            {"status": c.label, "count": c.count, "cards": [_row_dict(r) for r in c.cards]} for c in columns
        ]

    @rx.event
    async def load(self):
        principal = await current_staff(self)
        if principal is None:
            return
        await self._refresh(principal)

    @rx.event
    async def move_next(self, job_id: str, from_status: str):
        principal = await current_staff(self)
        if principal is None:
            return rx.toast.error("Your session has ended. Sign in again.")
        target = statuses.next_status(from_status)
        if target is None or not job_id.isdigit():
            return
        try:
            moved = await call(job_service.change_status, principal, int(job_id), target.value, expected_from=from_status)
        except ServiceError as error:
            return rx.toast.error(error.message)
        await self._refresh(principal)
        if moved:
            return rx.toast.success(f"Moved to {statuses.label(target)}.")


def _board_card(card: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.link(card["title"], href="/jobs/" + card["id"].to(str), weight="medium", size="2"),
            rx.text(card["customer"], size="1", color_scheme="gray"),
            rx.text(card["pieces"], rx.cond(card["due"] != "", " · Due " + card["due"].to(str), ""), size="1"),
            rx.cond(
                card["next"] != "",
                rx.button(
                    "→ " + card["next"].to(str),
                    size="1",
                    variant="soft",
                    on_click=JobBoardState.move_next(card["id"], card["status_value"]),
                    class_name="move-next",
                ),
            ),
            spacing="1",
        ),
        width="100%",
        class_name="board-card",
    )


def _board_column(column: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(status_badge(column["status"].to(str)), rx.text(column["count"], size="1", color_scheme="gray"), align="center"),
        rx.foreach(column["cards"].to(list[dict[str, str]]), _board_card),
        min_width="220px",
        max_width="240px",
        spacing="2",
        padding="8px",
        background=rx.color("gray", 2),
        border_radius="8px",
        class_name="board-column",
    )


def job_board_page() -> rx.Component:
    return staff_page(
        "Jobs",
        "Jobs",
        _jobs_header("board"),
        rx.scroll_area(
            rx.hstack(rx.foreach(JobBoardState.columns, _board_column), align="start", spacing="3"),
            scrollbars="horizontal",
            type="auto",
            width="100%",
        ),
    )


# --- new / edit form ----------------------------------------------------------------


class JobFormState(rx.State):
    form: dict[str, str] = {f: "" for f in FORM_FIELDS}
    errors: dict[str, str] = {}
    editing: bool = False
    customer_name: str = ""
    customer_query: str = ""
    customer_choices: list[dict[str, str]] = []
    _customer_id: int | None = None
    _job_id: int | None = None

    @rx.event
    async def load(self):
        principal = await current_staff(self)
        if principal is None:
            return
        self.errors = {}
        self.customer_choices = []
        self._job_id = _job_id_from_path(self.router.url.path)
        self.editing = self._job_id is not None
        if self._job_id is None:
            self.form = {f: "" for f in FORM_FIELDS} | {"decoration": "screen_print"}
            customer = self.router.url.query_parameters.get("customer", "")
            self._customer_id = int(customer) if customer.isdigit() else None
        else:
            try:
                data = await call(job_service.job_input, principal, self._job_id)
            except ServiceError as error:
                return rx.toast.error(error.message)
            self.form = {f: str(getattr(data, f)) for f in FORM_FIELDS}
            self._customer_id = data.customer_id
        self.customer_name = (await call(job_service.customer_name, self._customer_id) or "") if self._customer_id else ""

    @rx.event
    def set_field(self, name: str, value: str):
        if name in FORM_FIELDS:
            self.form[name] = value

    @rx.event
    async def find_customer(self, text: str):
        principal = await current_staff(self)
        if principal is None:
            return
        self.customer_query = text[:100]
        matches = await call(job_service.find_customers, principal, self.customer_query)
        self.customer_choices = [{"id": str(i), "name": n} for i, n in matches]

    @rx.event
    async def choose_customer(self, customer_id: str):
        if await current_staff(self) is None or not customer_id.isdigit():
            return
        name = await call(job_service.customer_name, int(customer_id))
        if name:
            self._customer_id, self.customer_name = int(customer_id), name
            self.customer_choices, self.customer_query = [], ""
            self.errors = {k: v for k, v in self.errors.items() if k != "customer"}

    @rx.event
    async def save(self):
        principal = await current_staff(self)
        if principal is None:
            return rx.toast.error("Your session has ended. Sign in again.")
        self.errors = {}
        data = job_service.JobInput(**{f: self.form.get(f, "") for f in FORM_FIELDS}, customer_id=self._customer_id)
        try:
            if self._job_id is None:
                job_id = await call(job_service.create_job, principal, data)
            else:
                job_id = self._job_id
                await call(job_service.update_job, principal, job_id, data)
        except ServiceError as error:
            self.errors = {error.field or "form": error.message}
            return rx.toast.error("The job was not saved. Check the highlighted field.")
        return [rx.redirect(f"/jobs/{job_id}"), rx.toast.success("Job saved.")]


def _job_input(name: str, **props) -> rx.Component:
    return rx.input(value=JobFormState.form[name], on_change=lambda v: JobFormState.set_field(name, v), name=name, width="100%", **props)


def _customer_picker() -> rx.Component:
    state = JobFormState
    return rx.vstack(
        rx.cond(
            state.customer_name != "",
            rx.hstack(rx.badge(state.customer_name, size="2", id="chosen-customer"), rx.text("Change:", size="1", color_scheme="gray"), align="center"),
        ),
        rx.input(
            placeholder="Search customers by name",
            value=state.customer_query,
            on_change=state.find_customer.debounce(250),
            on_focus=state.find_customer(state.customer_query),
            name="customer_search",
            width="100%",
        ),
        rx.foreach(
            state.customer_choices,
            lambda c: rx.button(c["name"], variant="ghost", size="2", type="button", on_click=state.choose_customer(c["id"]), class_name="customer-choice"),
        ),
        spacing="1",
        width="100%",
    )


def job_form_page() -> rx.Component:
    state = JobFormState
    errors = state.errors
    return staff_page(
        "Jobs",
        rx.cond(state.editing, "Edit job", "New job"),
        rx.card(
            rx.vstack(
                form_error(errors.get("form", "")),
                field("Title", _job_input("title", placeholder="Spring League T-Shirts"), errors.get("title", "")),
                field("Customer", _customer_picker(), errors.get("customer", "")),
                rx.flex(
                    field("Quantity (pcs)", _job_input("quantity", inputmode="numeric", placeholder="144"), errors.get("quantity", "")),
                    field("Due date", _job_input("due_date", type="date"), errors.get("due_date", "")),
                    field(
                        "Decoration",
                        rx.select.root(
                            rx.select.trigger(),
                            rx.select.content(*[rx.select.item(label, value=value) for label, value in DECORATIONS.items()]),
                            value=state.form["decoration"],
                            on_change=lambda v: state.set_field("decoration", v),
                            name="decoration",
                        ),
                        errors.get("decoration", ""),
                    ),
                    spacing="3",
                    direction={"initial": "column", "sm": "row"},
                    width="100%",
                ),
                rx.flex(
                    field("Garment", _job_input("garment", placeholder="Gildan 5000 T-shirt"), errors.get("garment", "")),
                    field("Colour", _job_input("colour", placeholder="Navy"), errors.get("colour", "")),
                    spacing="3",
                    direction={"initial": "column", "sm": "row"},
                    width="100%",
                ),
                field(
                    "Notes",
                    rx.text_area(value=state.form["notes"], on_change=lambda v: state.set_field("notes", v), name="notes", rows="3", width="100%"),
                    errors.get("notes", ""),
                ),
                rx.hstack(
                    rx.button("Save job", on_click=state.save, size="3"),
                    rx.link(rx.button("Cancel", variant="soft", color_scheme="gray", size="3"), href="/jobs"),
                ),
                spacing="4",
                width="100%",
            ),
            max_width="760px",
        ),
    )


# --- job page -----------------------------------------------------------------------


class JobPageState(rx.State):
    job: dict[str, str] = {}
    history: list[dict[str, str]] = []
    found: bool = True
    next_label: str = ""
    status_note: str = ""
    tracking_carrier: str = ""
    tracking_number: str = ""
    errors: dict[str, str] = {}
    _job_id: int | None = None

    async def _refresh(self, principal) -> None:  # noqa: ANN001
        detail = await call(job_service.job_detail, principal, self._job_id)
        info = await call(shop_service.shop_info)
        tz = info.timezone if info else "UTC"
        self.job = {
            "id": str(detail.id),
            "title": detail.title,
            "customer": detail.customer_name,
            "customer_id": str(detail.customer_id),
            "pieces": f"{detail.quantity:,} pcs",
            "due": _due(detail.due_date) or "No due date",
            "decoration": job_service.DECORATION_LABELS.get(detail.decoration, detail.decoration),
            "garment": detail.garment,
            "colour": detail.colour,
            "notes": detail.notes,
            "status": statuses.label(detail.status),
            "status_value": detail.status,
            "tracking": f"{CARRIER_LABELS.get(detail.tracking_carrier, '')} {detail.tracking_number}".strip(),
            "tracking_url": detail.tracking_url,
        }
        nxt = statuses.next_status(detail.status)
        self.next_label = statuses.label(nxt) if nxt else ""
        self.tracking_carrier = detail.tracking_carrier or Carrier.UPS.value
        self.tracking_number = detail.tracking_number
        self.history = [
            {
                "change": (h.from_label + " → " + h.to_label) if h.from_label else "Created as " + h.to_label,
                "by": h.changed_by,
                "at": shop_time(h.at, tz),
                "note": h.note,
            }
            for h in detail.history
        ]

    @rx.event
    async def load(self):
        principal = await current_staff(self)
        if principal is None:
            return
        self._job_id = _job_id_from_path(self.router.url.path)
        self.errors, self.status_note = {}, ""
        try:
            await self._refresh(principal)
            self.found = True
        except (ServiceError, TypeError):
            self.found = False

    @rx.event
    def set_status_note(self, value: str):
        self.status_note = value[:1000]

    @rx.event
    def set_tracking_carrier(self, value: str):
        self.tracking_carrier = value

    @rx.event
    def set_tracking_number(self, value: str):
        self.tracking_number = value[:60]

    @rx.event
    async def move_to(self, status_label: str):
        principal = await current_staff(self)
        if principal is None or self._job_id is None:
            return rx.toast.error("Your session has ended. Sign in again.")
        self.errors = {}
        try:
            moved = await call(
                job_service.change_status,
                principal,
                self._job_id,
                status_label,
                note=self.status_note,
                expected_from=self.job.get("status_value"),
            )
        except ServiceError as error:
            self.errors = {error.field or "status": error.message}
            return
        self.status_note = ""
        await self._refresh(principal)
        if moved:
            return rx.toast.success(f"Status: {self.job['status']}.")

    @rx.event
    async def save_tracking(self):
        principal = await current_staff(self)
        if principal is None or self._job_id is None:
            return rx.toast.error("Your session has ended. Sign in again.")
        self.errors = {}
        try:
            await call(job_service.set_tracking, principal, self._job_id, carrier=self.tracking_carrier, number=self.tracking_number)
        except ServiceError as error:
            self.errors = {error.field or "tracking_number": error.message}
            return
        await self._refresh(principal)
        return rx.toast.success("Tracking saved.")


def _detail(label: str, value: rx.Var) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value))


def _status_section() -> rx.Component:
    state = JobPageState
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text("Status", weight="medium"), status_badge(state.job["status"], id="job-status"), align="center"),
            rx.flex(
                rx.cond(
                    state.next_label != "",
                    rx.button("Move to " + state.next_label, on_click=state.move_to(state.next_label), id="move-next"),
                ),
                rx.select(
                    STATUS_OPTIONS,
                    placeholder="Set status…",
                    value="",
                    on_change=state.move_to,
                    name="set_status",
                    # rx.select hands aria_label to its root, which renders nothing: name the trigger.
                    custom_attrs={"aria-label": "Set status"},
                ),
                rx.input(placeholder="Note for the history (optional)", value=state.status_note, on_change=state.set_status_note, name="status_note", min_width="240px"),
                spacing="2",
                wrap="wrap",
                align="center",
            ),
            rx.cond(state.errors.get("status", "") != "", rx.text(state.errors.get("status", ""), color_scheme="red", size="2", role="alert")),
            rx.separator(),
            rx.text("Tracking", weight="medium"),
            rx.flex(
                rx.select(
                    list(CARRIER_LABELS.values()),
                    value=rx.match(state.tracking_carrier, *[(v.value, label) for v, label in CARRIER_LABELS.items()], "UPS"),
                    on_change=lambda label: state.set_tracking_carrier(
                        rx.match(label, *[(lbl, v.value) for v, lbl in CARRIER_LABELS.items()], "other")
                    ),
                    name="tracking_carrier",
                    # rx.select hands aria_label to its root, which renders nothing: name the trigger.
                    custom_attrs={"aria-label": "Carrier"},
                ),
                rx.input(placeholder="Tracking number", value=state.tracking_number, on_change=state.set_tracking_number, name="tracking_number"),
                rx.button("Save tracking", variant="soft", on_click=state.save_tracking),
                spacing="2",
                wrap="wrap",
            ),
            rx.cond(state.errors.get("tracking_number", "") != "", rx.text(state.errors.get("tracking_number", ""), color_scheme="red", size="2", role="alert")),
            rx.cond(
                state.job["tracking_url"] != "",
                rx.link(state.job["tracking"], href=state.job["tracking_url"], is_external=True, size="2"),
                rx.text(state.job["tracking"], size="2"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def job_page() -> rx.Component:
    state = JobPageState
    return staff_page(
        "Jobs",
        rx.cond(state.found, state.job["title"], "Job not found"),
        rx.cond(
            ~state.found,
            rx.text("That job does not exist.", color_scheme="gray"),
            rx.vstack(
                rx.hstack(
                    rx.link(state.job["customer"], href="/customers/" + state.job["customer_id"]),
                    rx.spacer(),
                    rx.link(rx.button(rx.icon("pencil", size=14), "Edit job", variant="soft"), href="/jobs/" + state.job["id"] + "/edit"),
                    width="100%",
                ),
                _status_section(),
                rx.tabs.root(
                    rx.tabs.list(rx.tabs.trigger("Details", value="details"), rx.tabs.trigger("History", value="history")),
                    rx.tabs.content(
                        rx.data_list.root(
                            _detail("Quantity", state.job["pieces"]),
                            _detail("Due", state.job["due"]),
                            _detail("Decoration", state.job["decoration"]),
                            _detail("Garment", state.job["garment"]),
                            _detail("Colour", state.job["colour"]),
                            _detail("Notes", state.job["notes"]),
                            padding_top="12px",
                        ),
                        value="details",
                    ),
                    rx.tabs.content(
                        rx.table.root(
                            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in ("Change", "By", "When", "Note")])),
                            rx.table.body(
                                rx.foreach(
                                    state.history,
                                    lambda h: rx.table.row(
                                        rx.table.cell(h["change"]), rx.table.cell(h["by"]), rx.table.cell(h["at"]), rx.table.cell(h["note"]),
                                        class_name="history-row",
                                    ),
                                )
                            ),
                            variant="surface",
                            margin_top="12px",
                        ),
                        value="history",
                    ),
                    default_value="details",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
        ),
    )


LIST_ON_LOAD = guarded(JobListState.load)
BOARD_ON_LOAD = guarded(JobBoardState.load)
FORM_ON_LOAD = guarded(JobFormState.load)
PAGE_ON_LOAD = guarded(JobPageState.load)
