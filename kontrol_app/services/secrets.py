"""Secrets kept in the database (the Stripe keys), encrypted at rest.

Fernet (AES-128-CBC with an HMAC-SHA256, from `cryptography`) with a key derived from the
installation's secret (`KONTROL_SECRET_KEY`, else the one generated under the data dir) by
HKDF-SHA256 under a fixed label, so the signing secret itself is never used as a cipher key
and a copy of the database alone reveals nothing. A token made under another secret cannot
be read: `decrypt` raises `Unreadable` and the caller treats the value as missing.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kontrol_app.settings import get_settings

# Changing the label changes every derived key: stored secrets would need pasting again.
_INFO = b"kontrol/stored-secrets/fernet/v1"


class Unreadable(Exception):
    """Encrypted under another KONTROL_SECRET_KEY, or not a token at all."""


@lru_cache(maxsize=4)
def _fernet(master: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(master.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _current() -> Fernet:
    return _fernet(get_settings().secret())


def encrypt(plain: str) -> str:
    """The text to store for `plain` (a different token each time: Fernet uses a random IV)."""
    return _current().encrypt(plain.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError) as error:
        raise Unreadable("the stored secret was encrypted under another KONTROL_SECRET_KEY") from error
