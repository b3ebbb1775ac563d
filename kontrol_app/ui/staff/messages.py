"""Messages: every conversation with the shop's customers, unread first, and one open thread
with its reply box. `?thread=<id>` opens that thread (the notice emails and the bell link
there); `?customer=<id>` shows one customer's threads (the customer page links there).

Message text is shown as text: the service's `linkify` segments become plain spans and http(s)
links (`rel="noopener noreferrer nofollow"`); nothing a client typed is ever HTML. The page
polls the cheap `staff_stamp` every 3 s and reloads the list and the open thread when it moved,
so a client's new message shows without a reload."""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field

import reflex as rx

from kontrol_app.services import customers, files, messages
from kontrol_app.services.errors import InvalidInput, NotFound
from kontrol_app.services.messages import Segment, ThreadSummary
from kontrol_app.services.mockups import size_text
from kontrol_app.ui.components.files import ARTWORK_ACCEPT, file_card, make_mockup_button
from kontrol_app.ui.components.empty import empty_state
from kontrol_app.ui.components.forms import field, named_upload, when_refused
from kontrol_app.ui.components.status import counted
from kontrol_app.ui.components.tables import PagedState
from kontrol_app.ui.guard import StaffPrincipal, form_event, staff_event
from kontrol_app.ui.services import call, read, scan
from kontrol_app.ui.staff.messages_badge import MessagesBadgeState
from kontrol_app.ui.staff.shell import guarded, staff_page

POLL_MS = 3000  # "a new message shows within ~5 s without reload"
UPLOAD_ID = "message-files"
# What the browser offers in its file picker; the server judges the bytes, not these.
ATTACH_HINT = f"Up to {messages.MAX_ATTACHMENTS} files, 25 MB each: PNG, JPEG, WebP, PDF, AI, EPS, SVG, PSD or ZIP."
REJECTED = f"Attach at most {messages.MAX_ATTACHMENTS} files, each a PNG, JPEG, WebP, PDF, AI, EPS, SVG, PSD or ZIP up to 25 MB."
FILTERS = [("all", "All"), ("unread", "Unread")]
REL = "noopener noreferrer nofollow"


@dataclass(frozen=True)
class AttachmentRow:
    id: int
    name: str
    label: str  # "PDF", "PNG", ...
    size: str
    url: str
    download_url: str
    image: bool  # PNG, JPEG, WebP: a thumbnail shows
    pdf: bool  # opens in the browser's viewer; everything else only downloads
    promotable: bool


@dataclass(frozen=True)
class MessageRow:
    id: int
    side: str  # shop, client
    sender: str
    when: str
    segments: list[Segment] = dc_field(default_factory=list)
    attachments: list[AttachmentRow] = dc_field(default_factory=list)


def _attachment_row(a: messages.AttachmentView) -> AttachmentRow:
    return AttachmentRow(
        id=a.id,
        name=a.name,
        label=a.label,
        size=size_text(a.size),
        url=a.url,
        download_url=a.download_url,
        image=a.image,
        pdf=a.previewable and a.file_type == "pdf",
        promotable=a.promotable,
    )


def message_rows(view: messages.ThreadView) -> list[MessageRow]:
    return [MessageRow(m.id, m.side, m.sender_name, m.when, list(m.segments), [_attachment_row(a) for a in m.attachments]) for m in view.messages]


async def receive_all(uploads: list[rx.UploadFile]) -> list[files.Received]:
    """Each upload copied to a temp file (capped at 25 MB while it streams in). One refused:
    the others are discarded too and the refusal is raised (the message is not sent)."""
    received: list[files.Received] = []
    try:
        for upload in uploads[: messages.MAX_ATTACHMENTS + 1]:  # one more: the service says "at most 5"
            received.append(await messages.receive_attachment(upload))
    except BaseException:
        for item in received:
            item.discard()
        raise
    return received


