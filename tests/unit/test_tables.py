"""phone_columns(): which columns of a staff list a phone hides (the browser test,
tests/e2e/test_phone_width.py, shows the lists then fit 390 px)."""

from __future__ import annotations

import pytest

from kontrol_app.ui.components.tables import PHONE, phone_columns

HEADERS = ["Invoice", "Customer", "Job", "Total", "Balance", "Due", "Status"]


def test_a_phone_hides_every_column_but_the_kept_ones():
    [(selector, style)] = [(k, v) for k, v in phone_columns(HEADERS, ("Invoice", "Customer", "Balance", "Status"))[PHONE].items() if k != "& .rt-Badge, & .rt-Button"]
    assert style == {"display": "none"}
    assert selector == "& th:nth-child(3), & td:nth-child(3), & th:nth-child(4), & td:nth-child(4), & th:nth-child(6), & td:nth-child(6)"


def test_no_kept_columns_means_all_of_them_and_badges_and_buttons_still_wrap():
    assert phone_columns(HEADERS, ()) == {PHONE: {"& .rt-Badge, & .rt-Button": {"white_space": "normal", "height": "auto"}}}


def test_a_kept_column_the_table_does_not_have_is_refused():
    # A typo would otherwise hide the column it meant to keep.
    with pytest.raises(ValueError, match="Custmer"):
        phone_columns(HEADERS, ("Invoice", "Custmer"))
