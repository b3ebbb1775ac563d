"""Reminders of unpaid invoices (Settings -> Automations, issue 9 item 8), with a clock the test
controls, in the shop's timezone, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select

from kontrol_app.models import EmailKind, Invoice, InvoiceEvent, OutboxEmail
from kontrol_app.services import invoice_reminders, invoices
from kontrol_app.services.clock import shop_today
from kontrol_app.services.errors import InvalidInput, NotAllowed
from kontrol_app.services.shop import get_shop
from tests.factories import make_invoice, make_staff
from tests.helpers.artwork import artwork_customers
from tests.helpers.concurrency import all_at_once

ZONE = "America/New_York"


@pytest.fixture
def shop(session, owner):
    """Smith Embroidery with Sarah and Tom (emails) and a contact without one, in New York."""
    world = artwork_customers(session, owner)
    row = get_shop(session)
    row.timezone = ZONE
    session.add(row)
    session.commit()
    return world


def turn_on(session, owner, before="3", after="1, 7, 14") -> None:
    invoice_reminders.save_settings(session, owner, enabled=True, before_days=before, after_days=after)
    session.commit()


def sent_invoice(session, owner, job_id, due: date) -> int:
    """A sent invoice of $125.00 due on `due` (sent now, by the real send)."""
    return make_invoice(session, owner, job_id, send=True, due_date=due.isoformat())


def at(day: date, hour: int) -> datetime:
    """`hour` o'clock in New York on `day`, as the UTC moment the loop passes."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def run(session, now: datetime) -> int:
    queued = invoice_reminders.send_due_invoice_reminders(session, now)
    session.commit()
    return queued


def reminders(session) -> list[OutboxEmail]:
    session.expire_all()
    return list(session.exec(select(OutboxEmail).where(OutboxEmail.kind == EmailKind.INVOICE_REMINDER).order_by(OutboxEmail.id)).all())


def history(session, invoice_id: int) -> list[str]:
    session.expire_all()
    return [
        e.text
        for e in session.exec(
            select(InvoiceEvent).where(InvoiceEvent.invoice_id == invoice_id, InvoiceEvent.kind == "reminder").order_by(InvoiceEvent.id)
        ).all()
    ]


def today() -> date:
    return shop_today(ZONE)


def test_settings_are_owner_only_and_checked(session, owner):
    assert invoice_reminders.get_settings(session) == invoice_reminders.InvoiceReminderSettings(False, 3, [1, 7, 14])
    member = make_staff(session, owner)
    with pytest.raises(NotAllowed, match="Only the shop owner"):
        invoice_reminders.save_settings(session, member, enabled=True, before_days="3", after_days="1")
    for before, after, field in [
        ("-1", "1", "invoice_before_days"),
        ("61", "1", "invoice_before_days"),
        ("two", "1", "invoice_before_days"),
        ("2.5", "1", "invoice_before_days"),
        ("3", "1, seven", "invoice_after_days"),
        ("3", "0, 7", "invoice_after_days"),
        ("3", "366", "invoice_after_days"),
        ("3", "1,,7", "invoice_after_days"),
        ("3", "1.5", "invoice_after_days"),
        ("3", ",".join(str(d) for d in range(1, 12)), "invoice_after_days"),
        ("0", "", "invoice_after_days"),  # on, but never
    ]:
        with pytest.raises(InvalidInput) as refused:
            invoice_reminders.save_settings(session, owner, enabled=True, before_days=before, after_days=after)
        assert refused.value.field == field, (before, after)
        assert refused.value.message
    with pytest.raises(InvalidInput) as both:  # one Save names both boxes
        invoice_reminders.save_settings(session, owner, enabled=True, before_days="x", after_days="seven")
    assert list(both.value.errors) == ["invoice_before_days", "invoice_after_days"]
    session.rollback()
    assert invoice_reminders.get_settings(session) == invoice_reminders.InvoiceReminderSettings(False, 3, [1, 7, 14])
    saved = invoice_reminders.save_settings(session, owner, enabled=True, before_days=" 5 ", after_days="30; 2, 2 ,10")
    session.commit()
    assert saved == invoice_reminders.InvoiceReminderSettings(True, 5, [2, 10, 30])
    assert invoice_reminders.get_settings(session) == saved and saved.after_text == "2, 10, 30"
    invoice_reminders.save_settings(session, owner, enabled=False, before_days="0", after_days="")
    session.commit()
    assert invoice_reminders.get_settings(session) == invoice_reminders.InvoiceReminderSettings(False, 0, [])


