"""A tab list that wraps onto a second line on a phone: every tab readable and tappable,
none hidden behind a sideways scroll."""

from __future__ import annotations

import reflex as rx


def wrapping_tab_list(*triggers: rx.Component, **props) -> rx.Component:
    # Radix draws the baseline under the whole list, which a wrapped first line would lack:
    # each tab draws it under itself instead.
    # On a phone each tab grows to fill its line, so the lines end evenly instead of ragged.
    return rx.tabs.list(
        *triggers,
        flex_wrap="wrap",
        style={
            "& [role=tab]": {"box_shadow": f"inset 0 -1px 0 0 {rx.color('gray', 5)}"},
            "@media (max-width: 520px)": {"& [role=tab]": {"flex": "1 1 auto"}},
        },
        **props,
    )
