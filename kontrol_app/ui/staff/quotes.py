"""Quote Requests: every request clients sent from the portal's Request a Quote tab, the ones no
one has opened first, then those still New, then newest; paged in SQL and searchable. Opening one
(`?request=<id>`, also the bell's link) shows every answer and the files, and on a New or Quoted
request: **Convert to job** (a job in Quote status, the files kept with it), **Reply** (a
conversation "Quote request QR-0001" with the client) and **Decline** (with a message)."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from kontrol_app.services import messages, quotes
from kontrol_app.services.errors import NotFound
from kontrol_app.services.mockups import size_text
from kontrol_app.services.quotes import QuoteRequestRow
from kontrol_app.ui.components.dialogs import dialog_title
from kontrol_app.ui.components.files import file_card
from kontrol_app.ui.components.empty import empty_state
from kontrol_app.ui.components.forms import dialog_buttons, field
from kontrol_app.ui.components.tables import PagedState, paged_table
from kontrol_app.ui.guard import StaffPrincipal, form_event, staff_event
from kontrol_app.ui.services import call
from kontrol_app.ui.staff.quotes_badge import QuotesBadgeState
from kontrol_app.ui.staff.shell import guarded, staff_page

NOT_FOUND = "That quote request does not exist."
STATUS_COLORS = [("new", "blue"), ("quoted", "amber"), ("converted", "green"), ("declined", "gray")]
OPEN_STATUSES = ("new", "quoted")  # the actions apply to these
DECLINE_FIELD = "message"


@dataclass(frozen=True)
class AnswerLine:
    label: str
    value: str


@dataclass(frozen=True)
class SizeRow:
    size: str
    count: str


@dataclass(frozen=True)
class FileRow:
    id: int
    name: str
    label: str  # "PNG", "PDF", ...
    size: str
    url: str
    download_url: str
    image: bool  # PNG, JPEG, WebP: a thumbnail shows
    pdf: bool  # opens in the browser's viewer; everything else only downloads


def _answer_lines(lines: list[str]) -> list[AnswerLine]:
    """summary_lines' "Label: value" lines, split for a label/value list."""
    rows = []
    for line in lines:
        label, _, value = line.partition(": ")
        rows.append(AnswerLine(label, value) if value else AnswerLine("", line))
    return rows


def _file_row(f: quotes.QuoteFile) -> FileRow:
    return FileRow(f.id, f.name, f.label, size_text(f.size), f.url, f.download_url, f.inline and f.file_type != "pdf", f.inline and f.file_type == "pdf")


