"""Job statuses: the pipeline clients see as a timeline, the side states, and their labels."""

from __future__ import annotations

from collections.abc import Collection

from kontrol_app.models import JobStatus

PIPELINE: list[JobStatus] = [
    JobStatus.QUOTE,
    JobStatus.ARTWORK,
    JobStatus.AWAITING_APPROVAL,
    JobStatus.ART_APPROVED,
    JobStatus.IN_PRODUCTION,
    JobStatus.READY,
    JobStatus.SHIPPED,
    JobStatus.COMPLETED,
]
SIDE_STATES: list[JobStatus] = [
    JobStatus.REVISIONS_REQUESTED,
    JobStatus.ON_HOLD,
    JobStatus.DECLINED,
    JobStatus.CANCELLED,
]
ALL_STATUSES: list[JobStatus] = PIPELINE + SIDE_STATES
# Active = not Completed, Declined or Cancelled.
CLOSED: frozenset[JobStatus] = frozenset({JobStatus.COMPLETED, JobStatus.DECLINED, JobStatus.CANCELLED})
ACTIVE: list[JobStatus] = [s for s in ALL_STATUSES if s not in CLOSED]

LABELS: dict[str, str] = {
    JobStatus.QUOTE: "Quote",
    JobStatus.ARTWORK: "Artwork",
    JobStatus.AWAITING_APPROVAL: "Awaiting Approval",
    JobStatus.ART_APPROVED: "Art Approved",
    JobStatus.IN_PRODUCTION: "In Production",
    JobStatus.READY: "Ready",
    JobStatus.SHIPPED: "Shipped",
    JobStatus.COMPLETED: "Completed",
    JobStatus.REVISIONS_REQUESTED: "Revisions Requested",
    JobStatus.ON_HOLD: "On Hold",
    JobStatus.DECLINED: "Declined",
    JobStatus.CANCELLED: "Cancelled",
}
COLORS: dict[str, str] = {
    JobStatus.QUOTE: "gray",
    JobStatus.ARTWORK: "purple",
    JobStatus.AWAITING_APPROVAL: "amber",
    JobStatus.ART_APPROVED: "cyan",
    JobStatus.IN_PRODUCTION: "blue",
    JobStatus.READY: "teal",
    JobStatus.SHIPPED: "indigo",
    JobStatus.COMPLETED: "green",
    JobStatus.REVISIONS_REQUESTED: "orange",
    JobStatus.ON_HOLD: "gray",
    JobStatus.DECLINED: "red",
    JobStatus.CANCELLED: "red",
}


def label(status: str) -> str:
    return LABELS.get(status, status)


def from_value(value: str) -> JobStatus | None:
    """The status a screen sent (always the value, never the label shown)."""
    return next((status for status in ALL_STATUSES if status.value == value), None)


def next_status(status: str) -> JobStatus | None:
    """The next pipeline step (one click on the board); side states resume where it makes sense.
    Artwork's is Art Approved: Awaiting Approval comes with Send for Approval (the Mockups tab),
    and a job approved offline goes straight on (the approval gate refuses one not approved).
    Awaiting Approval has none: the client's answer (or an offline approval) moves it."""
    if status == JobStatus.REVISIONS_REQUESTED:
        return JobStatus.ARTWORK
    if status == JobStatus.ARTWORK:
        return JobStatus.ART_APPROVED
    if status == JobStatus.AWAITING_APPROVAL:
        return None
    if status in PIPELINE and status != JobStatus.COMPLETED:
        return PIPELINE[PIPELINE.index(JobStatus(status)) + 1]
    return None


def pipeline_position(status: str, reached: Collection[str] = ()) -> int:
    """The pipeline step a job stands on. Revisions go back to Artwork; the other side states
    show how far the job got before it: the furthest pipeline step in `reached` (its history)."""
    if status == JobStatus.REVISIONS_REQUESTED:
        status = JobStatus.ARTWORK
    if status in PIPELINE:
        return PIPELINE.index(JobStatus(status))
    steps = [position for position, step in enumerate(PIPELINE) if step.value in reached]
    return steps[-1] if steps else 0


def progress_percent(status: str, reached: Collection[str] = ()) -> int:
    """How far along the pipeline a job is: the client's progress bar."""
    return round(100 * pipeline_position(status, reached) / (len(PIPELINE) - 1))
