"""The portal's tabs, in the order of the tab bar.

A tab is a module here with a `TAB` (value, label, content). One that shows data adds a
service and a thin `PortalSession` substate: handlers marked `@portal_event` (the guard
passes the checked viewer), and `async def _fill(self, viewer)` when the page's loader
should fill it. Its vars are cleared with the rest of the portal on sign-out.
"""

from __future__ import annotations

from kontrol_app.ui.portal.live import PortalLive  # noqa: F401  first: its loader snapshots the stamps before any tab loads
from kontrol_app.ui.portal.tabs import branding, invoices, messages, orders, quote
from kontrol_app.ui.portal.tabs.nav import PortalTabs, Tab

TABS: list[Tab] = [orders.TAB, invoices.TAB, messages.TAB, quote.TAB, branding.TAB]
TAB_VALUES = frozenset(tab.value for tab in TABS)

__all__ = ["TABS", "TAB_VALUES", "PortalTabs", "Tab"]
