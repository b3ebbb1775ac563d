"""Portal -> Request a Quote: "3-step form to submit new orders" (issue 11).

Step 1 "What and how many", 2 "Artwork and decoration", 3 "Timing and delivery", then the
review and Submit. Everything typed is kept on the server draft as it changes (a select,
a tick, a box after a short pause, an uploaded file), so a reload, a closed tab or a phone's
browser dropping the page loses nothing; Next checks the step (messages by the fields), Back
keeps what was typed. Below the form: "Your quote requests". Reorder on a finished order
(Active Orders) opens this tab with a draft pre-filled from that job. The rules live in
`services/quotes/` (one module a concept: steps, draft, artwork, ...); this state only carries
what the form shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from kontrol_app.services import files, portal_live, quotes
from kontrol_app.services.errors import InvalidInput, ServiceError
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.services.validation import browser_int
from kontrol_app.ui.components.dialogs import alert_dialog_title
from kontrol_app.ui.components.files import ARTWORK_ACCEPT
from kontrol_app.ui.components.forms import field, named_upload, toggle_field, when_refused
from kontrol_app.ui.components.links import file_link
from kontrol_app.ui.portal.live import watch
from kontrol_app.ui.portal.session import PortalSession, portal_event, ui_event
from kontrol_app.ui.portal.tabs.nav import PortalTabs, Tab
from kontrol_app.ui.services import call

QUOTE = "quote"
UPLOAD_ID = "quote-artwork-files"
STEP_TITLES = {1: "What and how many", 2: "Artwork and decoration", 3: "Timing and delivery"}
# The step each plain field belongs to (what `change` accepts).
FIELD_STEPS = {
    "item_type": 1,
    "garment": 1,
    "colour": 1,
    "size_mode": 1,
    "decoration": 2,
    "notes": 2,
    "in_hands_date": 3,
    "delivery": 3,
    "address": 3,
    "budget": 3,
}
MAX_TYPED = 6000  # longer than any field takes (the service says what is too long)
ALL_SIZES = frozenset(size for sizes in quotes.SIZE_MODES.values() for size in sizes)
SIZE_MODE_LABELS = {"adult": "Adult sizes (XS–5XL)", "youth": "Youth sizes (YXS–YXL)", "one": "One size"}
FILES_HINT = "Several files, 25 MB each: PNG, JPEG, WebP or PDF (previewed), AI, EPS, SVG, PSD or ZIP (kept as downloads)."
REJECTED = "Each file must be a PNG, JPEG, WebP, PDF, AI, EPS, SVG, PSD or ZIP up to 25 MB."
STATUS_COLORS = {"new": "blue", "quoted": "amber", "converted": "green", "declined": "red"}


@dataclass(frozen=True)
class SizeRow:
    size: str
    value: str
    error: str


@dataclass(frozen=True)
class PlacementRow:
    key: str
    label: str
    checked: bool
    colours: str
    error: str


def _text(value: object) -> str:
    return value[:MAX_TYPED] if isinstance(value, str) else ""


class QuoteTab(PortalSession):
    step: int = 1  # 1-3, 4 the review
    editing: bool = False  # came from the review's Edit: "Save and review" is offered
    # Step 1, as typed
    item_type: str = ""
    garment: str = ""
    colour: str = ""
    size_mode: str = "adult"
    quantities: dict[str, str] = {}
    reorder_of: str = ""
    # Step 2
    decoration: str = ""
    placements: dict[str, str] = {}  # the ticked ones -> number of colours as typed
    notes: str = ""
    use_logo: bool = False
    files: list[quotes.ArtworkFile] = []
    # Step 3
    in_hands_date: str = ""
    delivery: str = ""
    address: str = ""
    budget: str = ""
    # What the shop says
    errors: dict[str, str] = {}
    warnings: dict[str, str] = {}
    sections: list[quotes.ReviewSection] = []
    refusal: str = ""
    submitted: str = ""  # the number just submitted: "Thanks — your request QR-0001 is in."
    requests: list[quotes.PortalQuoteRow] = []
    _address_default: str = ""

    async def _fill(self, viewer: PortalViewer) -> None:
        """Called by the page's loader: the draft as it was left, and the list."""
        self._apply(await call(quotes.portal_form, viewer))

    def _apply(self, form: quotes.PortalForm) -> None:
        what, artwork, timing = (form.draft.data[key] for key in quotes.STEPS)
        self.item_type, self.garment, self.colour = _text(what.get("item_type")), _text(what.get("garment")), _text(what.get("colour"))
        self.size_mode = _text(what.get("size_mode")) or "adult"
        typed = what.get("quantities") if isinstance(what.get("quantities"), dict) else {}
        self.quantities = {size: _text(value) for size, value in typed.items() if size in ALL_SIZES}
        self.reorder_of = _text(what.get("reorder_of"))
        self.decoration, self.notes = _text(artwork.get("decoration")), _text(artwork.get("notes"))
        ticked = artwork.get("placements") if isinstance(artwork.get("placements"), dict) else {}
        self.placements = {key: _text(ticked[key]) for key in quotes.PLACEMENTS if key in ticked}
        self.use_logo = artwork.get("use_logo") is True
        self.files = form.files
        self.in_hands_date, self.delivery = _text(timing.get("in_hands_date")), _text(timing.get("delivery"))
        self.budget = _text(timing.get("budget"))
        self._address_default = form.address
        # Pre-filled from the customer's shipping address until something is typed there.
        self.address = _text(timing.get("address")) or form.address
        self.requests = form.requests
        self.errors, self.warnings, self.sections, self.refusal, self.editing = {}, {}, [], "", False
        self.step = form.draft.step
        if form.review is not None:
            self._show_review(form.review)

    def _show_review(self, review: quotes.Review) -> None:
        """The review, or the first step with something wrong (its messages by the fields)."""
        self.step, self.errors, self.warnings = review.step, review.errors, review.warnings
        self.sections = review.sections
        self.editing = False

    def _data(self, step: int) -> dict:
        if step == 1:
            return {
                "item_type": self.item_type,
                "garment": self.garment,
                "colour": self.colour,
                "size_mode": self.size_mode,
                "quantities": dict(self.quantities),
            }
        if step == 2:
            return {
                "decoration": self.decoration,
                "placements": dict(self.placements),
                "notes": self.notes,
                "use_logo": self.use_logo,
                "file_ids": [f.id for f in self.files],
            }
        return {"in_hands_date": self.in_hands_date, "delivery": self.delivery, "address": self.address, "budget": self.budget}

    async def _save(self, viewer: PortalViewer, step: int, *, go_to: int | None = None, show: bool = False) -> quotes.StepCheck | None:
        """Keep `step` on the server. `show`: say everything wrong with it (Next); otherwise
        only messages that no longer apply go (nobody is told off mid-typing)."""
        self.refusal = ""
        try:
            check = await call(quotes.save_draft, viewer, step, self._data(step), go_to=go_to)
        except InvalidInput as error:
            self.errors = {**self.errors, error.field: error.message}
            return None
        except ServiceError as error:
            self.refusal = error.message
            return None
        self.errors = dict(check.errors) if show else {key: message for key, message in self.errors.items() if key in check.errors or key == "files"}
        self.warnings = dict(check.warnings)
        return check

    async def _reload(self, viewer: PortalViewer) -> None:
        self._apply(await call(quotes.portal_form, viewer))

    async def _reload_requests(self, viewer: PortalViewer) -> None:
        """The portal's poll saw a request move (the shop converted, quoted or declined it):
        the list only, never what is being typed."""
        self.requests = await call(quotes.portal_requests, viewer)

    # --- typing ---------------------------------------------------------------------------------------

    @portal_event(write=True)
    async def change(self, viewer: PortalViewer, quote_field: str, quote_value: str):
        """One plain field changed (a select at once, a box after a pause): kept on the server."""
        step = FIELD_STEPS.get(quote_field)
        if step is None or not isinstance(quote_value, str):
            return
        setattr(self, quote_field, quote_value[:MAX_TYPED])
        if quote_field == "delivery" and quote_value == "shipping" and not self.address.strip():
            self.address = self._address_default
        await self._save(viewer, step)

    @portal_event(write=True)
    async def change_qty(self, viewer: PortalViewer, size: str, quote_value: str):
        if size not in ALL_SIZES or not isinstance(quote_value, str):
            return
        self.quantities = {**self.quantities, size: quote_value[:20]}
        await self._save(viewer, 1)

    @portal_event(write=True)
    async def toggle_placement(self, viewer: PortalViewer, placement: str, checked: bool):
        if placement not in quotes.PLACEMENTS:
            return
        ticked = dict(self.placements)
        if checked is True:
            ticked.setdefault(placement, "1")
        else:
            ticked.pop(placement, None)
        self.placements = {key: ticked[key] for key in quotes.PLACEMENTS if key in ticked}
        await self._save(viewer, 2)

    @portal_event(write=True)
    async def change_colours(self, viewer: PortalViewer, placement: str, quote_value: str):
        if placement not in self.placements or not isinstance(quote_value, str):
            return
        self.placements = {**self.placements, placement: quote_value[:20]}
        await self._save(viewer, 2)

    @portal_event(write=True)
    async def tick_use_logo(self, viewer: PortalViewer, checked: bool):
        self.use_logo = checked is True
        await self._save(viewer, 2)

    @ui_event
    def files_rejected(self):
        self.errors = {**self.errors, "files": REJECTED}

    @portal_event(write=True)
    async def upload_files(self, viewer: PortalViewer, uploads: list[rx.UploadFile]):
        """Each chosen file is kept at once and added to the draft; a refused one says why by
        the files field, and everything typed stays."""
        if not uploads:
            return  # the browser refused them all (files_rejected says why)
        self.refusal = ""
        self.errors = {key: message for key, message in self.errors.items() if key != "files"}
        refused: list[str] = []
        for upload in (uploads or [])[: quotes.MAX_FILES]:
            name = getattr(upload, "name", None) or getattr(upload, "filename", None) or "file"
            try:
                received = await quotes.receive_artwork(upload)
                shown, _ = await call(quotes.add_artwork, viewer, received, received.name, self._data(2))
            except InvalidInput as error:
                refused.append(f"{name}: {error.message}")
                continue
            except ServiceError as error:
                self.refusal = error.message
                break
            self.files = [*self.files, shown]
        if refused:
            self.errors = {**self.errors, "files": " ".join(refused)}

    @portal_event(write=True)
    async def remove_file(self, viewer: PortalViewer, file_id: int):
        wanted = browser_int(file_id)
        if wanted is None or all(f.id != wanted for f in self.files):
            return
        try:
            await call(quotes.remove_artwork, viewer, wanted, self._data(2))
        except ServiceError as error:
            self.refusal = error.message
            return
        self.files = [f for f in self.files if f.id != wanted]
        self.errors = {key: message for key, message in self.errors.items() if key != "files"}

    # --- moving through the steps -------------------------------------------------------------------------

    @portal_event(write=True)
    async def next_step(self, viewer: PortalViewer):
        if self.step not in (1, 2, 3):
            return
        check = await self._save(viewer, self.step, go_to=self.step + 1, show=True)
        if check is None or not check.ok:
            return
        if self.step == 3:
            self._show_review(await call(quotes.review, viewer))
        else:
            self.step += 1
            self.warnings = {}

    @portal_event(write=True)
    async def back(self, viewer: PortalViewer):
        """One step back, keeping what was typed here (valid or not)."""
        if self.step not in (2, 3, 4):
            return
        saved = min(self.step, 3)
        if await self._save(viewer, saved, go_to=self.step - 1) is None:
            return
        self.step -= 1
        self.errors, self.warnings, self.editing = {}, {}, False

    @portal_event(write=True)
    async def edit(self, viewer: PortalViewer, step: int):
        """From the review: back to one step, with "Save and review" to return."""
        wanted = browser_int(step)
        if self.step != quotes.REVIEW_STEP or wanted not in (1, 2, 3):
            return
        if await self._save(viewer, wanted, go_to=wanted) is None:
            return
        self.step, self.errors, self.warnings, self.editing = wanted, {}, {}, True

    @portal_event(write=True)
    async def to_review(self, viewer: PortalViewer):
        if self.step not in (1, 2, 3):
            return
        check = await self._save(viewer, self.step, go_to=quotes.REVIEW_STEP, show=True)
        if check is not None and check.ok:
            self._show_review(await call(quotes.review, viewer))

    @portal_event(write=True)
    async def submit(self, viewer: PortalViewer):
        try:
            number = await call(quotes.submit, viewer)
        except InvalidInput:
            # Something went stale since the review (a date passed): that step, with its message.
            self._show_review(await call(quotes.review, viewer))
            return
        except ServiceError as error:
            await self._reload(viewer)
            self.refusal = error.message
            return
        await self._reload(viewer)
        self.submitted = number

    @portal_event(write=True)
    async def start_over(self, viewer: PortalViewer):
        try:
            await call(quotes.start_over, viewer)
        except ServiceError as error:
            self.refusal = error.message
            return
        await self._reload(viewer)
        self.submitted = ""

    @ui_event
    def new_request(self):
        self.submitted = ""

    @portal_event(write=True)
    async def reorder(self, viewer: PortalViewer, job_id: int):
        """Reorder on a shipped or completed order: a draft pre-filled from it, on this tab."""
        wanted = browser_int(job_id)
        try:
            await call(quotes.start_reorder, viewer, wanted if wanted is not None else -1)
        except ServiceError as error:
            return rx.toast.error(error.message)
        await self._reload(viewer)
        self.submitted = ""
        (await self.get_state(PortalTabs)).tab = QUOTE
        return rx.scroll_to("quote-form")

    # --- what the form shows, worked out from what was typed ----------------------------------------------

    @rx.var
    def size_rows(self) -> list[SizeRow]:
        sizes = quotes.SIZE_MODES.get(self.size_mode, quotes.ADULT_SIZES)
        return [SizeRow(size, self.quantities.get(size, ""), self.errors.get(f"qty_{size}", "")) for size in sizes]

    @rx.var
    def total(self) -> int:
        return quotes.total_quantity({"size_mode": self.size_mode, "quantities": self.quantities})

    @rx.var
    def placement_rows(self) -> list[PlacementRow]:
        return [
            PlacementRow(key, label, key in self.placements, self.placements.get(key, ""), self.errors.get(f"colours_{key}", ""))
            for key, label in quotes.PLACEMENTS.items()
        ]


