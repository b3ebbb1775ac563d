"""The draft: one per contact, kept on the server, with what was typed on each step as strings,
valid or not ("Back keeps what was typed"); loading and saving it step by step, keeping an
artwork file for it and adding it to step 2 or taking it off, and starting over. Only the
signed-in client writes it: a preview is refused."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from kontrol_app.models import QuoteDraft, StoredFile, utcnow
from kontrol_app.services import files
from kontrol_app.services.errors import InvalidInput
from kontrol_app.services.portal_view import PortalViewer, writing_contact
from kontrol_app.services.quotes.artwork import ARTWORK_KIND, ArtworkFile, _artwork_file, _drop_unused_uploads
from kontrol_app.services.quotes.steps import MAX_FILES, REVIEW_STEP, STEPS, StepCheck, _file_ids, check_step

MAX_DRAFT_CHARS = 50_000  # the JSON of one draft: far above anything typed, far below abuse
PREVIEW = "Preview is read-only: sign in as the client to request a quote."


@dataclass(frozen=True)
class Draft:
    step: int  # 1-3, or 4 for the review
    data: dict[str, dict]  # "what", "artwork", "timing": as typed


def _decode(text: str) -> dict[str, dict]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        value = {}
    value = value if isinstance(value, dict) else {}
    return {key: value[key] if isinstance(value.get(key), dict) else {} for key in STEPS}


def _draft_row(session: Session, viewer: PortalViewer) -> QuoteDraft | None:
    return session.exec(select(QuoteDraft).where(QuoteDraft.contact_id == viewer.contact_id, QuoteDraft.customer_id == viewer.customer_id)).first()


def load_draft(session: Session, viewer: PortalViewer) -> Draft:
    """The contact's draft; an empty one at step 1 when there is none (nothing is written)."""
    row = _draft_row(session, viewer) if viewer.contact_id is not None else None
    if row is None:
        return Draft(1, {key: {} for key in STEPS})
    return Draft(min(max(row.step, 1), REVIEW_STEP), _decode(row.data))


def save_draft(session: Session, viewer: PortalViewer, step: int, data: dict, *, go_to: int | None = None) -> StepCheck:
    """Keep what was typed on `step` (valid or not) and say what is wrong with it. With
    `go_to`, the draft moves there: backwards always, forwards only when this step is valid."""
    writing_contact(session, viewer, PREVIEW)  # never write across customers
    if step not in (1, 2, 3):
        raise InvalidInput("There is no such step.", "step")
    if not isinstance(data, dict):
        raise InvalidInput("The form could not be read — reload the page.", "step")
    check = check_step(session, viewer.customer_id, step, data)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # Two tabs may start the same contact's draft at once: the unique contact makes one row.
    session.exec(
        insert(QuoteDraft)
        .values(customer_id=viewer.customer_id, contact_id=viewer.contact_id, step=1, data="{}", updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["contact_id"])
    )
    row = _draft_row(session, viewer)
    stored = _decode(row.data)
    if step == 1:  # "Reorder of" is set by start_reorder only: kept from the draft, never typed
        data = {key: value for key, value in data.items() if key != "reorder_of"}
        if stored["what"].get("reorder_of"):
            data["reorder_of"] = stored["what"]["reorder_of"]
    stored[STEPS[step - 1]] = data
    text = json.dumps(stored, separators=(",", ":"))
    if len(text) > MAX_DRAFT_CHARS:
        raise InvalidInput("That is more than the form can keep — shorten the notes.", "notes")
    row.data = text
    if go_to is not None and 1 <= go_to <= REVIEW_STEP and (go_to <= step or check.ok):
        row.step = go_to
    else:
        row.step = row.step or step
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return check


def upload_artwork(session: Session, viewer: PortalViewer, source: Any, name: str = "") -> StoredFile:
    """Keep one artwork file for the contact's request (images, PDF, AI, EPS, SVG, PSD, ZIP);
    its id goes into the draft's `file_ids`. A refused file raises InvalidInput (field "files")."""
    contact_id = writing_contact(session, viewer, PREVIEW).id
    return files.store(
        session,
        source,
        kind=ARTWORK_KIND,
        allowed=files.ARTWORK,
        customer_id=viewer.customer_id,
        created_by_contact_id=contact_id,
        original_name=name or None,
        field="files",
    )


def start_over(session: Session, viewer: PortalViewer) -> None:
    """Clear the contact's draft (the one at a time), and the files uploaded for it alone."""
    contact_id = writing_contact(session, viewer, PREVIEW).id
    row = _draft_row(session, viewer)
    session.exec(delete(QuoteDraft).where(QuoteDraft.contact_id == contact_id))
    if row is not None:
        _drop_unused_uploads(session, viewer, _file_ids(_decode(row.data)["artwork"].get("file_ids")) or [])


def add_artwork(session: Session, viewer: PortalViewer, source: Any, name: str, data: dict) -> tuple[ArtworkFile, StepCheck]:
    """Keep one uploaded file and add it to step 2 of the draft (`data`: step 2 as typed now),
    in one transaction. A refused file raises InvalidInput (field "files"); nothing is kept."""
    try:
        data = dict(data) if isinstance(data, dict) else {}
        ids = _file_ids(data.get("file_ids")) or []
        if len(ids) >= MAX_FILES:
            raise InvalidInput(f"Attach up to {MAX_FILES} files.", "files")
        row = upload_artwork(session, viewer, source, name)
    finally:
        if isinstance(source, files.Received):
            source.discard()  # store() has moved or dropped it; refused before store(): gone too
    data["file_ids"] = [*ids, row.id]
    return _artwork_file(row), save_draft(session, viewer, 2, data)


def remove_artwork(session: Session, viewer: PortalViewer, file_id: int, data: dict) -> StepCheck:
    """Take a file off step 2 (`data`: step 2 as typed now); one uploaded for it alone is deleted."""
    data = dict(data) if isinstance(data, dict) else {}
    data["file_ids"] = [i for i in (_file_ids(data.get("file_ids")) or []) if i != file_id]
    check = save_draft(session, viewer, 2, data)
    if isinstance(file_id, int) and not isinstance(file_id, bool):
        _drop_unused_uploads(session, viewer, [file_id])
    return check
