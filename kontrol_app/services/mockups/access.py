"""Who may read a mockup's files (the original, its preview, a PDF's page previews): the reader
registered with the files service when this module is imported."""

from __future__ import annotations

from sqlmodel import Session, select

from kontrol_app.models import MockupPage, MockupVersion, StoredFile
from kontrol_app.services import files


def _mockup_reader(session: Session, row: StoredFile, staff, portal) -> bool:
    """Staff: any mockup. A client: only their customer's versions that were sent and not
    withdrawn (drafts and withdrawn versions are hidden from the client); a PDF's page
    previews follow their version."""
    if not files.staff_or_own_customer(session, row, staff, portal):
        return False
    if staff is not None:
        return True
    query = select(MockupVersion.id).where(MockupVersion.sent_at.is_not(None), MockupVersion.withdrawn_at.is_(None))
    if row.kind == "mockup_page":
        query = query.join(MockupPage, MockupPage.version_id == MockupVersion.id).where(MockupPage.preview_file_id == row.id)
    else:
        column = MockupVersion.file_id if row.kind == "mockup" else MockupVersion.preview_file_id
        query = query.where(column == row.id)
    return session.exec(query).first() is not None


files.register_reader("mockup", _mockup_reader)
files.register_reader("mockup_preview", _mockup_reader)
files.register_reader("mockup_page", _mockup_reader)
