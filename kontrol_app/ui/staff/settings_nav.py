"""The tabs across Settings, in the order product.md names them."""

from __future__ import annotations

import reflex as rx
from kontrol_app.ui.components.links import link_button

SECTIONS = [
    ("Shop Info", "/settings/shop"),
    ("Payments", "/settings/payments"),
    ("Automations", "/settings/automations"),
    ("Team", "/settings/team"),
    ("Email", "/settings/email"),
]


def settings_tabs(current: str) -> rx.Component:
    return rx.hstack(
        *[
            link_button(
                label, href=href, variant="solid" if label == current else "soft", color_scheme="gray" if label != current else "blue", size="2",
                custom_attrs={"aria-current": "page"} if label == current else {},
            )
            for label, href in SECTIONS
        ],
        spacing="2",
        wrap="wrap",
        margin_bottom="20px",
    )
