"""Dashboard: what needs doing next."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import dashboard as dashboard_service
from kontrol_app.ui.guard import StaffPrincipal, StaffState, staff_event
from kontrol_app.ui.services import call
from kontrol_app.ui.staff.shell import StaffShellState, guarded, staff_page



class DashboardState(StaffState, rx.State):
    checklist: list[dict[str, str | bool]] = []

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        items = await call(dashboard_service.getting_started)
        self.checklist = [{"label": i.label, "done": i.done, "href": i.href, "action": i.action} for i in items]


def _item(item: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.cond(
            item["done"],
            rx.icon("circle-check", color=rx.color("green", 9), size=20),
            rx.icon("circle", color=rx.color("gray", 8), size=20),
        ),
        rx.text(item["label"], size="3"),
        rx.spacer(),
        rx.cond(item["done"], rx.fragment(), rx.link(item["action"], href=item["href"].to(str), size="2")),
        align="center",
        width="100%",
        class_name="checklist-item",
    )


def dashboard_page() -> rx.Component:
    return staff_page(
        "Dashboard",
        "Dashboard",
        rx.text("Welcome back, ", StaffShellState.staff_name, ".", size="3", margin_bottom="16px"),
        rx.card(
            rx.vstack(
                rx.heading("Get a client onto the portal in under 5 minutes", size="4"),
                rx.foreach(DashboardState.checklist, _item),
                spacing="3",
                width="100%",
            ),
            max_width="640px",
        ),
    )


ON_LOAD = guarded(DashboardState.load)
