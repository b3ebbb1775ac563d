from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from kontrol_app.models.base import created_at_field


class Shop(SQLModel, table=True):
    """The one shop this installation serves (a single row)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=500)
    currency: str = Field(default="USD", max_length=3)
    timezone: str = Field(default="UTC", max_length=64)
    # File name under the data dir's files/ folder; empty when no logo.
    logo_file: str = Field(default="", max_length=200)
    logo_content_type: str = Field(default="", max_length=40)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