# --- the page ----------------------------------------------------------------------------------------------


def _error(key: str) -> rx.Var:
    return QuoteTab.errors.get(key, "")


def _native_select(name: str, value: rx.Var, options: dict[str, str], placeholder: str = "") -> rx.Component:
    return rx.el.select(
        *([rx.el.option(placeholder, value="")] if placeholder else []),
        *[rx.el.option(label, value=key) for key, label in options.items()],
        value=value,
        on_change=lambda v: QuoteTab.change(name, v),
        name=f"quote_{name}",
        disabled=PortalSession.preview,
        width="100%",
        max_width="100%",
        padding="6px",
        border_radius="6px",
        border=f"1px solid {rx.color('gray', 7)}",
        background=rx.color("gray", 1),
        color=rx.color("gray", 12),
    )


def _text_input(name: str, value: rx.Var, **props) -> rx.Component:
    return rx.input(value=value, on_change=lambda v: QuoteTab.change(name, v), name=f"quote_{name}", disabled=PortalSession.preview, width="100%", **props)


def _text_area(name: str, value: rx.Var, **props) -> rx.Component:
    return rx.text_area(value=value, on_change=lambda v: QuoteTab.change(name, v), name=f"quote_{name}", disabled=PortalSession.preview, width="100%", **props)


