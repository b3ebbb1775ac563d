"""Invoices, their lines, payments (and refunds), history, and the Stripe bookkeeping that
makes card payments idempotent. Money is integer cents in the invoice's currency."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from kontrol_app.models.base import created_at_field, optional_time_field


class InvoiceStatus(StrEnum):
    """Stored statuses. "Overdue" is not stored: it is a sent or partially paid invoice past
    its due date with a balance (services/invoices/money_rule.is_overdue)."""

    DRAFT = "draft"
    SENT = "sent"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"


class PaymentMethod(StrEnum):
    CASH = "cash"
    CHECK = "check"
    BANK_TRANSFER = "bank_transfer"
    CARD_ELSEWHERE = "card_elsewhere"
    STRIPE = "stripe"  # paid through Stripe Checkout in the portal


class Invoice(SQLModel, table=True):
    __table_args__ = (
        # With the amounts: the Invoices page's open and overdue totals sum from the index alone.
        Index("ix_invoice_status_due_amounts", "status", "due_date", "total_cents", "paid_cents"),
        Index("ix_invoice_customer_status", "customer_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    job_id: int | None = Field(default=None, foreign_key="job.id", index=True)
    # None while a draft: the number is allocated when the invoice is sent, so none is skipped.
    number: str | None = Field(default=None, max_length=40, unique=True)
    status: str = Field(default=InvoiceStatus.DRAFT, max_length=20)
    currency: str = Field(default="USD", max_length=3)
    # Discount: kind "" (none), "amount" (value in cents) or "percent" (value in thousandths
    # of a percent, 12.5% = 12500). The tax rate is in thousandths of a percent too.
    discount_kind: str = Field(default="", max_length=10)
    discount_value: int = 0
    tax_rate: int = 0
    # Deposit asked up front: kind "" / "amount" (cents) / "percent" (thousandths of a percent).
    deposit_kind: str = Field(default="", max_length=10)
    deposit_value: int = 0
    # Totals, recomputed from the lines by services/invoices/money_rule.totals on every save.
    subtotal_cents: int = 0
    discount_cents: int = 0
    tax_cents: int = 0
    total_cents: int = 0
    deposit_cents: int = 0
    paid_cents: int = 0  # payments minus refunds
    refunded_cents: int = 0
    notes: str = Field(default="", sa_type=Text)
    due_date: date | None = None  # a calendar day in the shop's timezone
    sent_at: datetime | None = optional_time_field()
    paid_at: datetime | None = optional_time_field()
    voided_at: datetime | None = optional_time_field()
    void_reason: str = Field(default="", max_length=500)
    # Bumped by every edit: a form saved with an older one is refused.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_by_staff_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


# An invoice with no due date is kept under this day: never before today, so never overdue.
NO_DUE_DATE = date(9999, 12, 31)


class InvoiceDueTotal(SQLModel, table=True):
    """Invoices by status and due date: how many, how many still owe something, and what they
    owe (cents, total minus paid). The database keeps it, with triggers on `invoice` (migration
    f3a8d2c61b47), in the same transaction as the change: the Invoices page's totals and
    counts add up a few hundred of these rows instead of reading every open invoice per click."""

    __tablename__ = "invoice_due_total"

    status: str = Field(primary_key=True, max_length=20)
    due_date: date = Field(primary_key=True)  # NO_DUE_DATE for none
    invoices: int = 0
    owing: int = 0
    owed_cents: int = 0

class InvoiceLine(SQLModel, table=True):
    __tablename__ = "invoice_line"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    position: int = 0
    description: str = Field(max_length=300)
    quantity: int = 1
    unit_price_cents: int = 0
    amount_cents: int = 0  # quantity x unit price


class InvoicePayment(SQLModel, table=True):
    """Money in (amount > 0) or back out (a refund, amount < 0). Never edited. A Stripe
    payment is unique per (Checkout Session, invoice): one session may pay several invoices
    ("Pay all open invoices"), and fulfilling it twice records nothing new."""

    __tablename__ = "invoice_payment"
    __table_args__ = (
        UniqueConstraint("stripe_session_id", "invoice_id", name="uq_invoice_payment_session_invoice"),
        UniqueConstraint("stripe_refund_id", name="uq_invoice_payment_stripe_refund_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    amount_cents: int
    method: str = Field(max_length=20)
    received_on: date  # the day the shop got the money (shop's timezone)
    reference: str = Field(default="", max_length=200)  # check number, bank reference, ...
    stripe_session_id: str | None = Field(default=None, max_length=255)
    stripe_payment_intent: str | None = Field(default=None, max_length=255, index=True)
    stripe_refund_id: str | None = Field(default=None, max_length=255)
    recorded_by: str = Field(default="", max_length=120)  # staff name, or "Stripe"
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = created_at_field()


class InvoiceEvent(SQLModel, table=True):
    """One line of an invoice's history: created, edited, sent, a payment, a refund, voided,
    a reminder. Written in the same transaction as the change."""

    __tablename__ = "invoice_event"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    kind: str = Field(max_length=20)
    text: str = Field(default="", max_length=1000)
    actor: str = Field(default="", max_length=120)
    created_at: datetime = created_at_field()


class CheckoutAttempt(SQLModel, table=True):
    """A Stripe Checkout Session we created, with exactly what we asked for, so that
    fulfilment compares Stripe's answer against our own numbers, never the browser's."""

    __tablename__ = "checkout_attempt"

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(max_length=255, unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    contact_id: int | None = None
    # JSON: [{"invoice_id": 3, "amount_cents": 42000}, ...]
    allocations: str = Field(sa_type=Text)
    amount_cents: int
    currency: str = Field(max_length=3)
    status: str = Field(default="open", max_length=20)  # open, paid, failed, expired
    created_at: datetime = created_at_field()
    completed_at: datetime | None = optional_time_field()


class StripeEvent(SQLModel, table=True):
    """A webhook event already handled: the same event id delivered again changes nothing."""

    __tablename__ = "stripe_event"

    id: str = Field(primary_key=True, max_length=255)
    type: str = Field(max_length=80)
    created_at: datetime = created_at_field()