class QuoteRequestsState(PagedState, rx.State):
    rows: list[QuoteRequestRow] = []
    search: str = ""
    not_found: str = ""
    # The open request (request_id 0: the list shows).
    request_id: int = 0
    number: str = ""
    customer_id: int = 0
    customer_name: str = ""
    contact_name: str = ""
    received: str = ""
    status: str = ""
    status_label: str = ""
    answers: list[AnswerLine] = []
    sizes: list[SizeRow] = []
    total_pieces: str = ""
    request_files: list[FileRow] = []
    job_id: int = 0
    thread_id: int = 0
    decline_note: str = ""
    # The dialogs.
    reply_open: bool = False
    reply_body: str = ""
    decline_open: bool = False
    decline_message: str = ""

    @rx.var
    def actionable(self) -> bool:
        return self.status in OPEN_STATUSES

    async def _refresh(self, principal: StaffPrincipal) -> None:
        result = await call(quotes.list_requests, principal, self.search, self.page)
        self.rows = result.rows
        self.page, self.pages, self.total = result.page, result.pages, result.total

    async def _open(self, principal: StaffPrincipal, request_id: int) -> None:
        detail = await call(quotes.request_detail, principal, request_id)  # marks it read
        if self.request_id != detail.row.id:
            self.reply_body, self.decline_message = "", ""  # what was typed belongs to its request
        row = detail.row
        self.request_id, self.number, self.customer_id, self.customer_name = row.id, row.number, row.customer_id, row.customer_name
        self.contact_name, self.received, self.status, self.status_label = row.contact_name, row.created, row.status, row.status_label
        self.answers = _answer_lines(detail.lines)
        quantities = detail.answers.get("quantities", {}) if isinstance(detail.answers.get("quantities"), dict) else {}
        self.sizes = [SizeRow(str(size), f"{count:,}") for size, count in quantities.items()]
        self.total_pieces = f"{detail.answers.get('total', 0):,}"
        self.request_files = [_file_row(f) for f in detail.files]
        self.job_id, self.thread_id, self.decline_note = detail.job_id or 0, detail.thread_id or 0, detail.decline_message
        self.not_found = ""

    async def _recount(self, principal: StaffPrincipal) -> None:
        await (await self.get_state(QuotesBadgeState))._recount(principal)

    def _close(self) -> None:
        self.request_id, self.reply_open, self.decline_open = 0, False, False

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        """The list (the search and page typed in this tab stay), and `?request=<id>` opened."""
        self._close()
        self.not_found = ""
        wanted = self.router.url.query_parameters.get("request", "")
        if wanted:
            try:
                if not (wanted.isascii() and wanted.isdigit()):
                    raise NotFound(NOT_FOUND)
                await self._open(principal, int(wanted))
            except NotFound:
                self.not_found = NOT_FOUND
        await self._refresh(principal)
        await self._recount(principal)

    @staff_event
    async def set_search(self, principal: StaffPrincipal, value: str):
        if isinstance(value, str):
            self.search, self.page = value, 1
            await self._refresh(principal)

    @staff_event
    async def convert(self, principal: StaffPrincipal):
        if not self.request_id:
            return
        job_id = await call(quotes.convert_to_job, principal, self.request_id)
        return [rx.toast.success(f"{self.number} is now a job in Quote status."), rx.redirect(f"/jobs/{job_id}")]

    @form_event
    def set_reply_open(self, open_: bool):
        if open_ is True:
            self.errors = {}  # the text typed before stays (a refusal never loses it)
        self.reply_open = open_ is True

    @form_event
    def set_reply_body(self, value: str):
        self.reply_body = value

    @staff_event
    async def send_reply(self, principal: StaffPrincipal):
        if not self.request_id:
            return
        await call(quotes.reply, principal, self.request_id, self.reply_body)
        self.reply_body, self.reply_open = "", False
        await self._open(principal, self.request_id)
        await self._refresh(principal)
        return rx.toast.success(f"Reply sent to {self.customer_name}.")

    @form_event
    def set_decline_open(self, open_: bool):
        if open_ is True:
            self.errors = {}
        self.decline_open = open_ is True

    @form_event
    def set_decline_message(self, value: str):
        self.decline_message = value

    @staff_event
    async def decline(self, principal: StaffPrincipal):
        if not self.request_id:
            return
        await call(quotes.decline, principal, self.request_id, self.decline_message)
        self.decline_message, self.decline_open = "", False
        await self._open(principal, self.request_id)
        await self._refresh(principal)
        return rx.toast.success(f"{self.number} declined.")


# --- the page ---------------------------------------------------------------------------------


def quote_status_badge(status: rx.Var, label: rx.Var, **props) -> rx.Component:
    return rx.badge(label, color_scheme=rx.match(status, *STATUS_COLORS, "gray"), variant="soft", size="2", class_name="quote-status", **props)


