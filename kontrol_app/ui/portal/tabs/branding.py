"""Portal -> My Branding: the customer's contact details and who can sign in."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import portal_view
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.ui.portal.session import PortalSession
from kontrol_app.ui.portal.tabs.nav import Tab
from kontrol_app.ui.services import call


class BrandingTab(PortalSession):
    customer_phone: str = ""
    customer_address: str = ""
    contacts: list[dict[str, str]] = []

    async def _fill(self, viewer: PortalViewer) -> None:
        """Called by the page's loader once the viewer is checked."""
        details = await call(portal_view.contact_details, viewer.customer_id)
        self.customer_phone, self.customer_address = details.phone, details.address
        self.contacts = [{"name": name, "email": email} for name, email in details.contacts]


def branding_tab() -> rx.Component:
    return rx.vstack(
        rx.heading(PortalSession.customer_name, size="4"),
        rx.cond(BrandingTab.customer_phone != "", rx.text(BrandingTab.customer_phone, size="2")),
        rx.cond(BrandingTab.customer_address != "", rx.text(BrandingTab.customer_address, size="2", white_space="pre-line")),
        rx.text("People who can sign in", size="2", weight="medium", margin_top="12px"),
        rx.foreach(BrandingTab.contacts, lambda c: rx.text(c["name"], " · ", c["email"], size="2")),
        rx.text("To change these details, message or call ", PortalSession.shop_name, ".", size="2", color_scheme="gray", margin_top="12px"),
        spacing="1",
        padding="16px 0",
    )


TAB = Tab("branding", "My Branding", branding_tab)