def _group_error(key: str) -> rx.Component:
    """The message under a group of boxes (a fieldset): `field` gives each box its own."""
    return rx.cond(
        _error(key) != "",
        rx.text(_error(key), size="2", color_scheme="red", role="alert", class_name="field-error", id=f"quote-{key}-error"),
    )


def _progress() -> rx.Component:
    def item(number: int, label: str) -> rx.Component:
        done = QuoteTab.step > number
        current = QuoteTab.step == number
        return rx.el.li(
            rx.hstack(
                rx.cond(
                    done,
                    rx.icon("circle-check", size=18, color=rx.color("green", 11), aria_hidden="true"),
                    rx.cond(current, rx.icon("circle-dot", size=18, color=rx.color("blue", 11), aria_hidden="true"), rx.icon("circle", size=18, color=rx.color("gray", 9), aria_hidden="true")),
                ),
                rx.text(label, size="2", weight=rx.cond(current, "bold", "regular")),
                spacing="1",
                align="center",
            ),
            custom_attrs={"aria-current": rx.cond(current, "step", None)},
            class_name=rx.cond(current, "quote-progress-step current", "quote-progress-step"),
            list_style="none",
        )

    return rx.el.nav(
        rx.el.ol(
            item(1, "1. What and how many"),
            item(2, "2. Artwork and decoration"),
            item(3, "3. Timing and delivery"),
            item(4, "Review"),
            display="flex",
            flex_wrap="wrap",
            gap="6px 16px",
            padding="0",
            margin="0",
        ),
        aria_label="Quote request progress",
        width="100%",
    )


