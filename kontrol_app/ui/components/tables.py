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


# Below Radix's "sm" breakpoint (48em), where the table's cells get tighter too.
PHONE = "@media screen and (max-width: 47.99em)"


def phone_columns(headers: list[str], kept: tuple[str, ...]) -> dict:
    """Style for a table that fits a phone instead of scrolling sideways: only the `kept`
    columns (the row's link opens the whole record), and a long badge ("Awaiting Approval")
    or button ("Sign out everywhere") wraps."""
    if unknown := set(kept) - set(headers):
        raise ValueError(f"not columns of this table: {sorted(unknown)}")  # a typo would hide a column
    on_phone: dict = {"& .rt-Badge, & .rt-Button": {"white_space": "normal", "height": "auto"}}
    hidden = [str(n) for n, header in enumerate(headers, 1) if kept and header not in kept]
    if hidden:
        on_phone[", ".join(f"& th:nth-child({n}), & td:nth-child({n})" for n in hidden)] = {"display": "none"}
    return {PHONE: on_phone}


def email_cell(content: rx.Component | rx.Var) -> rx.Component:
    """A table cell holding an email address, which breaks anywhere on a phone (an address has
    no spaces to wrap at)."""
    return rx.table.cell(content, overflow_wrap="anywhere")


def fitting_table(headers: list[str], body: rx.Component, *, phone: tuple[str, ...] = (), **props) -> rx.Component:
    """A table with a header row that fits a phone (`phone_columns`), its cells tighter there."""
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        body,
        variant="surface",
        size=rx.breakpoints(initial="1", sm="2"),
        style=phone_columns(headers, phone),
        **props,
    )


def paged_table(
    headers: list[str],
    rows: rx.Var,
    row: Callable[[rx.Var], rx.Component],
    state: type[PagedState],
    nouns: tuple[str, str],
    *,
    phone: tuple[str, ...] = (),
) -> rx.Component:
    """`state` is a `PagedState`; `nouns`: what a row is, one and many ("job", "jobs");
    `phone`: the columns a phone shows (all when empty)."""
    if not (isinstance(nouns, tuple) and len(nouns) == 2):  # a plain "emails" showed "23 m"
        raise TypeError(f"paged_table's nouns are (one, many), like ('job', 'jobs'), not {nouns!r}")
    return rx.vstack(
        fitting_table(headers, rx.table.body(rx.foreach(rows, row)), phone=phone, width="100%"),
        rx.hstack(
            rx.button("Previous", variant="soft", size="1", disabled=state.page <= 1, on_click=state.go_to_page(state.page - 1)),
            rx.text("Page ", state.page, " of ", state.pages, " · ", state.total, " ", rx.cond(state.total == 1, nouns[0], nouns[1]), size="2"),
            rx.button("Next", variant="soft", size="1", disabled=state.page >= state.pages, on_click=state.go_to_page(state.page + 1)),
            align="center",
        ),
        width="100%",
    )
