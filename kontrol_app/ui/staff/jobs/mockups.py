"""The job page's Mockups tab: upload versions, send one for approval, the print checklist,
an offline approval, and the written approval records."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import certificate, mockups
from kontrol_app.services.errors import InvalidInput, NotFound
from kontrol_app.ui.components.dialogs import alert_dialog_title, dialog_title
from kontrol_app.ui.components.forms import field, form_dialog, named_upload, when_refused
from kontrol_app.ui.components.links import file_link
from kontrol_app.ui.components.pins import pin_notes, pin_row, pinned_image
from kontrol_app.ui.guard import StaffPrincipal, StaffState, form_event, staff_event
from kontrol_app.ui.services import call

UPLOAD_ID = "mockup"
# What the browser offers in its file picker; the server judges the bytes, not these.
ACCEPT = {
    "image/png": [".png"],
    "image/jpeg": [".jpg", ".jpeg"],
    "image/webp": [".webp"],
    "application/pdf": [".pdf"],
}
REJECTED = "The file must be a PNG, JPEG, WebP or PDF up to 25 MB."
# (value, label) of how an offline approval was given.
OFFLINE_METHODS = [("phone", "Phone"), ("in_person", "In person"), ("email", "Email"), ("no_artwork", "No artwork needed")]
OFFLINE_FIELDS = ("approved_by", "method", "note")
# The states a version's badge colours.
STATE_COLORS = [("approved", "green"), ("sent", "blue"), ("revisions", "orange"), ("declined", "red"), ("draft", "gray")]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _version_row(v: mockups.VersionView) -> dict[str, str]:
    return {
        "id": str(v.id),
        "label": v.label,
        "file_name": v.file_name,
        "size": v.size_text,
        "uploaded": f"Uploaded by {v.uploaded_by} on {v.uploaded_at}",
        "note": v.note,
        "state": v.state,
        "state_text": v.state_text,
        "preview_url": v.preview_url,
        "file_url": v.file_url,
        "pages": _plural(v.page_count, "page") if v.page_count else "",
        "sha256": v.sha256[:12] + "…" if v.sha256 else "",
        "can_send": "",  # set for the newest version only, in _refresh
        "can_withdraw": "yes" if v.state in ("draft", "sent") else "",
        # A PDF's page previews open in a dialog ("View 3 pages"); "" for one page or an image.
        "view_pages": f"View {len(v.page_urls)} pages" if len(v.page_urls) > 1 else "",
        "pages_note": f"Showing {len(v.page_urls)} of {v.page_count} pages" if v.page_count > len(v.page_urls) > 1 else "",
    }


def _record_row(r: mockups.RecordView) -> dict[str, str]:
    return {
        "summary": r.summary,
        "decision": r.decision,
        "notes": r.notes,
        "checklist": " · ".join(("✓ " if ticked else "✗ ") + text for text, ticked in r.checklist),
        # Approvals have a certificate (PDF) to download; other decisions do not.
        "certificate_url": certificate.certificate_url(r.id) if r.decision in mockups.APPROVALS and r.id else "",
        "id": str(r.id),
        "pins": "yes" if r.pins else "",
        "pins_preview": r.preview_url if r.pins else "",  # the client's pins are shown on this image
    }


class MockupsState(StaffState, rx.State):
    versions: list[dict[str, str]] = []
    records: list[dict[str, str]] = []
    approval_text: str = ""
    approved: bool = False
    checklist_text: str = ""
    note: str = ""
    send_open: bool = False
    send_version_id: int = 0
    send_label: str = ""
    send_message: str = ""
    offline_open: bool = False
    offline: dict[str, str] = {f: "" for f in OFFLINE_FIELDS}
    # Side by side: the ids of the two versions chosen, and their rows (left, right).
    compare_left: str = ""
    compare_right: str = ""
    compare_pair: list[dict[str, str]] = []
    record_pins: dict[str, list[dict[str, str]]] = {}  # by record id: the client's numbered pins
    version_pages: dict[str, list[str]] = {}  # by version id: a PDF's page previews, page 1 first

    def _pick_compare(self) -> None:
        """Keep the versions chosen while they exist; else the two newest (older left)."""
        ids = [row["id"] for row in self.versions]  # newest first
        if len(ids) < 2:
            self.compare_left, self.compare_right, self.compare_pair = "", "", []
            return
        if self.compare_left not in ids:
            self.compare_left = ids[1]
        if self.compare_right not in ids:
            self.compare_right = ids[0]
        rows = {row["id"]: row for row in self.versions}
        self.compare_pair = [rows[self.compare_left], rows[self.compare_right]]

    @form_event
    def set_compare_left(self, value: str):
        self.compare_left = value
        self._pick_compare()

    @form_event
    def set_compare_right(self, value: str):
        self.compare_right = value
        self._pick_compare()

    async def _refresh(self, principal: StaffPrincipal) -> None:
        view = await call(mockups.job_mockups, principal, self._route_id("job_id"))
        newest = self.versions[0]["id"] if self.versions else ""
        self.versions = [_version_row(v) for v in view.versions]
        self.version_pages = {str(v.id): list(v.page_urls) for v in view.versions if len(v.page_urls) > 1}
        if self.versions and self.versions[0]["id"] != newest:
            self.compare_left = self.compare_right = ""  # a new upload: compare the two newest again
        # Only the current version (the newest not withdrawn) can be sent, once.
        current = next((row for row in self.versions if row["state"] != "withdrawn"), None)
        if current is not None and current["state"] == "draft":
            current["can_send"] = "yes"
        self._pick_compare()
        self.records = [_record_row(r) for r in view.records]
        self.record_pins = {
            str(r.id): [pin_row(n, x, y, note) for n, (x, y, note) in enumerate(r.pins, start=1)] for r in view.records if r.pins
        }
        self.approval_text = view.approval_text
        self.approved = view.approved
        self.checklist_text = "\n".join(view.checklist)

    async def _refresh_job(self, principal: StaffPrincipal) -> None:
        """The page's status and history change with a send or an offline approval."""
        from kontrol_app.ui.staff.jobs.job_page import JobPageState  # it imports this module

        await (await self.get_state(JobPageState))._refresh(principal)

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        self.reset()  # another job's versions never show while this one loads
        if self._route_id("job_id") is None:
            return
        try:
            await self._refresh(principal)
        except NotFound:
            self.versions = []  # the job page says the job does not exist

    @form_event
    def set_note(self, value: str):
        self.note = value

    @staff_event(field_toast="The file was not uploaded.")
    async def upload(self, principal: StaffPrincipal, files: list[rx.UploadFile]):
        job_id = self._route_id("job_id")
        if not files:  # the browser refused what was dropped: this answer may come after upload_rejected's
            self.errors = {"mockup": REJECTED}
            return
        if job_id is None:
            return
        # Capped on the server while it streams in; the service judges and keeps it.
        received = await mockups.receive_upload(files[0])  # the service discards it whatever happens
        version = await call(mockups.upload_version, principal, job_id, received, name=received.name, note=self.note)
        self.note = ""
        await self._refresh(principal)
        return rx.toast.success(f"{version.label} uploaded.")

    @form_event
    def upload_rejected(self):
        self.errors = {"mockup": REJECTED}

    @form_event
    def set_checklist_text(self, value: str):
        self.checklist_text = value

    @staff_event
    async def save_checklist(self, principal: StaffPrincipal):
        items = await call(mockups.set_checklist, principal, self._route_id("job_id"), self.checklist_text.splitlines())
        self.checklist_text = "\n".join(items)
        return rx.toast.success("Checklist saved.")

    @form_event
    def open_send(self, version_id: int, label: str):
        self.send_version_id, self.send_label = version_id, label
        self.send_message = ""
        self.send_open = True

    @form_event
    def set_send_open(self, value: bool):
        self.send_open = value

    @form_event
    def set_send_message(self, value: str):
        self.send_message = value

    @staff_event
    async def send(self, principal: StaffPrincipal):
        count = await call(mockups.send_for_approval, principal, self.send_version_id, message=self.send_message)
        self.send_open, self.send_message = False, ""
        await self._refresh(principal)
        await self._refresh_job(principal)
        return rx.toast.success(f"Sent to {_plural(count, 'contact')}.")

    @staff_event
    async def withdraw(self, principal: StaffPrincipal, version_id: int):
        await call(mockups.withdraw_version, principal, version_id)
        await self._refresh(principal)
        return rx.toast.success("Version withdrawn. The client no longer sees it.")

    @form_event
    def set_offline_open(self, value: bool):
        if value:
            self.offline = {f: "" for f in OFFLINE_FIELDS}
        self.offline_open = value

    @form_event
    def set_offline_field(self, name: str, value: str):
        if name in OFFLINE_FIELDS:
            self.offline[name] = value

    @staff_event(field_toast="The offline approval was not saved.")
    async def save_offline(self, principal: StaffPrincipal):
        try:
            await call(
                mockups.record_offline_approval,
                principal,
                self._route_id("job_id"),
                approved_by=self.offline["approved_by"],
                method=self.offline["method"],
                note=self.offline["note"],
            )
        except InvalidInput as error:
            if error.field == "note":  # the upload's "What changed" box is "note" too
                raise InvalidInput(error.message, "offline_note") from error
            raise
        self.offline_open = False
        await self._refresh(principal)
        await self._refresh_job(principal)
        return rx.toast.success("Offline approval recorded.")


