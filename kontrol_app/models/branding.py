"""A customer's brand kit, kept from the portal's My Branding tab (services/branding.py): the
logo, print files and brand colours the shop prints from; and a contact's pending email change,
applied only once the code sent to the new address is typed back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from kontrol_app.models.base import UTCDateTime, created_at_field, optional_time_field


class BrandKit(SQLModel, table=True):
    """One per customer, made on its first change."""

    __tablename__ = "brand_kit"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", unique=True)
    logo_file_id: int | None = Field(default=None, foreign_key="stored_file.id")
    colours: str = Field(default="[]", sa_type=Text)  # JSON list, as typed: "#0A3D91", "PMS 286 C"
    updated_by: str = Field(default="", max_length=120)  # "Sarah Smith": who changed it last
    updated_at: datetime | None = optional_time_field()


class BrandFile(SQLModel, table=True):
    """A print file of the brand kit (AI, EPS, SVG, PDF, images): downloads for the shop."""

    __tablename__ = "brand_file"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    file_id: int = Field(foreign_key="stored_file.id")
    added_by: str = Field(default="", max_length=120)
    created_at: datetime = created_at_field()


class ContactEmailChange(SQLModel, table=True):
    """A contact asked to sign in with a new address: a 6-digit code went there. Only the
    SHA-256 of the code is kept; the change applies when it is typed back before it expires."""

    __tablename__ = "contact_email_change"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="customer_contact.id", index=True, ondelete="CASCADE")
    new_email: str = Field(max_length=254)
    code_hash: str = Field(max_length=64)
    failed_attempts: int = 0
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = optional_time_field()
    created_at: datetime = created_at_field()
