from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from kontrol_app.models.base import UTCDateTime, created_at_field, optional_time_field


class StaffRole(StrEnum):
    OWNER = "owner"
    STAFF = "staff"


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)  # stored lower-case
    name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    role: str = Field(default=StaffRole.STAFF, max_length=20)
    is_active: bool = True
    created_at: datetime = created_at_field()


class StaffSession(SQLModel, table=True):
    """A signed-in browser. Only the SHA-256 of the cookie token is kept."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = created_at_field()
    revoked_at: datetime | None = optional_time_field()
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)


class SignInTicket(SQLModel, table=True):
    """A one-time, short-lived ticket that an HTTP route trades for a session cookie."""

    __tablename__ = "sign_in_ticket"

    id: int | None = Field(default=None, primary_key=True)
    ticket_hash: str = Field(max_length=64, unique=True)
    # Exactly one of these says whose session the ticket opens.
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    portal_contact_id: int | None = Field(default=None, foreign_key="customer_contact.id")
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = optional_time_field()
    created_at: datetime = created_at_field()


class SignInAttempt(SQLModel, table=True):
    """Failed and successful sign-ins, kept to throttle password guessing."""

    __tablename__ = "sign_in_attempt"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    ip: str = Field(default="", max_length=64, index=True)
    # SHA-256 of a trusted browser's device-cookie nonce ("" for unknown browsers):
    # its failures are counted on their own, not against the email's limit.
    device: str = Field(default="", max_length=64, index=True, sa_column_kwargs={"server_default": ""})
    succeeded: bool = False
    created_at: datetime = created_at_field()
