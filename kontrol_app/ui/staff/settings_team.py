"""Settings -> Team: who can sign in to the dashboard."""

from __future__ import annotations

import reflex as rx

from kontrol_app.models import StaffRole
from kontrol_app.services import staff as staff_service
from kontrol_app.ui.components.dialogs import dialog_title
from kontrol_app.ui.components.forms import dialog_buttons, field, secure_form, submit_button
from kontrol_app.ui.components.tables import email_cell, fitting_table
from kontrol_app.ui.guard import StaffPrincipal, StaffState, form_event, owner_event, staff_event
from kontrol_app.ui.services import call, staff_token
from kontrol_app.ui.staff.settings_nav import settings_tabs
from kontrol_app.ui.staff.shell import guarded, staff_page


class TeamState(StaffState, rx.State):
    members: list[dict[str, str]] = []
    can_manage: bool = False
    form_key: int = 0
    resetting: dict[str, str] = {}  # the member whose password the owner is setting
    password_key: int = 0

    async def _refresh(self, principal: StaffPrincipal) -> None:
        team = await call(staff_service.list_team, principal)
        self.members = [
            {
                "id": str(m.id),
                "name": m.name,
                "email": m.email,
                "role": "Owner" if m.role == StaffRole.OWNER else "Staff",
                "active": "yes" if m.is_active else "no",
                # The owner manages the others; nobody deactivates themselves.
                "managed": "yes" if principal.is_owner and m.id != principal.id and m.role != StaffRole.OWNER else "no",
            }
            for m in team
        ]
        self.can_manage = principal.is_owner

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        self.resetting = {}
        await self._refresh(principal)

    @owner_event
    async def add_staff(self, principal: StaffPrincipal, form: dict):
        member = await call(
            staff_service.add_staff,
            principal,
            name=form.get("name", ""),
            email=form.get("email", ""),
            password=form.get("password", ""),
        )
        self.form_key += 1  # clears the form
        await self._refresh(principal)
        return rx.toast.success(f"{member.name} can now sign in with {member.email}.")

    @staff_event  # the owner for anyone, anyone for themselves: the service decides
    async def sign_out_everywhere(self, principal: StaffPrincipal, member_id: int):
        count = await call(staff_service.revoke_sessions, principal, int(member_id))
        return rx.toast.success(f"Signed out of {count} session(s).")

    @owner_event
    async def deactivate(self, principal: StaffPrincipal, member_id: int):
        member = await call(staff_service.deactivate_staff, principal, int(member_id))
        await self._refresh(principal)
        return rx.toast.success(f"{member.name} is signed out and can no longer sign in.")

    @owner_event
    async def reactivate(self, principal: StaffPrincipal, member_id: int):
        member = await call(staff_service.reactivate_staff, principal, int(member_id))
        await self._refresh(principal)
        return rx.toast.success(f"{member.name} can sign in again.")

    @form_event
    def open_reset(self, member_id: str, name: str):
        self.resetting = {"id": member_id, "name": name}

    @form_event
    def close_reset(self, open_: bool = False):
        if not open_:
            self.resetting = {}

    @owner_event
    async def reset_password(self, principal: StaffPrincipal, form: dict):
        member_id = self.resetting.get("id", "")
        if not member_id.isdigit():
            return
        member = await call(
            staff_service.reset_password, principal, int(member_id), new_password=form.get("new_password", "")
        )
        self.resetting = {}
        return rx.toast.success(f"New password set for {member.name}. Their sessions have ended.")

    @staff_event
    async def change_password(self, principal: StaffPrincipal, form: dict):
        ended = await call(
            staff_service.change_password,
            principal,
            current_password=form.get("current_password", ""),
            new_password=form.get("new_password", ""),
            current_token=staff_token(self),
        )
        self.password_key += 1  # clears the form
        return rx.toast.success(f"Password changed. Signed out of {ended} other session(s).")


