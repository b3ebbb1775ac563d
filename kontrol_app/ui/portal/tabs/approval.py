"""Portal: the client's side of artwork approval.

The banner on every tab ("1 job awaiting your approval — click to review") and, inside a
job's details, the version sent for approval with its three answers: Approve, Request
Revisions, Decline. The Active Orders tab fills this state when a job opens (`_show`) and
when its cards reload (`_load_banner`); a decision reloads both, so the answer, the
timeline and the banner move at once.

Who decides is the checked viewer (customer and contact), never the browser: the browser
only names the version it is looking at, and the service answers "not in your portal"
for anyone else's.
"""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import approve_by, certificate, mockups
from kontrol_app.services.errors import InvalidInput, NotAllowed, NotFound
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.ui.components.dialogs import dialog_title
from kontrol_app.ui.components.forms import field, toggle_field
from kontrol_app.ui.components.links import file_link
from kontrol_app.ui.components.pins import GRID, pin_row, pinned_image
from kontrol_app.ui.components.status import counted
from kontrol_app.ui.portal.session import PortalSession, portal_event, ui_event
from kontrol_app.ui.portal.tabs.nav import ORDERS, PortalTabs
from kontrol_app.ui.services import call, client_ip

AGREE = "I approve this artwork for production"
NOT_YOURS = "That version is not in your portal."
# Placing a pin without a mouse: where across and down, as the centres of the click grid's cells.
ACROSS = [(str(i), f"{i * 10 + 5}% from the left") for i in range(GRID)]
DOWN = [(str(i), f"{i * 10 + 5}% from the top") for i in range(GRID)]


def pages_note(shown: int, total: int) -> str:
    """ "Showing 20 of 45 pages" when the original has pages without a preview."""
    if total > shown > 0:
        return f"Showing {shown} of {total} pages — download the original to see them all."
    return ""


def banner_text(count: int) -> str:
    if count <= 0:
        return ""
    return f"{count} job{'' if count == 1 else 's'} awaiting your approval — click to review"


