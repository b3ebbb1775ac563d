"""An honest empty state: an icon, what is missing, and what will appear."""

from __future__ import annotations

import reflex as rx


def empty_state(text: str, hint: str = "") -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("inbox", size=32, color=rx.color("gray", 8)),
            rx.text(text, size="3", weight="medium"),
            rx.text(hint, size="2", color_scheme="gray", text_align="center") if hint else rx.fragment(),
            align="center",
            spacing="2",
        ),
        padding="48px 16px",
    )
