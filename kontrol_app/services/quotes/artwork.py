"""The form's artwork files: their kind (read by the customer's own contacts and the staff), receiving
one upload, the draft's files as the form shows them, and deleting the uploads nothing uses any
more. Keeping one for the draft, adding it to step 2 or taking it off: draft.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists
from sqlmodel import Session, select

from kontrol_app.models import JobFile, QuoteRequestFile, StoredFile
from kontrol_app.services import files
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.services.quotes.steps import MAX_FILES, _file_ids

ARTWORK_KIND = "quote_artwork"
files.register_reader(ARTWORK_KIND, files.staff_or_own_customer)  # the customer's own contacts and the staff


@dataclass(frozen=True)
class ArtworkFile:
    """A file of the draft as the form shows it (through the private files route): images and
    PDFs open in the browser, AI/EPS/SVG/PSD/ZIP only download."""

    id: int
    name: str
    label: str  # "PNG", "AI", ...
    url: str
    download_url: str
    image: bool
    pdf: bool


def _artwork_file(row: StoredFile) -> ArtworkFile:
    inline = files.shown_inline(row)
    return ArtworkFile(
        row.id,
        row.original_name,
        files.type_label(row.file_type),
        files.url_for(row),
        files.url_for(row, download=True),
        inline and row.file_type in files.IMAGES,
        inline and row.file_type == "pdf",
    )


def draft_files(session: Session, viewer: PortalViewer, file_ids: Any) -> list[ArtworkFile]:
    """The files named by a draft that are this customer's, in the draft's order."""
    ids = (_file_ids(file_ids) or [])[:MAX_FILES]
    if not ids:
        return []
    rows = {row.id: row for row in session.exec(select(StoredFile).where(StoredFile.id.in_(ids), StoredFile.customer_id == viewer.customer_id)).all()}
    return [_artwork_file(rows[i]) for i in ids if i in rows]


def _drop_unused_uploads(session: Session, viewer: PortalViewer, ids: list[int]) -> None:
    """Delete files this contact uploaded for the form that nothing uses any more (no request,
    no job); others (a reordered job's approved artwork, a submitted request's) stay."""
    if not ids:
        return
    unused = session.exec(
        select(StoredFile).where(
            StoredFile.id.in_(ids),
            StoredFile.kind == ARTWORK_KIND,
            StoredFile.customer_id == viewer.customer_id,
            StoredFile.created_by_contact_id == viewer.contact_id,
            ~exists().where(QuoteRequestFile.file_id == StoredFile.id),
            ~exists().where(JobFile.file_id == StoredFile.id),
        )
    ).all()
    for row in unused:
        files.delete(session, row)


async def receive_artwork(source: Any) -> files.Received:
    """Copy one upload to a temp file, refused (nothing kept) past 25 MB."""
    return await files.receive(source, max_bytes=files.DEFAULT_MAX_BYTES, field="files")