class ApprovalTab(PortalSession):
    # The banner: which of the customer's jobs wait for an answer.
    awaiting_ids: list[int] = []
    banner: str = ""
    banner_approve_by: str = ""  # the most urgent "Approve by ..." of those jobs
    # The version sent for approval on the open job (version_id 0: none).
    job_id: int = 0
    version_id: int = 0
    label: str = ""
    preview_url: str = ""
    file_url: str = ""
    page_count: int = 0
    message: str = ""
    checklist: list[str] = []
    can_decide: bool = False
    decided_text: str = ""
    certificate_url: str = ""  # the approval certificate (PDF) once the shown version is approved
    approve_by_text: str = ""  # "Approve by Apr 3 to keep your Apr 12 due date", while it awaits an answer
    # Page by page (a PDF's first pages; else just the preview): the one shown, "Page 1 of 3".
    page_urls: list[str] = []
    page_index: int = 0
    page_url: str = ""
    page_text: str = ""
    page_alt: str = ""  # "Artwork v2, page 2 of 3"
    pages_note: str = ""  # "Showing 20 of 45 pages — ..."
    # What the client fills in, and what came back.
    typed_name: str = ""
    agreed: bool = False
    ticked: list[bool] = []
    revision_notes: str = ""
    decline_reason: str = ""
    # Numbered pins on the preview with a Request Revisions: {"number", "left", "top", "note", "x", "y"}.
    pins: list[dict[str, str]] = []
    # The keyboard way to place a pin: the grid column and row chosen in two selects.
    pin_across: str = "4"
    pin_down: str = "4"
    # The checkboxes show a click at once (not after the server's answer); a new number
    # re-creates them unticked whenever `ticked`/`agreed` are cleared here.
    form_key: int = 0
    errors: dict[str, str] = {}  # by field: typed_name, agreed, checklist, revisions_notes, declined_notes
    refusal: str = ""  # a refusal without a field ("This version was replaced by v3")
    answer: str = ""  # the service's confirmation of this browser's decision

    async def _load_banner(self, customer_id: int) -> None:
        waiting = await call(mockups.awaiting_approval, customer_id)
        self.awaiting_ids = [job_id for job_id, _title in waiting]
        self.banner = banner_text(len(waiting))
        self.banner_approve_by = await call(approve_by.banner_text, customer_id, self.awaiting_ids) if waiting else ""

    async def _show(self, customer_id: int, job_id: int) -> None:
        """The proof of the job just opened (job_id 0: none). What the client typed stays
        while the same version is shown (the cards reload every few seconds)."""
        try:
            proof = await call(mockups.portal_proof, customer_id, job_id) if job_id else None
        except NotFound:
            proof = None
        self._apply(proof)

    def _apply(self, proof: mockups.PortalProof | None) -> None:
        """Show `proof` (None: nothing to decide on this job)."""
        if proof is None:
            if not self.version_id and not self.answer:
                return  # nothing was shown: nothing to clear, and nothing to send back
            self.job_id = self.version_id = self.page_count = 0
            self.label = self.preview_url = self.file_url = self.message = self.decided_text = ""
            self.approve_by_text = self.certificate_url = ""
            self.checklist, self.can_decide = [], False
            self.page_urls, self.pages_note = [], ""
            self._turn_to(0)
            self._clear_form()
            self.answer = ""
            return
        if proof.version_id != self.version_id:
            self._clear_form()
            self.answer = ""
            self.ticked = [False] * len(proof.checklist)
            self.page_index = 0  # the same version keeps its page while the cards reload
        elif len(self.ticked) != len(proof.checklist):
            self.ticked = [False] * len(proof.checklist)
            self.form_key += 1
        self.job_id, self.version_id, self.label = proof.job_id, proof.version_id, proof.label
        self.preview_url, self.file_url, self.page_count = proof.preview_url, proof.file_url, proof.page_count
        self.message, self.checklist = proof.message, list(proof.checklist)
        self.can_decide, self.decided_text = proof.can_decide, proof.decided_text
        self.approve_by_text = proof.approve_by_text
        self.certificate_url = certificate.certificate_url(proof.record_id) if proof.record_id else ""
        self.page_urls = list(proof.page_urls)
        self.pages_note = pages_note(len(proof.page_urls), proof.page_count)
        self._turn_to(self.page_index)

    def _turn_to(self, index: int) -> None:
        count = len(self.page_urls)
        self.page_index = max(0, min(index, count - 1)) if count else 0
        self.page_url = self.page_urls[self.page_index] if count else ""
        self.page_text = f"Page {self.page_index + 1} of {count}" if count > 1 else ""
        self.page_alt = f"Artwork {self.label}" + (f", page {self.page_index + 1} of {count}" if count > 1 else "")

    def _clear_form(self) -> None:
        self.typed_name, self.agreed, self.ticked = "", False, []
        self.form_key += 1
        self.revision_notes = self.decline_reason = self.refusal = ""
        self.pins = []
        self.pin_across = self.pin_down = "4"
        self.errors = {}

    async def _reload(self, customer_id: int) -> None:
        """The job (timeline, status), the cards, the banner and this proof, from the database."""
        from kontrol_app.ui.portal.tabs.orders import OrdersTab

        await (await self.get_state(OrdersTab))._load_orders(customer_id)

    async def _decide(self, viewer: PortalViewer, version_id: int, decision: str, **fields) -> None:
        self.errors, self.refusal = {}, ""
        try:
            version = int(version_id)
        except (TypeError, ValueError):
            self.refusal = NOT_YOURS
            return
        try:
            self.answer = await call(
                mockups.decide,
                viewer.customer_id,
                viewer.contact_id,
                version,
                decision=decision,
                ip=client_ip(self),
                user_agent=self.router.headers.user_agent,
                **fields,
            )
        except InvalidInput as error:
            key = f"{decision}_notes" if error.field == "notes" else (error.field or "form")
            if key == "form":
                self.refusal = error.message
            else:
                self.errors = {key: error.message}
            return
        except (NotAllowed, NotFound) as error:
            self.refusal = error.message
            # Replaced, withdrawn or answered by a colleague meanwhile: show it as it is now.
            await self._reload(viewer.customer_id)
            return
        await self._reload(viewer.customer_id)

    @portal_event(write=True)
    async def approve(self, viewer: PortalViewer, version_id: int):
        ticked = [index for index, done in enumerate(self.ticked) if done]
        await self._decide(viewer, version_id, "approved", typed_name=self.typed_name, agreed=self.agreed, ticked=ticked)

    @portal_event(write=True)
    async def request_revisions(self, viewer: PortalViewer, version_id: int):
        pins = [{"x": float(p["x"]), "y": float(p["y"]), "note": p["note"]} for p in self.pins]
        await self._decide(viewer, version_id, "revisions", notes=self.revision_notes, pins=pins)

    @portal_event(write=True)
    async def decline(self, viewer: PortalViewer, version_id: int):
        await self._decide(viewer, version_id, "declined", notes=self.decline_reason)

    @portal_event
    async def review(self, viewer: PortalViewer):
        """The banner: open the first job awaiting an answer in Active Orders."""
        from kontrol_app.ui.portal.tabs.orders import OrdersTab

        await self._load_banner(viewer.customer_id)
        if not self.awaiting_ids:
            return None
        if await (await self.get_state(OrdersTab))._open_job(viewer.customer_id, self.awaiting_ids[0]):
            (await self.get_state(PortalTabs)).tab = ORDERS
            return rx.scroll_to("portal-job-detail")
        return None

    @ui_event
    def set_typed_name(self, typed_name: str):
        self.typed_name = str(typed_name)[:200]

    @ui_event
    def set_agreed(self, agreed: bool):
        self.agreed = agreed is True

    @ui_event
    def set_tick(self, index: int, ticked: bool):
        if isinstance(index, int) and 0 <= index < len(self.ticked):
            self.ticked[index] = ticked is True

    @ui_event
    def set_revision_notes(self, notes: str):
        self.revision_notes = str(notes)[:4000]

    @ui_event
    def set_decline_reason(self, reason: str):
        self.decline_reason = str(reason)[:4000]

    @ui_event
    def next_page(self):
        self._turn_to(self.page_index + 1)

    @ui_event
    def previous_page(self):
        self._turn_to(self.page_index - 1)

    @ui_event
    def add_pin(self, column: int, row: int):
        """A click on the preview: a pin in the middle of that grid cell (the service caps them)."""
        self._place(column, row)

    def _place(self, column: int, row: int) -> None:
        if not (isinstance(column, int) and isinstance(row, int) and 0 <= column < GRID and 0 <= row < GRID):
            return
        if not self.can_decide or len(self.pins) >= mockups.MAX_PINS:
            return
        x, y = (column + 0.5) / GRID, (row + 0.5) / GRID
        self.pins.append({**pin_row(len(self.pins) + 1, x, y, ""), "x": str(x), "y": str(y)})

    @ui_event
    def set_pin_across(self, column: str):
        if str(column) in {value for value, _ in ACROSS}:
            self.pin_across = str(column)

    @ui_event
    def set_pin_down(self, row: str):
        if str(row) in {value for value, _ in DOWN}:
            self.pin_down = str(row)

    @ui_event
    def add_chosen_pin(self):
        """The keyboard's "Add pin": at the place chosen in the two selects."""
        self._place(int(self.pin_across), int(self.pin_down))

    @ui_event
    def set_pin_note(self, index: int, note: str):
        if isinstance(index, int) and 0 <= index < len(self.pins):
            self.pins[index]["note"] = str(note)[:1000]

    @ui_event
    def remove_pin(self, index: int):
        if isinstance(index, int) and 0 <= index < len(self.pins):
            del self.pins[index]
            for number, pin in enumerate(self.pins, start=1):
                pin["number"] = str(number)


