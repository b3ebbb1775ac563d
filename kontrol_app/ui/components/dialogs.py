"""Dialog titles as h2: Radix draws them as h1, and the page under a dialog keeps its own one h1."""

from __future__ import annotations

import reflex as rx


def dialog_title(*children, **props) -> rx.Component:
    return rx.dialog.title(*children, custom_attrs={"as": "h2"}, **props)


def alert_dialog_title(*children, **props) -> rx.Component:
    return rx.alert_dialog.title(*children, custom_attrs={"as": "h2"}, **props)
