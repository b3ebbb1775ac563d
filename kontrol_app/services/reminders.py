"""Reminders about artwork awaiting approval (Settings -> Automations, issue 8 item 14).

A version sent for approval and not yet answered gets reminder n at `sent_at + n * days`
(n = 1 .. max), one email per contact with an address. `send_due_reminders` is called by
the background loop of every worker: each email carries the outbox's unique
`dedupe_key` "approval-reminder:<version>:<n>:<contact>", so two workers racing (or one
calling twice) queue it once. A loop that was down for several intervals sends only the
latest due reminder, not a burst.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from kontrol_app.models import Customer, EmailKind, Job, MockupVersion, Shop
from kontrol_app.services import approve_by, outbox
from kontrol_app.services.errors import Checks, InvalidInput
from kontrol_app.services.permissions import require_owner
from kontrol_app.services.portal_links import portal_url
from kontrol_app.services.shop import get_shop
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.statuses import CLOSED

DAYS_RANGE = (1, 30)
TIMES_RANGE = (1, 10)


@dataclass(frozen=True)
class ReminderSettings:
    enabled: bool
    days: int
    times: int


def get_settings(session: Session) -> ReminderSettings:
    shop = get_shop(session)
    if shop is None:
        return ReminderSettings(False, 2, 3)
    return ReminderSettings(bool(shop.approval_reminders), shop.approval_reminder_days, shop.approval_reminder_max)


def _whole(value: object, low: int, high: int, what: str, field: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(f"Enter a whole number of {what} from {low} to {high}.", field) from None
    if not low <= number <= high:
        raise InvalidInput(f"Enter a whole number of {what} from {low} to {high}.", field)
    return number


def save_settings(session: Session, actor: StaffPrincipal, *, enabled: bool, days: object, times: object) -> ReminderSettings:
    require_owner(actor, "change automations")
    checks = Checks()  # both boxes at once
    days_n = checks(_whole, days, *DAYS_RANGE, "days", "reminder_days")
    times_n = checks(_whole, times, *TIMES_RANGE, "times", "reminder_times")
    checks.done()
    shop = get_shop(session)
    if shop is None:
        raise InvalidInput("Set up the shop first (Settings -> Shop).", "reminder_days")
    shop.approval_reminders, shop.approval_reminder_days, shop.approval_reminder_max = bool(enabled), days_n, times_n
    session.add(shop)
    session.flush()
    return ReminderSettings(shop.approval_reminders, days_n, times_n)


def _awaiting(session: Session) -> list[tuple[MockupVersion, Job]]:
    """Versions sent, unanswered, not withdrawn, of open jobs, with no newer live version."""
    rows = session.exec(
        select(MockupVersion, Job)
        .join(Job, Job.id == MockupVersion.job_id)
        .where(
            MockupVersion.sent_at.is_not(None),
            MockupVersion.decided_at.is_(None),
            MockupVersion.withdrawn_at.is_(None),
            Job.status.not_in([s.value for s in CLOSED]),
        )
        .order_by(MockupVersion.id)
    ).all()
    result = []
    for version, job in rows:
        latest = session.exec(
            select(MockupVersion.number)
            .where(MockupVersion.job_id == job.id, MockupVersion.withdrawn_at.is_(None))
            .order_by(MockupVersion.number.desc())
            .limit(1)
        ).first()
        if latest == version.number:  # a newer version (sent or not) replaces this one
            result.append((version, job))
    return result


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def send_due_reminders(session: Session, now: datetime) -> int:
    """Queue the reminders due at `now` in the caller's transaction; the number queued."""
    shop: Shop | None = get_shop(session)
    if shop is None or not shop.approval_reminders:
        return 0
    interval = timedelta(days=shop.approval_reminder_days)
    now = _aware(now)
    queued = 0
    for version, job in _awaiting(session):
        waited = now - _aware(version.sent_at)
        n = min(shop.approval_reminder_max, int(waited / interval))
        if n < 1:
            continue
        customer = session.get(Customer, job.customer_id)
        contacts = outbox.contacts_to_email(session, job.customer_id)
        data: dict[str, object] = {
            "job_title": job.title,
            "version_label": f"v{version.number}",
            "days_waiting": waited.days,
            "job_url": f"{portal_url(customer)}?job={job.id}",
        }
        if approve_by_text := approve_by.job_text(session, job, now):
            data["approve_by_text"] = approve_by_text
        for contact in contacts:
            key = f"approval-reminder:{version.id}:{n}:{contact.id}"
            queued += _queue_once(session, contact.email, data, key)
    return queued


def _queue_once(session: Session, to: str, data: dict[str, object], key: str, kind: str = EmailKind.APPROVAL_REMINDER) -> int:
    """1 when this call queued the email, 0 when it was queued before (by any worker).
    Invoice reminders (services/invoice_reminders.py) queue theirs through here too."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite admits one writer at a time: a worker that raced another is refused at its
        # write (locked, or the unique key), its whole round rolls back and the next round
        # sees the emails queued. (pysqlite's SAVEPOINT would commit early, so none here.)
        return int(outbox.queue_email(session, kind=kind, to=to, data=data, dedupe_key=key) is not None)
    # A savepoint per email: when another worker queued the same key first, the unique
    # constraint refuses ours and only this email is rolled back.
    try:
        with session.begin_nested():
            email = outbox.queue_email(session, kind=kind, to=to, data=data, dedupe_key=key)
    except IntegrityError:
        return 0
    return int(email is not None)
