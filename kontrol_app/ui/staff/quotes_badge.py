"""The count on **Quote Requests** in the staff navigation: requests no one on the team has
opened yet. It rides on the bell's poll (every 3 s, `notifications_bell`); the count is one
indexed query (`ix_quote_request_read_by_staff_at_id`), and none while nothing at all was
written since the last tick."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import quotes
from kontrol_app.ui.components.status import count_badge
from kontrol_app.ui.guard import StaffPrincipal, StaffState, staff_event
from kontrol_app.ui.services import read


class QuotesBadgeState(StaffState, rx.State):
    unread: int = 0

    async def _recount(self, principal: StaffPrincipal) -> None:
        self._set_changed(unread=await read(quotes.unread_count, principal))  # an equal count is not sent again

    @staff_event(quiet=True)  # the poll: the page guard already redirects a signed-out tab
    async def load(self, principal: StaffPrincipal, _tick: str = ""):
        if self._written_since_last_poll():
            await self._recount(principal)


def quotes_badge() -> rx.Component:
    """The count next to "Quote Requests" in the navigation (nothing when all were opened)."""
    return count_badge(QuotesBadgeState.unread, "new", "quotes-unread")
