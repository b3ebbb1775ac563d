"""Dashboard: what needs doing next."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import dashboard as dashboard_service
from kontrol_app.ui.components.status import counted
from kontrol_app.ui.guard import StaffPrincipal, StaffState, staff_event
from kontrol_app.ui.services import call
from kontrol_app.ui.staff.shell import StaffShellState, guarded, staff_page



class DashboardState(StaffState, rx.State):
    checklist: list[dict[str, str | bool]] = []
    unread_messages: int = 0
    open_invoices: str = ""
    overdue_invoices: str = ""
    new_quote_requests: int = 0
    revisions_requested: int = 0

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        items = await call(dashboard_service.getting_started)
        self.checklist = [{"label": i.label, "done": i.done, "href": i.href, "action": i.action} for i in items]
        glance = await call(dashboard_service.at_a_glance, principal)
        self.unread_messages, self.open_invoices, self.overdue_invoices = (
            glance.unread_messages, glance.open_invoices, glance.overdue_invoices
        )
        self.new_quote_requests, self.revisions_requested = glance.new_quote_requests, glance.revisions_requested


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


def _waiting(icon: str, count: rx.Var, nouns: tuple[str, str], link: str, href: str, id: str) -> rx.Component:
    """A row of work waiting for the shop, shown only while there is some."""
    return rx.cond(
        count > 0,
        rx.hstack(
            rx.icon(icon, size=20, aria_hidden="true"),
            rx.text(counted(count, *nouns), size="3", id=id),
            rx.spacer(),
            rx.link(link, href=href, size="2"),
            align="center",
            width="100%",
        ),
    )


def _needs_attention() -> rx.Component:
    state = DashboardState
    return rx.card(
        rx.vstack(
            rx.heading("Needs attention", size="4", as_="h2"),
            rx.hstack(
                rx.icon("messages-square", size=20, aria_hidden="true"),
                rx.text(
                    counted(state.unread_messages, "unread message"),
                    size="3",
                    id="dashboard-unread-messages",
                ),
                rx.spacer(),
                rx.link("Open inbox", href="/messages", size="2"),
                align="center",
                width="100%",
            ),
            rx.hstack(
                rx.icon("receipt", size=20, aria_hidden="true"),
                rx.text("Open invoices: ", state.open_invoices, size="3", id="dashboard-open-invoices"),
                rx.cond(
                    state.overdue_invoices != "",
                    rx.text("Overdue: ", state.overdue_invoices, size="3", color_scheme="red", id="dashboard-overdue-invoices"),
                ),
                rx.spacer(),
                rx.link("See what is owed", href="/invoices", size="2"),
                align="center",
                width="100%",
                wrap="wrap",
            ),
            _waiting(
                "inbox", state.new_quote_requests, ("new quote request", "new quote requests"), "Open Quote Requests", "/quotes",
                "dashboard-new-quotes",
            ),
            _waiting(
                "pencil-ruler", state.revisions_requested, ("job with revisions requested", "jobs with revisions requested"),
                "See them", "/jobs?status=revisions_requested", "dashboard-revisions",
            ),
            spacing="3",
            width="100%",
        ),
        max_width="640px",
        margin_bottom="16px",
    )


def dashboard_page() -> rx.Component:
    return staff_page(
        "Dashboard",
        "Dashboard",
        rx.text("Welcome, ", StaffShellState.staff_name, ".", size="3", margin_bottom="16px"),
        _needs_attention(),
        rx.card(
            rx.vstack(
                rx.heading("Get a client onto the portal in under 5 minutes", size="4", as_="h2"),
                rx.foreach(DashboardState.checklist, _item),
                spacing="3",
                width="100%",
            ),
            max_width="640px",
        ),
    )


ON_LOAD = guarded(DashboardState.load)
