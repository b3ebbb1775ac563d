"""Customers: the searchable, paged list."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import customers as customer_service
from kontrol_app.ui.components.tables import PagedState, email_cell, paged_table
from kontrol_app.ui.components.links import link_button
from kontrol_app.ui.guard import StaffPrincipal, staff_event
from kontrol_app.ui.services import call
from kontrol_app.ui.staff.shell import guarded, staff_page


class CustomerListState(PagedState, rx.State):
    rows: list[dict[str, str]] = []
    search: str = ""

    async def _refresh(self, principal: StaffPrincipal) -> None:
        result = await call(customer_service.list_customers, principal, search=self.search, page=self.page)
        self.rows = [
            {"id": str(r.id), "name": r.name, "contact": r.contact_name, "email": r.email, "phone": r.phone}
            for r in result.rows
        ]
        self.page, self.pages, self.total = result.page, result.pages, result.total

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        await self._refresh(principal)

    @staff_event
    async def set_search(self, principal: StaffPrincipal, value: str):
        self.search = value
        self.page = 1
        await self._refresh(principal)


def _list_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["name"], href="/customers/" + row["id"].to(str), weight="medium")),
        rx.table.cell(row["contact"]),
        email_cell(rx.cond(row["email"] != "", row["email"], rx.badge("No email", color_scheme="amber"))),
        rx.table.cell(row["phone"]),
        class_name="customer-row",
    )


def customer_list_page() -> rx.Component:
    state = CustomerListState
    return staff_page(
        "Customers",
        "Customers",
        rx.flex(
            rx.input(
                rx.input.slot(rx.icon("search", size=16)),
                placeholder="Search name, contact, email or phone",
                aria_label="Search customers by name, contact, email or phone",
                value=state.search,
                on_change=state.set_search.debounce(300),
                width="100%",
                max_width="420px",
                name="search",
            ),
            rx.spacer(),
            link_button(rx.icon("plus", size=16), "New customer", href="/customers/new"),
            spacing="3",
            wrap="wrap",
            width="100%",
            margin_bottom="16px",
        ),
        rx.cond(
            state.total == 0,
            rx.text(rx.cond(state.search != "", "No customers match your search.", "No customers yet. Add your first one."), color_scheme="gray"),
            paged_table(["Customer", "Contact", "Email", "Phone"], state.rows, _list_row, state, ("customer", "customers"), phone=("Customer", "Email")),
        ),
    )


LIST_ON_LOAD = guarded(CustomerListState.load)
