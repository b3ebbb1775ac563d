"""A table of one page of rows, with Previous / Next below it (paging happens in SQL)."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from kontrol_app.ui.guard import StaffPrincipal, StaffState, staff_event


class PagedState(StaffState, mixin=True):
    """A staff list paged in SQL: `_refresh(principal)` loads `self.page` and sets
    `page`, `pages` and `total` from the service's answer."""

    page: int = 1
    pages: int = 1
    total: int = 0

    async def _refresh(self, principal: StaffPrincipal) -> None:
        raise NotImplementedError

    @staff_event
    async def go_to_page(self, principal: StaffPrincipal, page: int):
        self.page = page
        await self._refresh(principal)


def paged_table(
    headers: list[str], rows: rx.Var, row: Callable[[rx.Var], rx.Component], state: type[PagedState], noun: str
) -> rx.Component:
    """`state` is a `PagedState`."""
    return rx.vstack(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(rows, row)),
            variant="surface",
            width="100%",
        ),
        rx.hstack(
            rx.button("Previous", variant="soft", size="1", disabled=state.page <= 1, on_click=state.go_to_page(state.page - 1)),
            rx.text("Page ", state.page, " of ", state.pages, " · ", state.total, f" {noun}", size="2"),
            rx.button("Next", variant="soft", size="1", disabled=state.page >= state.pages, on_click=state.go_to_page(state.page + 1)),
            align="center",
        ),
        width="100%",
    )
