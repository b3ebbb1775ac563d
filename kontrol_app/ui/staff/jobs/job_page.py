"""The job page: status (one click to move on), tracking, details and history."""

from __future__ import annotations

import reflex as rx

from kontrol_app.models import Carrier, JobStatus
from kontrol_app.services import jobs as job_service
from kontrol_app.services import shop as shop_service
from kontrol_app.services import statuses
from kontrol_app.services.clock import shop_time
from kontrol_app.services.errors import NotFound
from kontrol_app.services.tracking import CARRIER_LABELS
from kontrol_app.ui.components.status import status_badge
from kontrol_app.ui.components.tabs import wrapping_tab_list
from kontrol_app.ui.components.links import link_button
from kontrol_app.ui.guard import StaffPrincipal, StaffState, form_event, staff_event
from kontrol_app.ui.services import call, read
from kontrol_app.ui.staff.shell import guarded, staff_page
from kontrol_app.ui.staff.customers.brand_kit import job_brand_kit
from kontrol_app.ui.staff.jobs.common import STATUS_OPTIONS, due_label
from kontrol_app.ui.staff.jobs.files import JobFilesState, job_files_section
from kontrol_app.ui.staff.jobs.invoices import JobInvoicesState, invoices_tab
from kontrol_app.ui.staff.jobs.messages import JobMessagesState, messages_tab
from kontrol_app.ui.staff.jobs.mockups import MockupsState, mockups_tab

TABS = ("details", "mockups", "invoices", "messages", "history")


class JobPageState(StaffState, rx.State):
    job: dict[str, str] = {}
    history: list[dict[str, str]] = []
    found: bool = True
    next_status: str = ""
    next_label: str = ""
    status_note: str = ""
    tracking_carrier: str = ""
    tracking_number: str = ""
    tab: str = "details"  # ?tab=invoices opens that tab (links from the Invoices page)
    _stamp: str = ""  # `job_service.job_stamp` when last shown
    _saved_tracking: tuple[str, str] = ("", "")  # the tracking boxes as last loaded

    async def _refresh(self, principal: StaffPrincipal, *, keep_typed: bool = True) -> None:
        """The job as it is now; tracking typed but not saved stays in its boxes (`keep_typed`)."""
        detail = await call(job_service.job_detail, principal, self._route_id("job_id"))
        self._stamp = detail.stamp
        tz = await call(shop_service.shop_timezone)
        self.job = {
            "id": str(detail.id),
            "title": detail.title,
            "customer": detail.customer_name,
            "customer_id": str(detail.customer_id),
            "pieces": f"{detail.quantity:,} pcs",
            "due": due_label(detail.due_date) or "No due date",
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
        self.next_status = nxt.value if nxt else ""
        self.next_label = statuses.label(nxt) if nxt else ""
        saved = (detail.tracking_carrier or Carrier.UPS.value, detail.tracking_number)
        if not keep_typed or (self.tracking_carrier, self.tracking_number) == self._saved_tracking:
            self.tracking_carrier, self.tracking_number = saved
        self._saved_tracking = saved
        self.history = [
            {
                "change": (h.from_label + " → " + h.to_label) if h.from_label else "Created as " + h.to_label,
                "by": h.changed_by,
                "at": shop_time(h.at, tz),
                "note": h.note,
            }
            for h in detail.history
        ]

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        self.status_note = ""
        wanted = self.router.url.query_parameters.get("tab", "")
        self.tab = wanted if wanted in TABS else "details"
        self.found = self._route_id("job_id") is not None
        if not self.found:
            return
        try:
            await self._refresh(principal, keep_typed=False)
        except NotFound:
            self.found = False

    # Ticks with the bell: a client's answer, or a colleague's move, shows here. Not quiet: a
    # session that ends while the page is open is told, and sent to Sign in.
    @staff_event(poll=True)
    async def poll(self, principal: StaffPrincipal, _tick: str = ""):
        job_id = self._route_id("job_id")
        if not self.found or job_id is None or not self._written_since_last_poll():
            return
        if await read(job_service.job_stamp, job_id) == self._stamp:
            return
        was = self.job.get("status_value")
        try:
            await self._refresh(principal)
            await (await self.get_state(MockupsState))._refresh(principal)
        except NotFound:  # deleted meanwhile
            self.found = False
        if self.job.get("status_value") != was and "status" in self.errors:  # said of a status it has left
            self.errors = {k: v for k, v in self.errors.items() if k != "status"}

    @form_event
    def set_tab(self, value: str):
        if value in TABS:
            self.tab = value

    @form_event
    def set_status_note(self, value: str):
        self.status_note = value

    @form_event
    def set_tracking_carrier(self, value: str):
        self.tracking_carrier = value

    @form_event
    def set_tracking_number(self, value: str):
        self.tracking_number = value

    @staff_event
    async def move_to(self, principal: StaffPrincipal, status: str):
        moved = await call(
            job_service.change_status,
            principal,
            self._route_id("job_id"),
            status,
            note=self.status_note,
            expected_from=self.job.get("status_value"),
        )
        await self._refresh(principal)
        if not moved:  # a double click, or another tab moved it first: the page now shows where it is
            return rx.toast.info(f"Nothing changed: the job is at {self.job['status']} now.")
        self.status_note = ""
        return rx.toast.success(f"Status: {self.job['status']}.")

    @staff_event
    async def save_tracking(self, principal: StaffPrincipal):
        had = self._saved_tracking[1]
        await call(
            job_service.set_tracking,
            principal,
            self._route_id("job_id"),
            carrier=self.tracking_carrier,
            number=self.tracking_number,
        )
        await self._refresh(principal, keep_typed=False)
        if self._saved_tracking[1]:
            return rx.toast.success("Tracking saved.")
        return rx.toast.success("Tracking removed.") if had else rx.toast.info("There is no tracking number to save.")


def _detail(label: str, value: rx.Var, **props) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value, **props))


