"""The staff layout: sidebar, header with the shop's branding, and the guard every page runs."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import shop as shop_service
from kontrol_app.services import staff as staff_service
from kontrol_app.ui.guard import StaffState, forget_staff_screens, open_event
from kontrol_app.ui.services import call, current_staff, sign_in_redirect, staff_token, visit
from kontrol_app.ui.staff.messages_badge import MessagesBadgeState, messages_badge
from kontrol_app.ui.staff.notifications import notifications_bell
from kontrol_app.ui.staff.quotes_badge import QuotesBadgeState, quotes_badge

# The sections that exist so far, named as the shop-owner guide names them.
NAV = [
    ("Dashboard", "/", "layout-dashboard"),
    ("Customers", "/customers", "users"),
    ("Jobs", "/jobs", "shirt"),
    ("Invoices", "/invoices", "receipt"),
    ("Messages", "/messages", "messages-square"),
    ("Quote Requests", "/quotes", "clipboard-list"),
    ("Settings", "/settings/shop", "settings"),
]


class StaffShellState(StaffState, rx.State):
    shop_name: str = ""
    shop_logo: str = ""
    staff_name: str = ""
    is_owner: bool = False

    @open_event
    async def guard(self):
        """Runs first on every staff page: no shop yet -> setup; signed out -> Sign in."""
        principal = await current_staff(self)
        if principal is None:
            await forget_staff_screens(self)
            if not await call(staff_service.has_staff):
                return rx.redirect("/setup")
            return sign_in_redirect(self)
        info = await call(shop_service.shop_info)
        self.staff_name = principal.name
        self.is_owner = principal.is_owner
        self.shop_name = shop_service.display_name(info)
        self.shop_logo = info.logo_path if info else ""

    @open_event
    async def sign_out(self):
        await call(staff_service.sign_out, staff_token(self))
        await forget_staff_screens(self)
        return visit("/api/staff/signed-out")


def _brand() -> rx.Component:
    return rx.hstack(
        rx.cond(
            StaffShellState.shop_logo != "",
            rx.image(
                src=StaffShellState.shop_logo,
                alt="Shop logo",
                height="32px",
                max_width=rx.breakpoints(initial="80px", xs="120px"),
                object_fit="contain",
                flex_shrink="0",
            ),
            rx.icon("store", size=24, flex_shrink="0"),
        ),
        rx.text(StaffShellState.shop_name, weight="bold", size="4", id="shop-name", min_width="0", overflow_wrap="anywhere"),
        align="center",
        spacing="2",
        min_width="0",
        flex="1 1 0%",  # takes the room the bell and the menu leave; a long name wraps
    )


def _as_sidebar(value: str) -> dict[str, str]:
    """A style for the navigation once it is a sidebar: from Radix's `md` (1024px), where its
    `direction` turns to column. (A plain {"md": ...} dict is a CSS selector in a style.)"""
    return rx.breakpoints(custom={"1024px": value})


def _nav_link(label: str, href: str, icon: str, current: str) -> rx.Component:
    active = current == label
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=16),
            rx.text(label, size="3", white_space="nowrap"),
            messages_badge() if href == "/messages" else quotes_badge() if href == "/quotes" else rx.fragment(),
            align="center",
            spacing="2",
        ),
        href=href,
        underline="none",
        color_scheme="gray" if not active else "blue",
        high_contrast=not active,
        weight="bold" if active else "regular",
        padding="6px 10px",
        border_radius="6px",
        background=rx.color("blue", 3) if active else "transparent",
    )


def _user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            # On a phone only the icon shows (the name stays the button's accessible name), so
            # the shop's name and the menu share one row.
            rx.button(
                rx.icon("circle-user", size=16),
                rx.el.span(StaffShellState.staff_name, display=rx.breakpoints(initial="none", xs="inline")),
                variant="soft",
                color_scheme="gray",
                aria_label=StaffShellState.staff_name,
            )
        ),
        rx.menu.content(rx.menu.item("Sign out", on_click=StaffShellState.sign_out)),
        # Not modal: a modal menu hides the page with aria-hidden while it stays focusable.
        modal=False,
    )


def staff_page(current: str, title: str, *children: rx.Component, poll: tuple = ()) -> rx.Component:
    """A staff screen: sidebar on wide screens, a top bar of links (wrapping) on phones.
    `poll`: the page's own handlers that tick with the bell (every 3 s) to stay live."""
    links = [_nav_link(label, href, icon, current) for label, href, icon in NAV]
    return rx.box(
        rx.hstack(
            _brand(),
            notifications_bell(MessagesBadgeState.load, QuotesBadgeState.load, *poll),
            _user_menu(),
            padding="12px 20px",
            border_bottom=f"1px solid {rx.color('gray', 5)}",
            align="center",
            width="100%",
        ),
        rx.flex(
            rx.flex(
                *links,
                direction={"initial": "row", "md": "column"},
                # On a phone the links wrap onto more lines: every section is on screen.
                wrap={"initial": "wrap", "md": "nowrap"},
                spacing="1",
                padding="12px",
                # Room for "Quote Requests 99+": a badge that appears live does not move the page.
                min_width=_as_sidebar("256px"),
                flex_shrink="0",  # the page's content never squeezes the labels onto two lines
                border_right=_as_sidebar(f"1px solid {rx.color('gray', 5)}"),
                aria_label="Sections",
                role="navigation",
            ),
            rx.box(
                rx.heading(title, size="6", margin_bottom="16px"),
                *children,
                padding="20px",
                width="100%",
                max_width="1100px",
                min_width="0",  # a wide board scrolls inside the page, not the page sideways
                role="main",
            ),
            direction={"initial": "column", "md": "row"},
            width="100%",
            min_height="calc(100vh - 60px)",
        ),
    )


def guarded(*handlers):
    """on_load for a staff page: the guard first, then the page's own loaders."""
    return [StaffShellState.guard, *handlers]
