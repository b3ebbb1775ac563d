"""Input checks shared by every form."""

from __future__ import annotations

import re
from datetime import date

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


def clean_text(
    value: str, *, field: str, label: str, max_length: int, required: bool = False, multiline: bool = False
) -> str:
    """Trimmed text. Single-line by default: names and titles end up in email subjects and
    headers, where a line break breaks the email, so only fields marked `multiline` keep them."""
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"Enter {label}.", field)
    if len(text) > max_length:
        raise InvalidInput(f"Keep {label} under {max_length} characters.", field)
    if not multiline and has_line_break(text):
        raise InvalidInput(f"Keep {label} on one line.", field)
    return text


# Every character str.splitlines() breaks at: CR, LF, NEL, U+2028, ...
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def has_line_break(text: str) -> bool:
    return not _LINE_BREAKS.isdisjoint(text)


def one_line(text: str) -> str:
    """Line breaks (and the spaces around them) become one space: for text already stored."""
    return " ".join(part.strip() for part in (text or "").splitlines() if part.strip())


def browser_int(value: object) -> int | None:
    """An id or page number as the browser or a URL sent it: ASCII digits only (an int, or its
    text), else None. True, "-1", "²" and 10**12 are not ids."""
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


def optional_date(value: str | None, field: str, *, label: str = "the date") -> date | None:
    """A date as a date input sends it (2026-04-12), or None when left empty."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"Enter {label} as a date, like 2026-04-12.", field) from None