class MessagesState(PagedState, rx.State):
    threads: list[ThreadSummary] = []
    show: str = "all"
    search: str = ""
    customer_filter: int = 0  # ?customer=<id>; 0: every customer
    customer_filter_name: str = ""
    unread_total: int = 0
    # The open thread (thread_id 0: none).
    thread_id: int = 0
    subject: str = ""
    customer_id: int = 0
    customer_name: str = ""
    job_id: int = 0
    job_title: str = ""
    closed: bool = False
    closed_when: str = ""
    has_earlier: bool = False
    thread_messages: list[MessageRow] = []
    not_found: str = ""
    reply: str = ""
    _stamp: str = ""

    async def _refresh(self, principal: StaffPrincipal) -> str:
        """The list's page; returns the stamp read with it (only `_after_change` keeps it: the
        open thread must be read again too before the poll may count it as seen)."""
        reader = scan if self.search.strip() else read
        result = await reader(
            messages.staff_threads,
            principal,
            show=self.show,
            customer_id=self.customer_filter or None,
            search=self.search,
            page=self.page,
        )
        self._set_changed(threads=result.threads)
        self.page, self.pages, self.total = result.page, result.pages, result.total
        self.unread_total = result.unread_total
        return result.stamp

    async def _open(self, principal: StaffPrincipal, thread_id: int, *, keep_earlier: bool = False) -> bool:
        """The newest messages of a thread (marks it read for the staff); whether that marked
        messages the staff had not read (the list and badge changed). `keep_earlier`: a reload of
        the thread on screen keeps the older messages "Load earlier" brought in."""
        # Read only, and shared by the worker's tabs; then marked read if it holds news (a write).
        view, unread = await self._read_shown(("thread", thread_id), messages.peek_thread_staff, principal, thread_id)
        marked = unread and await call(messages.mark_read_staff, principal, view.id, view.newest_id)
        rows = message_rows(view)
        if keep_earlier and self.thread_id == view.id and self.thread_messages and rows:
            older = [m for m in self.thread_messages if m.id < rows[0].id]
            if older:
                rows = older + rows
                view_has_earlier = self.has_earlier
            else:
                view_has_earlier = view.has_earlier
        else:
            view_has_earlier = view.has_earlier
        if self.thread_id != view.id:
            self.reply = ""  # a draft belongs to the thread it was typed in
        self._set_changed(
            thread_id=view.id, subject=view.subject, customer_id=view.customer_id, customer_name=view.customer_name,
            job_id=view.job_id or 0, job_title=view.job_title, closed=view.closed, closed_when=view.closed_when,
            has_earlier=view_has_earlier, not_found="",
        )
        self.thread_messages = rows
        return marked

    async def _after_change(self, principal: StaffPrincipal) -> None:
        """The list, the navigation badge and the stamp, after this tab read or wrote."""
        stamp = await self._refresh(principal)
        badge = await self.get_state(MessagesBadgeState)
        badge._stamp, badge.unread = stamp, self.unread_total  # the list's page just counted it
        self._stamp = stamp

    def _close_view(self) -> None:
        self.thread_id, self.thread_messages, self.subject, self.reply = 0, [], "", ""

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        self.reset()
        query = self.router.url.query_parameters
        wanted_customer = query.get("customer", "")
        if wanted_customer.isascii() and wanted_customer.isdigit():
            try:
                self.customer_filter_name = (await read(customers.customer_detail, principal, int(wanted_customer))).name
                self.customer_filter = int(wanted_customer)
            except NotFound:
                self.customer_filter, self.customer_filter_name = 0, ""
        wanted_thread = query.get("thread", "")
        if wanted_thread:
            try:
                if not (wanted_thread.isascii() and wanted_thread.isdigit()):
                    raise NotFound("That conversation does not exist.")
                await self._open(principal, int(wanted_thread))
            except NotFound:
                self.not_found = "That conversation does not exist."
        await self._after_change(principal)

    @staff_event(poll=True)  # a session that ends while the page is open: told, and sent to Sign in
    async def poll(self, principal: StaffPrincipal, _tick: str = ""):
        if not self._written_since_last_poll() or await read(messages.staff_stamp) == self._stamp:
            return
        if self.thread_id:
            try:
                await self._open(principal, self.thread_id, keep_earlier=True)
            except NotFound:
                self._close_view()
        await self._after_change(principal)

    @staff_event
    async def set_filter(self, principal: StaffPrincipal, name: str, value: str):
        if (name == "show" and value in messages.FILTERS) or (name == "search" and isinstance(value, str)):
            setattr(self, name, value)
            self.page = 1
            await self._refresh(principal)

    @staff_event
    async def clear_customer(self, principal: StaffPrincipal):
        self.customer_filter, self.customer_filter_name, self.page = 0, "", 1
        await self._refresh(principal)

    @staff_event
    async def open_thread(self, principal: StaffPrincipal, thread_id: int):
        try:
            if not await self._open(principal, int(thread_id)):
                return  # a thread already read: the list is as it was (others' news shows at the next poll)
        except NotFound:
            self._close_view()
            self.not_found = "That conversation does not exist."
        await self._after_change(principal)

    @form_event
    def close_view(self):
        self._close_view()

    @staff_event
    async def load_earlier(self, principal: StaffPrincipal):
        if not self.thread_id or not self.thread_messages:
            return
        view = await call(messages.open_thread_staff, principal, self.thread_id, before_id=self.thread_messages[0].id)
        self.thread_messages = message_rows(view) + self.thread_messages
        self.has_earlier = view.has_earlier

    @form_event
    def set_reply(self, value: str):
        self.reply = value

    @form_event
    def attachments_rejected(self):
        self.errors = {messages.FIELD_FILES: REJECTED}

    @staff_event
    async def send(self, principal: StaffPrincipal, files: list[rx.UploadFile]):
        """The reply and its files. Refused: the message says why next to the field, and what
        was typed (and the files picked) stay for another try."""
        if not self.thread_id:
            return
        try:
            received = await receive_all(files or [])
        except InvalidInput as error:
            raise InvalidInput(error.message, messages.FIELD_FILES) from error
        await call(messages.post_staff, principal, self.thread_id, self.reply, attachments=received)
        self.reply = ""
        await self._open(principal, self.thread_id, keep_earlier=True)
        await self._after_change(principal)
        return rx.clear_selected_files(UPLOAD_ID)

    @staff_event
    async def close_thread(self, principal: StaffPrincipal):
        if self.thread_id:
            await call(messages.close_thread, principal, self.thread_id)
            await self._open(principal, self.thread_id, keep_earlier=True)
            await self._refresh(principal)
            return rx.toast.success("Conversation closed. The client reopens it by writing.")

    @staff_event
    async def reopen_thread(self, principal: StaffPrincipal):
        if self.thread_id:
            await call(messages.reopen_thread, principal, self.thread_id)
            await self._open(principal, self.thread_id, keep_earlier=True)
            await self._refresh(principal)
            return rx.toast.success("Conversation reopened.")

    @staff_event
    async def promote(self, principal: StaffPrincipal, attachment_id: int):
        version = await call(messages.promote_to_mockup, principal, int(attachment_id))
        return rx.toast.success(f"{version.label} added to the job's mockups.")


