"""Settings -> Team: who can sign in to the dashboard."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import staff as staff_service
from kontrol_app.services.errors import ServiceError
from kontrol_app.ui.components.forms import field, secure_form, submit_button
from kontrol_app.ui.services import call, current_staff
from kontrol_app.ui.staff.settings_nav import settings_tabs
from kontrol_app.ui.staff.shell import guarded, staff_page


class TeamState(rx.State):
    members: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    can_manage: bool = False
    form_key: int = 0

    async def _refresh(self, principal: staff_service.StaffPrincipal) -> None:
        team = await call(staff_service.list_team, principal)
        self.members = [
            {"id": str(m.id), "name": m.name, "email": m.email, "role": "Owner" if m.role == "owner" else "Staff"}
            for m in team
        ]
        self.can_manage = principal.is_owner

    @rx.event
    async def load(self):
        principal = await current_staff(self)
        if principal is None:
            return
        self.errors = {}
        await self._refresh(principal)

    @rx.event
    async def add_staff(self, form: dict):
        principal = await current_staff(self)
        if principal is None:
            return rx.toast.error("Your session has ended. Sign in again.")
        self.errors = {}
        try:
            member = await call(
                staff_service.add_staff,
                principal,
                name=form.get("name", ""),
                email=form.get("email", ""),
                password=form.get("password", ""),
            )
        except ServiceError as error:
            self.errors = {error.field or "form": error.message}
            return
        self.form_key += 1  # clears the form
        await self._refresh(principal)
        return rx.toast.success(f"{member.name} can now sign in with {member.email}.")

    @rx.event
    async def sign_out_everywhere(self, member_id: str):
        principal = await current_staff(self)
        if principal is None:
            return
        try:
            count = await call(staff_service.revoke_sessions, principal, int(member_id))
        except (ServiceError, ValueError) as error:
            return rx.toast.error(getattr(error, "message", "That person is not on the team."))
        return rx.toast.success(f"Signed out of {count} session(s).")


def _member_row(member: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(member["name"]),
        rx.table.cell(member["email"]),
        rx.table.cell(rx.badge(member["role"])),
        rx.table.cell(
            rx.cond(
                TeamState.can_manage,
                rx.button("Sign out everywhere", size="1", variant="soft", color_scheme="gray", on_click=TeamState.sign_out_everywhere(member["id"])),
            )
        ),
    )


def _add_form() -> rx.Component:
    errors = TeamState.errors
    return rx.card(
        secure_form(
            rx.vstack(
                rx.heading("Add staff", size="4"),
                rx.flex(
                    field("Name", rx.input(name="name", width="100%"), errors.get("name", "")),
                    field("Email", rx.input(name="email", type="email", width="100%"), errors.get("email", "")),
                    field(
                        "Temporary password",
                        rx.input(name="password", type="password", auto_complete="new-password", width="100%"),
                        errors.get("password", ""),
                        hint="At least 8 characters. Share it with them in person.",
                    ),
                    spacing="3",
                    direction={"initial": "column", "md": "row"},
                    width="100%",
                ),
                submit_button("Add staff"),
                spacing="3",
                width="100%",
            ),
            on_submit=TeamState.add_staff,
            key=TeamState.form_key,
        ),
        max_width="900px",
        margin_top="20px",
    )


def team_page() -> rx.Component:
    return staff_page(
        "Settings",
        "Settings",
        settings_tabs("Team"),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Name"),
                    rx.table.column_header_cell("Email"),
                    rx.table.column_header_cell("Role"),
                    rx.table.column_header_cell(""),
                )
            ),
            rx.table.body(rx.foreach(TeamState.members, _member_row)),
            variant="surface",
            max_width="900px",
        ),
        rx.cond(TeamState.can_manage, _add_form()),
    )


ON_LOAD = guarded(TeamState.load)
