"""Jobs -> Board: a column per status; a card moves one step with one click."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import jobs as job_service
from kontrol_app.ui.components.status import status_badge
from kontrol_app.ui.guard import StaffPrincipal, StaffState, staff_event
from kontrol_app.ui.services import call
from kontrol_app.ui.staff.shell import guarded, staff_page
from kontrol_app.ui.staff.jobs.common import jobs_header, row_dict


class JobBoardState(StaffState, rx.State):
    columns: list[dict] = []

    async def _refresh(self, principal: StaffPrincipal) -> None:
        columns = await self._read_changed((), job_service.board, principal)
        if columns is None:
            return
        self.columns = [
            {"status": c.label, "count": c.count, "cards": [row_dict(r) for r in c.cards]} for c in columns
        ]

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        await self._refresh(principal)

    # The board has no status field: the approval gate's refusal (field "status") shows as a toast.
    @staff_event(field_toast=job_service.APPROVAL_GATE)
    async def move_next(self, principal: StaffPrincipal, job_id: int, from_status: str):
        moved_to = await call(job_service.move_to_next, principal, int(job_id), expected_from=from_status)
        await self._refresh(principal)
        if moved_to:
            return rx.toast.success(f"Moved to {moved_to}.")


def _board_card(card: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.link(card["title"], href="/jobs/" + card["id"].to(str), weight="medium", size="2"),
            rx.text(card["customer"], size="1", color_scheme="gray"),
            rx.text(card["pieces"], rx.cond(card["due"] != "", " · Due " + card["due"].to(str), ""), size="1"),
            rx.cond(
                card["next"] != "",
                rx.button(
                    "→ " + card["next"].to(str),
                    size="1",
                    variant="soft",
                    on_click=JobBoardState.move_next(card["id"], card["status_value"]),
                    class_name="move-next",
                    white_space="nowrap",
                ),
            ),
            spacing="1",
        ),
        width="100%",
        padding="10px",
        class_name="board-card",
    )


def _board_column(column: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(status_badge(column["status"].to(str)), rx.text(column["count"], size="1", color_scheme="gray"), align="center"),
        rx.foreach(column["cards"].to(list[dict[str, str]]), _board_card),
        # Narrow enough that a 1280 px screen shows the pipeline up to In Production; wider
        # screens share the room out.
        flex="1 0 184px",
        max_width="260px",
        spacing="2",
        padding="6px",
        background=rx.color("gray", 2),
        border_radius="8px",
        class_name="board-column",
    )


def job_board_page() -> rx.Component:
    return staff_page(
        "Jobs",
        "Jobs",
        jobs_header("board"),
        rx.scroll_area(
            rx.hstack(rx.foreach(JobBoardState.columns, _board_column), align="start", spacing="2", padding_bottom="12px"),
            scrollbars="horizontal",
            type="always",  # the columns past the screen's edge are there to scroll to
            width="100%",
            height="auto",  # the scrollbar sits under the cards, not at the screen's foot
        ),
    )


BOARD_ON_LOAD = guarded(JobBoardState.load)
