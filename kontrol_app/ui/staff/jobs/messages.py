"""The job page's Messages tab: the job's conversations (each opens on the Messages page) and
**New message**, which starts a thread about this job with the customer's contacts."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import jobs as job_service
from kontrol_app.services import messages
from kontrol_app.services.errors import InvalidInput, NotFound
from kontrol_app.services.messages import ThreadSummary
from kontrol_app.ui.components.dialogs import dialog_title
from kontrol_app.ui.components.forms import dialog_buttons, field
from kontrol_app.ui.guard import StaffPrincipal, StaffState, form_event, staff_event
from kontrol_app.ui.services import call
from kontrol_app.ui.staff.messages import REJECTED, receive_all, reply_attachments

UPLOAD_ID = "job-message-files"
SHOWN = 50  # a job has a handful of conversations; the Messages page searches them all


class JobMessagesState(StaffState, rx.State):
    threads: list[ThreadSummary] = []
    more: int = 0  # conversations beyond the SHOWN newest
    new_open: bool = False
    body: str = ""

    async def _refresh(self, principal: StaffPrincipal) -> None:
        result = await call(messages.staff_threads, principal, job_id=self._route_id("job_id"), page_size=SHOWN)
        self.threads = result.threads
        self.more = max(0, result.total - len(result.threads))

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        self.reset()  # another job's conversations never show while this one loads
        if self._route_id("job_id") is not None:
            await self._refresh(principal)

    @form_event
    def set_new_open(self, value: bool):
        if value:
            self.errors = {}  # the text typed before stays (a refusal never loses it)
        self.new_open = value

    @form_event
    def set_body(self, value: str):
        self.body = value

    @form_event
    def attachments_rejected(self):
        self.errors = {messages.FIELD_FILES: REJECTED}

    @staff_event
    async def start(self, principal: StaffPrincipal, files: list[rx.UploadFile]):
        job_id = self._route_id("job_id")
        if job_id is None:
            return
        try:
            detail = await call(job_service.job_detail, principal, job_id)
        except NotFound:
            return rx.toast.error("That job does not exist.")
        try:
            received = await receive_all(files or [])
        except InvalidInput as error:
            raise InvalidInput(error.message, messages.FIELD_FILES) from error
        await call(messages.start_thread_staff, principal, detail.customer_id, self.body, job_id=job_id, attachments=received)
        self.body, self.new_open = "", False
        await self._refresh(principal)
        return [rx.clear_selected_files(UPLOAD_ID), rx.toast.success("Message sent to the customer's contacts.")]


def _thread_row(t: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(t.subject, href="/messages?thread=" + t.id.to_string(), weight="medium")),
        rx.table.cell(rx.text(rx.cond(t.last_sender != "", t.last_sender + ": ", ""), t.snippet, size="2", style={"overflow_wrap": "anywhere"})),
        rx.table.cell(t.last_when),
        rx.table.cell(
            rx.cond(t.unread > 0, rx.badge(t.unread.to_string() + " unread", color_scheme="red", variant="solid")),
            rx.cond(t.closed, rx.badge("Closed", color_scheme="gray", variant="soft")),
        ),
        class_name="job-thread-row",
    )


def _new_message_dialog() -> rx.Component:
    state = JobMessagesState
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("message-square-plus", size=16), "New message", type="button")),
        rx.dialog.content(
            dialog_title("New message about this job", size="4"),
            rx.dialog.description("The customer's contacts are emailed a link to it in their portal.", size="2"),
            rx.vstack(
                field(
                    "Message",
                    rx.text_area(value=state.body, on_change=state.set_body, name="job_message", rows="5", width="100%"),
                    state.errors.get(messages.FIELD_BODY, ""),
                    id="job-message-body",
                ),
                reply_attachments(state, UPLOAD_ID, state.errors.get(messages.FIELD_FILES, "")),
                rx.cond(
                    state.errors.get("form", "") != "",
                    rx.text(state.errors.get("form", ""), color_scheme="red", size="2", role="alert"),
                ),
                dialog_buttons(
                    rx.button(
                        rx.icon("send", size=16), "Send", type="button", on_click=state.start(rx.upload_files(upload_id=UPLOAD_ID)), id="send-job-message"
                    ),
                    margin_top="8px",
                ),
                spacing="3",
                margin_top="12px",
            ),
            max_width="min(95vw, 560px)",
        ),
        open=state.new_open,
        on_open_change=state.set_new_open,
    )


def messages_tab() -> rx.Component:
    state = JobMessagesState
    return rx.vstack(
        rx.hstack(rx.heading("Conversations", size="3", as_="h3"), rx.spacer(), _new_message_dialog(), width="100%", align="center"),
        rx.cond(
            state.threads.length() == 0,
            rx.text("No messages about this job yet.", size="2", color_scheme="gray"),
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in ("Conversation", "Latest", "When", "Status")])),
                    rx.table.body(rx.foreach(state.threads, _thread_row)),
                    variant="surface",
                    width="100%",
                ),
                width="100%",
                overflow_x="auto",
            ),
        ),
        rx.cond(state.more > 0, rx.text("And ", state.more, " older — search them on the Messages page.", size="2")),
        spacing="3",
        width="100%",
        padding_top="12px",
    )
