"""Portal -> Messages. Not open yet: the messages feature adds its service and a thin
`PortalSession` substate here (see `orders.py` for the shape)."""

from __future__ import annotations

import reflex as rx

from kontrol_app.ui.components.empty import empty_state
from kontrol_app.ui.portal.tabs.nav import Tab


def messages_tab() -> rx.Component:
    return empty_state("No messages yet")


TAB = Tab("messages", "Messages", messages_tab)
