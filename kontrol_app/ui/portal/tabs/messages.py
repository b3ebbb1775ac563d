"""Portal -> Messages: "Threaded conversations with your shop" (issue 10).

The customer's threads (newest activity first, this contact's unread count on each and on the
tab), one thread's messages oldest to newest, a reply box with up to 5 attachments, and a new
conversation about one of their jobs or in general. Message text is only ever text: links come
from `messages.linkify` as plain `http(s)` hrefs, never HTML. The portal's poll
(ui/portal/live.py) reloads the tab when `messages.client_stamp` moves (a shop reply shows
within ~5 s, and the tab's badge on every tab).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import reflex as rx

from kontrol_app.services import messages, portal_live, portal_orders
from kontrol_app.services.errors import InvalidInput, ServiceError
from kontrol_app.services.mockups import size_text
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.services.validation import browser_int
from kontrol_app.ui.components.empty import empty_state
from kontrol_app.ui.components.files import ARTWORK_ACCEPT
from kontrol_app.ui.components.forms import field, named_upload, when_refused
from kontrol_app.ui.components.links import file_link
from kontrol_app.ui.portal.live import watch
from kontrol_app.ui.portal.session import PortalSession, portal_event, ui_event
from kontrol_app.ui.portal.tabs.nav import PortalTabs, Tab
from kontrol_app.ui.services import call

MESSAGES = "messages"
UPLOAD_ID = "portal-message-files"
FIELDS = (messages.FIELD_BODY, messages.FIELD_SUBJECT, messages.FIELD_FILES)  # errors shown next to a field
GENERAL = "general"  # the "about" select's value for a conversation not about a job
LINK_REL = "noopener noreferrer nofollow"
FILES_HINT = f"Up to {messages.MAX_ATTACHMENTS} files, 25 MB each: PNG, JPEG, WebP, PDF, AI, EPS, SVG, PSD or ZIP."
REJECTED = f"Attach at most {messages.MAX_ATTACHMENTS} files, each a PNG, JPEG, WebP, PDF, AI, EPS, SVG, PSD or ZIP up to 25 MB."


@dataclass(frozen=True)
class Part:
    """A piece of a message: text, or a link (`url` set) whose text is the address."""

    text: str
    url: str


@dataclass(frozen=True)
class Attachment:
    name: str
    label: str  # "PDF", "PNG", ...
    size: str
    url: str
    download_url: str
    image: bool  # PNG, JPEG, WebP: shown as a thumbnail
    pdf: bool  # opens in the browser's viewer; everything else only downloads


@dataclass(frozen=True)
class Shown:
    id: int
    mine: bool  # written by the customer's side ("You" for the client)
    sender: str
    when: str
    parts: list[Part]
    attachments: list[Attachment]


@dataclass(frozen=True)
class JobChoice:
    value: str
    label: str


def _shown(message: messages.MessageView) -> Shown:
    return Shown(
        id=message.id,
        mine=message.mine,
        sender=message.sender_name,
        when=message.when,
        parts=[Part(segment.text, segment.url) for segment in message.segments],
        attachments=[
            Attachment(
                name=a.name,
                label=a.label,
                size=size_text(a.size),
                url=a.url,
                download_url=a.download_url,
                image=a.image,
                pdf=a.previewable and not a.image,
            )
            for a in message.attachments
        ],
    )


class MessagesTab(PortalSession):
    threads: list[messages.ThreadSummary] = []
    thread_page: int = 1
    thread_pages: int = 1
    unread_total: int = 0
    # The open thread ("thread" mode), the new-conversation form ("new") or the list ("list").
    mode: str = "list"
    thread_id: int = 0
    title: str = ""
    closed: bool = False
    shown: list[Shown] = []
    has_earlier: bool = False
    # What the client types: kept whatever is refused.
    body: str = ""
    subject: str = ""
    about: str = GENERAL
    jobs: list[JobChoice] = []
    errors: dict[str, str] = {}
    refusal: str = ""

    async def _fill(self, viewer: PortalViewer) -> None:
        """The list; a `?thread=` link (from a notice email) opens that thread on this tab."""
        await self._load(viewer)
        thread = browser_int(self.router.url.query_parameters.get("thread", ""))
        if thread is not None and await self._open(viewer, thread):
            (await self.get_state(PortalTabs)).tab = MESSAGES

    async def _load(self, viewer: PortalViewer) -> None:
        page = await call(messages.client_threads, viewer, page=self.thread_page)
        self.threads, self.thread_page, self.thread_pages, self.unread_total = page.threads, page.page, page.pages, page.unread_total
        if self.mode == "thread":
            if (await self.get_state(PortalTabs)).tab == MESSAGES:
                await self._open(viewer, self.thread_id)
            else:
                # Not in front of them: a new message stays unread (the badge says so) and
                # the Messages tab shows the list again.
                self.mode, self.thread_id, self.shown = "list", 0, []

    async def _open(self, viewer: PortalViewer, thread_id: int) -> bool:
        """Show one thread (newest messages) and mark it read for this contact."""
        return await self._show(viewer, await call(messages.client_opening, viewer, thread_id))

    async def _show(self, viewer: PortalViewer, opening: messages.ClientOpening) -> bool:
        """Show an opened thread; the read mark is written after (the opening only reads)."""
        view, unread_total = opening.view, opening.unread_total
        if view is None:
            if opening.refusal:
                self.mode, self.thread_id, self.shown, self.refusal = "list", 0, [], opening.refusal
            return False
        if self.thread_id != view.id:
            self.body, self.errors = "", {}
        self.mode, self.thread_id, self.refusal = "thread", view.id, ""
        self.title = view.job_title or view.subject
        self.closed, self.has_earlier = view.closed, view.has_earlier
        self.shown = [_shown(m) for m in view.messages]
        self.unread_total = unread_total  # opening marked it read: the badges follow
        if any(t.id == view.id and t.unread for t in self.threads):  # else the list is sent again unchanged
            self.threads = [t if t.id != view.id else _read(t) for t in self.threads]
        if opening.read_up_to:
            await call(messages.mark_read_client, viewer, view.id, opening.read_up_to)
        return True

    async def _load_jobs(self, viewer: PortalViewer) -> None:
        active = await call(portal_orders.customer_orders, viewer.customer_id)
        past = await call(portal_orders.customer_orders, viewer.customer_id, past=True)
        self.jobs = [JobChoice(str(job.id), job.title) for job in [*active, *past]]

    async def _reload(self, viewer: PortalViewer) -> None:
        """The portal's poll saw a message come in (ui/portal/live.py)."""
        await self._load(viewer)

    @portal_event(reads=messages.client_opening)
    async def open_thread(self, viewer: PortalViewer, opening: messages.ClientOpening, thread_id: int):
        """The thread comes in the re-check's own trip to the database."""
        if await self._show(viewer, opening):
            (await self.get_state(PortalTabs)).tab = MESSAGES

    @portal_event
    async def load_earlier(self, viewer: PortalViewer):
        """Older messages above the ones shown (the newest 50 show first)."""
        if self.mode != "thread" or not self.shown:
            return
        try:
            view = await call(messages.open_thread_client, viewer, self.thread_id, before_id=self.shown[0].id)
        except ServiceError as error:
            self.refusal = error.message
            return
        self.shown = [*(_shown(m) for m in view.messages), *self.shown]
        self.has_earlier = view.has_earlier

    @portal_event
    async def show_page(self, viewer: PortalViewer, page: int):
        number = browser_int(page)
        self.thread_page = number if number else 1
        await self._load(viewer)

    @portal_event
    async def new_conversation(self, viewer: PortalViewer):
        self._compose(GENERAL)
        await self._load_jobs(viewer)

    @portal_event
    async def about_job(self, viewer: PortalViewer, job_id: int):
        """From a job in the Orders tab: a new conversation about that job, on this tab."""
        await self._load_jobs(viewer)
        wanted = str(browser_int(job_id))
        self._compose(wanted if any(job.value == wanted for job in self.jobs) else GENERAL)
        (await self.get_state(PortalTabs)).tab = MESSAGES

    def _compose(self, about: str) -> None:
        self.mode, self.thread_id, self.shown = "new", 0, []
        self.about, self.subject, self.body, self.errors, self.refusal = about, "", "", {}, ""

    @ui_event
    def back_to_list(self):
        self.mode, self.thread_id, self.shown, self.errors, self.refusal = "list", 0, [], {}, ""

    @ui_event
    def set_body(self, body: str):
        self.body = body

    @ui_event
    def set_subject(self, subject: str):
        self.subject = subject

    @ui_event
    def set_about(self, about: str):
        self.about = about

    @ui_event
    def files_rejected(self):
        self.errors = {**self.errors, messages.FIELD_FILES: REJECTED}

    @portal_event(write=True)
    async def send(self, viewer: PortalViewer, uploads: list[rx.UploadFile]):
        """Reply in the open thread, or start the new one. A refusal shows next to its field;
        what was typed stays, and nothing is kept."""
        self.errors, self.refusal = {}, ""
        if self.mode not in ("thread", "new"):
            return None
        received = []
        try:
            for upload in (uploads or [])[: messages.MAX_ATTACHMENTS + 1]:
                received.append(await messages.receive_attachment(upload))
            if self.mode == "thread":
                await call(messages.post_client, viewer, self.thread_id, self.body, attachments=received)
                thread_id = self.thread_id
            else:
                job_id = browser_int(self.about) if self.about != GENERAL else None
                thread_id = await call(messages.start_thread_client, viewer, self.body, job_id=job_id, subject=self.subject, attachments=received)
        except InvalidInput as error:
            for upload in received:
                upload.discard()
            shown = {field: message for field, message in error.errors.items() if field in FIELDS}
            if shown:
                self.errors = shown  # each next to its field
            else:
                self.refusal = error.message
            return None
        except ServiceError as error:
            for upload in received:
                upload.discard()
            self.refusal = error.message
            return None
        self.body = self.subject = ""
        self.mode, self.thread_id = "thread", thread_id
        await self._load(viewer)
        return rx.clear_selected_files(UPLOAD_ID)