# --- the page ---------------------------------------------------------------------------------


def _error(key: str) -> rx.Var:
    return MessagesState.errors.get(key, "")


def _thread_item(t: rx.Var) -> rx.Component:
    active = MessagesState.thread_id == t.id
    return rx.el.li(
        rx.button(
            rx.vstack(
                rx.hstack(
                    rx.text(t.subject, weight=rx.cond(t.unread > 0, "bold", "medium"), size="2", class_name="thread-subject", trim="both"),
                    rx.spacer(),
                    rx.cond(t.unread > 0, rx.badge(t.unread.to_string() + " unread", color_scheme="red", variant="solid", class_name="thread-unread")),
                    rx.cond(t.closed, rx.badge("Closed", color_scheme="gray", variant="soft")),
                    width="100%",
                    align="center",
                    spacing="2",
                ),
                rx.text(t.customer_name, size="1", color_scheme="gray", high_contrast=True),
                rx.text(
                    rx.cond(t.last_sender != "", t.last_sender + ": ", ""),
                    t.snippet,
                    size="1",
                    color_scheme="gray",
                    class_name="thread-snippet",
                    style={"overflow_wrap": "anywhere"},
                ),
                rx.text(t.last_when, size="1", color_scheme="gray"),
                spacing="1",
                align="start",
                width="100%",
                text_align="left",
            ),
            on_click=MessagesState.open_thread(t.id),
            variant=rx.cond(active, "soft", "ghost"),
            color_scheme="gray",
            height="auto",
            width="100%",
            padding="10px",
            box_sizing="border-box",  # the padding inside the list's width, not past its edge
            margin="0",
            type="button",
            aria_current=rx.cond(active, "true", "false"),
            # A short name (the snippet, often a colleague's name and words, stays visible text).
            aria_label=t.subject
            + ", "
            + t.customer_name
            + rx.cond(t.unread > 0, ", " + t.unread.to_string() + " unread", "")
            + rx.cond(t.closed, ", closed", ""),
            custom_attrs={"data-thread-id": t.id},
        ),
        list_style="none",
        class_name="thread-item",
        width="100%",
    )


