"""The checklist: the points the client must tick before approving, set by the staff."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, select

from kontrol_app.models import ChecklistItem
from kontrol_app.services.errors import InvalidInput
from kontrol_app.services.mockups.limits import MAX_CHECKLIST_ITEMS, MAX_CHECKLIST_TEXT
from kontrol_app.services.mockups.locking import _lock_job
from kontrol_app.services.staff import StaffPrincipal


def set_checklist(session: Session, actor: StaffPrincipal, job_id: int, items: list[str]) -> list[str]:
    """The points the client must tick before approving (replaces the list; blanks dropped)."""
    _lock_job(session, job_id)
    cleaned = []
    for item in items or []:
        for line in str(item).splitlines():
            text = " ".join(line.split())
            if not text:
                continue
            if len(text) > MAX_CHECKLIST_TEXT:
                raise InvalidInput(f"Keep each point under {MAX_CHECKLIST_TEXT} characters.", "checklist")
            cleaned.append(text)
    if len(cleaned) > MAX_CHECKLIST_ITEMS:
        raise InvalidInput(f"Keep the checklist to {MAX_CHECKLIST_ITEMS} points or fewer.", "checklist")
    session.exec(delete(ChecklistItem).where(ChecklistItem.job_id == job_id))
    for position, text in enumerate(cleaned):
        session.add(ChecklistItem(job_id=job_id, position=position, text=text))
    session.flush()
    return cleaned


def _checklist(session: Session, job_id: int) -> list[str]:
    return list(
        session.exec(select(ChecklistItem.text).where(ChecklistItem.job_id == job_id).order_by(ChecklistItem.position)).all()
    )