def _read(thread: messages.ThreadSummary) -> messages.ThreadSummary:
    return replace(thread, unread=0)


def _error(key: str) -> rx.Var:
    return MessagesTab.errors.get(key, "")


def unread_badge() -> rx.Component:
    """Next to the tab's label: this contact's unread shop messages."""
    return rx.cond(
        MessagesTab.unread_total > 0,
        rx.badge(
            MessagesTab.unread_total.to(str) + " new",
            color_scheme="red",
            variant="solid",
            radius="full",
            size="1",
            margin_left="6px",
            class_name="messages-unread-total",  # Radix draws a tab's label twice: no id
        ),
    )


def _thread_row(thread: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(rx.cond(thread.job_title != "", thread.job_title, thread.subject), weight="bold", size="3", class_name="thread-title"),
                rx.spacer(),
                rx.cond(
                    thread.unread > 0,
                    rx.badge(thread.unread.to(str) + " new", color_scheme="red", variant="solid", radius="full", class_name="thread-unread"),
                ),
                rx.cond(thread.closed, rx.badge("Closed", color_scheme="gray", variant="soft")),
                width="100%",
                align="center",
            ),
            rx.text(thread.last_sender + ": " + thread.snippet, size="2", color_scheme="gray", class_name="thread-snippet", overflow_wrap="anywhere"),
            rx.hstack(
                rx.text(thread.last_when, size="1", color_scheme="gray"),
                rx.spacer(),
                rx.button(
                    "Open",
                    size="1",
                    variant="soft",
                    on_click=MessagesTab.open_thread(thread.id),
                    aria_label="Open conversation: " + rx.cond(thread.job_title != "", thread.job_title, thread.subject),
                ),
                width="100%",
                align="center",
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
        class_name="thread-row",
        id="thread-" + thread.id.to(str),
    )


