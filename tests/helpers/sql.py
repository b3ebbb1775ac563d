"""What SQL a piece of code sends: for tests that hold a hot path to its number of statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from kontrol_app import data_version, db


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every statement sent to the database inside the block, in order: through the engine, and
    the data version's reads on SQLite's own connection (`data_version.peek`, called through)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    peek = data_version.peek

    def peeking() -> int | None:
        version = peek()
        if version is not None:
            seen.append(data_version._PEEK)
        return version

    engine = db.get_engine()
    event.listen(engine, "before_cursor_execute", record)
    data_version.peek = peeking
    try:
        yield seen
    finally:
        data_version.peek = peek
        event.remove(engine, "before_cursor_execute", record)