def _filters() -> rx.Component:
    state = MessagesState
    return rx.vstack(
        rx.flex(
            rx.input(
                rx.input.slot(rx.icon("search", size=16)),
                placeholder="Search subjects and messages",
                value=state.search,
                on_change=lambda v: state.set_filter("search", v),
                debounce_timeout=300,
                name="search",
                aria_label="Search conversations in subjects and messages",
                flex="1",
                min_width="0",
            ),
            rx.select.root(
                rx.select.trigger(aria_label="Show"),
                rx.select.content(*[rx.select.item(label, value=value) for value, label in FILTERS]),
                value=state.show,
                on_change=lambda v: state.set_filter("show", v),
                name="show",
            ),
            spacing="2",
            width="100%",
        ),
        rx.cond(
            state.customer_filter != 0,
            rx.hstack(
                rx.text("Customer: ", rx.el.strong(state.customer_filter_name), size="2"),
                rx.button("Show every customer", variant="ghost", size="1", on_click=state.clear_customer, type="button"),
                align="center",
                wrap="wrap",
            ),
        ),
        width="100%",
        spacing="2",
    )


def _thread_list() -> rx.Component:
    state = MessagesState
    return rx.vstack(
        _filters(),
        rx.text(counted(state.unread_total, "unread message"), size="2", color_scheme="gray", id="messages-unread-total"),
        rx.cond(
            state.total == 0,
            rx.cond(  # nothing filtered: say how one starts, not "match"
                (state.show == "all") & (state.search == "") & (state.customer_filter == 0),
                rx.text("No conversations yet. Start one from a job's Messages tab; clients' messages arrive here.", size="2", color_scheme="gray"),
                rx.text("No conversations match.", size="2", color_scheme="gray"),
            ),
            rx.el.ul(
                rx.foreach(state.threads, _thread_item),
                aria_label="Conversations",
                style={"padding": "0", "margin": "0", "width": "100%", "display": "flex", "flex_direction": "column", "gap": "4px"},
            ),
        ),
        rx.hstack(
            rx.button("Previous", variant="soft", size="1", disabled=state.page <= 1, on_click=state.go_to_page(state.page - 1)),
            rx.text("Page ", state.page, " of ", state.pages, size="2"),
            rx.button("Next", variant="soft", size="1", disabled=state.page >= state.pages, on_click=state.go_to_page(state.page + 1)),
            align="center",
        ),
        spacing="3",
        width="100%",
        min_width="0",
    )


