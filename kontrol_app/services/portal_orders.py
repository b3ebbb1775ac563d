"""Portal -> Active Orders: a customer's jobs as cards with a status timeline.

Always scoped by the customer id of the signed-in session, and a fixed number of
queries however many jobs there are (jobs, their history, the shop).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session

from kontrol_app.db import compiled_once
from kontrol_app.models import Job, JobStatusChange
from kontrol_app.services import mockups, statuses
from kontrol_app.services.clock import shop_zone
from kontrol_app.services.errors import NotFound
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.services.shop import shop_timezone
from kontrol_app.services.tracking import CARRIER_LABELS, tracking_url
from kontrol_app.services.validation import browser_int


@dataclass(frozen=True)
class TimelineStep:
    label: str
    state: str  # "done", "current" or "next"
    when: str  # "Apr 12" when the job reached it, else ""


@dataclass(frozen=True)
class PortalJob:
    id: int
    title: str
    pieces: str  # "144 pcs"
    due: str  # "Due Apr 12"
    status: str
    status_label: str
    status_color: str
    progress: int
    steps: list[TimelineStep]
    side_note: str  # a sentence beside the timeline when the job is off the pipeline (SIDE_NOTES)
    tracking_number: str
    tracking_carrier: str
    tracking_url: str
    garment: str
    colour: str


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(value: date) -> str:
    """"Apr 12" (every timeline step shows one: no strftime)."""
    return f"{_MONTHS[value.month - 1]} {value.day}"


# What a client reads beside the timeline of a job off the pipeline (statuses.SIDE_STATES).
SIDE_NOTES: dict[str, str] = {
    statuses.JobStatus.REVISIONS_REQUESTED.value: "Changes to the artwork were requested: the shop is preparing a new version.",
    statuses.JobStatus.ON_HOLD.value: "This order is on hold.",
    statuses.JobStatus.DECLINED.value: "This order was declined and will not go ahead.",
    statuses.JobStatus.CANCELLED.value: "This order was cancelled.",
}
# The timeline's steps as plain strings, read once (an enum's `.value` is a slow lookup).
_TIMELINE = [(step.value, statuses.label(step)) for step in statuses.PIPELINE]


def _cards(jobs: list[Sequence], changes: list[Sequence], timezone: str) -> list[PortalJob]:
    """`jobs`: rows starting with `_CARD_COLUMNS`; `changes`: (job_id, to_status, created_at),
    oldest first. Rows are unpacked once: a Row's attribute costs about a microsecond."""
    zone = shop_zone(timezone)
    reached: dict[tuple[int, str], datetime] = {}
    history: dict[int, set[str]] = {}
    for job_id, to_status, created_at in changes:  # oldest first, so the latest entry into a status wins
        reached[(job_id, to_status)] = created_at
        history.setdefault(job_id, set()).add(to_status)
    cards = []
    for row in jobs:
        job_id, title, quantity, due_date, status, carrier, number, garment, colour = row[:_CARD_WIDTH]
        done = history.get(job_id, ())
        index = statuses.pipeline_position(status, done)
        completed = status == statuses.JobStatus.COMPLETED
        steps = []
        for position, (value, label) in enumerate(_TIMELINE):
            state = "done" if position < index or completed else "current" if position == index else "next"
            moment = reached.get((job_id, value)) if state != "next" else None
            steps.append(TimelineStep(label, state, _day(moment.astimezone(zone).date()) if moment else ""))
        cards.append(
            PortalJob(
                id=job_id,
                title=title,
                pieces=f"{quantity:,} pcs",
                due=f"Due {_day(due_date)}" if due_date else "",
                status=status,
                status_label=statuses.label(status),
                status_color=statuses.COLORS.get(status, "gray"),
                progress=statuses.progress_percent(status, done),
                steps=steps,
                side_note=SIDE_NOTES.get(status, ""),
                tracking_number=number,
                tracking_carrier=CARRIER_LABELS.get(carrier, ""),
                tracking_url=tracking_url(carrier, number),
                garment=garment,
                colour=colour,
            )
        )
    return cards


