"""Stamps: a short text that changes whenever some rows do, so an open page that polls can
tell "nothing new" from one cheap read. Each is built in SQL (one scalar per part of a page),
so several stamps and the portal's session re-check go to the database as one statement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, String, cast, func, literal_column
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement


def stamp(*aggregates: ColumnElement[Any]) -> ColumnElement[str]:
    """The aggregates joined as text, "count:latest", the same on SQLite and PostgreSQL."""
    # Literal SQL, not bound values: a bound ":" would be one more parameter per poll.
    parts = [func.coalesce(cast(aggregate, String), literal_column("''", String)) for aggregate in aggregates]
    text = parts[0]
    for part in parts[1:]:
        text = text + literal_column("':'", String) + part
    return text


def customer_rows_stamp(model: Any, customer_id: Any) -> Select:
    """Changes whenever one of a customer's rows of `model` (a table with `customer_id` and
    `updated_at`) is added or changed. `customer_id`: a bind, or a column to correlate with."""
    return sa_select(stamp(func.count(model.id), func.max(model.updated_at))).where(model.customer_id == customer_id)
