from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from kontrol_app.models.base import UTCDateTime, created_at_field, optional_time_field


class Customer(SQLModel, table=True):
    """A company or person the shop works for."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=160, index=True)
    slug: str = Field(max_length=60)
    phone: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=500)  # the billing address
    # Where orders ship (My Branding); the billing address when empty.
    shipping_address: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    notes: str = Field(default="", max_length=5000)
    # The portal link's key is HMAC(secret, salt): random per Regenerate, and not
    # computable from the database alone. Only its SHA-256 is kept for look-ups.
    portal_salt: str = Field(max_length=64)
    portal_key_hash: str = Field(max_length=64, unique=True)
    portal_link_copied_at: datetime | None = optional_time_field()
    portal_link_emailed_at: datetime | None = optional_time_field()
    # Bumped by every edit of the customer form: a form saved with an older one is refused.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class CustomerContact(SQLModel, table=True):
    """Someone at a customer who may sign in to its portal. The primary contact
    always exists; its email may be empty (then nobody can sign in)."""

    __tablename__ = "customer_contact"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    name: str = Field(default="", max_length=120)
    # Lower-case; unique across every customer so an email opens one portal only.
    email: str | None = Field(default=None, max_length=254, unique=True)
    is_primary: bool = False
    created_at: datetime = created_at_field()


class PortalSignInCode(SQLModel, table=True):
    """A 6-digit code emailed to a contact. Rows are kept for unknown emails too,
    so throttling never tells whether an email is on file."""

    __tablename__ = "portal_sign_in_code"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="customer_contact.id")
    email: str = Field(max_length=254, index=True)
    code_hash: str = Field(default="", max_length=64)
    failed_attempts: int = 0
    ip: str = Field(default="", max_length=64, index=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = optional_time_field()
    created_at: datetime = created_at_field()


class PortalSession(SQLModel, table=True):
    """A client's signed-in browser (30 days). Only the SHA-256 of the cookie is kept."""

    __tablename__ = "portal_session"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    contact_id: int = Field(foreign_key="customer_contact.id")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = optional_time_field()
