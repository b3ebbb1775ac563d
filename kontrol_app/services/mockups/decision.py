"""The client's decision: Approve, Request Revisions (with pins on the preview, `clean_pins`)
or Decline, recorded once, and why a version can no longer be decided."""

from __future__ import annotations

import json

from sqlalchemy import exists, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from kontrol_app.models import ApprovalRecord, CustomerContact, Job, JobStatus, MockupVersion, StoredFile, utcnow
from kontrol_app.services import jobs, notifications, outbox, statuses
from kontrol_app.services.errors import InvalidInput, NotAllowed, NotFound, find
from kontrol_app.services.mockups.checklist import _checklist
from kontrol_app.services.mockups.facts import _Facts, _facts, _state, _version_label, _who
from kontrol_app.services.mockups.limits import APPROVALS, DECISIONS, MAX_PINS, MAX_PIN_NOTE, NOT_IN_PORTAL
from kontrol_app.services.mockups.locking import _lock_job
from kontrol_app.services.validation import clean_text


def clean_pins(pins) -> list[dict]:
    """Pins on the preview: x and y are fractions of its width and height (0..1), each with a note."""
    pins = list(pins or ())
    if len(pins) > MAX_PINS:
        raise InvalidInput(f"Place at most {MAX_PINS} pins.", "pins")
    cleaned = []
    for number, pin in enumerate(pins, start=1):
        try:
            x, y = float(pin["x"]), float(pin["y"])
        except (TypeError, KeyError, ValueError):
            raise InvalidInput(f"Pin {number} is not on the preview.", "pins") from None
        if not (0 <= x <= 1 and 0 <= y <= 1):  # also refuses NaN
            raise InvalidInput(f"Pin {number} is not on the preview.", "pins")
        note = clean_text(str(pin.get("note") or ""), field="pins", label=f"pin {number}'s note", max_length=MAX_PIN_NOTE)
        if not note:
            raise InvalidInput(f"Say what should change at pin {number}.", "pins")
        cleaned.append({"x": round(x, 4), "y": round(y, 4), "note": note})
    return cleaned


def _already(facts: _Facts, version: MockupVersion) -> NotAllowed:
    """Why this version can no longer be decided."""
    if version.withdrawn_at is not None:
        return NotAllowed("This version was withdrawn.")
    record = facts.last_record(version.id)
    if record is not None:
        who = _who(record) if record.decision in APPROVALS else (record.contact_name or record.contact_email or "the client")
        if record.decision in APPROVALS:
            return NotAllowed(f"Already approved by {who}")
        if record.decision == "revisions":
            return NotAllowed(f"Revisions were already requested by {who}")
        return NotAllowed(f"Already declined by {who}")
    newer = facts.replaced_by(version)
    if newer is not None:
        return NotAllowed(f"This version was replaced by {_version_label(newer.number)}")
    if facts.job.status in statuses.CLOSED:
        return NotAllowed("This job is closed.")
    return NotAllowed("This version can no longer be decided.")