def _step_heading() -> rx.Component:
    return rx.heading(
        rx.match(
            QuoteTab.step,
            (1, "Step 1 of 3: What and how many"),
            (2, "Step 2 of 3: Artwork and decoration"),
            (3, "Step 3 of 3: Timing and delivery"),
            "Review your request",
        ),
        size="4",
        as_="h2",
        id="quote-step-title",
    )


def _fieldset(legend: str, *children: rx.Component, **props) -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend(rx.text(legend, size="2", weight="medium")),
        *children,
        border="none",
        padding="0",
        margin="0",
        min_width="0",
        width="100%",
        **props,
    )


def _size_box(row: rx.Var, index: rx.Var) -> rx.Component:
    return rx.box(
        field(
            row.size,
            rx.input(
                value=row.value,
                on_change=lambda v: QuoteTab.change_qty(row.size, v),
                name="quote_qty",
                input_mode="numeric",
                disabled=PortalSession.preview,
                width="100%",
            ),
            row.error,
            id="quote-qty-" + index.to(str),
        ),
        width="88px",
        class_name="quote-size",
    )


def _step_what() -> rx.Component:
    return rx.vstack(
        rx.cond(
            QuoteTab.reorder_of != "",
            rx.callout("Reorder of " + QuoteTab.reorder_of, icon="repeat", size="1", width="100%", id="quote-reorder-of"),
        ),
        field("What do you need?", _native_select("item_type", QuoteTab.item_type, quotes.ITEM_TYPES, "Choose…"), _error("item_type")),
        field(
            "Garment brand and style",
            _text_input("garment", QuoteTab.garment, max_length=200),
            _error("garment"),
            "For example Gildan 5000 — or leave it to us.",
        ),
        field("Colour", _text_input("colour", QuoteTab.colour, max_length=100), _error("colour")),
        field("Sizes", _native_select("size_mode", QuoteTab.size_mode, SIZE_MODE_LABELS), _error("size_mode")),
        _fieldset(
            "Quantity by size",
            rx.flex(rx.foreach(QuoteTab.size_rows, _size_box), wrap="wrap", gap="8px", margin_top="4px"),
            _group_error("quantities"),
            rx.text("Total: ", rx.text.span(QuoteTab.total.to(str), id="quote-total"), " pieces", size="2", weight="medium", aria_live="polite", margin_top="4px"),
        ),
        spacing="3",
        width="100%",
    )