def _member_row(member: rx.Var) -> rx.Component:
    managed = member["managed"] == "yes"
    active = member["active"] == "yes"
    return rx.table.row(
        rx.table.cell(member["name"]),
        email_cell(member["email"]),
        rx.table.cell(
            rx.hstack(
                rx.badge(member["role"]),
                rx.cond(active, rx.fragment(), rx.badge("Deactivated", color_scheme="red")),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.cond(
                managed,
                rx.flex(
                    rx.cond(
                        active,
                        rx.button("Deactivate", size="1", variant="soft", color_scheme="red", on_click=TeamState.deactivate(member["id"])),
                        rx.button("Reactivate", size="1", variant="soft", on_click=TeamState.reactivate(member["id"])),
                    ),
                    rx.button("Reset password", size="1", variant="soft", on_click=TeamState.open_reset(member["id"], member["name"])),
                    rx.button("Sign out everywhere", size="1", variant="soft", color_scheme="gray", on_click=TeamState.sign_out_everywhere(member["id"])),
                    spacing="2",
                    wrap="wrap",
                ),
            )
        ),
        class_name="team-row",
    )


def _reset_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            dialog_title("Reset password for " + TeamState.resetting.get("name", "")),
            rx.dialog.description("They are signed out everywhere and sign in with the new password.", size="2"),
            secure_form(
                rx.vstack(
                    field(
                        "New password",
                        rx.input(name="new_password", type="password", auto_complete="new-password", width="100%"),
                        TeamState.errors.get("password", ""),
                        hint="At least 8 characters. Share it with them in person.",
                    ),
                    dialog_buttons(submit_button("Set password")),
                    spacing="3",
                    width="100%",
                ),
                on_submit=TeamState.reset_password,
            ),
            max_width="480px",
        ),
        open=TeamState.resetting.get("id", "") != "",
        on_open_change=TeamState.close_reset,
    )


def _form_card(title: str, button: str, on_submit: rx.EventHandler, key: rx.Var, *fields: rx.Component) -> rx.Component:
    """A titled form in a card, fields side by side on wide screens; `key` changes to clear it."""
    return rx.card(
        secure_form(
            rx.vstack(
                rx.heading(title, size="4", as_="h2"),
                rx.flex(*fields, spacing="3", direction={"initial": "column", "md": "row"}, width="100%"),
                submit_button(button),
                spacing="3",
                width="100%",
            ),
            on_submit=on_submit,
            key=key,
        ),
        max_width="900px",
        margin_top="20px",
    )


def _password(label: str, name: str, autocomplete: str, hint: str = "") -> rx.Component:
    control = rx.input(name=name, type="password", auto_complete=autocomplete, width="100%")
    return field(label, control, TeamState.errors.get(name, ""), hint=hint)


def _own_password() -> rx.Component:
    return _form_card(
        "Your password",
        "Change password",
        TeamState.change_password,
        TeamState.password_key,
        _password("Current password", "current_password", "current-password"),
        _password("New password", "new_password", "new-password", "At least 8 characters. Your other devices are signed out."),
    )


def _add_form() -> rx.Component:
    errors = TeamState.errors
    return _form_card(
        "Add staff",
        "Add staff",
        TeamState.add_staff,
        TeamState.form_key,
        field("Name", rx.input(name="name", width="100%"), errors.get("name", "")),
        field("Email", rx.input(name="email", type="email", width="100%"), errors.get("email", "")),
        _password("Temporary password", "password", "new-password", "At least 8 characters. Share it with them in person."),
    )


def team_page() -> rx.Component:
    return staff_page(
        "Settings",
        "Settings",
        settings_tabs("Team"),
        fitting_table(
            ["Name", "Email", "Role", "Account"], rx.table.body(rx.foreach(TeamState.members, _member_row)),
            phone=("Name", "Role", "Account"), max_width="900px",
        ),
        rx.cond(TeamState.can_manage, _add_form()),
        _own_password(),
        _reset_dialog(),
    )


ON_LOAD = guarded(TeamState.load)
