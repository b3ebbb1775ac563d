"""A table of one page of rows, with Previous / Next below it (paging happens in SQL)."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx


def paged_table(
    headers: list[str], rows: rx.Var, row: Callable[[rx.Var], rx.Component], state: type[rx.State], noun: str
) -> rx.Component:
    """`state` has page, pages, total and a go_to_page(page) event."""
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
