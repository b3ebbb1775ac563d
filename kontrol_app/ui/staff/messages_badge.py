"""The unread count on **Messages** in the staff navigation (shared by the staff).

It rides on the bell's poll (every 3 s, `notifications_bell`): the cheap stamp first (two
indexed look-ups), the count only when the stamp changed; nothing at all while nothing was
written since the last tick."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import messages
from kontrol_app.ui.components.status import count_badge
from kontrol_app.ui.guard import StaffPrincipal, StaffState, staff_event
from kontrol_app.ui.services import read


class MessagesBadgeState(StaffState, rx.State):
    unread: int = 0
    _stamp: str = ""  # staff_stamp when last counted ("": never)

    @staff_event(quiet=True)  # the poll: the page guard already redirects a signed-out tab
    async def load(self, principal: StaffPrincipal, _tick: str = ""):
        """Every few seconds with the bell: recount only when something changed. The stamp is
        read before the count, so a message that arrives in between shows at the next tick."""
        if not self._written_since_last_poll():
            return
        stamp = await read(messages.staff_stamp)
        if stamp != self._stamp:
            self.unread = await read(messages.staff_unread_total)
            self._stamp = stamp


def messages_badge() -> rx.Component:
    """The count next to "Messages" in the navigation (nothing when all is read)."""
    return count_badge(MessagesBadgeState.unread, "unread", "messages-unread")
