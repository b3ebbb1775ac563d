"""Settings -> Automations: per status, email the client when a job moves there."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import automations, invoice_reminders, reminders
from kontrol_app.ui.components.dialogs import dialog_title
from kontrol_app.ui.components.forms import dialog_buttons, field, toggle_field
from kontrol_app.ui.guard import StaffPrincipal, StaffState, form_event, owner_event, staff_event
from kontrol_app.ui.services import call
from kontrol_app.ui.staff.settings_nav import settings_tabs
from kontrol_app.ui.staff.shell import guarded, staff_page

PLACEHOLDER_HINT = "Placeholders: " + ", ".join("{" + p + "}" for p in automations.PLACEHOLDERS)


class AutomationsState(StaffState, rx.State):
    rules: list[dict[str, str]] = []
    can_edit: bool = False
    editing: str = ""  # the status being edited
    editing_label: str = ""  # its label, which the editor's title names
    subject: str = ""
    body: str = ""
    enabled: bool = False
    preview_subject: str = ""
    preview_body: str = ""
    # Reminders about artwork awaiting approval (typed as text; the service checks the numbers).
    reminders_on: bool = False
    reminder_days: str = "2"
    reminder_times: str = "3"
    # Reminders of unpaid invoices: days before the due date, and a comma list of days after.
    invoice_reminders_on: bool = False
    invoice_before_days: str = "3"
    invoice_after_days: str = "1, 7, 14"

    async def _refresh(self) -> None:
        rules = await call(automations.list_rules)
        self.rules = [
            {"status": r.status, "label": r.label, "enabled": "on" if r.enabled else "off", "subject": r.subject} for r in rules
        ]

    async def _rule(self, status: str) -> automations.AutomationRule | None:
        return next((r for r in await call(automations.list_rules) if r.status == status), None)

    async def _preview(self) -> None:
        self.preview_subject, self.preview_body = await call(
            automations.preview, status=self.editing, subject=self.subject, body=self.body
        )

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        self.can_edit = principal.is_owner
        self.editing = ""
        await self._refresh()
        await self._load_reminders()

    async def _load_reminders(self) -> None:
        saved = await call(reminders.get_settings)
        self.reminders_on, self.reminder_days, self.reminder_times = saved.enabled, str(saved.days), str(saved.times)
        invoice = await call(invoice_reminders.get_settings)
        self.invoice_reminders_on, self.invoice_before_days = invoice.enabled, str(invoice.before_days)
        self.invoice_after_days = invoice.after_text

    @form_event
    def set_reminders_on(self, value: bool):
        self.reminders_on = value

    @form_event
    def set_reminder_days(self, value: str):
        self.reminder_days = value

    @form_event
    def set_reminder_times(self, value: str):
        self.reminder_times = value

    @owner_event
    async def save_reminders(self, principal: StaffPrincipal):
        saved = await call(
            reminders.save_settings, principal, enabled=self.reminders_on, days=self.reminder_days, times=self.reminder_times
        )
        await self._load_reminders()
        if not saved.enabled:
            return rx.toast.success("Approval reminders are off.")
        return rx.toast.success(f"Approval reminders on: every {saved.days} day(s), at most {saved.times} time(s).")

    @form_event
    def set_invoice_reminders_on(self, value: bool):
        self.invoice_reminders_on = value

    @form_event
    def set_invoice_before_days(self, value: str):
        self.invoice_before_days = value

    @form_event
    def set_invoice_after_days(self, value: str):
        self.invoice_after_days = value

    @owner_event
    async def save_invoice_reminders(self, principal: StaffPrincipal):
        saved = await call(
            invoice_reminders.save_settings,
            principal,
            enabled=self.invoice_reminders_on,
            before_days=self.invoice_before_days,
            after_days=self.invoice_after_days,
        )
        await self._load_reminders()
        if not saved.enabled:
            return rx.toast.success("Invoice reminders are off.")
        before = f"{saved.before_days} day(s) before and " if saved.before_days else ""
        after = f"{saved.after_text} day(s) after the due date" if saved.after_days else "no days after the due date"
        return rx.toast.success(f"Invoice reminders on: {before}{after}.")

    @staff_event
    async def edit(self, principal: StaffPrincipal, status: str):
        rule = await self._rule(status)
        if rule is None:
            return
        self.editing, self.subject, self.body, self.enabled = rule.status, rule.subject, rule.body, rule.enabled
        self.editing_label = rule.label
        await self._preview()

    # The preview reads the shop's details, so typing is guarded like any read.
    @staff_event
    async def set_subject(self, principal: StaffPrincipal, value: str):
        self.subject = value
        await self._preview()

    @staff_event
    async def set_body(self, principal: StaffPrincipal, value: str):
        self.body = value
        await self._preview()

    @form_event
    def set_enabled(self, value: bool):
        self.enabled = value

    @form_event
    def close(self, open_: bool = False):
        if not open_:
            self.editing = ""

    @owner_event
    async def toggle(self, principal: StaffPrincipal, status: str, enabled: bool):
        rule = await self._rule(status)
        if rule is None:
            return
        await call(automations.save_rule, principal, status=status, enabled=enabled, subject=rule.subject, body=rule.body)
        await self._refresh()
        return rx.toast.success(f"{rule.label}: emails {'on' if enabled else 'off'}.")

    @owner_event
    async def save(self, principal: StaffPrincipal):
        rule = await call(
            automations.save_rule, principal, status=self.editing, enabled=self.enabled, subject=self.subject, body=self.body
        )
        self.editing = ""
        await self._refresh()
        return rx.toast.success(f"Saved the {rule.label} email.")


def _rule_row(rule: rx.Var) -> rx.Component:
    state = AutomationsState
    return rx.table.row(
        rx.table.cell(rule["label"], weight="medium"),
        rx.table.cell(
            rx.switch(
                checked=rule["enabled"] == "on",
                on_change=lambda value: state.toggle(rule["status"], value),
                disabled=~state.can_edit,
                aria_label="Email the client when a job moves to " + rule["label"].to(str),
            )
        ),
        rx.table.cell(rule["subject"], color_scheme="gray"),
        rx.table.cell(rx.button("Edit email", size="1", variant="soft", on_click=state.edit(rule["status"]))),
        class_name="automation-row",
    )


def _editor() -> rx.Component:
    state = AutomationsState
    return rx.dialog.root(
        rx.dialog.content(
            dialog_title("Email when a job moves to " + state.editing_label),
            rx.vstack(
                toggle_field("Send this email", rx.switch(checked=state.enabled, on_change=state.set_enabled, disabled=~state.can_edit), id="rule-enabled"),
                field("Subject", rx.input(value=state.subject, on_change=state.set_subject, name="subject", width="100%", read_only=~state.can_edit), state.errors.get("subject", "")),
                field(
                    "Text",
                    rx.text_area(value=state.body, on_change=state.set_body, name="body", rows="8", width="100%", read_only=~state.can_edit),
                    state.errors.get("body", ""),
                    hint=PLACEHOLDER_HINT,
                ),
                rx.text("Preview", size="2", weight="medium"),
                rx.card(
                    rx.text(state.preview_subject, weight="bold", size="2"),
                    rx.text(state.preview_body, size="2", white_space="pre-line", margin_top="6px"),
                    width="100%",
                    id="automation-preview",
                ),
                dialog_buttons(rx.cond(state.can_edit, rx.button("Save", on_click=state.save))),
                spacing="3",
                width="100%",
            ),
            max_width="640px",
        ),
        open=state.editing != "",
        on_open_change=state.close,
    )


def _reminders_card() -> rx.Component:
    state = AutomationsState
    return rx.card(
        rx.vstack(
            rx.text("Approval reminders", weight="bold", size="3"),
            toggle_field(
                "Remind clients about artwork awaiting approval",
                rx.switch(checked=state.reminders_on, on_change=state.set_reminders_on, disabled=~state.can_edit),
                id="reminders-on",
            ),
            rx.hstack(
                field(
                    "After (days)",
                    rx.input(value=state.reminder_days, on_change=state.set_reminder_days, name="reminder_days", type="number", min="1", max="30", width="120px", read_only=~state.can_edit),
                    state.errors.get("reminder_days", ""),
                    hint="1 to 30, again every as many days",
                ),
                field(
                    "At most (times)",
                    rx.input(value=state.reminder_times, on_change=state.set_reminder_times, name="reminder_times", type="number", min="1", max="10", width="120px", read_only=~state.can_edit),
                    state.errors.get("reminder_times", ""),
                    hint="1 to 10",
                ),
                spacing="5",
                align="start",
            ),
            rx.text(
                "Every contact of the customer with an email gets one, until the client answers, the version is "
                "replaced or withdrawn, or the job is closed.",
                size="2",
                color_scheme="gray",
            ),
            rx.cond(state.can_edit, rx.button("Save reminders", on_click=state.save_reminders, id="save-reminders")),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="960px",
        margin_bottom="16px",
        id="approval-reminders",
    )


def _invoice_reminders_card() -> rx.Component:
    state = AutomationsState
    return rx.card(
        rx.vstack(
            rx.text("Invoice reminders", weight="bold", size="3"),
            toggle_field(
                "Remind clients of unpaid invoices",
                rx.switch(checked=state.invoice_reminders_on, on_change=state.set_invoice_reminders_on, disabled=~state.can_edit),
                id="invoice-reminders-on",
            ),
            rx.flex(
                field(
                    "Days before the due date",
                    rx.input(value=state.invoice_before_days, on_change=state.set_invoice_before_days, name="invoice_before_days", type="number", min="0", max="60", width="120px", read_only=~state.can_edit),
                    state.errors.get("invoice_before_days", ""),
                    hint="0 to 60 (0: none before)",
                ),
                field(
                    "Days after the due date",
                    rx.input(value=state.invoice_after_days, on_change=state.set_invoice_after_days, name="invoice_after_days", width="200px", read_only=~state.can_edit),
                    state.errors.get("invoice_after_days", ""),
                    hint="A list, like 1, 7, 14",
                ),
                spacing="5",
                align="start",
                direction={"initial": "column", "sm": "row"},
            ),
            rx.text(
                "Every contact of the customer with an email gets each reminder once, with the balance and a link to "
                "pay, until the invoice is paid or void.",
                size="2",
                color_scheme="gray",
            ),
            rx.cond(state.can_edit, rx.button("Save invoice reminders", on_click=state.save_invoice_reminders, id="save-invoice-reminders")),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="960px",
        margin_bottom="16px",
        id="invoice-reminders",
    )


def automations_page() -> rx.Component:
    return staff_page(
        "Settings",
        "Settings",
        settings_tabs("Automations"),
        rx.cond(  # a colleague sees the switches greyed out: say why (once loaded: no flash for the owner)
            (AutomationsState.rules.length() > 0) & ~AutomationsState.can_edit,
            rx.callout("Only the shop owner can change these settings.", icon="info", margin_bottom="12px", id="owner-only"),
        ),
        # The guide's automations first (an email per status change), then the reminders.
        rx.text("Clients get an automatic email when a job moves to a status you switch on here.", size="2", color_scheme="gray", margin_bottom="12px"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in ("Status", "Email the client", "Subject", "")])),
            rx.table.body(rx.foreach(AutomationsState.rules, _rule_row)),
            variant="surface",
            width="100%",
            max_width="960px",
            margin_bottom="20px",
        ),
        _editor(),
        _reminders_card(),
        _invoice_reminders_card(),
    )


ON_LOAD = guarded(AutomationsState.load)
