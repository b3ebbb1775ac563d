"""Reorder: a shipped or completed order of the customer's starts a new draft, pre-filled from
the order (item, sizes, decoration, placements, notes and its approved artwork) and marked
"Reorder of <the order's title>"; `guess_item_type` tells what an order was from its words."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, select

from kontrol_app.models import ApprovalRecord, Job, JobStatus, MockupVersion, QuoteDraft, QuoteRequest, StoredFile, utcnow
from kontrol_app.services.errors import Conflict, find
from kontrol_app.services.portal_view import PortalViewer, writing_contact
from kontrol_app.services.quotes.artwork import _drop_unused_uploads
from kontrol_app.services.quotes.choices import DECORATIONS, DELIVERY, ITEM_TYPES, JOB_DECORATION, ONE_SIZE, PLACEMENTS, SIZE_MODES
from kontrol_app.services.quotes.draft import PREVIEW, _decode, _draft_row
from kontrol_app.services.quotes.steps import _file_ids

REORDER_STATUSES = frozenset({JobStatus.SHIPPED.value, JobStatus.COMPLETED.value})
NO_ORDER = "That order does not exist."
# Words in a job's garment (or title) that say what it is; the first match wins.
_ITEM_WORDS = (
    ("hoodies", ("hoodie", "hoody", "hooded", "sweatshirt", "crewneck", "pullover")),
    ("polos", ("polo",)),
    ("tshirts", ("t-shirt", "tshirt", "t shirt", "tee", "shirt", "tank")),
    ("hats", ("hat", "cap", "beanie", "visor", "snapback", "trucker")),
    ("bags", ("bag", "tote", "backpack", "duffel", "drawstring")),
)
# A job's decoration as the form's answer (the job's Other is "not sure").
_FORM_DECORATION = {job.value: answer for answer, job in JOB_DECORATION.items() if answer != "not_sure"}


def guess_item_type(*texts: str) -> str:
    """ "Gildan 5000 tee" -> tshirts; "other" when nothing says."""
    for text in texts:
        words = (text or "").lower()
        for item, keys in _ITEM_WORDS:
            if any(re.search(rf"(?<![a-z]){re.escape(key)}s?(?![a-z])", words) for key in keys):
                return item
    return "other"


def _approved_artwork(session: Session, job: Job) -> int | None:
    """The original file of the job's newest approved (not withdrawn) mockup version, bound to
    the file the approval was given for."""
    records = session.exec(
        select(ApprovalRecord)
        .where(ApprovalRecord.job_id == job.id, ApprovalRecord.decision.in_(("approved", "approved_offline")), ApprovalRecord.version_id.is_not(None))
        .order_by(ApprovalRecord.id.desc())
    ).all()
    for record in records:
        version = session.get(MockupVersion, record.version_id)
        if version is None or version.job_id != job.id or version.withdrawn_at is not None:
            continue
        original = session.get(StoredFile, version.file_id)
        if original is not None and original.sha256 == record.sha256 and original.customer_id == job.customer_id:
            return original.id
    return None


def _answers_of(request: QuoteRequest | None) -> dict[str, Any]:
    try:
        answers = json.loads(request.answers) if request is not None else {}
    except ValueError:
        answers = {}
    return answers if isinstance(answers, dict) else {}


def start_reorder(session: Session, viewer: PortalViewer, job_id: int) -> None:
    """Replace the contact's draft with one pre-filled from a shipped or completed job of their
    customer: item, garment, colour, quantities (by size when the job came from a quote request,
    whose decoration, placements and notes come along too), the approved artwork, and
    "Reorder of <job title>". The draft opens at step 1. Another customer's job: not found."""
    writing_contact(session, viewer, PREVIEW)
    job = find(session, Job, job_id, NO_ORDER, customer_id=viewer.customer_id)
    if job.status not in REORDER_STATUSES:
        raise Conflict("Only a shipped or completed order can be reordered.")
    request = session.exec(
        select(QuoteRequest).where(QuoteRequest.job_id == job.id, QuoteRequest.customer_id == viewer.customer_id).order_by(QuoteRequest.id.desc())
    ).first()
    answers = _answers_of(request)
    what: dict[str, Any] = {
        "item_type": answers["item_type"] if answers.get("item_type") in ITEM_TYPES else guess_item_type(job.garment, job.title),
        "garment": job.garment,
        "colour": job.colour,
        "reorder_of": " ".join(job.title.split())[:200],
    }
    sizes = answers.get("quantities")
    if answers.get("size_mode") in SIZE_MODES and isinstance(sizes, dict) and sizes:
        what["size_mode"] = answers["size_mode"]
        what["quantities"] = {size: str(count) for size, count in sizes.items() if size in SIZE_MODES[answers["size_mode"]] and isinstance(count, int)}
    else:
        what["size_mode"] = "one"
        what["quantities"] = {ONE_SIZE[0]: str(job.quantity)} if job.quantity else {}
    placements = answers.get("placements") if isinstance(answers.get("placements"), dict) else {}
    approved = _approved_artwork(session, job)
    artwork: dict[str, Any] = {
        "decoration": answers["decoration"] if answers.get("decoration") in DECORATIONS else _FORM_DECORATION.get(job.decoration, "not_sure"),
        "placements": {key: str(count) for key, count in placements.items() if key in PLACEMENTS and isinstance(count, int)},
        "notes": answers.get("notes", "") if isinstance(answers.get("notes"), str) else "",
        "use_logo": answers.get("use_logo") is True,
        "file_ids": [approved] if approved is not None else [],
    }
    timing: dict[str, Any] = {}
    if answers.get("delivery") in DELIVERY:
        timing = {"delivery": answers["delivery"], "address": answers.get("address", "") if isinstance(answers.get("address"), str) else ""}
    # The draft is replaced (one at a time); files uploaded for the old one alone go.
    old = _draft_row(session, viewer)
    if old is not None:
        old_ids = _file_ids(_decode(old.data)["artwork"].get("file_ids")) or []
        session.exec(delete(QuoteDraft).where(QuoteDraft.id == old.id))
        _drop_unused_uploads(session, viewer, [i for i in old_ids if i != approved])
    session.add(
        QuoteDraft(
            customer_id=viewer.customer_id,
            contact_id=viewer.contact_id,
            step=1,
            data=json.dumps({"what": what, "artwork": artwork, "timing": timing}, separators=(",", ":")),
            updated_at=utcnow(),
        )
    )
    session.flush()
