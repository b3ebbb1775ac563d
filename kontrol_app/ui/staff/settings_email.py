"""Settings -> Email: the outbox, and the local mailbox when no provider is set."""

from __future__ import annotations

import reflex as rx

from kontrol_app.models import EmailKind, EmailStatus
from kontrol_app.services import outbox as outbox_service
from kontrol_app.services import shop as shop_service
from kontrol_app.services.clock import shop_time
from kontrol_app.settings import get_settings
from kontrol_app.ui.components.dialogs import dialog_title
from kontrol_app.ui.components.tables import PagedState, email_cell, paged_table
from kontrol_app.ui.guard import StaffPrincipal, form_event, staff_event
from kontrol_app.ui.services import call
from kontrol_app.ui.staff.settings_nav import settings_tabs
from kontrol_app.ui.staff.shell import guarded, staff_page

PAGE_SIZE = 25
STATUS_LABELS = {EmailStatus.QUEUED: "Queued", EmailStatus.SENT: "Sent", EmailStatus.FAILED: "Failed"}
STATUS_COLORS = {"Queued": "amber", "Sent": "green", "Failed": "red"}
# Kinds whose value reads wrong as a label (the new address may get a notice, not a code).
KIND_LABELS = {EmailKind.EMAIL_CHANGE_CODE: "Sign-in email change", EmailKind.EMAIL_CHANGE_NOTICE: "Sign-in email notice"}


class EmailState(PagedState, rx.State):
    emails: list[dict[str, str]] = []
    provider: str = ""
    preview_subject: str = ""
    preview_html: str = ""
    preview_text: str = ""
    preview_open: bool = False

    async def _refresh(self, principal: StaffPrincipal) -> None:
        result = await call(outbox_service.list_outbox, principal, page=self.page, page_size=PAGE_SIZE)
        tz = await call(shop_service.shop_timezone)
        self.total, self.page, self.pages = result.total, result.page, result.pages
        self.emails = [
            {
                "id": str(e.id),
                "to": e.to_email,
                "subject": e.subject,
                "kind": KIND_LABELS.get(e.kind) or e.kind.replace("_", " ").capitalize(),
                "status": STATUS_LABELS.get(e.status, e.status),
                "time": shop_time(e.sent_at or e.created_at, tz),
                "error": e.last_error,
            }
            for e in result.emails
        ]

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        self.provider = "Resend" if get_settings().email_provider_configured else ""
        self.page = 1
        await self._refresh(principal)

    @staff_event
    async def show(self, principal: StaffPrincipal, email_id: int):
        row = await call(outbox_service.get_email, principal, int(email_id))
        self.preview_subject = row.subject
        self.preview_html = row.html_body
        self.preview_text = row.text_body
        self.preview_open = True

    @form_event
    def set_preview_open(self, value: bool):
        self.preview_open = value

    @staff_event
    async def retry(self, principal: StaffPrincipal, email_id: int):
        await call(outbox_service.retry_email, principal, int(email_id))
        await self._refresh(principal)
        return rx.toast.success("The email will be sent again.")


def _row(email: rx.Var) -> rx.Component:
    status = email["status"].to(str)
    return rx.table.row(
        email_cell(email["to"]),
        rx.table.cell(email["subject"]),
        rx.table.cell(email["kind"]),
        rx.table.cell(
            rx.tooltip(
                rx.badge(status, color_scheme=rx.match(status, ("Sent", "green"), ("Failed", "red"), "amber")),
                content=rx.cond(email["error"] != "", email["error"], status),
            )
        ),
        rx.table.cell(email["time"]),
        rx.table.cell(
            rx.hstack(
                rx.button("View", size="1", variant="soft", on_click=EmailState.show(email["id"])),
                rx.cond(status == "Failed", rx.button("Retry", size="1", variant="soft", color_scheme="red", on_click=EmailState.retry(email["id"]))),
            )
        ),
        class_name="outbox-row",
    )


def _preview() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            dialog_title(EmailState.preview_subject),
            rx.tabs.root(
                rx.tabs.list(rx.tabs.trigger("HTML", value="html"), rx.tabs.trigger("Plain text", value="text")),
                rx.tabs.content(
                    # Sandboxed: an email's HTML never runs script in the dashboard.
                    rx.el.iframe(src_doc=EmailState.preview_html, sandbox="", width="100%", height="480px", style={"border": "none", "background": "white"}, title="Email preview"),
                    value="html",
                ),
                rx.tabs.content(rx.el.pre(EmailState.preview_text, style={"white_space": "pre-wrap", "font_size": "13px"}), value="text"),
                default_value="html",
            ),
            rx.dialog.close(rx.button("Close", variant="soft", margin_top="12px")),
            max_width="720px",
        ),
        open=EmailState.preview_open,
        on_open_change=EmailState.set_preview_open,
    )


def email_page() -> rx.Component:
    return staff_page(
        "Settings",
        "Settings",
        settings_tabs("Email"),
        rx.cond(
            EmailState.provider == "",
            rx.callout(
                "No email provider is set up, so emails are delivered to this local mailbox. "
                "Set RESEND_API_KEY to send real emails through Resend.",
                icon="inbox",
                margin_bottom="16px",
            ),
            rx.callout("Emails are sent through Resend.", icon="send", margin_bottom="16px", color_scheme="green"),
        ),
        rx.cond(
            EmailState.total == 0,
            rx.text("No emails yet.", color_scheme="gray"),
            paged_table(["To", "Subject", "Kind", "Status", "Time", ""], EmailState.emails, _row, EmailState, ("email", "emails"), phone=("To", "Subject", "Status", "")),
        ),
        _preview(),
    )


ON_LOAD = guarded(EmailState.load)
