"""Staff notifications: what happened (a client approved, asked for revisions, declined; later
payments, messages, quote requests), shared by every staff member, and how far each has read."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from kontrol_app.models.base import created_at_field


class Notification(SQLModel, table=True):
    """One event for the staff bell. Shared by the whole team; who has read it is in
    `NotificationRead`. Never edited: ids only grow, which the read marks rely on."""

    __tablename__ = "staff_notification"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # approved, revisions, declined (later payment, message, quote_request)
    job_id: int | None = Field(default=None, foreign_key="job.id")
    title: str = Field(max_length=300)  # "Sarah Smith approved v2 of Spring League T-Shirts"
    body: str = Field(default="", max_length=300)  # the notes, clipped
    link: str = Field(default="", max_length=200)  # a staff path, e.g. "/jobs/12"
    created_at: datetime = created_at_field()


class NotificationRead(SQLModel, table=True):
    """How far one staff member has read: every notification with an id up to `last_read_id`
    is read (a high-water mark, so reading is one row per person, not one per event)."""

    __tablename__ = "staff_notification_read"

    staff_user_id: int = Field(foreign_key="staff_user.id", primary_key=True)
    last_read_id: int = 0
