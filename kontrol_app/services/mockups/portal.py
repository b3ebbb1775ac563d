"""The portal's side: the jobs awaiting the client's approval, the version the client is asked
about (`portal_proof`) and the gate `PROOF_SENT`."""

from __future__ import annotations

from sqlalchemy import bindparam, exists
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from kontrol_app.models import Job, MockupVersion
from kontrol_app.services import approve_by, files, statuses
from kontrol_app.services.errors import NotFound, find
from kontrol_app.services.mockups.checklist import _checklist
from kontrol_app.services.mockups.facts import _Facts, _facts, _state, _version_label
from kontrol_app.services.mockups.limits import APPROVALS, NOT_IN_PORTAL
from kontrol_app.services.mockups.showing import _page_urls, _pages, _stored
from kontrol_app.services.mockups.views import PortalProof


# --- portal -----------------------------------------------------------------------------------


def awaiting_approval(session: Session, customer_id: int) -> list[tuple[int, str]]:
    """(job id, title) of the customer's open jobs whose newest sent version awaits a decision."""
    newer = aliased(MockupVersion)
    rows = session.exec(
        select(Job.id, Job.title)
        .join(MockupVersion, MockupVersion.job_id == Job.id)
        .where(
            Job.customer_id == customer_id,
            Job.status.not_in([s.value for s in statuses.CLOSED]),
            MockupVersion.sent_at.is_not(None),
            MockupVersion.withdrawn_at.is_(None),
            MockupVersion.decided_at.is_(None),
            ~exists().where(newer.job_id == MockupVersion.job_id, newer.number > MockupVersion.number, newer.sent_at.is_not(None)),
        )
        .order_by(MockupVersion.sent_at, Job.id)
    ).all()
    return [(job_id, title) for job_id, title in rows]


def _own_job(session: Session, customer_id: int, job_id: int) -> Job:
    return find(session, Job, job_id, NOT_IN_PORTAL, customer_id=customer_id)


def _approval_id(facts: _Facts, version: MockupVersion) -> int:
    record = facts.last_record(version.id)
    return record.id if record is not None and record.decision in APPROVALS else 0


# Built once (Core): whose job it is, and whether anything was sent. Most jobs a client opens
# have nothing sent, and this one query says so.
# Whether artwork is out for approval on a job (correlated with `Job`): the portal's gate.
PROOF_SENT = exists().where(MockupVersion.job_id == Job.id, MockupVersion.sent_at.is_not(None), MockupVersion.withdrawn_at.is_(None))
_PROOF_GATE = sa_select(Job.customer_id, PROOF_SENT).where(Job.id == bindparam("job_id"))


def portal_proof(session: Session, customer_id: int, job_id: int) -> PortalProof | None:
    """The version the client is asked about (the newest sent, not withdrawn), or None."""
    gate = session.connection().execute(_PROOF_GATE, {"job_id": job_id}).first() if isinstance(job_id, int) else None
    if gate is None or gate[0] != customer_id:
        raise NotFound(NOT_IN_PORTAL)
    if not gate[1]:
        return None
    job = _own_job(session, customer_id, job_id)
    facts = _facts(session, job)
    shown = next((v for v in reversed(facts.versions) if v.sent_at is not None and v.withdrawn_at is None), None)
    if shown is None:
        return None
    stored = _stored(session, [shown])
    original = stored[shown.file_id]
    preview = stored.get(shown.preview_file_id) if shown.preview_file_id else None
    preview_url = files.url_for(preview) if preview is not None else ""
    state, text = _state(facts, shown, for_client=True)
    can_decide = state == "sent" and job.status not in statuses.CLOSED
    if state == "sent" and not can_decide:
        text = "This job is closed."
    return PortalProof(
        job_id=job.id,
        version_id=shown.id,
        label=_version_label(shown.number),
        preview_url=preview_url,
        file_url=files.url_for(original, download=True),
        page_count=original.page_count or 0,
        message=shown.send_message,
        checklist=_checklist(session, job.id),
        can_decide=can_decide,
        decided_text="" if can_decide else text,
        record_id=_approval_id(facts, shown) if state == "approved" else 0,
        approve_by_text=approve_by.job_text(session, job) if can_decide else "",
        page_urls=_page_urls(shown, preview_url, _pages(session, [shown.id])),
    )
