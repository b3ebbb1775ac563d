"""Which tab is showing: its own small state, so switching tabs loads no tab's data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import reflex as rx

from kontrol_app.ui.portal.session import PortalSession, ui_event

ORDERS = "orders"


@dataclass(frozen=True)
class Tab:
    value: str  # what the tab bar sends (never the label)
    label: str
    content: Callable[[], rx.Component]
    badge: Callable[[], rx.Component] | None = None  # shown after the label (e.g. unread messages)


class PortalTabs(PortalSession):
    tab: str = ORDERS

    @ui_event
    def set_tab(self, tab: str):
        from kontrol_app.ui.portal.tabs import TAB_VALUES

        if tab in TAB_VALUES:
            self.tab = tab
