"""Random secrets and their stored hashes."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What we store instead of a token: a leaked database row cannot be replayed."""
    return hashlib.sha256(token.encode()).hexdigest()