def _row(r: rx.Var) -> rx.Component:
    unread = r.unread
    return rx.table.row(
        rx.table.cell(
            rx.hstack(
                rx.link(
                    r.number,
                    href="/quotes?request=" + r.id.to_string(),
                    weight=rx.cond(unread, "bold", "medium"),
                    white_space="nowrap",
                    aria_label=r.number + rx.cond(unread, ", not opened yet", ""),
                ),
                rx.cond(unread, rx.badge("New", color_scheme="red", variant="solid", size="1", aria_hidden="true")),
                spacing="2",
                align="center",
            )
        ),
        rx.table.cell(rx.link(r.customer_name, href="/customers/" + r.customer_id.to_string(), color_scheme="gray", high_contrast=True)),
        rx.table.cell(r.contact_name),
        rx.table.cell(r.summary),
        rx.table.cell(r.created, white_space="nowrap"),
        rx.table.cell(quote_status_badge(r.status, r.status_label)),
        class_name="quote-request-row",
        custom_attrs={"data-request-id": r.id},
    )


def _list() -> rx.Component:
    state = QuoteRequestsState
    return rx.vstack(
        rx.input(
            rx.input.slot(rx.icon("search", size=16)),
            placeholder="Number, customer, contact or garment",
            value=state.search,
            on_change=state.set_search,
            debounce_timeout=300,
            name="search",
            aria_label="Search quote requests by number, customer, contact or garment",
            width="100%",
            max_width="420px",
        ),
        rx.cond(
            state.total == 0,
            rx.cond(
                state.search != "",
                rx.text("No quote requests match.", color_scheme="gray"),
                empty_state("No quote requests yet", "Requests clients send from their portal's Request a Quote tab show here, new ones first."),
            ),
            paged_table(
                ["Request", "Customer", "Contact", "Summary", "Received", "Status"], state.rows, _row, state, ("request", "requests"),
                phone=("Request", "Customer", "Status"),
            ),
        ),
        spacing="3",
        width="100%",
    )


def _file(f: rx.Var) -> rx.Component:
    return file_card(f, css="quote-file")


def _reply_dialog() -> rx.Component:
    state = QuoteRequestsState
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("message-square-reply", size=16), "Reply", variant="soft", type="button")),
        rx.dialog.content(
            dialog_title("Reply about " + state.number, size="4"),
            rx.dialog.description(
                "Starts the conversation “Quote request " + state.number + "” with " + state.customer_name
                + " (later replies join it). Their contacts are emailed a link to it in their portal.",
                size="2",
            ),
            rx.vstack(
                field(
                    "Message",
                    rx.text_area(value=state.reply_body, on_change=state.set_reply_body, name="quote_reply", rows="6", width="100%"),
                    state.errors.get(messages.FIELD_BODY, ""),
                    id="quote-reply-body",
                ),
                rx.cond(state.errors.get("form", "") != "", rx.text(state.errors.get("form", ""), color_scheme="red", size="2", role="alert")),
                dialog_buttons(rx.button(rx.icon("send", size=16), "Send reply", type="button", on_click=state.send_reply), margin_top="8px"),
                spacing="3",
                margin_top="12px",
            ),
            max_width="min(95vw, 560px)",
        ),
        open=state.reply_open,
        on_open_change=state.set_reply_open,
    )


def _decline_dialog() -> rx.Component:
    state = QuoteRequestsState
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("ban", size=16), "Decline", variant="soft", color_scheme="red", type="button")),
        rx.dialog.content(
            dialog_title("Decline " + state.number + "?", size="4"),
            rx.dialog.description("The client is emailed that you can't take it on, with your message.", size="2"),
            rx.vstack(
                field(
                    "Message to the client (optional)",
                    rx.text_area(value=state.decline_message, on_change=state.set_decline_message, name="decline_message", rows="5", width="100%"),
                    state.errors.get(DECLINE_FIELD, ""),
                    id="quote-decline-message",
                ),
                rx.cond(state.errors.get("form", "") != "", rx.text(state.errors.get("form", ""), color_scheme="red", size="2", role="alert")),
                dialog_buttons(rx.button("Decline request", color_scheme="red", type="button", on_click=state.decline), margin_top="8px"),
                spacing="3",
                margin_top="12px",
            ),
            max_width="min(95vw, 560px)",
        ),
        open=state.decline_open,
        on_open_change=state.set_decline_open,
    )


