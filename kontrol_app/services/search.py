"""Case-insensitive "contains" search in SQL, with % and _ taken literally.

SQLite's own `lower()` folds only ASCII letters, so "łódź" would never find "Łódź". A search
typed in plain ASCII is folded the same way on both sides and needs nothing more (the fast,
built-in function). One with other letters uses `unicode_lower`: PostgreSQL's `lower()`, and
on SQLite Python's `str.lower`, registered on every connection by `db.make_engine`.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import String

MAX_SEARCH = 100  # longer than any name or title worth matching
SQLITE_UNICODE_LOWER = "kontrol_lower"


class unicode_lower(GenericFunction):  # lower case, as SQL function names are
    type = String()
    inherit_cache = True


@compiles(unicode_lower)
def _lower(element, compiler, **kw) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(unicode_lower, "sqlite")
def _sqlite_lower(element, compiler, **kw) -> str:
    return f"{SQLITE_UNICODE_LOWER}({compiler.process(element.clauses, **kw)})"


def python_lower(value: str | None) -> str | None:
    """The SQLite function behind `unicode_lower` (NULL stays NULL)."""
    return value.lower() if isinstance(value, str) else value


def contains(column, text: str) -> ColumnElement[bool]:
    wanted = text.strip()[:MAX_SEARCH].lower()
    escaped = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    folded = func.lower(column) if wanted.isascii() else unicode_lower(column)
    return folded.like(f"%{escaped}%", escape="\\")
