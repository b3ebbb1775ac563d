"""The data version: one number the database changes whenever any of its tables is written.

A staff page that shows what it read at version V still shows the truth while the version is
V: then it need not read again (the board's 270 cards, an invoice list's totals). Triggers on
every table keep the number, in the same transaction as the write, whatever code made it (the
services, the background loops, a migration, a restore); `install` adds them to every table
and runs after each `alembic upgrade` (alembic/env.py), so a new table is covered without a
word.

- SQLite: a row trigger per table and change adds one in the writing transaction.
- PostgreSQL: a deferred row trigger adds one at commit, once per transaction: the version's
  row is locked only for the moment of the commit, so writers don't queue behind each other.

Read the version before the data it stands for (as `read_at_version` does): data read after
it are at least as new, so a version can only ever understate what was read, never hide a
write. Every install (each migration, a restore) starts the version at a fresh random number,
so a restored database never matches what a worker remembers of the old one.
"""

from __future__ import annotations

import functools
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import Session

from kontrol_app.db import compiled_once, get_engine

T = TypeVar("T")

TABLE = "data_version"
SKIPPED = {TABLE, "alembic_version"}
FUNCTION = "kontrol_bump_data_version"
# The version a staff event's session check read (ui/guard.py), for the handler to compare with.
SEEN: ContextVar[int | None] = ContextVar("data_version_seen", default=None)

_PEEK = f"SELECT version FROM {TABLE}"
_CURRENT = compiled_once(text(_PEEK))
_BUMP = f"UPDATE {TABLE} SET version = version + 1"

_POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('kontrol.data_version_bumped', true) IS DISTINCT FROM 'on' THEN
        {_BUMP};
        PERFORM set_config('kontrol.data_version_bumped', 'on', true);
    END IF;
    RETURN NULL;
END;
$$
"""


def current(connection: Connection) -> int:
    """The version now (one indexed read of a one-row table)."""
    return connection.execute(_CURRENT).scalar_one()


_own = threading.local()  # peek's SQLite connection: (engine, process id, connection)


def peek() -> int | None:
    """The version now where reading it is nearly free, else None. On SQLite: through this
    thread's own connection in autocommit mode (each read sees the latest commit), without the
    pool and a session around it, a tenth of the cost of `current` inside a busy worker (the
    check that starts every staff click). On PostgreSQL a read hops to a thread anyway."""
    engine = get_engine()
    if engine.dialect.name != "sqlite":
        return None
    held = getattr(_own, "held", None)
    if held is None or held[0] is not engine or held[1] != os.getpid():
        if held is not None and held[1] == os.getpid():
            held[2].close()  # of an engine since replaced (tests switch databases)
        connection = sqlite3.connect(engine.url.database, isolation_level=None, check_same_thread=False, timeout=30)
        held = _own.held = (engine, os.getpid(), connection)
    return held[2].execute(_PEEK).fetchone()[0]


def read_at_version(fn: Callable[..., T]) -> Callable[..., tuple[int, T]]:
    """`fn(session, ...)` as (the version, its result), the version read first."""

    @functools.wraps(fn)
    def at_version(session: Session, *args: Any, **kwargs: Any) -> tuple[int, T]:
        return current(session.connection()), fn(session, *args, **kwargs)

    return at_version


class Remembered:
    """Reads remembered by one worker, each good while the version is the one it was read at,
    and for at most `seconds` (what a page shows also moves with the clock: due dates, overdue
    sums). Kept small: when full, it starts again empty."""

    def __init__(self, *, size: int = 512, seconds: float = 30.0) -> None:
        self.size, self.seconds = size, seconds
        self._entries: dict[Any, tuple[int, float, Any]] = {}

    def get(self, key: Any, version: int | None) -> tuple[float, Any] | None:
        """(when it was read, the result), if it was read at `version` and is not too old."""
        entry = self._entries.get(key)
        if entry is None or entry[0] != version or time.time() - entry[1] >= self.seconds:
            return None
        return entry[1], entry[2]

    def put(self, key: Any, version: int, result: Any) -> float:
        """Remember `result`, read at `version`; when that was."""
        if len(self._entries) >= self.size:
            self._entries.clear()
        at = time.time()
        self._entries[key] = (version, at, result)
        return at

    def fresh(self, at: float) -> bool:
        return time.time() - at < self.seconds


def _sqlite_triggers(table: str) -> dict[str, str]:
    return {f"{TABLE}_{table}_{change.lower()}": f"AFTER {change} ON {table} BEGIN {_BUMP}; END"
            for change in ("INSERT", "UPDATE", "DELETE")}


def install(connection: Connection) -> list[str]:
    """Triggers on every table that lacks them, and a fresh random start; the tables it
    covered now (idempotent: it runs after every migration)."""
    added = sorted(set(inspect(connection).get_table_names()) - SKIPPED - covered(connection))
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text(_POSTGRES_FUNCTION))
    for table in added:
        if postgres:
            connection.execute(text(
                f'CREATE CONSTRAINT TRIGGER {TABLE} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
            ))
        else:
            for name, body in _sqlite_triggers(table).items():
                connection.execute(text(f"CREATE TRIGGER IF NOT EXISTS {name} {body}"))
    restart(connection)
    return added


def restart(connection: Connection) -> None:
    """A fresh random version: what a worker remembers of another database (one restored over
    it, a copy of the same template) never matches this one."""
    connection.execute(text(f"UPDATE {TABLE} SET version = :start"), {"start": secrets.randbelow(2**52)})


def covered(connection: Connection) -> set[str]:
    """The tables whose writes change the version (for the test that every table is)."""
    if connection.dialect.name == "postgresql":
        return set(connection.execute(text(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = :name"
        ), {"name": TABLE}).scalars())
    names = set(connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    tables = set(inspect(connection).get_table_names()) - SKIPPED
    return {table for table in tables if names.issuperset(_sqlite_triggers(table))}
