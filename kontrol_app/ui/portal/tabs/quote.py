"""Portal -> Request a Quote. Not open yet: the quote-request feature adds its service and
a thin `PortalSession` substate here (see `orders.py` for the shape)."""

from __future__ import annotations

import reflex as rx

from kontrol_app.ui.components.empty import empty_state
from kontrol_app.ui.portal.tabs.nav import Tab


def quote_tab() -> rx.Component:
    return empty_state("Quote requests aren't open here yet", "Email the shop for a quote in the meantime.")


TAB = Tab("quote", "Request a Quote", quote_tab)
