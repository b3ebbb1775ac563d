"""The tabs across Settings, in the order product.md names them."""

from __future__ import annotations

import reflex as rx

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
            rx.link(
                rx.button(label, variant="solid" if label == current else "soft", color_scheme="gray" if label != current else "blue", size="2"),
                href=href,
            )
            for label, href in SECTIONS
        ],
        spacing="2",
        wrap="wrap",
        margin_bottom="20px",
    )