def decide(
    session: Session,
    customer_id: int,
    contact_id: int,
    version_id: int,
    *,
    decision: str,
    typed_name: str = "",
    agreed: bool = False,
    ticked: list[int] = (),
    notes: str = "",
    ip: str = "",
    user_agent: str = "",
    pins: list[dict] = (),
) -> str:
    """The client's answer to the version they were sent: an immutable approval record, and
    the job moves (Art Approved, Revisions Requested or Declined). Returns the confirmation.
    A Request Revisions may carry numbered `pins` on the preview ({"x", "y", "note"})."""
    version = session.get(MockupVersion, version_id) if isinstance(version_id, int) else None
    job = session.get(Job, version.job_id) if version is not None else None
    if version is None or job is None or job.customer_id != customer_id or version.sent_at is None:
        raise NotFound(NOT_IN_PORTAL)  # drafts do not exist for the client
    contact = find(session, CustomerContact, contact_id, NOT_IN_PORTAL, customer_id=customer_id)
    if decision not in DECISIONS:
        raise InvalidInput("Choose Approve, Request Revisions or Decline.", "decision")

    facts = _facts(session, job)
    state, _ = _state(facts, version)
    if state != "sent" or job.status in statuses.CLOSED:
        raise _already(facts, version)

    checklist = _checklist(session, job.id)
    ticks = {int(i) for i in (ticked or ()) if isinstance(i, int) or str(i).isdigit()}
    typed = ""
    if decision == "approved":
        typed = clean_text(typed_name, field="typed_name", label="your full name", max_length=120)
        if sum(ch.isalpha() for ch in typed) < 2:  # "D" or "." is no one's name on a record
            raise InvalidInput("Type your full name.", "typed_name")
        if agreed is not True:
            raise InvalidInput('Tick "I approve this artwork for production".', "agreed")
        if not set(range(len(checklist))) <= ticks:
            raise InvalidInput("Tick every point before approving.", "checklist")
        notes = clean_text(notes, field="notes", label="your notes", max_length=2000, multiline=True)
    else:
        notes = clean_text(notes, field="notes", label="your notes", max_length=2000, multiline=True)
        if not notes:
            raise InvalidInput("Say what should change." if decision == "revisions" else "Say why you decline.", "notes")
    if pins and decision != "revisions":
        raise InvalidInput("Pins go with Request Revisions.", "pins")
    pins = clean_pins(pins)

    # One winner: the job's row is locked, and the claim matches only an open, newest request.
    _lock_job(session, job.id)
    newer = aliased(MockupVersion)
    now = utcnow()
    claimed = session.exec(
        update(MockupVersion)
        .where(
            MockupVersion.id == version.id,
            MockupVersion.decided_at.is_(None),
            MockupVersion.withdrawn_at.is_(None),
            MockupVersion.sent_at.is_not(None),
            ~exists().where(newer.job_id == version.job_id, newer.number > version.number, newer.sent_at.is_not(None)),
        )
        .values(decided_at=now)
    ).rowcount
    if claimed != 1:
        session.expire_all()
        job = session.get(Job, version.job_id)
        raise _already(_facts(session, job), session.get(MockupVersion, version.id))

    original = session.get(StoredFile, version.file_id)
    label = _version_label(version.number)
    session.add(
        ApprovalRecord(
            job_id=job.id, version_id=version.id, version_number=version.number, sha256=original.sha256,
            decision=decision, typed_name=typed, notes=notes,
            checklist=json.dumps([{"text": text, "ticked": i in ticks} for i, text in enumerate(checklist)]),
            pins=json.dumps(pins),
            contact_id=contact.id, contact_name=contact.name, contact_email=contact.email or "",
            ip=(ip or "")[:64], user_agent=(user_agent or "")[:500], created_at=now,
        )
    )
    session.flush()
    target = {"approved": JobStatus.ART_APPROVED, "revisions": JobStatus.REVISIONS_REQUESTED, "declined": JobStatus.DECLINED}
    history = {"approved": f"{label} approved by {typed}", "revisions": f"{label}: {notes}", "declined": f"{label} declined: {notes}"}
    jobs.move_status(
        session, job.id, target[decision], changed_by=contact.name or contact.email or "Client", staff_user_id=None,
        note=outbox.clip(history[decision], 1000),
    )
    # The staff bell and the shop's email, in this same transaction (a refused decision has neither).
    who = contact.name or contact.email or "The client"
    did = {"approved": f"{who} approved {label}", "revisions": f"{who} requested revisions on {label}", "declined": f"{who} declined {label}"}
    notifications.notify(
        session, kind=decision, title=f"{did[decision]} of {job.title}", subject=f"{did[decision]} — {job.title}",
        body=notes, link=f"/jobs/{job.id}", job_id=job.id,
    )
    if decision == "approved":
        return f"Thank you — {label} is approved. We'll start production."
    if decision == "revisions":
        return "Thanks — we'll make the changes and send you a new version."
    return f"Your answer is recorded: {label} declined."
