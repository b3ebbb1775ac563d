"""What the pages get: a version, an approval record, the staff's Mockups tab (`JobMockups`) and
the portal's proof (`PortalProof`), and `size_text` for a file's size."""

from __future__ import annotations

from dataclasses import dataclass


# --- views ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionView:
    id: int
    number: int
    label: str  # "v2"
    file_name: str
    size_text: str  # "1.2 MB"
    sha256: str
    preview_url: str  # the preview image (files route), "" if none
    file_url: str  # the original, as a download
    page_count: int  # 0 for images
    note: str
    uploaded_by: str
    uploaded_at: str  # shop time text
    state: str  # draft | sent | replaced | withdrawn | approved | revisions | declined
    state_text: str
    # Page by page (a PDF's first MAX_PREVIEW_PAGES pages); else just the preview; () if none.
    page_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordView:
    summary: str
    decision: str
    notes: str
    checklist: list[tuple[str, bool]]
    id: int = 0  # the record's id (its certificate: /api/approvals/<id>/certificate.pdf)
    pins: tuple[tuple[float, float, str], ...] = ()  # (x, y, note), numbered 1.. in this order
    preview_url: str = ""  # the decided version's preview, for showing the pins on it


@dataclass(frozen=True)
class JobMockups:
    versions: list[VersionView]  # newest first
    records: list[RecordView]  # newest first
    checklist: list[str]
    approved: bool
    approval_text: str


@dataclass(frozen=True)
class PortalProof:
    job_id: int
    version_id: int
    label: str
    preview_url: str
    file_url: str
    page_count: int
    message: str
    checklist: list[str]
    can_decide: bool  # sent, newest sent, not withdrawn, not decided
    decided_text: str
    record_id: int = 0  # the approval record of the shown version (its certificate), 0 while not approved
    approve_by_text: str = ""  # "Approve by Apr 3 to keep your Apr 12 due date" while it awaits an answer
    page_urls: tuple[str, ...] = ()  # page by page (PDF), else just the preview; () if none


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
