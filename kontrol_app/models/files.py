from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from kontrol_app.models.base import created_at_field


class StoredFile(SQLModel, table=True):
    """One uploaded file. The bytes live once per SHA-256 under the data dir's files/
    folder; several rows may share them. Who may read a row is decided by the reader
    registered for its `kind` (services/files.py)."""

    __tablename__ = "stored_file"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)  # logo, mockup, attachment, ...
    # The customer the file belongs to; None for the shop's own files (the logo).
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    sha256: str = Field(max_length=64, index=True)
    size: int
    file_type: str = Field(max_length=10)  # png, jpeg, webp, pdf, ai, eps, svg, psd, zip: judged from the bytes
    content_type: str = Field(max_length=100)
    inline: bool = False  # images and PDFs may show in the browser; everything else only downloads
    original_name: str = Field(max_length=200)  # sanitized
    width: int | None = None
    height: int | None = None
    page_count: int | None = None
    created_at: datetime = created_at_field()
    created_by_staff_id: int | None = Field(default=None, foreign_key="staff_user.id")
    # A removed contact leaves the file (it belongs to the customer).
    created_by_contact_id: int | None = Field(default=None, foreign_key="customer_contact.id", ondelete="SET NULL")