def _list() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("Threaded conversations with your shop", size="2", color_scheme="gray"),
            rx.spacer(),
            rx.button(rx.icon("square-pen", size=16), "New message", size="2", on_click=MessagesTab.new_conversation),
            width="100%",
            align="center",
            wrap="wrap",
            gap="8px",
        ),
        rx.cond(
            MessagesTab.threads.length() == 0,
            empty_state("No messages yet", "Ask the shop a question about an order, or anything else."),
            rx.vstack(rx.foreach(MessagesTab.threads, _thread_row), spacing="3", width="100%"),
        ),
        rx.cond(
            MessagesTab.thread_pages > 1,
            rx.hstack(
                rx.button(
                    "Newer", size="1", variant="soft", disabled=MessagesTab.thread_page <= 1, on_click=MessagesTab.show_page(MessagesTab.thread_page - 1)
                ),
                rx.text("Page " + MessagesTab.thread_page.to(str) + " of " + MessagesTab.thread_pages.to(str), size="2"),
                rx.button(
                    "Older",
                    size="1",
                    variant="soft",
                    disabled=MessagesTab.thread_page >= MessagesTab.thread_pages,
                    on_click=MessagesTab.show_page(MessagesTab.thread_page + 1),
                ),
                align="center",
            ),
        ),
        spacing="3",
        width="100%",
    )


