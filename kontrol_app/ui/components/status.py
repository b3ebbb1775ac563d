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


def counted(count: rx.Var, noun: str, plural: str = "") -> rx.Var:
    """ "1 unread message", "3 unread messages" (`noun` singular; its plural with an s unless given)."""
    return rx.cond(count == 1, f"1 {noun}", count.to(str) + f" {plural or noun + 's'}")


def count_badge(count: rx.Var, hidden_word: str, badge_id: str) -> rx.Component:
    """A red count after a navigation label ("3", "99+"), nothing at 0. Screen readers hear
    the word too ("Messages 3 unread")."""
    return rx.cond(
        count > 0,
        rx.badge(
            rx.cond(count > 99, "99+", count.to(str)),
            rx.el.span(
                f" {hidden_word}",
                class_name="rt-visually-hidden",
                style={"position": "absolute", "width": "1px", "height": "1px", "overflow": "hidden", "clip": "rect(0 0 0 0)", "white_space": "nowrap"},
            ),
            color_scheme="red",
            variant="solid",
            radius="full",
            id=badge_id,
        ),
    )
