"""Input checks shared by every form."""

from __future__ import annotations

import re

from kontrol_app.services.errors import InvalidInput

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def clean_email(value: str, *, field: str = "email", required: bool = True) -> str:
    email = (value or "").strip().lower()
    if not email:
        if required:
            raise InvalidInput("Enter an email address.", field)
        return ""
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidInput("Enter a valid email address, like name@example.com.", field)
    return email


def clean_text(value: str, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"Enter {label}.", field)
    if len(text) > max_length:
        raise InvalidInput(f"Keep {label} under {max_length} characters.", field)
    return text
