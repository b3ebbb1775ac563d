"""Messages: threaded conversations between the shop and a customer's contacts, with
attachments and read marks (the services/messages/ package)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from kontrol_app.models.base import created_at_field, optional_time_field


class MessageThread(SQLModel, table=True):
    """One conversation of one customer, about one job or general (a subject).

    Unread state lives here so the badges are one indexed count: the newest message id of each
    side, the staff's shared read mark (`staff_read_message_id`, with `staff_unread` and
    `staff_unread_count` kept in step so "unread first" and the staff badge use an index), and, per side, when the last email
    notice went and up to which message it covered (the 10-minute notice throttle)."""

    __tablename__ = "message_thread"
    __table_args__ = (
        # With the read mark: the staff badge counts unread messages from the index alone.
        Index("ix_message_thread_unread_last_read", "staff_unread", "last_message_at", "staff_read_message_id"),
        # The staff badge: a sum over this index alone.
        Index("ix_message_thread_unread_count", "staff_unread", "staff_unread_count"),
        Index("ix_message_thread_customer_id_last_message_at", "customer_id", "last_message_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    job_id: int | None = Field(default=None, foreign_key="job.id", index=True)
    subject: str = Field(max_length=200)
    created_by_side: str = Field(max_length=10)  # shop, client
    created_at: datetime = created_at_field()
    last_message_at: datetime = created_at_field()
    closed_at: datetime | None = optional_time_field()
    last_client_message_id: int = 0
    last_shop_message_id: int = 0
    staff_read_message_id: int = 0  # shared by the whole team
    staff_unread: bool = False  # last_client_message_id > staff_read_message_id
    staff_unread_count: int = 0  # the client's messages past staff_read_message_id
    last_notice_at_shop: datetime | None = optional_time_field()
    shop_noticed_message_id: int = 0
    last_notice_at_client: datetime | None = optional_time_field()
    client_noticed_message_id: int = 0


class Message(SQLModel, table=True):
    """One message, plain text as typed (never HTML). The sender's name is copied in, so it
    still reads the same if the staff member or contact goes."""

    __tablename__ = "message"
    # With the side: the staff badge counts a thread's unread client messages from the index alone.
    __table_args__ = (Index("ix_message_thread_id_id_side", "thread_id", "id", "side"),)

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="message_thread.id")
    side: str = Field(max_length=10)  # shop, client
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    contact_id: int | None = Field(default=None, foreign_key="customer_contact.id", ondelete="SET NULL")
    sender_name: str = Field(default="", max_length=120)
    body: str = Field(sa_type=Text)  # at most 10,000 characters (services/messages/limits.py: MAX_BODY)
    created_at: datetime = created_at_field()


class MessageAttachment(SQLModel, table=True):
    """A file sent with a message (up to 5), kept in the private files service."""

    __tablename__ = "message_attachment"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    file_id: int = Field(foreign_key="stored_file.id", index=True)
    position: int = 0


class ThreadRead(SQLModel, table=True):
    """How far one contact has read one thread: every message with an id up to
    `last_read_message_id` is read (a high-water mark; one row per contact and thread)."""

    __tablename__ = "message_thread_read"

    thread_id: int = Field(foreign_key="message_thread.id", primary_key=True)
    contact_id: int = Field(foreign_key="customer_contact.id", primary_key=True, ondelete="CASCADE")
    last_read_message_id: int = 0