# --------------------------------------------------------------------------- components

_WIDE_ON_PHONES = rx.breakpoints(initial="100%", sm="auto")


def approval_banner() -> rx.Component:
    """On every tab while a job waits for the client's answer; not while that one job is open
    in Active Orders with its approval form (it would only point at what is already there)."""
    from kontrol_app.ui.portal.tabs.orders import OrdersTab  # it imports this module

    only_that_one_open = (
        (PortalTabs.tab == ORDERS)
        & OrdersTab.job_open
        & (ApprovalTab.awaiting_ids.length() == 1)
        & ApprovalTab.awaiting_ids.contains(ApprovalTab.job_id)
    )
    return rx.cond(
        (ApprovalTab.banner != "") & ~only_that_one_open,
        rx.button(
            rx.icon("bell-ring", size=18, aria_hidden="true"),
            # Spans, not divs: a button holds phrasing content only.
            rx.el.span(
                rx.el.span(ApprovalTab.banner, style={"display": "block"}),
                rx.cond(
                    ApprovalTab.banner_approve_by != "",
                    rx.el.span(
                        ApprovalTab.banner_approve_by,
                        style={"display": "block", "fontSize": "var(--font-size-2)"},
                        id="approval-banner-approve-by",
                    ),
                ),
                style={"textAlign": "left"},
            ),
            on_click=ApprovalTab.review,
            color_scheme="amber",
            variant="soft",
            size="3",
            width="100%",
            white_space="normal",
            height="auto",
            padding="10px 12px",
            justify_content="flex-start",
            margin_bottom="12px",
            id="approval-banner",
        ),
    )