def test_before_and_after_the_due_date_once_each_to_every_contact(session, owner, shop):
    turn_on(session, owner)
    due = today() + timedelta(days=20)
    invoice_id = sent_invoice(session, owner, shop["job"], due)
    number = session.get(Invoice, invoice_id).number
    assert run(session, at(due - timedelta(days=4), 23)) == 0  # not yet
    assert run(session, at(due - timedelta(days=3), 0)) == 2  # Sarah and Tom; the contact without email gets none
    emails = reminders(session)
    assert sorted(e.to_email for e in emails) == ["sarah@smith.example", "tom@smith.example"]
    assert all(number in e.subject and "$125.00" in e.text_body and f"?invoice={invoice_id}" in e.text_body for e in emails)
    assert all(e.dedupe_key.startswith(f"invoice-reminder:{invoice_id}:-3:") for e in emails)
    assert history(session, invoice_id) == ["Reminder sent (due in 3 days)"]
    assert run(session, at(due - timedelta(days=3), 18)) == 0  # the same day again
    assert run(session, at(due, 12)) == 0  # due today: the -3 reminder went out already
    # 1 day after, in New York: at 11 pm on the due day it is already the next day in UTC.
    assert run(session, at(due, 23)) == 0
    assert run(session, at(due + timedelta(days=1), 0)) == 2
    assert run(session, at(due + timedelta(days=6), 12)) == 0
    assert run(session, at(due + timedelta(days=7), 9)) == 2
    assert run(session, at(due + timedelta(days=14), 9)) == 2
    assert run(session, at(due + timedelta(days=60), 9)) == 0  # 14 was the last
    assert len(reminders(session)) == 8
    assert history(session, invoice_id) == [
        "Reminder sent (due in 3 days)",
        "Reminder sent (1 day overdue)",
        "Reminder sent (7 days overdue)",
        "Reminder sent (14 days overdue)",
    ]
    overdue = [e for e in reminders(session) if e.dedupe_key.startswith(f"invoice-reminder:{invoice_id}:7:")]
    assert len(overdue) == 2 and all("overdue" in e.subject and "7 days" in e.text_body for e in overdue)


def test_a_loop_that_was_down_sends_the_latest_reminder_not_a_burst(session, owner, shop):
    turn_on(session, owner)
    due = today() + timedelta(days=20)
    invoice_id = sent_invoice(session, owner, shop["job"], due)
    assert run(session, at(due + timedelta(days=9), 12)) == 2
    assert {e.dedupe_key.split(":")[2] for e in reminders(session)} == {"7"}
    assert run(session, at(due + timedelta(days=10), 12)) == 0
    assert history(session, invoice_id) == ["Reminder sent (9 days overdue)"]


def test_paid_and_void_invoices_get_no_more_reminders(session, owner, shop):
    turn_on(session, owner)
    due = today() + timedelta(days=20)
    paid = sent_invoice(session, owner, shop["job"], due)
    partly = sent_invoice(session, owner, shop["job"], due)
    void = sent_invoice(session, owner, shop["job"], due)
    assert run(session, at(due - timedelta(days=3), 9)) == 6
    invoices.record_payment(session, owner, paid, amount="125.00", method="cash")
    invoices.record_payment(session, owner, partly, amount="25.00", method="check")
    invoices.void_invoice(session, owner, void, reason="Duplicate")
    session.commit()
    assert run(session, at(due + timedelta(days=1), 9)) == 2  # only the partly paid one
    latest = [e for e in reminders(session) if e.dedupe_key.startswith(f"invoice-reminder:{partly}:1:")]
    assert len(latest) == 2 and all("$100.00" in e.text_body for e in latest)
    assert history(session, paid) == history(session, void) == ["Reminder sent (due in 3 days)"]


def test_off_or_draft_or_no_due_date_sends_nothing(session, owner, shop):
    due = today() + timedelta(days=20)
    sent_invoice(session, owner, shop["job"], due)
    assert run(session, at(due + timedelta(days=1), 9)) == 0  # off by default
    turn_on(session, owner)
    invoice_reminders.save_settings(session, owner, enabled=False, before_days="3", after_days="1")
    session.commit()
    assert run(session, at(due + timedelta(days=1), 9)) == 0
    turn_on(session, owner)
    draft = make_invoice(session, owner, shop["job"], due_date=due.isoformat())
    assert run(session, at(due + timedelta(days=1), 9)) == 2  # the sent one only
    assert not history(session, draft)


def test_a_reminder_day_on_or_before_the_sending_day_is_skipped(session, owner, shop):
    turn_on(session, owner)
    due = today() + timedelta(days=1)  # sent today, due tomorrow: "3 days before" has passed
    invoice_id = sent_invoice(session, owner, shop["job"], due)
    assert run(session, at(today(), 23)) == 0
    assert run(session, at(due, 12)) == 0
    assert run(session, at(due + timedelta(days=1), 9)) == 2
    assert history(session, invoice_id) == ["Reminder sent (1 day overdue)"]


def test_two_workers_at_once_queue_each_email_and_history_line_once(session, owner, shop):
    turn_on(session, owner)
    due = today() + timedelta(days=20)
    invoice_id = sent_invoice(session, owner, shop["job"], due)
    now = at(due + timedelta(days=1), 9)
    results = all_at_once(3, lambda s: invoice_reminders.send_due_invoice_reminders(s, now))
    if session.get_bind().dialect.name == "sqlite":
        # One writer at a time: a refused round is rolled back whole and queues nothing.
        results = [r for r in results if not isinstance(r, (OperationalError, IntegrityError))]
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 2
    assert sorted(e.to_email for e in reminders(session)) == ["sarah@smith.example", "tom@smith.example"]
    assert history(session, invoice_id) == ["Reminder sent (1 day overdue)"]
