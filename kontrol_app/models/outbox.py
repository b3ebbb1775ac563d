from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from kontrol_app.models.base import created_at_field, optional_time_field


class EmailStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class EmailKind(StrEnum):
    """Every kind of email Kontrol sends today. Each value names its two templates,
    `kontrol_app/templates/email/<value>.html` and `.txt`; a kind is added together with
    them (tests/unit/test_emails.py renders every one). Stored as plain text in
    `OutboxEmail.kind`, so adding or removing a kind needs no migration."""

    SIGN_IN_CODE = "sign_in_code"
    PORTAL_LINK = "portal_link"
    JOB_STATUS = "job_status"
    ARTWORK_READY = "artwork_ready"
    APPROVAL_DECISION = "approval_decision"  # to the shop: a client approved, asked for revisions, declined
    APPROVAL_REMINDER = "approval_reminder"  # to the client: artwork still awaiting their approval
    INVOICE_SENT = "invoice_sent"  # to the client, the invoice PDF attached
    PAYMENT_RECEIPT = "payment_receipt"  # to the client: a payment was received
    PAYMENT_RECEIVED = "payment_received"  # to the shop: a client paid online
    INVOICE_REMINDER = "invoice_reminder"  # to the client: an invoice due soon or overdue
    MESSAGE_TO_CLIENT = "message_to_client"  # to each contact: the shop wrote in a thread
    MESSAGE_TO_SHOP = "message_to_shop"  # to the shop: a client wrote in a thread
    QUOTE_REQUEST_CONFIRMATION = "quote_request_confirmation"  # to the client: we received your quote request
    QUOTE_REQUEST_RECEIVED = "quote_request_received"  # to the shop: a client asked for a quote
    QUOTE_REQUEST_DECLINED = "quote_request_declined"  # to the client: the shop declined a quote request
    EMAIL_CHANGE_CODE = "email_change_code"  # to the new address: its code (or, when it already signs in, a notice)
    EMAIL_CHANGE_NOTICE = "email_change_notice"  # to a contact's old address: a change was asked / made


class OutboxEmail(SQLModel, table=True):
    """An email waiting to go out, or the record of one that went (or failed)."""

    __tablename__ = "outbox_email"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    to_email: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    html_body: str
    text_body: str
    status: str = Field(default=EmailStatus.QUEUED, max_length=20, index=True)
    attempts: int = 0
    next_attempt_at: datetime = created_at_field()
    # A sender holds a row while delivering it; a crashed sender's lease runs out.
    locked_until: datetime | None = optional_time_field()
    last_error: str = Field(default="", max_length=2000)
    idempotency_key: str = Field(max_length=64, unique=True)
    # Names the event an email is about (e.g. one status change for one contact), so
    # the same event can never queue the same email twice.
    dedupe_key: str | None = Field(default=None, max_length=120, unique=True)
    # One file attached (the invoice PDF), from the private files service.
    attachment_file_id: int | None = Field(default=None, foreign_key="stored_file.id")
    attachment_name: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    delivered_via: str = Field(default="", max_length=20)  # "resend" or "mailbox"
    provider_message_id: str = Field(default="", max_length=100)
    created_at: datetime = created_at_field()
    sent_at: datetime | None = optional_time_field()