def segments_text(segments: rx.Var) -> rx.Component:
    """A message's text: plain spans and safe http(s) links, line breaks kept; never HTML."""
    return rx.text(
        rx.foreach(
            segments,
            lambda s: rx.cond(
                s.url != "",
                rx.link(s.text, href=s.url, is_external=True, rel=REL, underline="always", class_name="message-link"),
                rx.text.span(s.text),
            ),
        ),
        size="2",
        white_space="pre-wrap",
        style={"overflow_wrap": "anywhere"},
        class_name="message-body",
    )


def _attachment(a: rx.Var) -> rx.Component:
    return file_card(a, css="attachment", action=make_mockup_button("Make mockup version", a, MessagesState.promote(a.id)))


def _message(m: rx.Var) -> rx.Component:
    shop = m.side == "shop"
    return rx.el.li(
        rx.box(
            rx.hstack(
                rx.text(m.sender, size="2", weight="bold"),
                rx.badge(rx.cond(shop, "Shop", "Client"), color_scheme=rx.cond(shop, "blue", "green"), variant="soft", size="1"),
                rx.text(m.when, size="1", color_scheme="gray"),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            segments_text(m.segments),
            rx.cond(
                m.attachments.length() > 0,
                rx.flex(rx.foreach(m.attachments, _attachment), spacing="2", wrap="wrap", margin_top="6px"),
            ),
            padding="10px 12px",
            border_radius="10px",
            background=rx.cond(shop, rx.color("blue", 3), rx.color("gray", 3)),
            border=rx.cond(shop, f"1px solid {rx.color('blue', 6)}", f"1px solid {rx.color('gray', 6)}"),
            max_width="min(640px, 92%)",
            margin_left=rx.cond(shop, "auto", "0"),
            min_width="0",
        ),
        list_style="none",
        width="100%",
        class_name=rx.cond(shop, "message message-shop", "message message-client"),
        custom_attrs={"data-message-id": m.id},
    )


def reply_attachments(state: type[rx.State], upload_id: str, error: rx.Var) -> rx.Component:
    """The file picker of a message box (the files are sent with the message), the files
    picked, and why they were refused."""
    return rx.vstack(
        rx.flex(
            named_upload(
                "Attach files",
                rx.upload.root(
                    rx.button(rx.icon("paperclip", size=16), "Attach files", variant="soft", type="button", size="2"),
                    id=upload_id,
                    multiple=True,
                    max_files=messages.MAX_ATTACHMENTS,
                    max_size=messages.MAX_ATTACHMENT_BYTES,
                    accept=ARTWORK_ACCEPT,
                    on_drop_rejected=when_refused(state.attachments_rejected),
                    no_drag=True,
                    border="none",
                    padding="0",
                ),
            ),
            rx.cond(
                rx.selected_files(upload_id).length() > 0,
                rx.button("Remove files", variant="ghost", size="1", type="button", on_click=rx.clear_selected_files(upload_id)),
            ),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.foreach(rx.selected_files(upload_id), lambda name: rx.text(rx.icon("paperclip", size=12), " ", name, size="1", class_name="picked-file")),
        rx.cond(
            error != "",
            rx.text(error, color_scheme="red", size="2", role="alert", class_name="field-error", custom_attrs={"id": upload_id + "-error"}),
            rx.text(ATTACH_HINT, size="1", color_scheme="gray"),
        ),
        spacing="1",
        width="100%",
    )


def _reply_box() -> rx.Component:
    state = MessagesState
    return rx.vstack(
        field(
            "Reply",
            rx.text_area(value=state.reply, on_change=state.set_reply, name="reply", rows="4", width="100%"),
            _error(messages.FIELD_BODY),
            id="message-reply",
        ),
        reply_attachments(state, UPLOAD_ID, _error(messages.FIELD_FILES)),
        rx.hstack(
            rx.button(rx.icon("send", size=16), "Send", type="button", on_click=state.send(rx.upload_files(upload_id=UPLOAD_ID)), id="send-message"),
            justify="end",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def _open_thread() -> rx.Component:
    state = MessagesState
    return rx.vstack(
        rx.flex(
            rx.vstack(
                rx.heading(state.subject, size="4", as_="h2", id="thread-subject", style={"overflow_wrap": "anywhere"}),
                rx.hstack(
                    rx.link(state.customer_name, href="/customers/" + state.customer_id.to_string(), size="2"),
                    rx.cond(state.job_id != 0, rx.link("Job: " + state.job_title, href="/jobs/" + state.job_id.to_string(), size="2")),
                    rx.cond(state.closed, rx.badge("Closed " + state.closed_when, color_scheme="gray", variant="soft", id="thread-closed")),
                    spacing="3",
                    wrap="wrap",
                    align="center",
                ),
                spacing="1",
                min_width="0",
            ),
            rx.spacer(),
            rx.hstack(
                rx.cond(
                    state.closed,
                    rx.button(rx.icon("lock-open", size=14), "Reopen", variant="soft", size="2", type="button", on_click=state.reopen_thread),
                    rx.button(
                        rx.icon("lock", size=14), "Close thread", variant="soft", color_scheme="gray", size="2", type="button", on_click=state.close_thread
                    ),
                ),
                rx.button(
                    "Back to list",
                    variant="ghost",
                    size="2",
                    type="button",
                    on_click=state.close_view,
                    display=rx.breakpoints(initial="inline-flex", md="none"),
                ),
                spacing="2",
            ),
            width="100%",
            gap="8px",
            wrap="wrap",
        ),
        rx.cond(
            state.has_earlier,
            rx.button("Load earlier", variant="soft", size="1", type="button", on_click=state.load_earlier, align_self="center"),
        ),
        rx.el.ol(
            rx.foreach(state.thread_messages, _message),
            aria_label="Messages",
            id="thread-messages",
            style={"padding": "0", "margin": "0", "width": "100%", "display": "flex", "flex_direction": "column", "gap": "8px"},
        ),
        rx.separator(),
        _reply_box(),
        spacing="3",
        width="100%",
        min_width="0",
    )


def messages_page() -> rx.Component:
    state = MessagesState
    opened = state.thread_id != 0
    return staff_page(
        "Messages",
        "Messages",
        rx.cond(state.not_found != "", rx.callout(state.not_found, icon="info", color_scheme="gray", margin_bottom="12px")),
        rx.cond(
            state.errors.get("form", "") != "",
            rx.callout(state.errors.get("form", ""), icon="triangle_alert", color_scheme="red", role="alert", margin_bottom="12px"),
        ),
        # On a phone the list gives way to the open thread ("Back to list" returns to it).
        rx.cond(
            opened,
            rx.flex(
                rx.box(_thread_list(), display=rx.breakpoints(initial="none", md="block"), width="340px", flex_shrink="0", min_width="0"),
                rx.box(_open_thread(), flex="1", min_width="0", width="100%"),
                flex_direction=rx.breakpoints(initial="column", md="row"),  # the same width as `display` above
                gap="20px",
                width="100%",
            ),
            rx.flex(
                rx.box(_thread_list(), width=rx.breakpoints(initial="100%", md="340px"), flex_shrink="0", min_width="0"),
                rx.box(
                    empty_state("Pick a conversation", "Client messages show here, unread first."),
                    display=rx.breakpoints(initial="none", md="block"),
                    flex="1",
                ),
                flex_direction=rx.breakpoints(initial="column", md="row"),  # the same width as `display` above
                gap="20px",
                width="100%",
            ),
        ),
        rx.moment(interval=POLL_MS, on_change=state.poll, display="none"),
    )


ON_LOAD = guarded(MessagesState.load)
