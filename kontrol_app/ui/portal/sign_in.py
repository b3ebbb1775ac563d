"""The portal's sign-in card: email, then the emailed 6-digit code."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from kontrol_app.services import portal_auth, portal_links
from kontrol_app.services.errors import ServiceError
from kontrol_app.ui.components.forms import (
    field,
    form_error,
    secure_form,
    submit_button,
)
from kontrol_app.ui.portal.session import PortalSession, sign_in_event, ui_event
from kontrol_app.ui.services import call, client_ip, visit


class SignInState(PortalSession):
    """The two sign-in steps. Holds only what the visitor typed, never customer data."""

    step: str = "email"  # "email", then "code"
    sign_in_email: str = ""
    errors: dict[str, str] = {}

    @sign_in_event
    async def request_code(self, form: dict):
        self.errors = {}
        email = str(form.get("email", ""))
        try:
            await call(portal_auth.request_code, link=self.link, email=email, ip=client_ip(self))
        except ServiceError as error:
            self.errors = {error.field or "form": error.message}
            return
        self.sign_in_email = email.strip().lower()
        self.step = "code"

    @ui_event
    def use_another_email(self):
        self.step = "email"
        self.errors = {}

    @sign_in_event
    async def verify_code(self, form: dict):
        self.errors = {}
        try:
            ticket = await call(portal_auth.verify_code, link=self.link, email=self.sign_in_email, code=str(form.get("code", "")))
        except ServiceError as error:
            self.errors = {error.field or "form": error.message}
            return
        # An emailed link to one job or invoice (`?job=`, `?invoice=`) lands there once signed in.
        landing = portal_links.landing_query(self.router.url.query_parameters)
        return visit(f"/api/portal/session?ticket={quote(ticket)}" + (f"&{landing}" if landing else ""))


def sign_in_card() -> rx.Component:
    errors = SignInState.errors
    return rx.center(
        rx.card(
            rx.cond(
                SignInState.step == "email",
                secure_form(
                    rx.vstack(
                        rx.heading("Sign in to your portal", size="5", as_="h2"),
                        rx.text("Enter your email address and we'll send you a 6-digit code. No password needed.", size="2", color_scheme="gray"),
                        form_error(errors.get("form", "")),
                        field("Email", rx.input(name="email", type="email", auto_complete="email", width="100%", size="3"), errors.get("email", "")),
                        submit_button("Send me a code", width="100%", size="3"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=SignInState.request_code,
                ),
                secure_form(
                    rx.vstack(
                        rx.heading("Check your email", size="5", as_="h2"),
                        rx.text(
                            "If ", rx.text.strong(SignInState.sign_in_email), " is on file with ", PortalSession.shop_name,
                            ", a 6-digit code is on its way. It works once, for 10 minutes.",
                            size="2",
                        ),
                        field(
                            "Code",
                            rx.input(name="code", input_mode="numeric", auto_complete="one-time-code", max_length=6, width="100%", size="3", placeholder="123456"),
                            errors.get("code", ""),
                        ),
                        submit_button("Sign in", width="100%", size="3"),
                        rx.button("Use a different email", variant="ghost", type="button", on_click=SignInState.use_another_email),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=SignInState.verify_code,
                    reset_on_submit=False,
                ),
            ),
            width="100%",
            max_width="420px",
            padding="20px",
        ),
        padding="32px 16px",
    )
