"""The "Approve by" date: the last day a client can approve artwork and still keep the job's due date.

approve-by = the due date minus the shop's production time (Settings -> Shop Info,
"Production time, business days"). Business days are Monday to Friday; there is no holiday
calendar, so a public holiday counts as a working day. "Today" is the date in the shop's
timezone (due dates are calendar days there; the database keeps times in UTC).

On the approve-by day itself the text still gives the date ("Approve by Apr 3 ..."), not
"today": the same words stay true in an email read later. From the next day on, approving
can no longer keep the due date, and the text says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from kontrol_app.models import Job
from kontrol_app.services.clock import shop_today
from kontrol_app.services.shop import get_shop

DEFAULT_PRODUCTION_DAYS = 7
PASSED = "Approving today moves your due date — we'll confirm a new one."


def business_days_before(day: date, days: int) -> date:
    """`days` working days (Mon–Fri) before `day`; 0 is the day itself, even on a weekend."""
    result = day
    left = max(0, days)
    while left:
        result -= timedelta(days=1)
        if result.weekday() < 5:
            left -= 1
    return result


def approve_by(due: date, production_days: int) -> date:
    return business_days_before(due, production_days)


def _day(day: date, today: date) -> str:
    """Like "Apr 3"; with the year when it is not this year ("Jan 5, 2027")."""
    text = f"{day:%b} {day.day}"
    return text if day.year == today.year else f"{text}, {day.year}"


def approve_by_text(due: date | None, production_days: int, today: date) -> str:
    """What the client reads: "" without a due date; the approve-by date while it can be
    kept (up to and including that day); after it, that the due date will move."""
    if due is None:
        return ""
    last = approve_by(due, production_days)
    if today > last:
        return PASSED
    return f"Approve by {_day(last, today)} to keep your {_day(due, today)} due date"


def _shop_rule(session: Session) -> tuple[int, str]:
    shop = get_shop(session)
    if shop is None:
        return DEFAULT_PRODUCTION_DAYS, "UTC"
    return shop.production_days, shop.timezone


def job_text(session: Session, job: Job, now: datetime | None = None) -> str:
    """The job's approve-by text today (in the shop's timezone); "" without a due date."""
    days, timezone = _shop_rule(session)
    return approve_by_text(job.due_date, days, shop_today(timezone, now))


def banner_text(session: Session, customer_id: int, job_ids: Iterable[int], now: datetime | None = None) -> str:
    """For the portal banner: the most urgent approve-by of the customer's jobs awaiting an
    answer (named when there are several); "" when none of them has a due date."""
    ids = [i for i in job_ids if isinstance(i, int)]
    if not ids:
        return ""
    jobs = session.exec(
        select(Job).where(Job.id.in_(ids), Job.customer_id == customer_id, Job.due_date.is_not(None))
    ).all()
    if not jobs:
        return ""
    days, timezone = _shop_rule(session)
    today = shop_today(timezone, now)
    job = min(jobs, key=lambda j: (approve_by(j.due_date, days), j.id))
    text = approve_by_text(job.due_date, days, today)
    return f"{job.title}: {text}" if len(ids) > 1 else text
