"""The customer page: stats, the Portal Link section, contacts."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import customers as customer_service
from kontrol_app.services import portal_links
from kontrol_app.services.errors import NotFound
from kontrol_app.ui.components.dialogs import alert_dialog_title, dialog_title
from kontrol_app.ui.components.forms import dialog_buttons, field
from kontrol_app.ui.components.links import link_button
from kontrol_app.ui.guard import StaffPrincipal, StaffState, form_event, staff_event
from kontrol_app.ui.services import call
from kontrol_app.ui.staff.customers.brand_kit import BrandKitState, brand_kit_card
from kontrol_app.ui.staff.customers.messages import CustomerMessagesState, messages_card
from kontrol_app.ui.staff.shell import guarded, staff_page


class CustomerPageState(StaffState, rx.State):
    name: str = ""
    contact_name: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    notes: str = ""
    contacts: list[dict[str, str]] = []
    portal_url: str = ""
    preview_href: str = ""
    active_jobs: int = 0
    open_invoices: str = ""
    total_orders: int = 0
    found: bool = True
    email_dialog_open: bool = False
    intro_message: str = ""
    edit_href: str = ""
    jobs_href: str = ""
    new_job_href: str = ""

    async def _refresh(self, principal: StaffPrincipal) -> None:
        customer_id = self._route_id("customer_id")
        detail = await self._read_changed((customer_id,), customer_service.customer_detail, principal, customer_id)
        if detail is None:
            return
        self.name, self.contact_name, self.email = detail.name, detail.contact_name, detail.email
        self.phone, self.address, self.notes = detail.phone, detail.address, detail.notes
        self.contacts = [{"name": c.name, "email": c.email} for c in detail.contacts]
        self.portal_url = detail.portal_url
        self.preview_href = detail.portal_path + "?preview=1"
        self.edit_href = f"/customers/{detail.id}/edit"
        self.jobs_href = f"/jobs?customer={detail.id}"
        self.new_job_href = f"/jobs/new?customer={detail.id}"
        self.active_jobs = detail.stats.active_jobs
        self.open_invoices = detail.stats.open_invoices
        self.total_orders = detail.stats.total_orders

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        self.email_dialog_open = False
        self.found = self._route_id("customer_id") is not None
        if not self.found:
            return
        try:
            await self._refresh(principal)
        except NotFound:
            self.found = False

    @staff_event
    async def copy_link(self, principal: StaffPrincipal):
        await call(portal_links.mark_link_copied, principal, self._route_id("customer_id"))
        return [rx.set_clipboard(self.portal_url), rx.toast.success("Portal link copied.")]

    @staff_event
    async def regenerate(self, principal: StaffPrincipal):
        await call(portal_links.regenerate_link, principal, self._route_id("customer_id"))
        await self._refresh(principal)
        return rx.toast.success("New portal link made. The old link and its sign-ins no longer work.")

    @staff_event
    async def open_email_dialog(self, principal: StaffPrincipal):
        self.intro_message = await call(portal_links.intro_message, principal, self._route_id("customer_id"))
        self.email_dialog_open = True

    @form_event
    def set_email_dialog_open(self, value: bool):
        self.email_dialog_open = value

    @form_event
    def set_intro_message(self, value: str):
        self.intro_message = value

    @staff_event
    async def send_link_email(self, principal: StaffPrincipal):
        to = await call(portal_links.email_link, principal, self._route_id("customer_id"), self.intro_message)
        self.email_dialog_open = False
        return rx.toast.success(f"Portal link emailed to {to}.")


def _stat(label: str, value: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(rx.text(value, size="6", weight="bold"), rx.text(label, size="2", color_scheme="gray"), spacing="1"),
        min_width="150px",
        class_name="stat-card",
    )


def _email_dialog() -> rx.Component:
    state = CustomerPageState
    return rx.dialog.root(
        rx.dialog.content(
            dialog_title("Email link to client"),
            rx.dialog.description("To ", state.email, ". Adapt the message as you like; the link is added as a button too.", size="2"),
            rx.box(
                field(
                    "Message",
                    rx.text_area(value=state.intro_message, on_change=state.set_intro_message, rows="9", width="100%", name="intro_message"),
                    state.errors.get("message", ""),
                ),
                margin_top="12px",
            ),
            dialog_buttons(rx.button("Send email", on_click=state.send_link_email), margin_top="12px"),
            max_width="560px",
        ),
        open=state.email_dialog_open,
        on_open_change=state.set_email_dialog_open,
    )


def _regenerate_button() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(rx.icon("refresh-cw", size=14), "Regenerate", variant="soft", color_scheme="red")),
        rx.alert_dialog.content(
            alert_dialog_title("Regenerate the portal link?"),
            rx.alert_dialog.description(
                "The current link stops working at once and everyone signed in to this customer's portal is signed out. "
                "You will need to send the new link to the client.",
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Regenerate link", color_scheme="red", on_click=CustomerPageState.regenerate)),
                justify="end",
                margin_top="12px",
            ),
        ),
    )


def _portal_link_section() -> rx.Component:
    state = CustomerPageState
    return rx.card(
        rx.vstack(
            rx.heading("Portal Link", size="4", as_="h2"),
            rx.cond(
                state.email == "",
                rx.callout(
                    "No email on file — this customer cannot sign in to the portal. Add an email to give them access.",
                    icon="triangle_alert",
                    color_scheme="amber",
                    width="100%",
                    id="no-email-warning",
                ),
            ),
            rx.code(state.portal_url, id="portal-url", size="2", style={"word_break": "break-all"}),
            rx.flex(
                rx.button(rx.icon("copy", size=14), "Copy", on_click=state.copy_link),
                link_button(rx.icon("eye", size=14), "Preview", href=state.preview_href, new_tab=True, variant="soft"),
                _regenerate_button(),
                rx.button(
                    rx.icon("mail", size=14),
                    "Email link to client",
                    variant="soft",
                    on_click=state.open_email_dialog,
                    disabled=state.email == "",
                ),
                spacing="2",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def customer_page() -> rx.Component:
    state = CustomerPageState
    return staff_page(
        "Customers",
        state.name,
        rx.cond(
            ~state.found,
            rx.text("That customer does not exist.", color_scheme="gray"),
            rx.vstack(
                rx.flex(
                    rx.text(
                        rx.cond(state.email != "", state.email, "No email"),
                        rx.cond(state.phone != "", " · " + state.phone, ""),
                        size="3",
                        color_scheme="gray",
                        id="customer-contact-line",
                    ),
                    rx.spacer(),
                    link_button(rx.icon("pencil", size=14), "Edit customer", href=state.edit_href, variant="soft"),
                    width="100%",
                    wrap="wrap",
                    gap="8px",
                ),
                rx.flex(
                    _stat("Active Jobs", state.active_jobs),
                    _stat("Open Invoices", state.open_invoices),
                    _stat("Total Orders", state.total_orders),
                    spacing="3",
                    wrap="wrap",
                ),
                _portal_link_section(),
                rx.hstack(
                    link_button(rx.icon("plus", size=14), "New job", href=state.new_job_href),
                    link_button("View jobs", href=state.jobs_href, variant="soft"),
                ),
                rx.card(
                    rx.vstack(
                        rx.heading("Contacts", size="4", as_="h2"),
                        rx.text(rx.cond(state.contact_name != "", state.contact_name, "Primary contact"), " · ", rx.cond(state.email != "", state.email, "no email"), size="2"),
                        rx.foreach(state.contacts, lambda c: rx.text(c["name"], " · ", c["email"], size="2")),
                        rx.cond(state.address != "", rx.text(state.address, size="2", white_space="pre-line", color_scheme="gray")),
                        rx.cond(state.notes != "", rx.text(state.notes, size="2", white_space="pre-line")),
                        spacing="2",
                    ),
                    width="100%",
                ),
                brand_kit_card(),
                messages_card(),
                spacing="4",
                width="100%",
            ),
        ),
        _email_dialog(),
    )


PAGE_ON_LOAD = guarded(CustomerPageState.load, CustomerMessagesState.load, BrandKitState.load)
