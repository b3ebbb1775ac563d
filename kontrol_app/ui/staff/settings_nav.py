"""The tabs across Settings (only the sections that exist so far)."""

from __future__ import annotations

import reflex as rx

SECTIONS = [
    ("Shop Info", "/settings/shop"),
    ("Automations", "/settings/automations"),
    ("Payments", "/settings/payments"),
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