def awaiting_note(job: rx.Var) -> rx.Component:
    """On a job card: the job waits for the client's answer."""
    return rx.cond(
        ApprovalTab.awaiting_ids.contains(job.id),
        rx.text("Awaiting your approval", size="2", weight="bold", color=rx.color("amber", 11), class_name="awaiting-approval"),
    )


def _page_button(label: str, icon: str, on_click, at_end: rx.Var) -> rx.Component:
    """Stays focusable at the first/last page (aria-disabled, not disabled): a keyboard user
    who turns to the last page keeps their place instead of dropping to the page's top."""
    parts = [rx.icon(icon, size=16, aria_hidden="true"), label]
    return rx.button(
        *(parts if icon == "chevron-left" else reversed(parts)),
        on_click=on_click,
        type="button",
        variant="soft",
        size="2",
        aria_disabled=rx.cond(at_end, "true", "false"),
        opacity=rx.cond(at_end, "0.5", "1"),
    )


def _page_controls() -> rx.Component:
    """ "Page 1 of 3" with Previous page / Next page, for a PDF of more than one page."""
    return rx.cond(
        ApprovalTab.page_text != "",
        rx.flex(
            _page_button("Previous page", "chevron-left", ApprovalTab.previous_page, ApprovalTab.page_index <= 0),
            rx.text(ApprovalTab.page_text, size="2", weight="medium", role="status", id="approval-page-text"),
            _page_button(
                "Next page", "chevron-right", ApprovalTab.next_page, ApprovalTab.page_index >= ApprovalTab.page_urls.length() - 1
            ),
            gap="8px",
            align="center",
            wrap="wrap",
            id="approval-pages",
        ),
    )


def _preview() -> rx.Component:
    alt = ApprovalTab.page_alt
    return rx.cond(
        ApprovalTab.page_url != "",
        rx.dialog.root(
            rx.dialog.trigger(
                rx.el.button(
                    rx.image(src=ApprovalTab.page_url, alt=alt, max_width="100%", max_height="70vh", object_fit="contain", display="block"),
                    type="button",
                    aria_label="Zoom the artwork",
                    title="Click to zoom",
                    style={"cursor": "zoom-in", "padding": "0", "border": "none", "background": "none", "maxWidth": "100%"},
                    id="approval-preview",
                ),
            ),
            rx.dialog.content(
                dialog_title(alt, size="3"),
                rx.box(rx.image(src=ApprovalTab.page_url, alt=alt, max_width="none"), overflow="auto", max_height="75vh"),
                rx.flex(rx.dialog.close(rx.button("Close", variant="soft")), justify="end", margin_top="12px"),
                max_width="95vw",
                width="auto",
            ),
        ),
        rx.text("No preview for this file — download the original to see it.", size="2", color_scheme="gray"),
    )


def _check(item: rx.Var, index: rx.Var) -> rx.Component:
    return toggle_field(
        item,
        rx.checkbox(default_checked=False, on_change=lambda ticked: ApprovalTab.set_tick(index, ticked)),
        id="approval-check-" + index.to_string(),
    )


