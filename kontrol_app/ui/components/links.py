"""Links that are not plain page links: a link drawn as a button ("New job", "Edit customer",
the settings sections, "Download PDF"), and a link to a file the server sends (`file_link`).

One <a> with the button's look: `rx.link(rx.button(...))` put a button inside a link, which is
not valid HTML and makes the keyboard stop twice on one control (the link, then the button)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.components.react_router.dom import ReactRouterLink


def link_button(*children: Any, href: str | rx.Var, new_tab: bool = False, label: str | rx.Var | None = None, **props: Any) -> rx.Component:
    """`children` as a button that goes to `href`: inside the app without a page load, or in a
    new tab (`new_tab`, for a file or the portal's Preview). `label` names it when its text
    alone would not (several "Download PDF" on one page); `props` style the button."""
    named = {"custom_attrs": {"aria-label": label}} if label is not None else {}
    if new_tab:
        link = rx.el.a(*children, href=href, target="_blank", rel="noopener", **named)
    else:
        link = ReactRouterLink.create(*children, to=href, **named)
    return rx.button(link, as_child=True, **props)


def file_link(*children: Any, href: str | rx.Var, **props: Any) -> rx.Component:
    """A link that downloads a file the server sends (/api/...): the browser fetches it and the
    page stays. `rx.link` alone routes inside the app, which has no such page ("404")."""
    attrs = {"download": "", **props.pop("custom_attrs", {})}
    return rx.link(*children, href=href, reload_document=True, custom_attrs=attrs, **props)
