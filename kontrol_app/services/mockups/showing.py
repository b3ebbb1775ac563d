"""How versions and records are shown: a version's view (its files, page previews and state)
and an approval record's summary with its checklist and pins."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from kontrol_app.models import ApprovalRecord, MockupPage, MockupVersion, StoredFile
from kontrol_app.services import files
from kontrol_app.services.mockups.facts import _Facts, _state, _version_label
from kontrol_app.services.mockups.limits import METHODS
from kontrol_app.services.mockups.views import RecordView, VersionView, size_text


def _page_urls(version: MockupVersion, preview_url: str, pages: dict[int, list[StoredFile]]) -> tuple[str, ...]:
    """A PDF's page previews; a version from before pages were kept (or an image): its preview."""
    rendered = pages.get(version.id) or []
    if rendered:
        return tuple(files.url_for(row) for row in rendered)
    return (preview_url,) if preview_url else ()


def _pages(session: Session, version_ids: list[int]) -> dict[int, list[StoredFile]]:
    """By version id: its page previews' files, page 1 first."""
    if not version_ids:
        return {}
    rows = session.exec(
        select(MockupPage.version_id, StoredFile)
        .join(StoredFile, StoredFile.id == MockupPage.preview_file_id)
        .where(MockupPage.version_id.in_(version_ids))
        .order_by(MockupPage.version_id, MockupPage.page_number)
    ).all()
    found: dict[int, list[StoredFile]] = {}
    for version_id, row in rows:
        found.setdefault(version_id, []).append(row)
    return found


def _version_view(
    facts: _Facts, version: MockupVersion, stored: dict[int, StoredFile], pages: dict[int, list[StoredFile]] | None = None
) -> VersionView:
    original = stored[version.file_id]
    preview = stored.get(version.preview_file_id) if version.preview_file_id else None
    preview_url = files.url_for(preview) if preview is not None else ""
    state, state_text = _state(facts, version)
    return VersionView(
        id=version.id,
        number=version.number,
        label=_version_label(version.number),
        file_name=original.original_name,
        size_text=size_text(original.size),
        sha256=original.sha256,
        preview_url=preview_url,
        file_url=files.url_for(original, download=True),
        page_count=original.page_count or 0,
        note=version.note,
        uploaded_by=version.uploaded_by,
        uploaded_at=facts.when(version.created_at),
        state=state,
        state_text=state_text,
        page_urls=_page_urls(version, preview_url, pages or {}),
    )


def _stored(session: Session, versions: list[MockupVersion]) -> dict[int, StoredFile]:
    ids = {v.file_id for v in versions} | {v.preview_file_id for v in versions if v.preview_file_id}
    if not ids:
        return {}
    return {row.id: row for row in session.exec(select(StoredFile).where(StoredFile.id.in_(ids))).all()}


def _record_view(facts: _Facts, record: ApprovalRecord, previews: dict[int, str] | None = None) -> RecordView:
    when = facts.when(record.created_at)
    fingerprint = f" — {_version_label(record.version_number)}, SHA-256 {record.sha256[:8]}…" if record.version_number else ""
    if record.decision == "approved_offline":
        if record.method == "no_artwork":
            summary = f"No artwork needed — approved offline by {record.typed_name}, recorded by {record.staff_name} on {when}"
        else:
            summary = (
                f"Approved offline by {record.typed_name} ({METHODS.get(record.method, record.method)}), "
                f"recorded by {record.staff_name} on {when}{fingerprint}"
            )
    else:
        verb = {"approved": "Approved", "revisions": "Revisions requested", "declined": "Declined"}[record.decision]
        who = record.typed_name or record.contact_name or "the client"
        if record.typed_name and record.contact_name and record.typed_name.casefold() != record.contact_name.casefold():
            who = f"{record.typed_name}, signed in as {record.contact_name}"
        email = f" ({record.contact_email})" if record.contact_email else ""
        summary = f"{verb} by {who}{email} on {when}{fingerprint}"
    try:
        ticks = [(str(item["text"]), bool(item["ticked"])) for item in json.loads(record.checklist or "[]")]
    except (ValueError, TypeError, KeyError):
        ticks = []
    pins = _read_pins(record.pins)
    return RecordView(
        summary=summary, decision=record.decision, notes=record.notes, checklist=ticks, id=record.id,
        pins=pins, preview_url=(previews or {}).get(record.version_id, "") if pins else "",
    )


def _read_pins(text: str) -> tuple[tuple[float, float, str], ...]:
    try:
        return tuple((float(p["x"]), float(p["y"]), str(p["note"])) for p in json.loads(text or "[]"))
    except (ValueError, TypeError, KeyError):
        return ()
