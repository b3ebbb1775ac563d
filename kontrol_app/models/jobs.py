from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from kontrol_app.models.base import created_at_field


class JobStatus(StrEnum):
    QUOTE = "quote"
    ARTWORK = "artwork"
    AWAITING_APPROVAL = "awaiting_approval"
    ART_APPROVED = "art_approved"
    IN_PRODUCTION = "in_production"
    READY = "ready"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    REVISIONS_REQUESTED = "revisions_requested"
    ON_HOLD = "on_hold"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class Decoration(StrEnum):
    SCREEN_PRINT = "screen_print"
    EMBROIDERY = "embroidery"
    DTG = "dtg"
    HEAT_TRANSFER = "heat_transfer"
    OTHER = "other"


class Carrier(StrEnum):
    UPS = "ups"
    FEDEX = "fedex"
    USPS = "usps"
    DHL = "dhl"
    OTHER = "other"


class Job(SQLModel, table=True):
    __table_args__ = (
        Index("ix_job_customer_status", "customer_id", "status"),
        Index("ix_job_status_due", "status", "due_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    title: str = Field(max_length=200)
    quantity: int = 0  # pieces
    due_date: date | None = None  # a calendar day in the shop's timezone
    decoration: str = Field(default=Decoration.SCREEN_PRINT, max_length=20)
    garment: str = Field(default="", max_length=200)
    colour: str = Field(default="", max_length=100)
    notes: str = Field(default="", max_length=5000)
    status: str = Field(default=JobStatus.QUOTE, max_length=30)
    tracking_carrier: str = Field(default="", max_length=10)
    tracking_number: str = Field(default="", max_length=60)
    # Bumped by every edit of the job form: a form saved with an older one is refused.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class JobFile(SQLModel, table=True):
    """A file kept with a job (e.g. the artwork of the quote request it came from); staff can
    make an image or PDF one a mockup version."""

    __tablename__ = "job_file"
    __table_args__ = (UniqueConstraint("job_id", "file_id", name="uq_job_file_job_file"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True, ondelete="CASCADE")
    file_id: int = Field(foreign_key="stored_file.id")
    source: str = Field(default="", max_length=120)  # "Quote request QR-0001"
    created_at: datetime = created_at_field()


class JobStatusChange(SQLModel, table=True):
    """One step in a job's history: who moved it, when, from what, to what."""

    __tablename__ = "job_status_change"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    from_status: str | None = Field(default=None, max_length=30)
    to_status: str = Field(max_length=30)
    note: str = Field(default="", max_length=1000)
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    changed_by: str = Field(default="", max_length=120)  # the name, kept even if the user goes
    created_at: datetime = created_at_field()


class JobStatusCount(SQLModel, table=True):
    """How many jobs have each status. The database keeps it, with triggers on `job` (migration
    e1b7c4a92d05), in the same transaction as the change: the board's column counts and the jobs
    list's totals read a dozen rows instead of counting 200,000 jobs on every click."""

    __tablename__ = "job_status_count"

    status: str = Field(primary_key=True, max_length=30)
    jobs: int = 0


class StatusAutomation(SQLModel, table=True):
    """Settings -> Automations: whether (and what) to email clients when a job enters a status."""

    __tablename__ = "status_automation"

    status: str = Field(primary_key=True, max_length=30)
    enabled: bool = False
    subject: str = Field(max_length=300)
    body: str = Field(max_length=5000)
    updated_at: datetime = created_at_field()
