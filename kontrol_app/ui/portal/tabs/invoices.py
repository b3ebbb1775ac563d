"""Portal -> Invoices. Not open yet: the invoices feature adds its service and a thin
`PortalSession` substate here (see `orders.py` for the shape)."""

from __future__ import annotations

import reflex as rx

from kontrol_app.ui.components.empty import empty_state
from kontrol_app.ui.portal.tabs.nav import Tab


def invoices_tab() -> rx.Component:
    return empty_state("No invoices yet", "Invoices from the shop will appear here.")


TAB = Tab("invoices", "Invoices", invoices_tab)
