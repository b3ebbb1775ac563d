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


def submit_button(label: str, **props) -> rx.Component:
    """Disabled until the page is live: a click before then would submit the form as a
    plain browser request and put what was typed (a password!) in the address bar."""
    return rx.button(label, type="submit", disabled=~rx.State.is_hydrated, **props)


def secure_form(*children: rx.Component, **props) -> rx.Component:
    """A form that, should it ever submit natively, POSTs rather than putting fields in the URL."""
    return rx.form(*children, method="post", **props)
