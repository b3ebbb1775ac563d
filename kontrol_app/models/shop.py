from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from kontrol_app.models.base import created_at_field, optional_time_field


class Shop(SQLModel, table=True):
    """The one shop this installation serves (a single row)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=500)
    currency: str = Field(default="USD", max_length=3)
    timezone: str = Field(default="UTC", max_length=64)
    # Business days from approved artwork to the due date: "Approve by" dates count back from it.
    production_days: int = Field(default=7, sa_column_kwargs={"server_default": "7"})
    # Settings -> Automations: remind clients about artwork awaiting approval every
    # `approval_reminder_days` days, at most `approval_reminder_max` times (off by default).
    approval_reminders: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    approval_reminder_days: int = Field(default=2, sa_column_kwargs={"server_default": "2"})
    approval_reminder_max: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    # Settings -> Payments. The Stripe keys are encrypted at rest (services/secrets.py);
    # `stripe_checked_at` is set only by a successful Test connection.
    stripe_secret_key: str = Field(default="", sa_type=sa.Text, sa_column_kwargs={"server_default": ""})
    stripe_webhook_secret: str = Field(default="", sa_type=sa.Text, sa_column_kwargs={"server_default": ""})
    stripe_account_name: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    stripe_livemode: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    stripe_checked_at: datetime | None = optional_time_field()
    tax_rate: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # thousandths of a percent
    invoice_prefix: str = Field(default="INV-", max_length=12, sa_column_kwargs={"server_default": "INV-"})
    invoice_next_number: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # The next quote request number (QR-0001...), taken with one UPDATE ... RETURNING (services/quotes/submitting.py).
    quote_next_number: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    payment_terms_days: int = Field(default=14, sa_column_kwargs={"server_default": "14"})
    payment_instructions: str = Field(default="", max_length=2000, sa_column_kwargs={"server_default": ""})
    # Settings -> Automations: remind clients of unpaid invoices N days before the due date
    # and on each listed day after it (off by default).
    invoice_reminders: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    invoice_reminder_before_days: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    invoice_reminder_after_days: str = Field(default="1,7,14", max_length=60, sa_column_kwargs={"server_default": "1,7,14"})
    # The logo in the files service (kind "logo"); None when there is no logo.
    logo_file_id: int | None = Field(default=None, foreign_key="stored_file.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
