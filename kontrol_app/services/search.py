"""Case-insensitive "contains" search in SQL, with % and _ taken literally."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement


MAX_SEARCH = 100  # longer than any name or title worth matching


def contains(column, text: str) -> ColumnElement[bool]:
    escaped = text.strip()[:MAX_SEARCH].lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")