def _part(part: rx.Var) -> rx.Component:
    # Text stays text; only a linkify'd http(s) address becomes a link.
    return rx.cond(
        part.url != "",
        rx.link(part.text, href=part.url, is_external=True, rel=LINK_REL, underline="always", class_name="message-link"),
        rx.text.span(part.text),
    )


def _attachment(a: rx.Var) -> rx.Component:
    return rx.box(
        rx.cond(
            a.image,
            rx.link(
                rx.image(src=a.url, alt=a.name, max_height="120px", max_width="100%", object_fit="contain", loading="lazy"),
                href=a.url,
                is_external=True,
                rel=LINK_REL,
                aria_label="Open " + a.name,
            ),
        ),
        rx.hstack(
            rx.cond(a.image, rx.icon("image", size=16, flex_shrink="0"), rx.icon("file", size=16, flex_shrink="0")),
            rx.text(a.name, size="1", overflow_wrap="anywhere", min_width="0"),
            rx.text(a.label + " · " + a.size, size="1", color_scheme="gray", flex_shrink="0"),
            align="center",
            spacing="1",
            min_width="0",
        ),
        rx.hstack(
            rx.cond(
                a.pdf,
                rx.link("View PDF", href=a.url, is_external=True, rel=LINK_REL, size="1", aria_label="View " + a.name),
            ),
            file_link("Download", href=a.download_url, size="1", aria_label="Download " + a.name, class_name="attachment-download"),
            spacing="3",
        ),
        padding="6px",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="6px",
        max_width="100%",
        class_name="message-attachment",
    )


def _message(m: rx.Var) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.text(rx.cond(m.mine, "You", m.sender), weight="bold", size="2", class_name="message-sender"),
                rx.badge(rx.cond(m.mine, m.sender, "The shop"), variant="soft", color_scheme=rx.cond(m.mine, "blue", "gray"), size="1"),
                rx.spacer(),
                rx.text(m.when, size="1", color_scheme="gray"),
                width="100%",
                align="center",
                wrap="wrap",
                gap="4px",
            ),
            rx.text(rx.foreach(m.parts, _part), size="2", white_space="pre-wrap", overflow_wrap="anywhere", class_name="message-body", width="100%"),
            rx.cond(
                m.attachments.length() > 0,
                rx.flex(rx.foreach(m.attachments, _attachment), wrap="wrap", gap="8px", width="100%"),
            ),
            spacing="1",
            width="100%",
        ),
        background=rx.cond(m.mine, rx.color("blue", 3), rx.color("gray", 3)),
        border_left=rx.cond(m.mine, "none", f"4px solid {rx.color('gray', 8)}"),
        border_right=rx.cond(m.mine, f"4px solid {rx.color('blue', 8)}", "none"),
        border_radius="8px",
        padding="8px 12px",
        margin_left=rx.cond(m.mine, "12%", "0"),
        margin_right=rx.cond(m.mine, "0", "12%"),
        class_name=rx.cond(m.mine, "message mine", "message theirs"),
        id="message-" + m.id.to(str),
    )


