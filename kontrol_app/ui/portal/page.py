"""The portal page: header with the shop's branding, the five tabs, the Preview banner."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import portal_auth
from kontrol_app.ui.components.tabs import wrapping_tab_list
from kontrol_app.ui.portal.live import live_poll
from kontrol_app.ui.portal.session import PortalSession
from kontrol_app.ui.portal.sign_in import sign_in_card
from kontrol_app.ui.portal.tabs import TABS, PortalTabs
from kontrol_app.ui.portal.tabs.approval import approval_banner


def _header() -> rx.Component:
    # On a phone the row wraps: Sign out goes under the shop's name (kept on the right), the
    # logo is narrower and a long email is cut with an ellipsis; nothing scrolls sideways.
    return rx.hstack(
        rx.hstack(
            rx.cond(
                PortalSession.shop_logo != "",
                rx.image(
                    src=PortalSession.shop_logo,
                    alt="Shop logo",
                    max_height="44px",
                    max_width=rx.breakpoints(initial="96px", xs="140px"),
                    object_fit="contain",
                    flex_shrink="0",
                ),
            ),
            rx.vstack(
                # The page's one h1: the sign-in card's and each tab's headings are h2 under it.
                rx.heading(PortalSession.shop_name, as_="h1", weight="bold", size="4", id="portal-shop-name"),
                rx.cond(
                    PortalSession.shop_email != "",
                    rx.link(
                        PortalSession.shop_email,
                        href="mailto:" + PortalSession.shop_email,
                        size="2",
                        color_scheme="gray",
                        display="block",
                        max_width="100%",
                        overflow="hidden",
                        text_overflow="ellipsis",
                        white_space="nowrap",
                        custom_attrs={"title": PortalSession.shop_email},
                    ),
                ),
                spacing="0",
                min_width="0",
            ),
            align="center",
            spacing="3",
            min_width="0",
        ),
        rx.cond(
            PortalSession.signed_in & ~PortalSession.preview,
            rx.button("Sign out", variant="soft", color_scheme="gray", size="2", margin_left="auto", on_click=PortalSession.sign_out),
        ),
        padding="12px 16px",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        align="center",
        wrap="wrap",
        width="100%",
    )


def _tabs() -> rx.Component:
    return rx.tabs.root(
        wrapping_tab_list(
            *[rx.tabs.trigger(tab.label, *([tab.badge()] if tab.badge else []), value=tab.value) for tab in TABS],
            size="2",
        ),
        *[rx.tabs.content(tab.content(), value=tab.value) for tab in TABS],
        live_poll(),
        value=PortalTabs.tab,
        on_change=PortalTabs.set_tab,
        width="100%",
    )


def _preview_banner() -> rx.Component:
    return rx.cond(
        PortalSession.preview,
        rx.callout(
            "Preview — viewing as " + PortalSession.customer_name + ". Read-only: the buttons show what your client sees and change nothing.",
            icon="eye",
            color_scheme="amber",
            width="100%",
            id="preview-banner",
        ),
    )


def _dead_link() -> rx.Component:
    """A regenerated or mistyped link: it says so, and names the shop and how to reach it."""
    return rx.center(
        rx.vstack(
            rx.heading(portal_auth.LINK_NOT_VALID, as_="h1", size="4", weight="regular"),
            rx.hstack(
                rx.text(PortalSession.shop_name),
                rx.cond(PortalSession.shop_email != "", rx.link(PortalSession.shop_email, href="mailto:" + PortalSession.shop_email)),
                rx.cond(PortalSession.shop_phone != "", rx.link(PortalSession.shop_phone, href="tel:" + PortalSession.shop_phone)),
                spacing="3",
                wrap="wrap",
                justify="center",
                id="dead-link-shop",
            ),
            align="center",
            text_align="center",
        ),
        min_height="80vh",
        padding="24px",
        role="main",
    )


def portal_page() -> rx.Component:
    return rx.box(
        rx.cond(
            ~PortalSession.link_valid,
            _dead_link(),
            rx.box(
                _preview_banner(),
                _header(),
                rx.box(
                    rx.cond(
                        PortalSession.loaded,
                        rx.cond(
                            PortalSession.signed_in,
                            rx.box(
                                rx.cond(
                                    ~PortalSession.preview,
                                    rx.text("Hi ", PortalSession.viewer_name, " — ", PortalSession.customer_name, size="2", color_scheme="gray", margin_bottom="8px"),
                                ),
                                approval_banner(),
                                _tabs(),
                                padding="16px",
                                max_width="960px",
                                margin="0 auto",
                            ),
                            sign_in_card(),
                        ),
                        rx.center(rx.spinner(size="3"), padding="48px"),
                    ),
                    role="main",
                ),
            ),
        ),
        min_height="100vh",
    )
