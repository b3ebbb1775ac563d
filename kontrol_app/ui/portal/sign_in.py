"""The portal's sign-in card: email, then the emailed 6-digit code."""

from __future__ import annotations


import reflex as rx

from kontrol_app.ui.components.forms import field, form_error, secure_form, submit_button
from kontrol_app.ui.portal.state import PortalState


def sign_in_card() -> rx.Component:
    errors = PortalState.errors
    return rx.center(
        rx.card(
            rx.cond(
                PortalState.step == "email",
                secure_form(
                    rx.vstack(
                        rx.heading("Sign in to your portal", size="5"),
                        rx.text("Enter your email address and we'll send you a 6-digit code. No password needed.", size="2", color_scheme="gray"),
                        form_error(errors.get("form", "")),
                        field("Email", rx.input(name="email", type="email", auto_complete="email", width="100%", size="3"), errors.get("email", "")),
                        submit_button("Send me a code", width="100%", size="3"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=PortalState.request_code,
                ),
                secure_form(
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
                        submit_button("Sign in", width="100%", size="3"),
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
