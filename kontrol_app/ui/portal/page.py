"""The portal page: header with the shop's branding, the five tabs, the Preview banner."""

from __future__ import annotations


import reflex as rx

from kontrol_app.services import portal_auth
from kontrol_app.ui.portal.state import TABS, PortalState
from kontrol_app.ui.components.empty import empty_state
from kontrol_app.ui.portal.orders import orders_tab
from kontrol_app.ui.portal.sign_in import sign_in_card


def _header() -> rx.Component:
    return rx.hstack(
        rx.hstack(
            rx.cond(
                PortalState.shop_logo != "",
                rx.image(src=PortalState.shop_logo, alt="Shop logo", max_height="44px", max_width="140px", object_fit="contain"),
            ),
            rx.vstack(
                rx.text(PortalState.shop_name, weight="bold", size="4", id="portal-shop-name"),
                rx.cond(PortalState.shop_email != "", rx.link(PortalState.shop_email, href="mailto:" + PortalState.shop_email, size="2", color_scheme="gray")),
                spacing="0",
            ),
            align="center",
            spacing="3",
        ),
        rx.spacer(),
        rx.cond(
            PortalState.signed_in & ~PortalState.preview,
            rx.button("Sign out", variant="soft", color_scheme="gray", size="2", on_click=PortalState.sign_out),
        ),
        padding="12px 16px",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        align="center",
        width="100%",
    )


def _branding_tab() -> rx.Component:
    return rx.vstack(
        rx.heading(PortalState.customer_name, size="4"),
        rx.cond(PortalState.customer_phone != "", rx.text(PortalState.customer_phone, size="2")),
        rx.cond(PortalState.customer_address != "", rx.text(PortalState.customer_address, size="2", white_space="pre-line")),
        rx.text("People who can sign in", size="2", weight="medium", margin_top="12px"),
        rx.foreach(PortalState.contacts, lambda c: rx.text(c["name"], " · ", c["email"], size="2")),
        rx.text("To change these details, message or call ", PortalState.shop_name, ".", size="2", color_scheme="gray", margin_top="12px"),
        spacing="1",
        padding="16px 0",
    )


def _tabs() -> rx.Component:
    return rx.tabs.root(
        rx.scroll_area(
            rx.tabs.list(*[rx.tabs.trigger(tab, value=tab) for tab in TABS], size="2"),
            scrollbars="horizontal",
            type="auto",
        ),
        rx.tabs.content(orders_tab(), value="Active Orders"),
        rx.tabs.content(empty_state("No invoices yet", "Invoices from the shop will appear here."), value="Invoices"),
        rx.tabs.content(empty_state("No messages yet"), value="Messages"),
        rx.tabs.content(empty_state("Quote requests aren't open here yet", "Email the shop for a quote in the meantime."), value="Request a Quote"),
        rx.tabs.content(_branding_tab(), value="My Branding"),
        value=PortalState.tab,
        on_change=PortalState.set_tab,
        width="100%",
    )


def _preview_banner() -> rx.Component:
    return rx.cond(
        PortalState.preview,
        rx.callout(
            "Preview — viewing as " + PortalState.customer_name + ". Actions are disabled.",
            icon="eye",
            color_scheme="amber",
            width="100%",
            id="preview-banner",
        ),
    )


def portal_page() -> rx.Component:
    return rx.box(
        rx.cond(
            ~PortalState.link_valid,
            rx.center(rx.text(portal_auth.LINK_NOT_VALID, size="4"), min_height="80vh", padding="24px"),
            rx.box(
                _preview_banner(),
                _header(),
                rx.cond(
                    PortalState.loaded,
                    rx.cond(
                        PortalState.signed_in,
                        rx.box(
                            rx.cond(
                                ~PortalState.preview,
                                rx.text("Hi ", PortalState.viewer_name, " — ", PortalState.customer_name, size="2", color_scheme="gray", margin_bottom="8px"),
                            ),
                            _tabs(),
                            padding="16px",
                            max_width="960px",
                            margin="0 auto",
                        ),
                        sign_in_card(),
                    ),
                    rx.center(rx.spinner(size="3"), padding="48px"),
                ),
            ),
        ),
        min_height="100vh",
    )