def _placement(row: rx.Var) -> rx.Component:
    return rx.flex(
        rx.box(
            toggle_field(
                row.label,
                rx.checkbox(
                    checked=row.checked,
                    on_change=lambda checked: QuoteTab.toggle_placement(row.key, checked),
                    disabled=PortalSession.preview,
                    name="quote_placement",
                ),
                id="quote-placement-" + row.key,
            ),
            min_width="120px",
        ),
        rx.cond(
            row.checked,
            rx.box(
                field(
                    "Colours (" + row.label + ")",
                    rx.input(
                        value=row.colours,
                        on_change=lambda v: QuoteTab.change_colours(row.key, v),
                        name="quote_colours",
                        input_mode="numeric",
                        disabled=PortalSession.preview,
                        width="80px",
                    ),
                    row.error,
                    id="quote-colours-" + row.key,
                ),
                max_width="220px",
            ),
        ),
        gap="8px 16px",
        align="start",
        wrap="wrap",
        width="100%",
        class_name="quote-placement",
    )


def _artwork_file(f: rx.Var) -> rx.Component:
    return rx.box(
        rx.cond(
            f.image,
            rx.link(
                rx.image(src=f.url, alt=f.name, max_height="120px", max_width="100%", object_fit="contain", loading="lazy"),
                href=f.url,
                is_external=True,
                aria_label="Open " + f.name,
            ),
        ),
        rx.hstack(
            rx.cond(f.image, rx.icon("image", size=16, flex_shrink="0"), rx.icon("file", size=16, flex_shrink="0")),
            rx.text(f.name, size="1", overflow_wrap="anywhere", min_width="0", class_name="quote-file-name"),
            rx.text(f.label, size="1", color_scheme="gray", flex_shrink="0"),
            align="center",
            spacing="1",
            min_width="0",
        ),
        rx.hstack(
            rx.cond(f.pdf, rx.link("View PDF", href=f.url, is_external=True, size="1", aria_label="View " + f.name)),
            file_link("Download", href=f.download_url, size="1", aria_label="Download " + f.name),
            rx.button(
                "Remove",
                size="1",
                variant="ghost",
                color_scheme="red",
                type="button",
                on_click=QuoteTab.remove_file(f.id),
                disabled=PortalSession.preview,
                aria_label="Remove " + f.name,
            ),
            spacing="3",
            align="center",
        ),
        padding="6px",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="6px",
        max_width="100%",
        class_name="quote-file",
    )


