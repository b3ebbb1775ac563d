"""Numbered pins on a mockup preview: the client places them with a Request Revisions,
staff see them on the same image. A pin's row is {"number", "left", "top", "note"} with
left/top as CSS percentages of the image."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

GRID = 10  # placing a pin snaps to a 10 x 10 grid over the image (Reflex gives no click offset)


def pin_row(number: int, x: float, y: float, note: str) -> dict[str, str]:
    return {"number": str(number), "left": f"{x * 100:.2f}%", "top": f"{y * 100:.2f}%", "note": note}


def _marker(pin: rx.Var) -> rx.Component:
    return rx.el.span(
        pin["number"],
        position="absolute",
        left=pin["left"],
        top=pin["top"],
        transform="translate(-50%, -50%)",
        min_width="24px",
        height="24px",
        padding="0 4px",
        border_radius="12px",
        background=rx.color("red", 9),
        color="white",
        border="2px solid white",
        font_size="13px",
        font_weight="bold",
        line_height="20px",
        text_align="center",
        pointer_events="none",  # a click on a marker places the next pin under it
        class_name="pin-marker",
        aria_hidden="true",  # the numbered notes below say the same in words
    )


def pinned_image(src: rx.Var, alt: rx.Var | str, pins: rx.Var, place: Callable[[int, int], rx.EventSpec] | None = None) -> rx.Component:
    """The image with its pins; with `place`, a click on the image puts a pin there (cell
    centre of the grid: `place(column, row)`)."""
    overlay = []
    if place is not None:
        overlay = [
            rx.el.div(
                *[
                    rx.el.div(on_click=place(column, row), cursor="crosshair", class_name="pin-cell")
                    for row in range(GRID)
                    for column in range(GRID)
                ],
                position="absolute",
                inset="0",
                display="grid",
                grid_template_columns=f"repeat({GRID}, 1fr)",
                grid_template_rows=f"repeat({GRID}, 1fr)",
            )
        ]
    return rx.box(
        rx.image(src=src, alt=alt, max_width="100%", max_height="70vh", display="block"),
        *overlay,
        rx.foreach(pins, _marker),
        position="relative",
        display="inline-block",
        max_width="100%",
        class_name="pinned-image",
    )


def pin_notes(pins: rx.Var) -> rx.Component:
    return rx.el.ol(
        rx.foreach(pins, lambda pin: rx.el.li(rx.text(pin["number"], ": ", pin["note"], size="2"))),
        list_style="none",
        padding="0",
        margin="0",
        class_name="pin-notes",
    )
