"""What SQL a piece of code sends: for tests that hold a hot path to its number of statements."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event

from kontrol_app import data_version, db


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every statement sent to the database inside the block, in order: through the engine, and
    the data version's reads on SQLite's own connection (`data_version.peek`, called through).
    On PostgreSQL it first waits for the worker's listening thread to have read the version
    (`caught_up`), so what is counted does not hang on how soon a notification arrived."""
    caught_up()
    seen: list[str] = []
    sqlite = db.get_engine().dialect.name == "sqlite"

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    peek = data_version.peek

    def peeking() -> data_version.Versions | None:
        versions = peek()
        if versions is not None and sqlite:  # PostgreSQL's peek sends nothing
            seen.append(data_version._PEEK)
        return versions

    engine = db.get_engine()
    event.listen(engine, "before_cursor_execute", record)
    data_version.peek = peeking
    try:
        yield seen
    finally:
        data_version.peek = peek
        event.remove(engine, "before_cursor_execute", record)


def caught_up(timeout: float = 5.0) -> data_version.Versions:
    """The versions once `peek` knows them (at once on SQLite; on PostgreSQL once the
    listening thread has read them after the last write of this process)."""
    return peek_until(lambda versions: versions is not None, "the data version's listener never read the version", timeout)


def peek_until(wanted: Callable[[data_version.Versions | None], bool], failure: str, timeout: float = 5.0) -> data_version.Versions | None:
    """`data_version.peek()` once `wanted` of it holds, checked every millisecond."""
    deadline = time.monotonic() + timeout
    while not wanted(version := data_version.peek()):
        assert time.monotonic() < deadline, failure
        time.sleep(0.001)
    return version


def peeks(count: int = 1) -> list[str]:
    """What `count` peeks at the data version send: SQLite reads it through its own connection;
    on PostgreSQL the worker's listening thread has it already, and nothing is sent."""
    return [data_version._PEEK] * count if db.get_engine().dialect.name == "sqlite" else []
