"""Quote requests from the portal: the draft a contact is filling in (one at a time), and the
submitted request the staff price (services/quotes/)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from kontrol_app.models.base import created_at_field, optional_time_field


class QuoteDraft(SQLModel, table=True):
    """What a contact has typed so far, kept on the server so a reload loses nothing.
    `data` is JSON: {"what": {...}, "artwork": {...}, "timing": {...}}, as typed (strings)."""

    __tablename__ = "quote_draft"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    contact_id: int = Field(foreign_key="customer_contact.id", unique=True, ondelete="CASCADE")
    step: int = 1  # 1-3 the steps, 4 the review
    data: str = Field(default="{}", sa_type=Text)
    updated_at: datetime = created_at_field()


class QuoteRequest(SQLModel, table=True):
    """A submitted request. The answers are JSON (`answers`, cleaned by the service); the few
    the staff list and search by are columns too."""

    __tablename__ = "quote_request"
    __table_args__ = (
        Index("ix_quote_request_customer_id_id", "customer_id", "id"),
        Index("ix_quote_request_read_by_staff_at_id", "read_by_staff_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True)  # QR-0001
    customer_id: int = Field(foreign_key="customer.id")
    # A removed contact leaves the request (it belongs to the customer); the name is copied in.
    contact_id: int | None = Field(default=None, foreign_key="customer_contact.id", ondelete="SET NULL")
    contact_name: str = Field(default="", max_length=120)
    status: str = Field(default="new", max_length=20, index=True)  # new, quoted, converted, declined
    item_type: str = Field(max_length=20)
    garment: str = Field(default="", max_length=200)
    colour: str = Field(default="", max_length=100)
    total_quantity: int = 0
    decoration: str = Field(max_length=20)
    in_hands_date: date | None = None
    answers: str = Field(default="{}", sa_type=Text)
    job_id: int | None = Field(default=None, foreign_key="job.id", ondelete="SET NULL")
    read_by_staff_at: datetime | None = optional_time_field()
    decline_message: str = Field(default="", max_length=5000)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class QuoteRequestFile(SQLModel, table=True):
    """An artwork file sent with a request (the private files service)."""

    __tablename__ = "quote_request_file"
    __table_args__ = (UniqueConstraint("quote_request_id", "file_id", name="uq_quote_request_file_request_file"),)

    id: int | None = Field(default=None, primary_key=True)
    quote_request_id: int = Field(foreign_key="quote_request.id", index=True, ondelete="CASCADE")
    file_id: int = Field(foreign_key="stored_file.id")