def _approve_form() -> rx.Component:
    errors = ApprovalTab.errors
    return rx.vstack(
        rx.heading("Approve", size="3", as_="h3"),
        rx.cond(
            ApprovalTab.checklist.length() > 0,
            rx.vstack(
                rx.text("Before you approve, confirm each point:", size="2", weight="medium"),
                rx.foreach(ApprovalTab.checklist, _check),
                rx.cond(
                    errors.get("checklist", "") != "",
                    rx.text(errors.get("checklist", ""), size="2", color_scheme="red", role="alert", class_name="field-error", id="approval-checklist-error"),
                ),
                spacing="2",
                width="100%",
                id="approval-checklist",
            ),
        ),
        field(
            "Your full name",
            rx.input(name="typed_name", value=ApprovalTab.typed_name, on_change=ApprovalTab.set_typed_name, auto_complete="name", width="100%", size="3"),
            errors.get("typed_name", ""),
        ),
        rx.vstack(
            toggle_field(AGREE, rx.checkbox(name="agreed", default_checked=False, on_change=ApprovalTab.set_agreed), id="approval-agreed"),
            rx.cond(
                errors.get("agreed", "") != "",
                rx.text(errors.get("agreed", ""), size="2", color_scheme="red", role="alert", class_name="field-error", id="approval-agreed-error"),
            ),
            spacing="1",
            width="100%",
        ),
        rx.button("Approve", on_click=ApprovalTab.approve(ApprovalTab.version_id), color_scheme="green", size="3", width=_WIDE_ON_PHONES),
        spacing="3",
        width="100%",
        key=ApprovalTab.form_key.to_string(),
    )


def _notes_form(
    title: str, label: str, name: str, value: rx.Var, on_change, error_key: str, button: str, on_click, scheme: str, *before_button: rx.Component
) -> rx.Component:
    """A heading, a text area and its button; `before_button`: more to fill in before pressing it."""
    return rx.vstack(
        rx.heading(title, size="3", as_="h3"),
        field(label, rx.text_area(name=name, value=value, on_change=on_change, rows="3", width="100%"), ApprovalTab.errors.get(error_key, "")),
        *before_button,
        rx.button(button, on_click=on_click, variant="soft", color_scheme=scheme, size="3", width=_WIDE_ON_PHONES),
        spacing="3",
        width="100%",
    )


def _pin_field(pin: rx.Var, index: rx.Var) -> rx.Component:
    return rx.hstack(
        field(
            "Pin " + pin["number"],
            rx.input(
                value=pin["note"], on_change=lambda note: ApprovalTab.set_pin_note(index, note), width="100%", name="pin_note"
            ),
            id="approval-pin-" + index.to_string(),
        ),
        rx.button(
            "Remove", variant="ghost", color_scheme="gray", size="2", type="button",
            aria_label="Remove pin " + pin["number"], on_click=ApprovalTab.remove_pin(index),
        ),
        align="end",
        width="100%",
    )


def _position_select(label: str, options: list[tuple[str, str]], value: rx.Var, on_change) -> rx.Component:
    # A native select: arrow keys choose, and it works the same on a phone.
    return rx.box(
        field(
            label,
            rx.el.select(
                *[rx.el.option(text, value=option) for option, text in options],
                value=value,
                on_change=on_change,
                name="pin_" + label.lower(),
                class_name="rt-reset rt-SelectTrigger rt-r-size-2 rt-variant-surface",
                style={"padding": "0 8px", "width": "100%"},
            ),
        ),
        flex="1 1 160px",
        min_width="0",
    )


def _place_by_keyboard() -> rx.Component:
    """The same pins without a mouse: choose where across and down, then Add pin."""
    return rx.flex(
        _position_select("Across", ACROSS, ApprovalTab.pin_across, ApprovalTab.set_pin_across),
        _position_select("Down", DOWN, ApprovalTab.pin_down, ApprovalTab.set_pin_down),
        rx.button(
            rx.icon("map-pin", size=16, aria_hidden="true"),
            "Add pin",
            on_click=ApprovalTab.add_chosen_pin,
            type="button",
            variant="soft",
            size="2",
            width=_WIDE_ON_PHONES,
        ),
        gap="8px",
        align="end",
        wrap="wrap",
        width="100%",
        id="approval-pin-place",
    )