def _files_field() -> rx.Component:
    return rx.vstack(
        rx.text("Artwork files", size="2", weight="medium"),
        rx.cond(
            QuoteTab.files.length() > 0,
            rx.flex(rx.foreach(QuoteTab.files, _artwork_file), wrap="wrap", gap="8px", width="100%", id="quote-files"),
        ),
        named_upload(
            "Artwork files",
            rx.upload.root(
                rx.button(rx.icon("upload", size=16), "Add artwork files", variant="soft", size="2", type="button", disabled=PortalSession.preview),
                id=UPLOAD_ID,
                multiple=True,
                max_size=files.DEFAULT_MAX_BYTES,
                accept=ARTWORK_ACCEPT,
                disabled=PortalSession.preview,
                on_drop=QuoteTab.upload_files(rx.upload_files(upload_id=UPLOAD_ID)),
                on_drop_rejected=when_refused(QuoteTab.files_rejected),
            ),
        ),
        rx.cond(
            _error("files") != "",
            rx.text(_error("files"), color_scheme="red", size="2", role="alert", class_name="field-error", id="quote-files-error"),
            rx.text(FILES_HINT, size="1", color_scheme="gray"),
        ),
        spacing="1",
        width="100%",
    )


def _step_artwork() -> rx.Component:
    return rx.vstack(
        field("Decoration", _native_select("decoration", QuoteTab.decoration, quotes.DECORATIONS, "Choose…"), _error("decoration")),
        _fieldset(
            "Placements and number of colours",
            rx.vstack(rx.foreach(QuoteTab.placement_rows, _placement), spacing="2", width="100%", margin_top="4px"),
            _group_error("placements"),
        ),
        _files_field(),
        toggle_field(
            "Use my logo from My Branding",
            rx.checkbox(checked=QuoteTab.use_logo, on_change=QuoteTab.tick_use_logo, disabled=PortalSession.preview, name="quote_use_logo"),
        ),
        field(
            "Notes",
            _text_area("notes", QuoteTab.notes, rows="4", max_length=5000),
            _error("notes"),
            "Anything that helps us price it: sizes of the print, ink colours, deadlines.",
        ),
        spacing="3",
        width="100%",
    )


