"""A job's versions and records read once (`_Facts`), each version's state in words, and the
approval gate's question `current_approved`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from kontrol_app.models import ApprovalRecord, Job, MockupVersion, StoredFile
from kontrol_app.services.clock import shop_time
from kontrol_app.services.mockups.limits import APPROVALS, METHODS
from kontrol_app.services.shop import shop_timezone


# --- reading the state of a job's versions --------------------------------------------------------


def _version_label(number: int | None) -> str:
    return f"v{number}" if number else ""


@dataclass
class _Facts:
    """Everything about one job's versions, read once."""

    job: Job
    versions: list[MockupVersion]  # by number
    records: list[ApprovalRecord]  # by id
    timezone: str

    def last_record(self, version_id: int) -> ApprovalRecord | None:
        return next((r for r in reversed(self.records) if r.version_id == version_id), None)

    def current(self) -> MockupVersion | None:
        """The job's artwork now: the newest version not withdrawn."""
        return next((v for v in reversed(self.versions) if v.withdrawn_at is None), None)

    def replaced_by(self, version: MockupVersion) -> MockupVersion | None:
        newer = [v for v in self.versions if v.number > version.number]
        if version.sent_at is not None:
            sent = [v for v in newer if v.sent_at is not None]
            return sent[-1] if sent else None
        alive = [v for v in newer if v.withdrawn_at is None]
        return alive[-1] if alive else None

    def when(self, moment: datetime | None) -> str:
        return shop_time(moment, self.timezone)


def _facts(session: Session, job: Job) -> _Facts:
    versions = list(session.exec(select(MockupVersion).where(MockupVersion.job_id == job.id).order_by(MockupVersion.number)).all())
    records = list(session.exec(select(ApprovalRecord).where(ApprovalRecord.job_id == job.id).order_by(ApprovalRecord.id)).all())
    return _Facts(job, versions, records, shop_timezone(session))


def _who(record: ApprovalRecord) -> str:
    return record.typed_name or record.contact_name or record.contact_email or "the client"


def _decided_text(facts: _Facts, record: ApprovalRecord, *, for_client: bool = False) -> str:
    when = facts.when(record.created_at)
    if record.decision == "approved_offline":
        if for_client:
            return f"Approved by {_who(record)} on {when}"
        return f"Approved offline by {_who(record)} ({METHODS.get(record.method, record.method)}) on {when}"
    if record.decision == "approved":
        return f"Approved by {_who(record)} on {when}"
    name = record.contact_name or record.contact_email or "the client"
    if record.decision == "revisions":
        return f"Revisions requested by {name} on {when}"
    return f"Declined by {name} on {when}"


def _state(facts: _Facts, version: MockupVersion, *, for_client: bool = False) -> tuple[str, str]:
    if version.withdrawn_at is not None:
        return "withdrawn", f"Withdrawn on {facts.when(version.withdrawn_at)}"
    record = facts.last_record(version.id)
    if record is not None:
        state = "approved" if record.decision in APPROVALS else record.decision
        return state, _decided_text(facts, record, for_client=for_client)
    newer = facts.replaced_by(version)
    if newer is not None:
        return "replaced", f"This version was replaced by {_version_label(newer.number)}"
    if version.sent_at is not None:
        return "sent", "Awaiting the client"
    return "draft", "Not sent yet"


def _is_approval_of(record: ApprovalRecord | None, version: MockupVersion, sha256: str) -> bool:
    return record is not None and record.decision in APPROVALS and record.sha256 == sha256 and record.version_id == version.id


def _current_approval(session: Session, facts: _Facts) -> ApprovalRecord | None:
    """The record that approves the job's current artwork (or its lack of artwork), if any."""
    current = facts.current()
    if current is None:
        return next(
            (r for r in reversed(facts.records)
             if r.version_id is None and r.decision == "approved_offline" and r.method == "no_artwork"),
            None,
        )
    original = session.get(StoredFile, current.file_id)
    record = facts.last_record(current.id)
    return record if _is_approval_of(record, current, original.sha256 if original else "") else None


def current_approved(session: Session, job_id: int) -> bool:
    """The approval gate (Art Approved, In Production): the job's current version (the newest
    not withdrawn) is approved, bound to its file's SHA-256; or, with no version, an offline
    "no artwork needed" record."""
    job = session.get(Job, job_id)
    if job is None:
        return False
    return _current_approval(session, _facts(session, job)) is not None


def awaiting_answer(session: Session, job_id: int) -> bool:
    """The job's current artwork was sent and the client has not answered it yet: what
    Awaiting Approval means (it is reached by Send for Approval, never set by hand without it)."""
    job = session.get(Job, job_id)
    current = _facts(session, job).current() if job is not None else None
    return current is not None and current.sent_at is not None and current.decided_at is None