def _pins() -> rx.Component:
    """Optional, with a Request Revisions: click the preview (or choose a place and Add pin) to
    number a spot and say what changes there. Pins go on page 1 of a PDF."""
    return rx.cond(
        ApprovalTab.preview_url != "",
        rx.vstack(
            rx.text(
                "Optional: click the artwork, or choose a place below and press Add pin, to put a numbered pin "
                "where something should change.",
                rx.cond(ApprovalTab.page_text != "", " Pins go on page 1.", ""),
                size="2",
            ),
            pinned_image(ApprovalTab.preview_url, "Place pins on " + ApprovalTab.label, ApprovalTab.pins, ApprovalTab.add_pin),
            _place_by_keyboard(),
            rx.foreach(ApprovalTab.pins, _pin_field),
            rx.cond(
                ApprovalTab.errors.get("pins", "") != "",
                rx.text(ApprovalTab.errors.get("pins", ""), size="2", color_scheme="red", role="alert", class_name="field-error", id="approval-pins-error"),
            ),
            spacing="2",
            width="100%",
            id="approval-pins",
        ),
    )


def _actions() -> rx.Component:
    return rx.vstack(
        _approve_form(),
        rx.separator(size="4"),
        _notes_form(
            "Request Revisions", "What should change?", "revision_notes", ApprovalTab.revision_notes, ApprovalTab.set_revision_notes,
            "revisions_notes", "Request Revisions", ApprovalTab.request_revisions(ApprovalTab.version_id), "amber",
            _pins(),  # (placed before the button that sends them)
        ),
        rx.separator(size="4"),
        _notes_form(
            "Decline", "Why do you decline?", "decline_reason", ApprovalTab.decline_reason, ApprovalTab.set_decline_reason,
            "declined_notes", "Decline", ApprovalTab.decline(ApprovalTab.version_id), "red",
        ),
        spacing="4",
        width="100%",
        id="approval-actions",
    )


def approval_section() -> rx.Component:
    """Inside a job's details: the version sent for approval, and the client's answer."""
    return rx.cond(
        ApprovalTab.version_id != 0,
        rx.vstack(
            rx.separator(size="4"),
            # Once answered, the version is no longer "for your approval".
            rx.heading(rx.cond(ApprovalTab.can_decide, "Artwork for your approval — ", "Artwork — ") + ApprovalTab.label, size="4", as_="h2"),
            _preview(),
            _page_controls(),
            rx.cond(ApprovalTab.pages_note != "", rx.text(ApprovalTab.pages_note, size="2", color_scheme="gray", id="approval-pages-note")),
            rx.flex(
                rx.cond(
                    ApprovalTab.page_count > 0,
                    rx.text("PDF, ", counted(ApprovalTab.page_count, "page"), size="2", color_scheme="gray"),
                ),
                file_link("Download the original", href=ApprovalTab.file_url, size="2", id="approval-download"),
                gap="12px",
                wrap="wrap",
                align="center",
            ),
            rx.cond(
                ApprovalTab.message != "",
                rx.vstack(
                    rx.text("Message from ", PortalSession.shop_name, size="2", weight="medium"),
                    rx.blockquote(ApprovalTab.message, size="2", white_space="pre-line"),
                    spacing="1",
                    width="100%",
                ),
            ),
            rx.cond(
                ApprovalTab.can_decide & (ApprovalTab.approve_by_text != ""),
                rx.callout(
                    ApprovalTab.approve_by_text, icon="calendar-clock", color_scheme="amber", width="100%", id="approval-approve-by"
                ),
            ),
            rx.cond(
                ApprovalTab.answer != "",
                rx.callout(ApprovalTab.answer, icon="circle-check", color_scheme="green", role="status", width="100%", id="approval-answer"),
            ),
            rx.cond(
                ApprovalTab.refusal != "",
                rx.callout(ApprovalTab.refusal, icon="triangle_alert", color_scheme="red", role="alert", width="100%", id="approval-refusal"),
            ),
            rx.cond(
                ApprovalTab.can_decide,
                _actions(),
                rx.cond(
                    ApprovalTab.decided_text != "",
                    rx.callout(ApprovalTab.decided_text, icon="info", size="1", width="100%", id="approval-decided"),
                ),
            ),
            rx.cond(
                ApprovalTab.certificate_url != "",
                file_link(
                    rx.hstack(rx.icon("file-down", size=16, aria_hidden="true"), "Download certificate", spacing="1", align="center"),
                    href=ApprovalTab.certificate_url,
                    size="2",
                    id="approval-certificate",
                ),
            ),
            spacing="3",
            width="100%",
            min_width="0",
            id="approval-section",
        ),
    )