def _status_section() -> rx.Component:
    state = JobPageState
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text("Status", weight="medium"), status_badge(state.job["status"], id="job-status"), align="center"),
            rx.flex(
                rx.cond(
                    state.next_label != "",
                    rx.button("Move to " + state.next_label, on_click=state.move_to(state.next_status), id="move-next"),
                    rx.cond(  # no click moves it on: the client's answer does
                        state.job["status"] == statuses.label(JobStatus.AWAITING_APPROVAL),
                        rx.text("Waiting for the client's answer (Mockups tab).", size="2", color_scheme="gray", id="awaiting-answer"),
                    ),
                ),
                rx.select.root(
                    # The root renders no element: the trigger button is what needs the name.
                    rx.select.trigger(placeholder="Set status…", aria_label="Set status"),
                    rx.select.content(*[rx.select.item(label, value=value) for value, label in STATUS_OPTIONS]),
                    value="",
                    on_change=state.move_to,
                    name="set_status",
                ),
                rx.input(
                    placeholder="Note for the history (optional)", aria_label="Note for the history (optional)",
                    value=state.status_note, on_change=state.set_status_note, name="status_note", min_width="240px",
                ),
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
                rx.input(placeholder="Tracking number", aria_label="Tracking number", value=state.tracking_number, on_change=state.set_tracking_number, name="tracking_number"),
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
                    link_button(rx.icon("pencil", size=14), "Edit job", href="/jobs/" + state.job["id"] + "/edit", variant="soft"),
                    width="100%",
                ),
                _status_section(),
                rx.tabs.root(
                    wrapping_tab_list(
                        rx.tabs.trigger("Details", value="details"),
                        rx.tabs.trigger("Mockups", value="mockups"),
                        rx.tabs.trigger("Invoices", value="invoices"),
                        rx.tabs.trigger("Messages", value="messages"),
                        rx.tabs.trigger("History", value="history"),
                    ),
                    rx.tabs.content(
                        rx.data_list.root(
                            _detail("Quantity", state.job["pieces"]),
                            _detail("Due", state.job["due"]),
                            _detail("Decoration", state.job["decoration"]),
                            _detail("Garment", state.job["garment"]),
                            _detail("Colour", state.job["colour"]),
                            _detail("Notes", state.job["notes"], white_space="pre-line", id="job-notes"),  # a quote's answers, a line each
                            padding_top="12px",
                        ),
                        job_files_section(),
                        job_brand_kit(),
                        value="details",
                    ),
                    rx.tabs.content(mockups_tab(), value="mockups"),
                    rx.tabs.content(invoices_tab(), value="invoices"),
                    rx.tabs.content(messages_tab(), value="messages"),
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
                    value=state.tab,
                    on_change=state.set_tab,
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
        ),
        poll=(state.poll,),
    )


PAGE_ON_LOAD = guarded(JobPageState.load, MockupsState.load, JobInvoicesState.load, JobMessagesState.load, JobFilesState.load)