def _radio(value: str, label: str) -> rx.Component:
    return rx.el.label(
        rx.el.input(
            type="radio",
            name="quote_delivery",
            value=value,
            checked=QuoteTab.delivery == value,
            on_change=lambda v: QuoteTab.change("delivery", v),
            disabled=PortalSession.preview,
            custom_attrs={"aria-describedby": rx.cond(_error("delivery") != "", "quote-delivery-error", None)},
        ),
        rx.text.span(label, margin_left="6px"),
        display="flex",
        align_items="center",
        font_size="14px",
    )


def _step_timing() -> rx.Component:
    return rx.vstack(
        field(
            "In-hands date",
            _text_input("in_hands_date", QuoteTab.in_hands_date, type="date", max_width="220px"),
            _error("in_hands_date"),
            "The day you need them in hand.",
        ),
        rx.cond(
            QuoteTab.warnings.get("in_hands_date", "") != "",
            rx.callout(QuoteTab.warnings.get("in_hands_date", ""), icon="clock", color_scheme="amber", size="1", width="100%", id="quote-rush-warning"),
        ),
        _fieldset(
            "Delivery",
            rx.hstack(_radio("pickup", "Pickup"), _radio("shipping", "Shipping"), spacing="5", margin_top="4px"),
            _group_error("delivery"),
        ),
        rx.cond(
            QuoteTab.delivery == "shipping",
            field(
                "Shipping address",
                _text_area("address", QuoteTab.address, rows="3", max_length=500),
                _error("address"),
            ),
        ),
        field(
            "Budget (optional)",
            _text_input("budget", QuoteTab.budget, input_mode="decimal", max_width="220px"),
            _error("budget"),
            "A rough figure helps us suggest options.",
        ),
        spacing="3",
        width="100%",
    )


def _review_section(section: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(section.title, size="3", as_="h3"),
                rx.spacer(),
                rx.button(
                    "Edit",
                    size="1",
                    variant="soft",
                    type="button",
                    on_click=QuoteTab.edit(section.step),
                    disabled=PortalSession.preview,
                    aria_label="Edit " + section.title,
                ),
                width="100%",
                align="center",
            ),
            rx.foreach(section.lines, lambda line: rx.text(line, size="2", white_space="pre-wrap", overflow_wrap="anywhere", class_name="quote-review-line")),
            rx.cond(
                (section.step == 2) & (QuoteTab.files.length() > 0),
                rx.flex(rx.foreach(QuoteTab.files, _artwork_file), wrap="wrap", gap="8px", width="100%"),
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
        class_name="quote-review-section",
    )


def _review() -> rx.Component:
    return rx.vstack(
        rx.foreach(QuoteTab.sections, _review_section),
        rx.cond(
            QuoteTab.warnings.get("in_hands_date", "") != "",
            rx.callout(QuoteTab.warnings.get("in_hands_date", ""), icon="clock", color_scheme="amber", size="1", width="100%"),
        ),
        spacing="3",
        width="100%",
        id="quote-review",
    )


