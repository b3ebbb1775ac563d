"""Settings -> Automations in a real browser: "Remind clients about artwork awaiting approval
after [2] days, at most [3] times" is switched on, saved and kept across a reload; a bad
number is refused next to its field and changes nothing."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from kontrol_app.models import Shop

from .pages import field_of, staff_page_live, toast

DAYS_MESSAGE = "Enter a whole number of days from 1 to 30."
TIMES_MESSAGE = "Enter a whole number of times from 1 to 10."


def _saved(db_session) -> tuple[bool, int, int]:
    with db_session() as session:
        shop = session.exec(select(Shop)).one()
        return bool(shop.approval_reminders), shop.approval_reminder_days, shop.approval_reminder_max


def _type(box, value: str) -> None:
    box.fill(value)
    box.press("Tab")  # the debounced box sends on blur


def test_reminders_are_switched_on_saved_and_kept(shop, page, sign_in_as, db_session):
    assert _saved(db_session) == (False, 2, 3)
    sign_in_as(page, shop, "/settings/automations")
    staff_page_live(page, shop.name)
    card = page.locator("#approval-reminders")
    switch = card.get_by_role("switch", name="Remind clients about artwork awaiting approval")
    days, times = card.locator("input[name=reminder_days]"), card.locator("input[name=reminder_times]")
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(days).to_have_value("2")
    expect(times).to_have_value("3")

    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    _type(days, "5")
    _type(times, "4")
    card.get_by_role("button", name="Save reminders").click()
    expect(toast(page, "Approval reminders on: every 5 day(s), at most 4 time(s).")).to_be_visible()
    assert _saved(db_session) == (True, 5, 4)

    page.reload()
    staff_page_live(page, shop.name)
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(days).to_have_value("5")
    expect(times).to_have_value("4")
    expect(card.get_by_role("alert")).to_have_count(0)


def test_a_bad_number_is_refused_next_to_its_field_and_changes_nothing(shop, page, sign_in_as, db_session):
    sign_in_as(page, shop, "/settings/automations")
    staff_page_live(page, shop.name)
    card = page.locator("#approval-reminders")
    switch = card.get_by_role("switch", name="Remind clients about artwork awaiting approval")
    days, times = card.locator("input[name=reminder_days]"), card.locator("input[name=reminder_times]")
    save = card.get_by_role("button", name="Save reminders")
    expect(days).to_have_value("2")

    # A good save first, so "changes nothing" is measured against real saved values.
    switch.click()
    _type(days, "3")
    save.click()
    expect(toast(page, "Approval reminders on: every 3 day(s), at most 3 time(s).")).to_be_visible()
    assert _saved(db_session) == (True, 3, 3)

    # Then: switched off, 0 days and 7 times. Refused as a whole: nothing of it is kept.
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "false")
    _type(days, "0")
    _type(times, "7")
    save.click()
    days_error = field_of(page, "reminder_days").get_by_role("alert")
    expect(days_error).to_have_text(DAYS_MESSAGE)
    expect(days).to_have_attribute("aria-invalid", "true")
    expect(field_of(page, "reminder_times").get_by_role("alert")).to_have_count(0)
    assert _saved(db_session) == (True, 3, 3)

    # An empty box: the same message, still nothing saved.
    _type(days, "")
    save.click()
    expect(days_error).to_have_text(DAYS_MESSAGE)
    assert _saved(db_session) == (True, 3, 3)

    # Too many times: its own field says so.
    _type(days, "4")
    _type(times, "11")
    save.click()
    expect(field_of(page, "reminder_times").get_by_role("alert")).to_have_text(TIMES_MESSAGE)
    expect(field_of(page, "reminder_days").get_by_role("alert")).to_have_count(0)
    assert _saved(db_session) == (True, 3, 3)

    # A reload shows what is saved, not what was refused.
    page.reload()
    staff_page_live(page, shop.name)
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(days).to_have_value("3")
    expect(times).to_have_value("3")
