"""A message's text: `linkify` splits it into plain and http(s) link segments for the UI to
render safely; `clean_body` and `_clean_subject` check what was typed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from kontrol_app.services.errors import InvalidInput
from kontrol_app.services.messages.limits import FIELD_BODY, FIELD_SUBJECT, MAX_BODY, MAX_SUBJECT
from kontrol_app.services.validation import clean_text


@dataclass(frozen=True)
class Segment:
    """A piece of a message: plain text (`url` == "") or an http(s) link whose text is `text`."""

    text: str
    url: str = ""


_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\")]}"


def _safe_url(candidate: str) -> bool:
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def linkify(text: str) -> list[Segment]:
    """Plain-text and link segments, in order; joined, their texts give `text` back. Only whole
    http(s) addresses become links: `javascript:`, `data:` and every other scheme stay text."""
    text = text or ""
    if "://" not in text:  # no address at all (most messages): skip the search
        return [Segment(text)] if text else []
    segments: list[Segment] = []
    plain_from = 0
    for match in _URL.finditer(text):
        url = match.group(0)
        # "see https://x.com/a." -> the full stop is the sentence's; a ")" only when unbalanced.
        while url and url[-1] in _TRAILING and not (url[-1] == ")" and url.count("(") >= url.count(")")):
            url = url[:-1]
        if not _safe_url(url):
            continue
        start = match.start()
        if start > plain_from:
            segments.append(Segment(text[plain_from:start]))
        segments.append(Segment(url, url))
        plain_from = start + len(url)
    if plain_from < len(text):
        segments.append(Segment(text[plain_from:]))
    return segments


def clean_body(body: str) -> str:
    """The message as typed, trimmed; required, at most 10,000 characters. Never HTML: the
    text is stored and shown as text. (NUL is dropped: PostgreSQL text cannot hold it.)"""
    text = (body or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if not text:
        raise InvalidInput("Write a message.", FIELD_BODY)
    if len(text) > MAX_BODY:
        raise InvalidInput(f"Keep the message under {MAX_BODY:,} characters (it has {len(text):,}).", FIELD_BODY)
    return text


def _clean_subject(subject: str, *, required: bool) -> str:
    return clean_text(subject, field=FIELD_SUBJECT, label="a subject", max_length=MAX_SUBJECT, required=required)
