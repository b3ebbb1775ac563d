"""Create your shop, Sign in: the only staff screens open without a session."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from kontrol_app.api.cookies import DEVICE_COOKIE, read_cookie, safe_next
from kontrol_app.services import staff as staff_service
from kontrol_app.ui.components.forms import field, form_error, secure_form, submit_button
from kontrol_app.ui.guard import StaffState, open_event
from kontrol_app.ui.services import call, client_ip, current_staff, visit


def _session_url(ticket: str, next_path: str) -> str:
    return f"/api/staff/session?ticket={quote(ticket)}&next={quote(safe_next(next_path))}"


class SetupState(StaffState, rx.State):
    working: bool = False

    @open_event
    async def load(self):
        if await call(staff_service.has_staff):
            return rx.redirect("/sign-in")

    @open_event
    async def create_shop(self, form: dict):
        def create(session):
            owner = staff_service.create_shop(
                session,
                shop_name=form.get("shop_name", ""),
                name=form.get("name", ""),
                email=form.get("email", ""),
                password=form.get("password", ""),
            )
            return staff_service.issue_ticket(session, owner.id)

        ticket = await call(create)
        return visit(_session_url(ticket, "/settings/shop"))


class SignInState(StaffState, rx.State):
    @open_event
    async def load(self):
        if not await call(staff_service.has_staff):
            return rx.redirect("/setup")
        if await current_staff(self) is not None:
            return rx.redirect(safe_next(self.router.url.query_parameters.get("next")))

    @open_event
    async def sign_in(self, form: dict):
        ticket = await call(
            staff_service.sign_in,
            email=form.get("email", ""),
            password=form.get("password", ""),
            ip=client_ip(self),
            device=read_cookie(self.router.headers.cookie, DEVICE_COOKIE),
        )
        return visit(_session_url(ticket, self.router.url.query_parameters.get("next", "/")))


def _card(title: str, subtitle: str, *children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(rx.icon("store", size=22), rx.text("Kontrol", weight="bold", size="4"), align="center"),
                rx.heading(title, size="6"),
                rx.text(subtitle, color_scheme="gray", size="2"),
                *children,
                spacing="3",
                width="100%",
            ),
            width="100%",
            max_width="420px",
            padding="24px",
        ),
        min_height="100vh",
        padding="16px",
        role="main",
    )


def setup_page() -> rx.Component:
    errors = SetupState.errors
    return _card(
        "Create your shop",
        "You will be the shop's owner. You can add your team later in Settings.",
        secure_form(
            rx.vstack(
                form_error(errors.get("form", "")),
                field("Shop name", rx.input(name="shop_name", placeholder="Smith Embroidery", width="100%"), errors.get("shop_name", "")),
                field("Your name", rx.input(name="name", auto_complete="name", width="100%"), errors.get("name", "")),
                field("Email", rx.input(name="email", type="email", auto_complete="email", width="100%"), errors.get("email", "")),
                field(
                    "Password",
                    rx.input(name="password", type="password", auto_complete="new-password", width="100%"),
                    errors.get("password", ""),
                    hint="At least 8 characters.",
                ),
                submit_button("Create shop", width="100%", size="3"),
                spacing="3",
                width="100%",
            ),
            on_submit=SetupState.create_shop,
            width="100%",
        ),
    )


def sign_in_page() -> rx.Component:
    errors = SignInState.errors
    return _card(
        "Sign in",
        "Staff sign-in for your shop.",
        secure_form(
            rx.vstack(
                form_error(errors.get("form", "")),
                field("Email", rx.input(name="email", type="email", auto_complete="username", width="100%"), errors.get("email", "")),
                field(
                    "Password",
                    rx.input(name="password", type="password", auto_complete="current-password", width="100%"),
                    errors.get("password", ""),
                ),
                submit_button("Sign in", width="100%", size="3"),
                rx.text(
                    "Forgot your password? The shop's owner sets a new one in Settings → Team; an owner, on the "
                    "server: python -m kontrol_app.manage set-password EMAIL",
                    size="1", color_scheme="gray", id="forgot-password",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=SignInState.sign_in,
            width="100%",
        ),
    )
