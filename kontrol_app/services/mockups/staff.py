"""The staff side: withdrawing a version, Send for Approval, recording an approval given
offline, and what the staff's Mockups tab shows (`job_mockups`)."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session

from kontrol_app.models import (
    ApprovalRecord,
    Customer,
    EmailKind,
    JobStatus,
    MockupVersion,
    StoredFile,
    utcnow,
)
from kontrol_app.services import approve_by, files, jobs, outbox
from kontrol_app.services.errors import InvalidInput, NotAllowed
from kontrol_app.services.mockups.checklist import _checklist
from kontrol_app.services.mockups.facts import _Facts, _current_approval, _facts, _version_label, _who
from kontrol_app.services.mockups.limits import APPROVALS, METHODS
from kontrol_app.services.mockups.locking import _lock_job, _version
from kontrol_app.services.mockups.showing import _pages, _record_view, _stored, _version_view
from kontrol_app.services.mockups.views import JobMockups
from kontrol_app.services.portal_links import portal_url
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.validation import clean_text


# --- staff ------------------------------------------------------------------------------------


def withdraw_version(session: Session, actor: StaffPrincipal, version_id: int) -> None:
    """Hide a mistaken version from the client; it stays in the record."""
    version = _version(session, version_id)
    _lock_job(session, version.job_id)
    done = session.exec(
        update(MockupVersion)
        .where(MockupVersion.id == version.id, MockupVersion.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow())
    ).rowcount
    session.expire(version)
    if done != 1:
        raise NotAllowed(f"{_version_label(version.number)} is already withdrawn.")


def send_for_approval(session: Session, actor: StaffPrincipal, version_id: int, *, message: str = "") -> int:
    """Email every contact of the customer, move the job to Awaiting Approval; older sent
    versions are replaced (they can no longer be decided). Returns how many emails were queued."""
    version = _version(session, version_id)
    job = _lock_job(session, version.job_id)
    message = clean_text(message, field="message", label="the message", max_length=2000, multiline=True)
    label = _version_label(version.number)
    session.refresh(version)
    if version.withdrawn_at is not None:
        raise NotAllowed(f"{label} was withdrawn: it can't be sent.")
    if version.sent_at is not None:
        raise NotAllowed(f"{label} was already sent.")
    if version.decided_at is not None:
        raise NotAllowed(f"{label} is already decided.")
    facts = _facts(session, job)
    current = facts.current()
    if current is None or current.id != version.id:
        raise NotAllowed(f"Only the newest version can be sent: {_version_label(current.number if current else None)}.")
    sent = session.exec(
        update(MockupVersion)
        .where(
            MockupVersion.id == version.id, MockupVersion.sent_at.is_(None), MockupVersion.withdrawn_at.is_(None),
            MockupVersion.decided_at.is_(None),
        )
        .values(sent_at=utcnow(), send_message=message)
    ).rowcount
    session.expire(version)
    if sent != 1:
        raise NotAllowed(f"{label} was already sent.")
    jobs.move_status(
        session, job.id, JobStatus.AWAITING_APPROVAL, changed_by=actor.name, staff_user_id=actor.id,
        note=f"{label} sent for approval",
    )
    customer = session.get(Customer, job.customer_id)
    contacts = outbox.contacts_to_email(session, job.customer_id)
    preview = session.get(StoredFile, version.preview_file_id) if version.preview_file_id else None
    data = {
        "job_title": job.title,
        "version_label": label,
        "message": message,
        "job_url": f"{portal_url(customer)}?job={job.id}",
    }
    if approve_by_text := approve_by.job_text(session, job):
        data["approve_by_text"] = approve_by_text
    # The preview goes with the email as a file: a link to it would need the portal's sign-in,
    # which an email client does not have (every client saw a broken image).
    attachment = (f"{job.title} {label} preview.png", files.blob_path(preview.sha256).read_bytes()) if preview is not None else None
    if attachment is not None:
        data["preview_name"] = attachment[0]
    queued = 0
    for contact in contacts:
        email = outbox.queue_email(
            session, kind=EmailKind.ARTWORK_READY, to=contact.email, data=data,
            dedupe_key=f"artwork-ready:{version.id}:{contact.id}", attachment=attachment,
        )
        queued += email is not None
    return queued


def record_offline_approval(
    session: Session, actor: StaffPrincipal, job_id: int, *, approved_by: str, method: str, note: str
) -> None:
    """Staff record an approval given by phone, in person or email (for the current version),
    or that the job needs no artwork. It is an approval record like a client's, by this staff
    member, and opens the approval gate."""
    job = _lock_job(session, job_id)
    approved_by = clean_text(approved_by, field="approved_by", label="who approved", max_length=120, required=True)
    if method not in METHODS:
        raise InvalidInput("Choose how the client approved: phone, in person, email, or no artwork needed.", "method")
    note = clean_text(note, field="note", label="the note", max_length=2000, multiline=True)
    facts = _facts(session, job)
    current = facts.current()
    if method == "no_artwork" and current is not None:
        raise InvalidInput(
            f"This job has artwork ({_version_label(current.number)}): choose how the client approved it.", "method"
        )
    if method != "no_artwork" and current is None:
        raise InvalidInput('There is no artwork to approve. Upload it first, or choose "No artwork needed".', "method")
    if _current_approval(session, facts) is not None:
        raise NotAllowed("The current artwork is already approved.")
    sha256 = ""
    if current is not None:
        sha256 = session.get(StoredFile, current.file_id).sha256
        # A request still open in the portal is answered now: the client can no longer decide it.
        session.exec(
            update(MockupVersion).where(MockupVersion.id == current.id, MockupVersion.decided_at.is_(None)).values(decided_at=utcnow())
        )
        session.expire(current)
    session.add(
        ApprovalRecord(
            job_id=job.id, version_id=current.id if current else None, version_number=current.number if current else None,
            sha256=sha256, decision="approved_offline", typed_name=approved_by, notes=note, checklist="[]",
            staff_user_id=actor.id, staff_name=actor.name, method=method, created_at=utcnow(),
        )
    )
    session.flush()
    if job.status in (JobStatus.ARTWORK, JobStatus.AWAITING_APPROVAL, JobStatus.REVISIONS_REQUESTED):
        how = METHODS[method]
        jobs.move_status(
            session, job.id, JobStatus.ART_APPROVED, changed_by=actor.name, staff_user_id=actor.id,
            note=f"Approved offline ({how}) by {approved_by}",
        )


def _approval_text(session: Session, facts: _Facts) -> tuple[bool, str]:
    approval = _current_approval(session, facts)
    current = facts.current()
    if approval is not None:
        when = facts.when(approval.created_at)
        if current is None:
            return True, f"No artwork needed — approved offline by {approval.typed_name} on {when}"
        how = " (offline)" if approval.decision == "approved_offline" else ""
        return True, f"{_version_label(current.number)} approved{how} by {_who(approval)} on {when}"
    if current is not None:
        earlier = next(
            (r for r in reversed(facts.records) if r.decision in APPROVALS and r.version_id not in (None, current.id)), None
        )
        if earlier is not None:
            return False, f"{_version_label(current.number)} is not approved: {_version_label(earlier.version_number)} was"
    return False, "Not approved yet"


def job_mockups(session: Session, actor: StaffPrincipal, job_id: int) -> JobMockups:
    job = jobs.get_job(session, job_id)
    facts = _facts(session, job)
    stored = _stored(session, facts.versions)
    approved, approval_text = _approval_text(session, facts)
    pages = _pages(session, [v.id for v in facts.versions])
    versions = [_version_view(facts, v, stored, pages) for v in reversed(facts.versions)]
    previews = {v.id: v.preview_url for v in versions}  # a record's pins are shown on its version's preview
    return JobMockups(
        versions=versions,
        records=[_record_view(facts, r, previews) for r in reversed(facts.records)],
        checklist=_checklist(session, job.id),
        approved=approved,
        approval_text=approval_text,
    )