def _detail() -> rx.Component:
    state = QuoteRequestsState
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), "All quote requests", spacing="1", align="center"), href="/quotes", size="2", id="back-to-quotes"),
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.heading(state.number, size="5", as_="h2", id="quote-number"),
                    quote_status_badge(state.status, state.status_label, id="quote-status"),
                    align="center",
                    spacing="3",
                ),
                rx.text(
                    rx.link(state.customer_name, href="/customers/" + state.customer_id.to_string(), underline="always"),
                    rx.cond(state.contact_name != "", " · " + state.contact_name, ""),
                    " · received ",
                    state.received,
                    size="2",
                ),
                spacing="1",
                min_width="0",
            ),
            rx.spacer(),
            rx.cond(
                state.actionable,
                rx.flex(
                    rx.button(rx.icon("briefcase", size=16), "Convert to job", type="button", on_click=state.convert, id="convert-to-job"),
                    _reply_dialog(),
                    _decline_dialog(),
                    spacing="2",
                    wrap="wrap",
                ),
            ),
            width="100%",
            gap="12px",
            wrap="wrap",
            align="start",
        ),
        rx.cond(
            state.errors.get("form", "") != "",
            rx.callout(state.errors.get("form", ""), icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
        ),
        rx.flex(
            rx.cond(
                state.job_id != 0,
                rx.link(rx.hstack(rx.icon("briefcase", size=14), "Open job", spacing="1", align="center"), href="/jobs/" + state.job_id.to_string(), id="quote-job-link"),
            ),
            rx.cond(
                state.thread_id != 0,
                rx.link(
                    rx.hstack(rx.icon("messages-square", size=14), "Open conversation", spacing="1", align="center"),
                    href="/messages?thread=" + state.thread_id.to_string(),
                    id="quote-thread-link",
                ),
            ),
            spacing="4",
            wrap="wrap",
        ),
        rx.cond(
            state.status == "declined",
            rx.callout(
                rx.cond(state.decline_note != "", "Declined: " + state.decline_note, "Declined without a message."),
                icon="ban",
                color_scheme="gray",
                width="100%",
            ),
        ),
        rx.heading("Answers", size="3", as_="h3"),
        rx.data_list.root(
            rx.foreach(
                state.answers,
                lambda a: rx.data_list.item(
                    rx.data_list.label(a.label),
                    rx.data_list.value(rx.text(a.value, white_space="pre-wrap", style={"overflow_wrap": "anywhere"})),
                ),
            ),
            orientation=rx.breakpoints(initial="vertical", sm="horizontal"),
            id="quote-answers",
        ),
        rx.cond(
            state.sizes.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(rx.table.column_header_cell("Size"), rx.table.column_header_cell("Quantity"))),
                rx.table.body(
                    rx.foreach(state.sizes, lambda s: rx.table.row(rx.table.cell(s.size), rx.table.cell(s.count))),
                    rx.table.row(rx.table.row_header_cell("Total"), rx.table.cell(rx.text(state.total_pieces, weight="bold"))),
                ),
                variant="surface",
                size="1",
                id="quote-sizes",
            ),
        ),
        rx.heading("Files", size="3", as_="h3"),
        rx.cond(
            state.request_files.length() > 0,
            rx.flex(rx.foreach(state.request_files, _file), spacing="2", wrap="wrap", width="100%"),
            rx.text("No files were sent with this request.", size="2", color_scheme="gray"),
        ),
        spacing="3",
        width="100%",
        min_width="0",
    )


def quote_requests_page() -> rx.Component:
    state = QuoteRequestsState
    return staff_page(
        "Quote Requests",
        "Quote Requests",
        rx.cond(state.not_found != "", rx.callout(state.not_found, icon="info", color_scheme="gray", margin_bottom="12px")),
        rx.cond(state.request_id != 0, _detail(), _list()),
    )


ON_LOAD = guarded(QuoteRequestsState.load)
