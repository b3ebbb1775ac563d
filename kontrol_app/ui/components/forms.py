"""Form pieces: a labelled field with its error message right below it.

Every label is tied to its control (`<label for=…>` and the control's `id`), and the
control points at its message (`aria-describedby`, `aria-invalid`), so a screen reader
reads "Email, edit text, Enter a valid email address" and a click on a label focuses
its box.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import reflex as rx

from reflex.components.core.debounce import DebounceInput
from reflex.components.el.elements.forms import Input, Select, Textarea
from reflex.components.radix.themes.components.checkbox import Checkbox
from reflex.components.radix.themes.components.select import SelectRoot, SelectTrigger
from reflex.components.radix.themes.components.switch import Switch

from kontrol_app.ui.components.dialogs import dialog_title

# What a label can name (rx.input and rx.text_area are Input and Textarea underneath;
# a controlled one is a DebounceInput). A Radix select's root renders no element: its
# trigger button does.
_CONTROLS = (DebounceInput, Input, Textarea, Select, SelectTrigger, Switch, Checkbox)
# A number on every made id: two forms on one page may both have an "email" box, and
# ids must be unique on a page (unique within one build of the front end is enough).
_ids = itertools.count(1)


def _prop(component: rx.Component, name: str) -> object:
    value = getattr(component, name, None) if name in component.get_props() else None
    return value if value is not None else component.custom_attrs.get(name)


def _control_of(component: rx.Component) -> rx.Component | None:
    """The element inside `component` a label names: the first form control, depth first."""
    if isinstance(component, SelectRoot):
        return next((c for c in _walk(component) if isinstance(c, SelectTrigger)), None)
    if isinstance(component, _CONTROLS):
        return component
    for child in component.children:
        if isinstance(child, rx.Component) and (found := _control_of(child)) is not None:
            return found
    return None


def _walk(component: rx.Component):
    yield component
    for child in component.children:
        if isinstance(child, rx.Component):
            yield from _walk(child)


def _tie(what: str, label: str, control: rx.Component, wanted: str | rx.Var | None) -> tuple[rx.Component, str | rx.Var]:
    """The element in `control` a label names, and its id: the element's own id, else
    `wanted`, else one made from its `name` (a select's name sits on its root); set on it."""
    target = _control_of(control)
    if target is None:
        raise ValueError(f"{what}({label!r}): no input, text area, select, switch or checkbox to label")
    own = target.id if target.id is not None else target.custom_attrs.get("id")
    if own is not None:
        return target, own
    if wanted is None:
        name = _prop(target, "name")
        if name is None:
            name = _prop(control, "name")
        value = getattr(name, "_var_value", name)
        suffix = next(_ids)
        wanted = f"{value}-{suffix}" if isinstance(value, str) and value else f"field-{suffix}"
    # custom_attrs, not id=: a Reflex id also makes a React ref, which is not needed here.
    target.custom_attrs["id"] = wanted
    return target, wanted


def field(
    label: str,
    control: rx.Component,
    error: rx.Var | str = "",
    hint: str = "",
    *,
    id: str | rx.Var | None = None,
) -> rx.Component:
    """`label` above `control`, then the error (when there is one) or the hint.

    The label is tied to the control found in `control` (an input, text area, select,
    switch or checkbox, also inside a wrapper). Its id is the control's own id, else `id`,
    else one made from its `name`. Inside `rx.foreach` pass `id` built from the row's
    index, so every row's label names its own box.
    """
    target, control_id = _tie("field", label, control, id)
    error_id, hint_id = control_id + "-error", control_id + "-hint"
    shows_error = error != ""
    if isinstance(shows_error, bool):
        described = error_id if shows_error else (hint_id if hint else None)
        invalid = "true" if shows_error else None
    else:
        described = rx.cond(shows_error, error_id, hint_id if hint else None)
        invalid = rx.cond(shows_error, "true", None)
    if described is not None:
        target.custom_attrs["aria-describedby"] = described
    if invalid is not None:
        target.custom_attrs["aria-invalid"] = invalid
    return rx.vstack(
        rx.text(label, as_="label", size="2", weight="medium", custom_attrs={"html_for": control_id}),
        control,
        rx.cond(
            shows_error,
            rx.text(error, size="2", color_scheme="red", role="alert", class_name="field-error", custom_attrs={"id": error_id}),
            rx.text(hint, size="1", color_scheme="gray", custom_attrs={"id": hint_id}) if hint else rx.fragment(),
        ),
        spacing="1",
        width="100%",
    )


def toggle_field(
    label: str,
    control: rx.Component,
    *,
    id: str | rx.Var | None = None,
) -> rx.Component:
    """A switch or checkbox with its label to the right, tied to it (a click on it toggles)."""
    _, control_id = _tie("toggle_field", label, control, id)
    return rx.hstack(
        control,
        rx.text(label, as_="label", size="2", custom_attrs={"html_for": control_id}),
        align="center",
        spacing="2",
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
    """A form that, should it ever submit natively, POSTs rather than putting fields in the URL.
    The browser's own checks are off: every refusal comes from the server, in the same words,
    next to its field (a browser bubble for a bad email left the last server message showing)."""
    return rx.form(*children, method="post", no_validate=True, **props)


def named_upload(label: str, upload: rx.Component) -> rx.Component:
    """`upload` (an `rx.upload.root`) with its hidden file input named `label`. The input is
    what a screen reader reaches (and axe checks), not the button shown inside the zone."""
    for component in _walk(upload):
        if isinstance(component, Input) and getattr(component.type, "_var_value", None) == "file":
            component.custom_attrs["aria-label"] = label
            return upload
    raise ValueError(f"named_upload({label!r}): no file input inside")


def when_refused(handler) -> Callable[[Any], rx.event.EventSpec]:
    """An upload's `on_drop_rejected`: tells `handler` (no arguments) that the browser refused a
    file (too big, wrong type, too many), without the refused files: those would go whole over
    the socket, and a 30 MB one drops the connection and the page's state with it."""
    return lambda _refused: handler()


def dialog_buttons(action: rx.Component, **props) -> rx.Component:
    """A dialog's footer: Cancel (closes it, changes nothing) and the dialog's action."""
    return rx.hstack(
        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
        action,
        justify="end",
        width="100%",
        **props,
    )


def form_dialog(
    title: str | rx.Var,
    description: str,
    *fields: rx.Component,
    error: rx.Var,
    action: rx.Component,
    open: rx.Var,
    on_open_change: rx.EventHandler,
    trigger: rx.Component | None = None,
    max_width: str = "480px",
) -> rx.Component:
    """A dialog that asks a few things: its fields, the form's error (what no field shows), then
    Cancel and `action`. With `trigger`, a click on it opens the dialog; else only `open` does."""
    return rx.dialog.root(
        *([rx.dialog.trigger(trigger)] if trigger is not None else []),
        rx.dialog.content(
            dialog_title(title),
            rx.dialog.description(description, size="2"),
            rx.vstack(
                *fields,
                form_error(error),
                dialog_buttons(action),
                spacing="3",
                margin_top="12px",
            ),
            max_width=max_width,
        ),
        open=open,
        on_open_change=on_open_change,
    )
