"""Random secrets and their stored hashes."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import update
from sqlmodel import Session, select

from kontrol_app.models import SignInTicket, utcnow


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What we store instead of a token: a leaked database row cannot be replayed."""
    return hashlib.sha256(token.encode()).hexdigest()


def claim_ticket(session: Session, ticket: str, holder) -> int | None:
    """Use up a one-time sign-in ticket and return its `holder` column (the staff user's or
    the contact's id), or None when it is unknown, used, expired or not that kind.

    One conditional UPDATE: of two requests racing with the same ticket, the second waits
    for the first and then matches no row."""
    now, hashed = utcnow(), token_hash(ticket or "")
    claimed = session.exec(
        update(SignInTicket)
        .where(
            SignInTicket.ticket_hash == hashed,
            SignInTicket.used_at.is_(None),
            SignInTicket.expires_at >= now,
            holder.is_not(None),
        )
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        return None
    return session.exec(select(holder).where(SignInTicket.ticket_hash == hashed)).one()
