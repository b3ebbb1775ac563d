"""Form pieces: a labelled field with its error message right below it."""

from __future__ import annotations

import reflex as rx


def field(label: str, control: rx.Component, error: rx.Var | str = "", hint: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(label, as_="label", size="2", weight="medium"),
        control,
        rx.cond(
            error != "",
            rx.text(error, size="2", color_scheme="red", role="alert", class_name="field-error"),
            rx.text(hint, size="1", color_scheme="gray") if hint else rx.fragment(),
        ),
        spacing="1",
        width="100%",
    )


def form_error(message: rx.Var) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
    )
