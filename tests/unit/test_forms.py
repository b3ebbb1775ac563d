"""field(): its label names its control, and the control points at its message.

The browser test (tests/e2e/test_accessibility.py) proves it in the rendered page; these
check the compiled component quickly, for each kind of control field() must find."""

from __future__ import annotations

import re

import pytest
import reflex as rx

from kontrol_app.ui.components.forms import field, named_upload, toggle_field


# Stand-ins for state vars (a real State subclass here would join the app's state tree).
ERROR = rx.Var("error_text").to(str)
TYPED = rx.Var("typed_text").to(str)


def _attr(code: str, name: str) -> list[str]:
    """Every literal value of prop `name` in compiled JSX (`htmlFor:"x"`, `"aria-label":"x"`)."""
    return re.findall(r'(?:^|[{,])"?' + re.escape(name) + r'"?:"([^"]*)"', code)


CONTROLS = {
    "input": lambda: rx.input(name="email", type="email"),
    "controlled input": lambda: rx.input(value=TYPED, on_change=rx.console_log, name="email"),
    "text area": lambda: rx.text_area(name="notes"),
    "select": lambda: rx.select(["EUR", "USD"], name="currency"),
    "select root": lambda: rx.select.root(rx.select.trigger(), rx.select.content(rx.select.item("A", value="a")), name="kind"),
    "native select": lambda: rx.el.select(rx.el.option("UTC"), name="timezone"),
    "switch": lambda: rx.switch(name="enabled"),
    "checkbox": lambda: rx.checkbox(name="agree"),
    "input in a wrapper": lambda: rx.vstack(rx.text("Pick one"), rx.input(name="customer_search")),
}


@pytest.mark.parametrize("kind", list(CONTROLS))
def test_the_label_is_for_the_control_id(kind):
    code = str(field("Label", CONTROLS[kind](), ERROR, hint="A hint."))
    [label_for] = _attr(code, "htmlFor")
    ids = _attr(code, "id")
    assert label_for in ids, f"{kind}: label for={label_for!r} but ids are {ids}"
    assert f"{label_for}-error" in code and f"{label_for}-hint" in ids
    # The control (the element with that id) carries aria-describedby and aria-invalid.
    at = code.index(f'id:"{label_for}"')
    control = code[code.rindex("jsx(", 0, at) : at]  # that element's props before its id (props are sorted)
    assert '"aria-describedby":' in control and '"aria-invalid":' in control, kind


def test_a_select_is_named_on_its_trigger_not_its_root():
    code = str(field("Decoration", CONTROLS["select root"](), ERROR))
    [label_for] = _attr(code, "htmlFor")
    trigger = re.search(r"jsx\(RadixThemesSelect\.Trigger,\{([^}]*)\}", code).group(1)
    assert f'id:"{label_for}"' in trigger


def test_an_explicit_id_wins_and_may_be_a_var_for_foreach_rows():
    assert _attr(str(field("Email", rx.input(name="email"), id="contact-email")), "htmlFor") == ["contact-email"]
    index = rx.Var.create(1)
    code = str(field("Name", rx.input(), ERROR, id="contact-" + index.to_string() + "-name"))
    [label_for] = re.findall(r"htmlFor:(\(\(\"contact-\".*?\"-name\"\))", code)
    assert f"id:{label_for}" in code and '"aria-invalid":' in code


def test_two_fields_with_the_same_name_get_different_ids():
    first = _attr(str(field("Email", rx.input(name="email"))), "htmlFor")
    second = _attr(str(field("Email", rx.input(name="email"))), "htmlFor")
    assert first != second


def test_without_an_error_var_nothing_claims_to_be_invalid():
    code = str(field("Name", rx.input(name="name")))
    assert "aria-invalid" not in code and "aria-describedby" not in code
    code = str(field("Password", rx.input(name="password"), hint="At least 8 characters."))
    [label_for] = _attr(code, "htmlFor")
    assert _attr(code, "aria-describedby") == [f"{label_for}-hint"]


def test_field_refuses_a_control_it_cannot_label():
    with pytest.raises(ValueError, match="no input"):
        field("Label", rx.text("not a control"))


def test_toggle_field_ties_its_label_to_the_switch():
    code = str(toggle_field("Send this email", rx.switch(checked=True), id="rule-enabled"))
    assert _attr(code, "htmlFor") == ["rule-enabled"]
    assert re.search(r'jsx\(RadixThemesSwitch,\{[^}]*id:"rule-enabled"', code)


def test_named_upload_names_the_hidden_file_input():
    code = str(named_upload("Logo file", rx.upload.root(rx.button("Upload logo"), id="logo")))
    assert _attr(code, "aria-label") == ["Logo file"]


def test_every_upload_tells_its_refusals_without_sending_the_refused_files():
    """A handler given the refused files makes the browser send them whole over the socket: a
    30 MB mockup dropped the connection and the page's state (the note typed, the tab open)."""
    from pathlib import Path

    ui = Path(__file__).resolve().parents[2] / "kontrol_app" / "ui"
    wired = {
        f"{path.relative_to(ui)}:{number}": line.split("on_drop_rejected=", 1)[1]
        for path in ui.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "on_drop_rejected=" in line
    }
    assert len(wired) >= 7  # every upload of the staff pages and the portal
    assert {where: how for where, how in wired.items() if not how.startswith("when_refused(")} == {}
