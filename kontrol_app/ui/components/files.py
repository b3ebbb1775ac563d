"""A stored file as a card: a thumbnail for an image (PNG, JPEG, WebP: never an SVG), else an
icon; the name, type and size; **Open PDF** for a PDF, **Download**, and an optional action.
The file var carries name, label, size, url, download_url, image and pdf (the services' views
of message attachments, job files and quote request files all do)."""

from __future__ import annotations

import reflex as rx

from kontrol_app.ui.components.links import file_link

# What a file picker for artwork (`services.files.ARTWORK`) offers; the server judges the bytes, not these.
ARTWORK_ACCEPT = {
    "image/png": [".png"],
    "image/jpeg": [".jpg", ".jpeg"],
    "image/webp": [".webp"],
    "application/pdf": [".pdf"],
    "application/postscript": [".ai", ".eps"],
    "image/svg+xml": [".svg"],
    "image/vnd.adobe.photoshop": [".psd"],
    "application/zip": [".zip"],
}


def file_card(f: rx.Var, *, css: str, extra: rx.Component | None = None, action: rx.Component | None = None) -> rx.Component:
    """`css` names the card (`<css>`) and its name line (`<css>-name`); `extra` goes under the
    size (e.g. where the file came from); `action` after Download."""
    return rx.card(
        rx.flex(
            rx.cond(
                f.image,
                rx.link(
                    rx.image(src=f.url, alt="Preview of " + f.name, loading="lazy", max_width="140px", max_height="120px", object_fit="contain"),
                    href=f.url,
                    is_external=True,
                    aria_label="Open " + f.name,
                ),
                rx.center(rx.cond(f.pdf, rx.icon("file-text", size=28), rx.icon("file", size=28)), width="48px", height="48px", aria_hidden="true"),
            ),
            rx.vstack(
                rx.text(f.name, size="2", weight="medium", style={"overflow_wrap": "anywhere"}, class_name=f"{css}-name"),
                rx.text(f.label, " · ", f.size, size="1", color_scheme="gray"),
                *([extra] if extra is not None else []),
                rx.flex(
                    rx.cond(f.pdf, rx.link("Open PDF", href=f.url, is_external=True, size="2")),
                    file_link("Download", href=f.download_url, size="2", aria_label="Download " + f.name),
                    *([action] if action is not None else []),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                spacing="1",
                min_width="0",
            ),
            spacing="3",
            align="start",
        ),
        size="1",
        class_name=css,
        max_width="100%",
    )


def make_mockup_button(label: str, f: rx.Var, on_click) -> rx.Component:
    """Shown for an image or PDF staff may turn into the job's next mockup version."""
    return rx.cond(
        f.promotable,
        rx.button(label, size="1", variant="soft", type="button", on_click=on_click, aria_label="Make a mockup version from " + f.name),
    )
