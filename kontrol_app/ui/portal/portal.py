"""The client portal: branding, email-code sign-in, and the five tabs."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from kontrol_app.services import portal_auth, portal_view
from kontrol_app.services.errors import NotFound, ServiceError
from kontrol_app.services.portal_links import PORTAL_PREFIX
from kontrol_app.ui.components.forms import field, form_error
from kontrol_app.ui.services import call, client_ip, current_client, current_staff, portal_token, visit

TABS = ["Active Orders", "Invoices", "Messages", "Request a Quote", "My Branding"]


class PortalState(rx.State):
    link_valid: bool = True
    loaded: bool = False
    signed_in: bool = False
    preview: bool = False
    shop_name: str = ""
    shop_email: str = ""
    shop_logo: str = ""
    customer_name: str = ""
    viewer_name: str = ""
    viewer_email: str = ""
    step: str = "email"  # "email", then "code"
    sign_in_email: str = ""
    errors: dict[str, str] = {}
    contacts: list[dict[str, str]] = []
    customer_phone: str = ""
    customer_address: str = ""

    def _link(self) -> str:
        path = self.router.url.path or ""
        return path[len(PORTAL_PREFIX) :].strip("/") if path.startswith(PORTAL_PREFIX) else ""

    @rx.event
    async def load(self):
        self.loaded = False
        self.errors = {}
        link = self._link()
        try:
            header = await call(portal_view.header_for_link, link)
        except NotFound:
            self.link_valid = False
            self.signed_in = False
            self.loaded = True
            return
        self.link_valid = True
        self.shop_name, self.shop_email, self.shop_logo = header.shop_name, header.shop_email, header.shop_logo
        self.customer_name = header.customer_name
        want_preview = self.router.url.query_parameters.get("preview") == "1"
        client = await current_client(self)
        staff = await current_staff(self) if want_preview else None
        viewer = await call(portal_view.viewer_for, link, client, staff, want_preview)
        self.signed_in = viewer is not None
        self.preview = bool(viewer and viewer.preview)
        if viewer is not None:
            self.viewer_name, self.viewer_email = viewer.name, viewer.email
            details = await call(portal_view.contact_details, viewer.customer_id)
            self.customer_phone, self.customer_address = details.phone, details.address
            self.contacts = [{"name": name, "email": email} for name, email in details.contacts]
        self.loaded = True

    @rx.event
    async def request_code(self, form: dict):
        self.errors = {}
        email = form.get("email", "")
        try:
            await call(portal_auth.request_code, link=self._link(), email=email, ip=client_ip(self))
        except ServiceError as error:
            self.errors = {error.field or "form": error.message}
            return
        self.sign_in_email = email.strip().lower()
        self.step = "code"

    @rx.event
    def use_another_email(self):
        self.step = "email"
        self.errors = {}

    @rx.event
    async def verify_code(self, form: dict):
        self.errors = {}
        try:
            ticket = await call(portal_auth.verify_code, link=self._link(), email=self.sign_in_email, code=form.get("code", ""))
        except ServiceError as error:
            self.errors = {error.field or "form": error.message}
            return
        return visit(f"/api/portal/session?ticket={quote(ticket)}")

    @rx.event
    async def sign_out(self):
        await call(portal_auth.sign_out, portal_token(self))
        self.signed_in = False
        return visit(f"/api/portal/signed-out?next={quote(self.router.url.path)}")


def _header() -> rx.Component:
    return rx.hstack(
        rx.hstack(
            rx.cond(
                PortalState.shop_logo != "",
                rx.image(src=PortalState.shop_logo, alt="Shop logo", max_height="44px", max_width="140px", object_fit="contain"),
            ),
            rx.vstack(
                rx.text(PortalState.shop_name, weight="bold", size="4", id="portal-shop-name"),
                rx.cond(PortalState.shop_email != "", rx.link(PortalState.shop_email, href="mailto:" + PortalState.shop_email, size="2", color_scheme="gray")),
                spacing="0",
            ),
            align="center",
            spacing="3",
        ),
        rx.spacer(),
        rx.cond(
            PortalState.signed_in & ~PortalState.preview,
            rx.button("Sign out", variant="soft", color_scheme="gray", size="2", on_click=PortalState.sign_out),
        ),
        padding="12px 16px",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        align="center",
        width="100%",
    )


def _sign_in() -> rx.Component:
    errors = PortalState.errors
    return rx.center(
        rx.card(
            rx.cond(
                PortalState.step == "email",
                rx.form(
                    rx.vstack(
                        rx.heading("Sign in to your portal", size="5"),
                        rx.text("Enter your email address and we'll send you a 6-digit code. No password needed.", size="2", color_scheme="gray"),
                        form_error(errors.get("form", "")),
                        field("Email", rx.input(name="email", type="email", auto_complete="email", width="100%", size="3"), errors.get("email", "")),
                        rx.button("Send me a code", type="submit", width="100%", size="3"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=PortalState.request_code,
                ),
                rx.form(
                    rx.vstack(
                        rx.heading("Check your email", size="5"),
                        rx.text(
                            "If ", rx.text.strong(PortalState.sign_in_email), " is on file with ", PortalState.shop_name,
                            ", a 6-digit code is on its way. It works once, for 10 minutes.",
                            size="2",
                        ),
                        field(
                            "Code",
                            rx.input(name="code", inputmode="numeric", auto_complete="one-time-code", max_length=6, width="100%", size="3", placeholder="123456"),
                            errors.get("code", ""),
                        ),
                        rx.button("Sign in", type="submit", width="100%", size="3"),
                        rx.button("Use a different email", variant="ghost", type="button", on_click=PortalState.use_another_email),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=PortalState.verify_code,
                    reset_on_submit=False,
                ),
            ),
            width="100%",
            max_width="420px",
            padding="20px",
        ),
        padding="32px 16px",
    )


def _empty(text: str, hint: str = "") -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("inbox", size=32, color=rx.color("gray", 8)),
            rx.text(text, size="3", weight="medium"),
            rx.text(hint, size="2", color_scheme="gray", text_align="center") if hint else rx.fragment(),
            align="center",
            spacing="2",
        ),
        padding="48px 16px",
    )


def _branding_tab() -> rx.Component:
    return rx.vstack(
        rx.heading(PortalState.customer_name, size="4"),
        rx.cond(PortalState.customer_phone != "", rx.text(PortalState.customer_phone, size="2")),
        rx.cond(PortalState.customer_address != "", rx.text(PortalState.customer_address, size="2", white_space="pre-line")),
        rx.text("People who can sign in", size="2", weight="medium", margin_top="12px"),
        rx.foreach(PortalState.contacts, lambda c: rx.text(c["name"], " · ", c["email"], size="2")),
        rx.text("To change these details, message or call ", PortalState.shop_name, ".", size="2", color_scheme="gray", margin_top="12px"),
        spacing="1",
        padding="16px 0",
    )


def _tabs() -> rx.Component:
    return rx.tabs.root(
        rx.scroll_area(
            rx.tabs.list(*[rx.tabs.trigger(tab, value=tab) for tab in TABS], size="2"),
            scrollbars="horizontal",
            type="auto",
        ),
        rx.tabs.content(_empty("No active orders yet", "When the shop starts a job for you, you'll follow it here."), value="Active Orders"),
        rx.tabs.content(_empty("No invoices yet", "Invoices from the shop will appear here."), value="Invoices"),
        rx.tabs.content(_empty("No messages yet"), value="Messages"),
        rx.tabs.content(_empty("Quote requests aren't open here yet", "Email the shop for a quote in the meantime."), value="Request a Quote"),
        rx.tabs.content(_branding_tab(), value="My Branding"),
        default_value="Active Orders",
        width="100%",
    )


def _preview_banner() -> rx.Component:
    return rx.cond(
        PortalState.preview,
        rx.callout(
            "Preview — viewing as " + PortalState.customer_name + ". Actions are disabled.",
            icon="eye",
            color_scheme="amber",
            width="100%",
            id="preview-banner",
        ),
    )


def portal_page() -> rx.Component:
    return rx.box(
        rx.cond(
            ~PortalState.link_valid,
            rx.center(rx.text(portal_auth.LINK_NOT_VALID, size="4"), min_height="80vh", padding="24px"),
            rx.box(
                _preview_banner(),
                _header(),
                rx.cond(
                    PortalState.loaded,
                    rx.cond(
                        PortalState.signed_in,
                        rx.box(
                            rx.text("Hi ", PortalState.viewer_name, " — ", PortalState.customer_name, size="2", color_scheme="gray", margin_bottom="8px"),
                            _tabs(),
                            padding="16px",
                            max_width="960px",
                            margin="0 auto",
                        ),
                        _sign_in(),
                    ),
                    rx.center(rx.spinner(size="3"), padding="48px"),
                ),
            ),
        ),
        min_height="100vh",
    )
