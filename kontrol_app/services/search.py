"""Case-insensitive "contains" search in SQL, with % and _ taken literally."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement


def contains(column, text: str) -> ColumnElement[bool]:  # noqa: ANN001
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")