# Built once (Core, only the columns a card shows): the portal's hot paths. `_cards` unpacks
# rows in this order.
_CARD_COLUMNS = (
    Job.id, Job.title, Job.quantity, Job.due_date, Job.status, Job.tracking_carrier, Job.tracking_number, Job.garment, Job.colour,
)
_CARD_WIDTH = len(_CARD_COLUMNS)
_CHANGE_COLUMNS = (JobStatusChange.job_id, JobStatusChange.to_status, JobStatusChange.created_at)
_ORDER_CHANGE_END = _CARD_WIDTH + len(_CHANGE_COLUMNS)  # an `_ORDER_QUERY` row: card, then change columns
_CHANGES_QUERY = sa_select(*_CHANGE_COLUMNS).where(JobStatusChange.job_id.in_(bindparam("job_ids", expanding=True))).order_by(JobStatusChange.id)
# One job with its history in one statement: a row per change (one with no change: a job
# without history), each both the job's card columns and a change (`job_id`, `to_status`,
# `created_at`), oldest change first; and whether artwork is out for approval on it.
_ORDER_QUERY = compiled_once(
    sa_select(*_CARD_COLUMNS, *_CHANGE_COLUMNS, mockups.PROOF_SENT.label("proof_sent"))
    .outerjoin(JobStatusChange, JobStatusChange.job_id == Job.id)
    .where(Job.id == bindparam("job_id"), Job.customer_id == bindparam("customer_id"))
    .order_by(JobStatusChange.id)
)


def _changes_for(session: Session, job_ids: list[int]) -> list[Row]:
    """(job_id, to_status, created_at) rows, oldest first."""
    if not job_ids:
        return []
    return list(session.connection().execute(_CHANGES_QUERY, {"job_ids": job_ids}).all())


def customer_orders(session: Session, customer_id: int, *, past: bool = False) -> list[PortalJob]:
    """Active orders (or past ones: Completed, Declined, Cancelled), due soonest first."""
    closed = [s.value for s in statuses.CLOSED]
    query = sa_select(*_CARD_COLUMNS).where(Job.customer_id == customer_id)
    query = query.where(Job.status.in_(closed) if past else Job.status.not_in(closed))
    order = (Job.updated_at.desc(),) if past else (Job.due_date.is_(None), Job.due_date, Job.id)
    jobs = list(session.connection().execute(query.order_by(*order).limit(200)).all())
    return _cards(jobs, _changes_for(session, [job[0] for job in jobs]), shop_timezone(session))


def _order(session: Session, customer_id: int, job_id: int, timezone: str | None) -> tuple[PortalJob, bool]:
    """One job of this customer, and whether artwork is out for approval on it."""
    rows = session.connection().execute(_ORDER_QUERY, {"job_id": job_id, "customer_id": customer_id}).all()
    if not rows:
        raise NotFound("Not found.")
    changes = [change for change in (row[_CARD_WIDTH:_ORDER_CHANGE_END] for row in rows) if change[1] is not None]
    return _cards(rows[:1], changes, timezone or shop_timezone(session))[0], rows[0].proof_sent


def customer_order(session: Session, customer_id: int, job_id: int, *, timezone: str | None = None) -> PortalJob:
    """One job of this customer; any other id answers "not found". `timezone`: the shop's, when
    the caller has it already (the portal's re-check reads it)."""
    return _order(session, customer_id, job_id, timezone)[0]


@dataclass(frozen=True)
class Opening:
    """What opening one job shows: its card (None: not this customer's) and the artwork sent
    for approval on it (a mockups.PortalProof, or None)."""

    job: PortalJob | None
    proof: mockups.PortalProof | None


def opening(session: Session, viewer: PortalViewer, job_id: Any) -> Opening:
    """The portal's "View details", read in the same trip as the session re-check. `job_id`
    is whatever the browser sent."""
    job_id = browser_int(job_id)
    if job_id is None:
        return Opening(None, None)
    try:
        job, proof_sent = _order(session, viewer.customer_id, job_id, viewer.timezone)
        return Opening(job, mockups.portal_proof(session, viewer.customer_id, job_id) if proof_sent else None)
    except NotFound:
        return Opening(None, None)
