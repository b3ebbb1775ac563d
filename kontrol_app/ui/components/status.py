"""The status badge, used on staff and portal screens alike."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import statuses


def status_badge(label: rx.Var, **props) -> rx.Component:
    color = rx.match(
        label,
        *[(statuses.LABELS[s], statuses.COLORS[s]) for s in statuses.ALL_STATUSES],
        "gray",
    )
    return rx.badge(label, color_scheme=color, variant="soft", size="2", class_name="status-badge", **props)
