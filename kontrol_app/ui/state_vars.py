"""Setting state vars without sending what the browser already has."""

from __future__ import annotations

from typing import Any

import reflex as rx


def set_changed(state: rx.State, **values: Any) -> None:
    """Set the vars whose value differs: Reflex type-checks, serializes and sends every var that
    is set, equal or not, so a thread's messages or a job's card opened again is not sent again."""
    for name, value in values.items():
        if getattr(state, name) != value:
            setattr(state, name, value)
