"""The open portal's one poll: every few seconds, whichever tab shows, it asks for the stamps
of orders, invoices and messages (services/portal_live.py) together with the session
re-check, and reloads only the tabs whose stamp moved. A poll that finds nothing new changes
nothing, so nothing is sent back. Tabs register what reloads them with `watch`."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from kontrol_app.services import portal_live
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.ui.portal.session import PortalSession, portal_poll
from kontrol_app.ui.services import call

POLL_MS = 3000  # "an open portal shows the new status within 5 seconds"


class PortalLive(PortalSession):
    _seen: dict[str, str] = {}
    # part -> (the tab's state, its `async def m(self, viewer)` that reloads it)
    watched: ClassVar[dict[str, tuple[type[rx.State], str]]] = {}

    async def _fill(self, viewer: PortalViewer) -> None:
        """Called first by the page's loader (this state is defined before any tab), so a
        change while the tabs load is seen by the next poll."""
        self._seen = await call(portal_live.stamps, viewer)

    @portal_poll(portal_live.poll_check)
    async def poll(self, viewer: PortalViewer, stamps: dict[str, str], _tick: str = ""):
        seen = self._seen  # read once: every read of a state var wraps it anew
        changed = [part for part, stamp in stamps.items() if seen.get(part) != stamp]
        if not changed:
            return  # nothing touched: no state saved, nothing sent
        self._seen = stamps
        for part in changed:
            state, method = PortalLive.watched[part]
            await getattr(await self.get_state(state), method)(viewer)


def watch(part: str, state: type[rx.State], method: str) -> None:
    PortalLive.watched[part] = (state, method)


def live_poll() -> rx.Component:
    """Mounted outside the tabs (Radix unmounts a hidden tab's content)."""
    return rx.moment(interval=POLL_MS, on_change=PortalLive.poll, display="none")