def _error(key: str) -> rx.Var:
    return MockupsState.errors.get(key, "")


def _upload_section() -> rx.Component:
    state = MockupsState
    return rx.card(
        rx.vstack(
            rx.heading("Upload file", size="3", as_="h3"),
            field(
                "What changed (optional)",
                rx.input(value=state.note, on_change=state.set_note, name="mockup_note", width="100%"),
                _error("note"),
            ),
            named_upload(
                "Mockup file",
                rx.upload.root(
                    rx.button(rx.icon("upload", size=16), "Upload file", variant="soft", type="button"),
                    id=UPLOAD_ID,
                    multiple=False,
                    max_files=1,
                    max_size=mockups.MAX_MOCKUP_BYTES,
                    accept=ACCEPT,
                    on_drop=state.upload(rx.upload_files(upload_id=UPLOAD_ID)),
                    on_drop_rejected=when_refused(state.upload_rejected),
                ),
            ),
            rx.cond(
                _error("mockup") != "",
                rx.text(_error("mockup"), color_scheme="red", size="2", role="alert", class_name="field-error", custom_attrs={"id": "mockup-error"}),
                rx.text("PNG, JPEG, WebP or PDF, up to 25 MB. Each upload is a new version.", size="1", color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _withdraw_button(v: rx.Var) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Withdraw", variant="soft", color_scheme="red", size="2", type="button")),
        rx.alert_dialog.content(
            alert_dialog_title("Withdraw " + v["label"] + "?"),
            rx.alert_dialog.description(
                "The client no longer sees this version and cannot approve it. It stays in the record.",
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Withdraw version", color_scheme="red", on_click=MockupsState.withdraw(v["id"]))),
                justify="end",
                margin_top="12px",
            ),
        ),
    )


def _pages_dialog(v: rx.Var) -> rx.Component:
    """A PDF's pages one under the other (loaded only when the dialog opens)."""
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(v["view_pages"], variant="soft", size="2", type="button")),
        rx.dialog.content(
            dialog_title(v["label"] + " — " + v["file_name"], size="3"),
            rx.cond(v["pages_note"] != "", rx.text(v["pages_note"], " — download the original to see them all.", size="2")),
            rx.vstack(
                rx.foreach(
                    MockupsState.version_pages[v["id"]],
                    lambda url, index: rx.vstack(
                        rx.text("Page ", (index + 1).to_string(), size="2", weight="medium"),
                        rx.image(
                            src=url, alt=v["label"] + ", page " + (index + 1).to_string(), loading="lazy",
                            max_width="100%", class_name="mockup-page",
                        ),
                        spacing="1",
                        width="100%",
                    ),
                ),
                spacing="4",
                margin_top="8px",
            ),
            rx.flex(rx.dialog.close(rx.button("Close", variant="soft")), justify="end", margin_top="12px"),
            max_width="min(95vw, 900px)",
        ),
    )


def _version_card(v: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.box(
                rx.cond(
                    v["preview_url"] != "",
                    rx.image(
                        src=v["preview_url"],
                        alt="Preview of " + v["label"],
                        loading="lazy",
                        max_width="160px",
                        max_height="160px",
                        object_fit="contain",
                        class_name="mockup-preview",
                    ),
                    rx.center(rx.icon("file", size=32, color="gray"), width="120px", height="120px"),
                ),
                flex_shrink="0",
            ),
            rx.vstack(
                rx.hstack(
                    rx.heading(v["label"], size="4", as_="h4", class_name="mockup-label"),
                    rx.badge(
                        v["state_text"],
                        color_scheme=rx.match(v["state"], *STATE_COLORS, "gray"),
                        variant="soft",
                        class_name="mockup-state",
                        # "Revisions requested by <name> on <date>" wraps on a phone, never clipped.
                        white_space="normal",
                        flex_shrink="1",
                        min_width="0",
                        overflow_wrap="anywhere",
                    ),
                    align="center",
                    wrap="wrap",
                ),
                rx.text(
                    v["file_name"],
                    " · ",
                    v["size"],
                    rx.cond(v["pages"] != "", " · " + v["pages"], ""),
                    size="2",
                    class_name="mockup-file",
                ),
                rx.text(v["uploaded"], size="2", color_scheme="gray"),
                rx.cond(v["note"] != "", rx.text("What changed: ", v["note"], size="2")),
                rx.cond(v["sha256"] != "", rx.text("SHA-256 ", v["sha256"], size="1", color_scheme="gray")),
                rx.flex(
                    file_link("Download ", v["label"], href=v["file_url"], size="2"),
                    rx.cond(v["view_pages"] != "", _pages_dialog(v)),
                    rx.cond(
                        v["can_send"] == "yes",
                        rx.button("Send for Approval", size="2", type="button", on_click=MockupsState.open_send(v["id"], v["label"])),
                    ),
                    rx.cond(v["can_withdraw"] == "yes", _withdraw_button(v)),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                spacing="1",
                min_width="0",
            ),
            spacing="4",
            direction={"initial": "column", "sm": "row"},
        ),
        width="100%",
        class_name="mockup-version",
        custom_attrs={"data-label": v["label"]},
    )


def _compare_select(label: str, value: rx.Var, on_change) -> rx.Component:
    return field(
        label,
        rx.select.root(
            rx.select.trigger(),
            rx.select.content(rx.foreach(MockupsState.versions, lambda v: rx.select.item(v["label"], value=v["id"]))),
            value=value,
            on_change=on_change,
            name="compare_" + label.lower(),
        ),
    )


def _compare_side(v: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.cond(
            v["preview_url"] != "",
            rx.image(
                src=v["preview_url"],
                alt="Preview of " + v["label"],
                width="100%",
                max_height="480px",
                object_fit="contain",
                class_name="compare-preview",
            ),
            rx.center(rx.icon("file", size=32, color="gray"), width="100%", height="160px"),
        ),
        rx.heading(v["label"], size="3", as_="h4"),
        rx.cond(v["note"] != "", rx.text("What changed: ", v["note"], size="2")),
        rx.text(v["uploaded"], size="2", color_scheme="gray"),
        spacing="1",
        flex="1 1 0",
        min_width="0",
        width="100%",
        class_name="compare-side",
        custom_attrs={"data-label": v["label"]},
    )


def _compare_section() -> rx.Component:
    state = MockupsState
    return rx.cond(
        state.versions.length() > 1,
        rx.card(
            rx.vstack(
                rx.heading("Compare", size="3", as_="h3"),
                rx.flex(
                    _compare_select("Left", state.compare_left, state.set_compare_left),
                    _compare_select("Right", state.compare_right, state.set_compare_right),
                    spacing="4",
                    wrap="wrap",
                ),
                # Next to each other; stacked on a phone.
                rx.flex(
                    rx.foreach(state.compare_pair, _compare_side),
                    spacing="4",
                    direction={"initial": "column", "sm": "row"},
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            custom_attrs={"id": "mockup-compare"},
        ),
    )


def _send_dialog() -> rx.Component:
    state = MockupsState
    return form_dialog(
        "Send " + state.send_label + " for approval",
        "Every contact of this customer gets an email with the preview and a link to approve it in the portal.",
        field(
            "Message (optional)",
            rx.text_area(value=state.send_message, on_change=state.set_send_message, rows="5", width="100%", name="send_message"),
            _error("message"),
        ),
        error=_error("form"),
        action=rx.button("Send to client", on_click=state.send, type="button"),
        open=state.send_open,
        on_open_change=state.set_send_open,
        max_width="560px",
    )


def _offline_dialog() -> rx.Component:
    state = MockupsState
    return form_dialog(
        "Record an offline approval",
        "For a client who approved by phone, in person or by email, or a job with no artwork. "
        "It is kept as a written approval record in your name.",
        field(
            "Who approved",
            rx.input(
                value=state.offline["approved_by"],
                on_change=lambda value: state.set_offline_field("approved_by", value),
                name="approved_by",
                width="100%",
            ),
            _error("approved_by"),
        ),
        field(
            "How",
            rx.select.root(
                # Radix's placeholder grey is too faint to read (axe: contrast): one step darker.
                rx.select.trigger(placeholder="Choose…", style={"& .rt-SelectTriggerInner": {"color": "var(--gray-11)"}}),
                rx.select.content(*[rx.select.item(label, value=value) for value, label in OFFLINE_METHODS]),
                value=state.offline["method"],
                on_change=lambda value: state.set_offline_field("method", value),
                name="method",
            ),
            _error("method"),
        ),
        field(
            "Note",
            rx.text_area(
                value=state.offline["note"],
                on_change=lambda value: state.set_offline_field("note", value),
                name="offline_note",
                rows="3",
                width="100%",
            ),
            _error("offline_note"),
        ),
        error=_error("form"),
        action=rx.button("Save", on_click=state.save_offline, type="button"),
        open=state.offline_open,
        on_open_change=state.set_offline_open,
        trigger=rx.button(rx.icon("check", size=14), "Approved offline", variant="soft", type="button"),
        max_width="560px",
    )


def _status_section() -> rx.Component:
    state = MockupsState
    return rx.vstack(
        rx.flex(
            rx.cond(
                state.approved,
                rx.callout(state.approval_text, icon="circle_check", color_scheme="green", custom_attrs={"id": "approval-status"}, flex_grow="1"),
                rx.callout(state.approval_text, icon="triangle_alert", color_scheme="amber", custom_attrs={"id": "approval-status"}, flex_grow="1"),
            ),
            _offline_dialog(),
            spacing="3",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            state.records.length() > 0,
            rx.vstack(
                rx.heading("Approval records", size="3", as_="h3"),
                rx.foreach(
                    state.records,
                    lambda r: rx.box(
                        rx.text(r["summary"], size="2", weight="medium"),
                        rx.cond(r["notes"] != "", rx.text(r["notes"], size="2", color_scheme="gray")),
                        rx.cond(r["checklist"] != "", rx.text(r["checklist"], size="1", color_scheme="gray")),
                        rx.cond(
                            r["pins"] != "",
                            rx.vstack(
                                rx.cond(
                                    r["pins_preview"] != "",
                                    pinned_image(r["pins_preview"], "The client's pins on the preview", state.record_pins[r["id"]]),
                                ),
                                pin_notes(state.record_pins[r["id"]]),
                                spacing="2",
                                class_name="approval-pins",
                            ),
                        ),
                        rx.cond(
                            r["certificate_url"] != "",
                            file_link(
                                rx.icon("file-down", size=14, aria_hidden="true"),
                                "Download certificate",
                                href=r["certificate_url"],
                                size="2",
                                class_name="approval-certificate",
                            ),
                        ),
                        class_name="approval-record",
                        width="100%",
                    ),
                ),
                spacing="2",
                width="100%",
                custom_attrs={"id": "approval-records"},
            ),
        ),
        spacing="3",
        width="100%",
    )


def _checklist_section() -> rx.Component:
    state = MockupsState
    return rx.card(
        rx.vstack(
            rx.heading("Print checklist", size="3", as_="h3"),
            field(
                "Points the client confirms, one per line",
                rx.text_area(value=state.checklist_text, on_change=state.set_checklist_text, name="checklist", rows="4", width="100%"),
                _error("checklist"),
                hint="e.g. Spelling of names checked. The client ticks every point before they can approve.",
            ),
            rx.button("Save checklist", variant="soft", on_click=state.save_checklist, type="button"),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def mockups_tab() -> rx.Component:
    state = MockupsState
    return rx.vstack(
        _status_section(),
        _upload_section(),
        rx.heading("Versions", size="3", as_="h3"),
        rx.cond(
            state.versions.length() > 0,
            rx.vstack(rx.foreach(state.versions, _version_card), spacing="3", width="100%", custom_attrs={"id": "mockup-versions"}),
            rx.text("No mockups yet. Upload the first version above.", color_scheme="gray", size="2"),
        ),
        _compare_section(),
        _checklist_section(),
        _send_dialog(),
        spacing="4",
        width="100%",
        padding_top="12px",
    )