def _start_over() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Start over", variant="ghost", color_scheme="gray", size="2", type="button", disabled=PortalSession.preview)),
        rx.alert_dialog.content(
            alert_dialog_title("Start over?"),
            rx.alert_dialog.description("This clears everything typed in this request, and the files uploaded for it.", size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep my answers", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Clear the form", color_scheme="red", on_click=QuoteTab.start_over)),
                justify="end",
                margin_top="12px",
                wrap="wrap",
                gap="8px",
            ),
        ),
    )


def _buttons() -> rx.Component:
    return rx.flex(
        rx.cond(
            QuoteTab.step > 1,
            rx.button(rx.icon("arrow-left", size=16), "Back", variant="soft", color_scheme="gray", type="button", on_click=QuoteTab.back, disabled=PortalSession.preview),
        ),
        rx.cond(
            QuoteTab.step < 4,
            rx.button("Next", rx.icon("arrow-right", size=16), type="button", on_click=QuoteTab.next_step, disabled=PortalSession.preview, id="quote-next"),
            rx.button(rx.icon("send", size=16), "Submit", type="button", on_click=QuoteTab.submit, disabled=PortalSession.preview, id="quote-submit"),
        ),
        rx.cond(
            QuoteTab.editing & (QuoteTab.step < 4),
            rx.button("Save and review", variant="soft", type="button", on_click=QuoteTab.to_review, disabled=PortalSession.preview),
        ),
        rx.spacer(),
        _start_over(),
        gap="8px",
        wrap="wrap",
        align="center",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.vstack(
        _progress(),
        _step_heading(),
        rx.match(QuoteTab.step, (1, _step_what()), (2, _step_artwork()), (3, _step_timing()), _review()),
        _buttons(),
        spacing="3",
        width="100%",
        id="quote-form",
    )


def _request_row(row: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(row.number, weight="bold", size="3", class_name="quote-request-number"),
                rx.spacer(),
                rx.badge(row.status_label, color_scheme=rx.match(row.status, *STATUS_COLORS.items(), "gray"), variant="soft", class_name="quote-request-status"),
                width="100%",
                align="center",
            ),
            rx.text(row.summary, size="2"),
            rx.text(row.created, size="1", color_scheme="gray"),
            rx.cond(
                row.decline_message != "",
                rx.text("From the shop: ", row.decline_message, size="2", white_space="pre-wrap", overflow_wrap="anywhere", class_name="quote-decline-message"),
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
        class_name="quote-request",
        id="quote-request-" + row.number,
    )


def _requests() -> rx.Component:
    return rx.vstack(
        rx.heading("Your quote requests", size="4", as_="h2", margin_top="16px"),
        rx.cond(
            QuoteTab.requests.length() == 0,
            rx.text("No quote requests yet.", size="2", color_scheme="gray"),
            rx.vstack(rx.foreach(QuoteTab.requests, _request_row), spacing="2", width="100%"),
        ),
        spacing="2",
        width="100%",
        id="quote-requests",
    )


def quote_tab() -> rx.Component:
    return rx.vstack(
        rx.cond(
            PortalSession.preview,
            rx.callout(quotes.PREVIEW, icon="eye", color_scheme="amber", size="1", width="100%"),
        ),
        rx.cond(
            QuoteTab.refusal != "",
            rx.callout(QuoteTab.refusal, icon="triangle-alert", color_scheme="red", width="100%", role="alert", id="quote-refusal"),
        ),
        rx.cond(
            QuoteTab.submitted != "",
            rx.vstack(
                rx.callout(
                    "Thanks — your request " + QuoteTab.submitted + " is in. We'll email you at " + PortalSession.viewer_email + ".",
                    icon="circle-check",
                    color_scheme="green",
                    width="100%",
                    role="status",
                    id="quote-submitted",
                ),
                rx.button("Request another quote", variant="soft", size="2", on_click=QuoteTab.new_request),
                spacing="2",
                width="100%",
            ),
            _form(),
        ),
        _requests(),
        spacing="3",
        width="100%",
        padding_top="12px",
        min_width="0",
    )


watch(portal_live.QUOTES, QuoteTab, "_reload_requests")
TAB = Tab(QUOTE, "Request a Quote", quote_tab)
