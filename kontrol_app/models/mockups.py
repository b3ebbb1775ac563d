"""Artwork approval: mockup versions, the print checklist, and the immutable approval records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from kontrol_app.models.base import created_at_field, optional_time_field


class MockupVersion(SQLModel, table=True):
    """One uploaded artwork file of a job (v1, v2, ...). Never edited or replaced: a mistaken
    one is withdrawn. `decided_at` is claimed with one conditional UPDATE, so of two
    decisions at the same moment exactly one wins."""

    __tablename__ = "mockup_version"
    __table_args__ = (UniqueConstraint("job_id", "number", name="uq_mockup_version_job_id_number"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    number: int
    file_id: int = Field(foreign_key="stored_file.id")  # the original
    preview_file_id: int | None = Field(default=None, foreign_key="stored_file.id")  # PNG, <= 1600 px
    note: str = Field(default="", max_length=500)  # what changed
    uploaded_by_staff_id: int | None = Field(default=None, foreign_key="staff_user.id")
    uploaded_by: str = Field(default="", max_length=120)  # the name, kept even if the user goes
    created_at: datetime = created_at_field()
    withdrawn_at: datetime | None = optional_time_field()
    sent_at: datetime | None = optional_time_field()
    send_message: str = Field(default="", max_length=2000)
    decided_at: datetime | None = optional_time_field()


class MockupPage(SQLModel, table=True):
    """One rendered page of a PDF version (page 1 names the version's own preview file).
    Only the first pages are rendered (services/mockups.MAX_PREVIEW_PAGES); a version
    uploaded before pages were kept has no rows and shows its first-page preview."""

    __tablename__ = "mockup_page"
    __table_args__ = (UniqueConstraint("version_id", "page_number", name="uq_mockup_page_version_id_page_number"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="mockup_version.id", index=True)
    page_number: int  # 1..
    preview_file_id: int = Field(foreign_key="stored_file.id")  # PNG, <= 1600 px


class ChecklistItem(SQLModel, table=True):
    """A point the client must tick before Approve is possible (per job, optional)."""

    __tablename__ = "print_checklist_item"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    position: int = 0
    text: str = Field(max_length=200)


class ApprovalRecord(SQLModel, table=True):
    """A decision on a job's artwork, as written at that moment. IMMUTABLE: no code path
    updates or deletes one; on PostgreSQL a trigger refuses UPDATE and DELETE (and on SQLite
    the same, with RAISE(ABORT)). Everything is copied in (names, email, SHA-256), so the
    record still reads the same if the contact, the staff member or the file goes."""

    __tablename__ = "approval_record"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    version_id: int | None = Field(default=None, foreign_key="mockup_version.id", index=True)  # None: no artwork
    version_number: int | None = None
    sha256: str = Field(default="", max_length=64)  # "" when no file
    decision: str = Field(max_length=20)  # approved, revisions, declined, approved_offline
    typed_name: str = Field(default="", max_length=120)
    notes: str = Field(default="", sa_type=Text)
    checklist: str = Field(default="[]", sa_type=Text)  # JSON: [{"text": ..., "ticked": bool}]
    pins: str = Field(default="[]", sa_type=Text)  # JSON: [{"x": 0..1, "y": 0..1, "note": ...}], revisions only
    contact_id: int | None = None  # no foreign key: the record outlives a removed contact
    contact_name: str = Field(default="", max_length=120)
    contact_email: str = Field(default="", max_length=254)
    staff_user_id: int | None = None  # offline: who recorded it (kept as written)
    staff_name: str = Field(default="", max_length=120)
    method: str = Field(default="", max_length=20)  # "" or phone, in_person, email, no_artwork
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=500)
    created_at: datetime = created_at_field()