def _files_field() -> rx.Component:
    return rx.vstack(
        named_upload(
            "Attach files",
            rx.upload.root(
                rx.button(rx.icon("paperclip", size=16), "Attach files", variant="soft", size="2", type="button"),
                id=UPLOAD_ID,
                multiple=True,
                max_files=messages.MAX_ATTACHMENTS,
                max_size=messages.MAX_ATTACHMENT_BYTES,
                accept=ARTWORK_ACCEPT,
                on_drop_rejected=when_refused(MessagesTab.files_rejected),
            ),
        ),
        rx.foreach(rx.selected_files(UPLOAD_ID), lambda name: rx.text(name, size="1", class_name="selected-file", overflow_wrap="anywhere")),
        rx.cond(
            rx.selected_files(UPLOAD_ID).length() > 0,
            rx.button("Remove files", size="1", variant="ghost", type="button", on_click=rx.clear_selected_files(UPLOAD_ID)),
        ),
        rx.cond(
            _error(messages.FIELD_FILES) != "",
            rx.text(
                _error(messages.FIELD_FILES), color_scheme="red", size="2", role="alert", class_name="field-error", custom_attrs={"id": "message-files-error"}
            ),
            rx.text(FILES_HINT, size="1", color_scheme="gray"),
        ),
        spacing="1",
        width="100%",
    )


def _compose(label: str, button: str) -> rx.Component:
    return rx.vstack(
        field(
            label,
            rx.text_area(value=MessagesTab.body, on_change=MessagesTab.set_body, name="message_body", rows="4", width="100%", max_length=messages.MAX_BODY),
            _error(messages.FIELD_BODY),
        ),
        _files_field(),
        rx.button(
            rx.icon("send", size=16),
            button,
            on_click=MessagesTab.send(rx.upload_files(upload_id=UPLOAD_ID)),
            disabled=PortalSession.preview,
            id="message-send",
        ),
        spacing="2",
        width="100%",
    )


def _thread() -> rx.Component:
    return rx.vstack(
        rx.button(rx.icon("arrow-left", size=14), "All conversations", variant="ghost", size="1", on_click=MessagesTab.back_to_list),
        rx.heading(MessagesTab.title, size="4", as_="h2", overflow_wrap="anywhere", id="thread-title"),
        rx.cond(MessagesTab.closed, rx.callout("The shop closed this conversation. Writing here reopens it.", icon="info", size="1")),
        rx.cond(MessagesTab.has_earlier, rx.button("Load earlier messages", variant="soft", size="1", on_click=MessagesTab.load_earlier)),
        rx.vstack(rx.foreach(MessagesTab.shown, _message), spacing="2", width="100%", id="thread-messages"),
        _compose("Your reply", "Send"),
        spacing="3",
        width="100%",
    )


def _new() -> rx.Component:
    return rx.vstack(
        rx.button(rx.icon("arrow-left", size=14), "All conversations", variant="ghost", size="1", on_click=MessagesTab.back_to_list),
        rx.heading("New message", size="4", as_="h2"),
        field(
            "About",
            rx.el.select(
                rx.el.option("Something else (general)", value=GENERAL),
                rx.foreach(MessagesTab.jobs, lambda job: rx.el.option("Order: " + job.label, value=job.value)),
                value=MessagesTab.about,
                on_change=MessagesTab.set_about,
                name="message_about",
                width="100%",
                max_width="100%",
                padding="6px",
                border_radius="6px",
                border=f"1px solid {rx.color('gray', 7)}",
                background=rx.color("gray", 1),
                color=rx.color("gray", 12),
            ),
        ),
        rx.cond(
            MessagesTab.about == GENERAL,
            field(
                "Subject",
                rx.input(value=MessagesTab.subject, on_change=MessagesTab.set_subject, name="message_subject", width="100%", max_length=messages.MAX_SUBJECT),
                _error(messages.FIELD_SUBJECT),
            ),
        ),
        _compose("Message", "Send"),
        spacing="3",
        width="100%",
    )


def messages_tab() -> rx.Component:
    return rx.vstack(
        rx.cond(
            MessagesTab.refusal != "",
            rx.callout(MessagesTab.refusal, icon="triangle-alert", color_scheme="red", width="100%", role="alert", id="messages-refusal"),
        ),
        rx.match(MessagesTab.mode, ("thread", _thread()), ("new", _new()), _list()),
        spacing="3",
        width="100%",
        padding_top="12px",
        min_width="0",
    )


watch(portal_live.MESSAGES, MessagesTab, "_reload")
TAB = Tab(MESSAGES, "Messages", messages_tab, badge=unread_badge)
