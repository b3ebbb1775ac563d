"""Reminders about artwork awaiting approval (Settings -> Automations, issue 8 item 14), with a
clock the test controls, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select

from kontrol_app.models import EmailKind, Job, MockupVersion, OutboxEmail
from kontrol_app.services import mockups, reminders
from kontrol_app.services.errors import InvalidInput, NotAllowed
from tests.factories import make_staff
from tests.helpers.artwork import approve, artwork_customers, sent_version, upload
from tests.helpers.concurrency import all_at_once


@pytest.fixture
def shop(session, owner):
    """The same customers, contacts and jobs as the approval tests."""
    return artwork_customers(session, owner)


DAY = timedelta(days=1)


def turn_on(session, owner, days=2, times=3) -> None:
    reminders.save_settings(session, owner, enabled=True, days=days, times=times)
    session.commit()


def sent_at(session, version_id):
    session.expire_all()
    moment = session.get(MockupVersion, version_id).sent_at
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def reminder_emails(session) -> list[OutboxEmail]:
    session.expire_all()
    return session.exec(
        select(OutboxEmail).where(OutboxEmail.kind == EmailKind.APPROVAL_REMINDER).order_by(OutboxEmail.id)
    ).all()


def run(session, now) -> int:
    queued = reminders.send_due_reminders(session, now)
    session.commit()
    return queued


def test_settings_are_owner_only_and_checked(session, owner):
    assert reminders.get_settings(session) == reminders.ReminderSettings(False, 2, 3)
    member = make_staff(session, owner)
    with pytest.raises(NotAllowed, match="Only the shop owner"):
        reminders.save_settings(session, member, enabled=True, days=2, times=3)
    for days, times, field in [(0, 3, "reminder_days"), (31, 3, "reminder_days"), ("two", 3, "reminder_days"),
                               (2, 0, "reminder_times"), (2, 11, "reminder_times"), (2, "1.5", "reminder_times")]:
        with pytest.raises(InvalidInput) as refused:
            reminders.save_settings(session, owner, enabled=True, days=days, times=times)
        assert refused.value.field == field
    with pytest.raises(InvalidInput) as both:  # one Save names both boxes
        reminders.save_settings(session, owner, enabled=True, days=0, times=0)
    assert list(both.value.errors) == ["reminder_days", "reminder_times"]
    session.rollback()
    assert reminders.get_settings(session) == reminders.ReminderSettings(False, 2, 3)
    turn_on(session, owner, days=5, times=1)
    assert reminders.get_settings(session) == reminders.ReminderSettings(True, 5, 1)


def test_one_reminder_per_interval_to_every_contact_at_most_n_times(session, owner, shop):
    turn_on(session, owner, days=2, times=3)
    v1 = sent_version(session, owner, shop["job"])
    start = sent_at(session, v1.id)
    assert run(session, start + 2 * DAY - timedelta(seconds=1)) == 0  # not before the interval
    assert run(session, start + 2 * DAY) == 2  # Sarah and Tom; the contact without email gets none
    emails = reminder_emails(session)
    assert sorted(e.to_email for e in emails) == ["sarah@smith.example", "tom@smith.example"]
    assert {e.subject for e in emails} == {"Reminder: artwork awaiting your approval — Spring League T-Shirts"}
    assert all("Review the artwork" in e.html_body and f"?job={shop['job']}" in e.html_body for e in emails)
    assert all(f"?job={shop['job']}" in e.text_body and "2 days ago" in e.text_body for e in emails)
    assert run(session, start + 3 * DAY) == 0  # still the first interval
    assert run(session, start + 4 * DAY) == 2
    assert run(session, start + 6 * DAY) == 2
    assert run(session, start + 8 * DAY) == 0  # at most 3 times
    assert run(session, start + 30 * DAY) == 0
    assert len(reminder_emails(session)) == 6


def test_a_loop_that_was_down_sends_one_reminder_not_a_burst(session, owner, shop):
    turn_on(session, owner, days=1, times=5)
    v1 = sent_version(session, owner, shop["job"])
    assert run(session, sent_at(session, v1.id) + 4 * DAY) == 2
    assert run(session, sent_at(session, v1.id) + 4 * DAY + timedelta(hours=1)) == 0


def test_the_same_moment_twice_queues_once(session, owner, shop):
    turn_on(session, owner)
    v1 = sent_version(session, owner, shop["job"])
    now = sent_at(session, v1.id) + 2 * DAY
    assert run(session, now) == 2
    assert run(session, now) == 0
    assert len(reminder_emails(session)) == 2


def test_two_workers_at_once_queue_each_email_once(session, owner, shop):
    turn_on(session, owner)
    v1 = sent_version(session, owner, shop["job"])
    now = sent_at(session, v1.id) + 2 * DAY
    results = all_at_once(3, lambda s: reminders.send_due_reminders(s, now))
    if session.get_bind().dialect.name == "sqlite":
        # SQLite lets one writer in; a refused round (locked, or the key already taken) is
        # rolled back whole, queues nothing, and the next round finds the emails queued.
        results = [r for r in results if not isinstance(r, (OperationalError, IntegrityError))]
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 2
    assert sorted(e.to_email for e in reminder_emails(session)) == ["sarah@smith.example", "tom@smith.example"]


def test_off_sends_nothing(session, owner, shop):
    v1 = sent_version(session, owner, shop["job"])
    assert run(session, sent_at(session, v1.id) + 10 * DAY) == 0
    turn_on(session, owner)
    reminders.save_settings(session, owner, enabled=False, days=2, times=3)
    session.commit()
    assert run(session, sent_at(session, v1.id) + 10 * DAY) == 0
    assert reminder_emails(session) == []


def test_none_after_a_decision(session, owner, shop):
    turn_on(session, owner)
    v1 = sent_version(session, owner, shop["job"])
    start = sent_at(session, v1.id)
    assert run(session, start + 2 * DAY) == 2
    approve(session, shop, v1.id)
    assert run(session, start + 4 * DAY) == 0
    assert len(reminder_emails(session)) == 2


def test_none_after_revisions_requested(session, owner, shop):
    turn_on(session, owner)
    v1 = sent_version(session, owner, shop["job"])
    mockups.decide(session, shop["customer"], shop["sarah"], v1.id, decision="revisions", notes="Bigger logo")
    session.commit()
    assert run(session, sent_at(session, v1.id) + 2 * DAY) == 0


def test_none_after_withdrawal(session, owner, shop):
    turn_on(session, owner)
    v1 = sent_version(session, owner, shop["job"])
    mockups.withdraw_version(session, owner, v1.id)
    session.commit()
    assert run(session, sent_at(session, v1.id) + 2 * DAY) == 0


def test_a_newer_version_replaces_the_reminders(session, owner, shop):
    turn_on(session, owner)
    v1 = sent_version(session, owner, shop["job"])
    start = sent_at(session, v1.id)
    upload(session, owner, shop["job"])  # v2 uploaded, not sent yet: v1 is replaced all the same
    assert run(session, start + 2 * DAY) == 0
    assert reminder_emails(session) == []


def test_reminders_count_from_the_newer_sent_version(session, owner, shop):
    turn_on(session, owner)
    v1 = sent_version(session, owner, shop["job"])
    v2 = sent_version(session, owner, shop["job"], message="v2")
    assert run(session, sent_at(session, v2.id) + 2 * DAY) == 2
    assert all("v2 is still waiting" in e.text_body for e in reminder_emails(session))
    assert v1.id != v2.id


def test_none_for_a_closed_job(session, owner, shop):
    turn_on(session, owner)
    v1 = sent_version(session, owner, shop["job"])
    job = session.get(Job, shop["job"])
    job.status = "cancelled"
    session.add(job)
    session.commit()
    assert run(session, sent_at(session, v1.id) + 2 * DAY) == 0


def test_an_unsent_version_gets_no_reminder(session, owner, shop):
    turn_on(session, owner)
    upload(session, owner, shop["job"])
    assert run(session, session.exec(select(func.max(MockupVersion.created_at))).one().replace(tzinfo=UTC) + 9 * DAY) == 0


def test_the_background_loop_queues_due_reminders_with_the_real_clock(session, owner, shop):
    from kontrol_app import background

    turn_on(session, owner, days=2, times=3)
    v1 = sent_version(session, owner, shop["job"])
    assert background.queue_approval_reminders() == 0  # just sent
    version = session.get(MockupVersion, v1.id)
    version.sent_at = sent_at(session, v1.id) - 2 * DAY - timedelta(minutes=1)
    session.add(version)
    session.commit()
    assert background.queue_approval_reminders() == 2
    assert background.queue_approval_reminders() == 0
    assert len(reminder_emails(session)) == 2


def test_the_sender_loop_queues_reminders_as_it_runs(session, owner, shop):
    import asyncio

    from kontrol_app.background import outbox_sender

    turn_on(session, owner, days=1, times=1)
    v1 = sent_version(session, owner, shop["job"])
    version = session.get(MockupVersion, v1.id)
    version.sent_at = sent_at(session, v1.id) - 3 * DAY
    session.add(version)
    session.commit()

    async def run_briefly() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(outbox_sender(), timeout=1.5)

    asyncio.run(run_briefly())
    assert sorted(e.to_email for e in reminder_emails(session)) == ["sarah@smith.example", "tom@smith.example"]


def test_the_automations_card_loads_saves_and_shows_errors(session, owner):
    from kontrol_app.ui.staff.settings_automations import AutomationsState
    from tests.helpers.states import browser_tab, database_rows, run_handler, screen, staff_cookie

    page = screen(browser_tab(cookie=staff_cookie(session), path="/settings/automations"), AutomationsState)
    run_handler(page, "load")
    assert (page.reminders_on, page.reminder_days, page.reminder_times) == (False, "2", "3")
    run_handler(page, "set_reminders_on", True)
    run_handler(page, "set_reminder_days", "45")
    before = database_rows()
    run_handler(page, "save_reminders")
    assert page.errors == {"reminder_days": "Enter a whole number of days from 1 to 30."}
    assert database_rows() == before
    run_handler(page, "set_reminder_days", "4")
    run_handler(page, "set_reminder_times", "2")
    run_handler(page, "save_reminders")
    assert page.errors == {}
    session.expire_all()
    assert reminders.get_settings(session) == reminders.ReminderSettings(True, 4, 2)

    make_staff(session, owner)
    tab = screen(browser_tab(cookie=staff_cookie(session, "sam@example.com", "battery staple"), path="/settings/automations"), AutomationsState)
    run_handler(tab, "load")
    assert (tab.can_edit, tab.reminders_on, tab.reminder_days) == (False, True, "4")
    run_handler(tab, "set_reminders_on", False)
    run_handler(tab, "save_reminders")  # refused: only the owner changes automations
    session.expire_all()
    assert reminders.get_settings(session) == reminders.ReminderSettings(True, 4, 2)
