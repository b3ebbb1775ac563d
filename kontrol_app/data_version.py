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
  It also NOTIFYs `kontrol_data_version`, so each worker's listening thread (`peek`) reads the
  new version the moment a write commits, wherever it was made.

Read the version before the data it stands for (as `read_at_version` does): data read after
it are at least as new, so a version can only ever understate what was read, never hide a
write. Every install (each migration, a restore) starts the version at a fresh random number,
so a restored database never matches what a worker remembers of the old one.

Beside it, the sign-in version changes only with the tables a staff member's session check
reads (`SIGN_IN_TABLES`): a click's remembered check then outlives every other write (a status
change, a message, the outbox sending), which in a busy shop is nearly every click's lot.
"""

from __future__ import annotations

import functools
import itertools
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, NamedTuple, TypeVar

import psycopg
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from kontrol_app import db
from kontrol_app.db import compiled_once, get_engine

T = TypeVar("T")

TABLE = "data_version"
SKIPPED = {TABLE, "alembic_version"}
FUNCTION = "kontrol_bump_data_version"
# What services/staff.py `_PRINCIPAL_QUERY` reads: whatever could end or change a staff sign-in
# (signing out, revoking, deactivating, a new name or role) is a write to one of these.
SIGN_IN_TABLES = ("staff_session", "staff_user")
SIGN_IN = "sign_in_version"
SIGN_IN_FUNCTION = "kontrol_bump_sign_in_version"
CHANNEL = "kontrol_data_version"  # PostgreSQL: NOTIFY on each commit that changed the version
# The version a staff event's session check read (ui/guard.py), for the handler to compare with.
SEEN: ContextVar[int | None] = ContextVar("data_version_seen", default=None)

_PEEK = f"SELECT version, {SIGN_IN} FROM {TABLE}"
_CURRENT = compiled_once(text(_PEEK))
_BUMP = f"UPDATE {TABLE} SET version = version + 1"
_BUMP_SIGN_IN = f"UPDATE {TABLE} SET {SIGN_IN} = {SIGN_IN} + 1"


def _postgres_function(name: str, bump: str, flag: str, then: str = "") -> str:
    """A trigger function that runs `bump` (and `then`) once per transaction, at its commit."""
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('kontrol.{flag}', true) IS DISTINCT FROM 'on' THEN
        {bump};
        PERFORM set_config('kontrol.{flag}', 'on', true);{then}
    END IF;
    RETURN NULL;
END;
$$
"""


_POSTGRES_FUNCTION = _postgres_function(FUNCTION, _BUMP, "data_version_bumped", f"\n        PERFORM pg_notify('{CHANNEL}', '');")
_POSTGRES_SIGN_IN_FUNCTION = _postgres_function(SIGN_IN_FUNCTION, _BUMP_SIGN_IN, "sign_in_version_bumped")


class Versions(NamedTuple):
    """The data version and the sign-in version, read together."""

    data: int
    sign_in: int


def versions(connection: Connection) -> Versions:
    """Both versions now (one indexed read of a one-row table)."""
    return Versions(*connection.execute(_CURRENT).first())


def current(connection: Connection) -> int:
    """The data version now."""
    return versions(connection).data


_own = threading.local()  # peek's SQLite connection: (engine, process id, connection)


def peek() -> Versions | None:
    """Both versions now where reading them is nearly free, else None (then read). On SQLite:
    through this thread's own connection in autocommit mode (each read sees the latest commit),
    without the pool and a session around it, a tenth of the cost of `current` inside a busy
    worker (the check that starts every staff click). On PostgreSQL: what this worker's
    listening thread last read, unless this worker wrote since (`_Listener`)."""
    engine = get_engine()
    if engine.dialect.name == "postgresql":
        return _Listener.of(engine).versions()
    if engine.dialect.name != "sqlite":
        return None
    held = getattr(_own, "held", None)
    if held is None or held[0] is not engine or held[1] != os.getpid():
        if held is not None and held[1] == os.getpid():
            held[2].close()  # of an engine since replaced (tests switch databases)
        connection = sqlite3.connect(engine.url.database, isolation_level=None, check_same_thread=False, timeout=30)
        held = _own.held = (engine, os.getpid(), connection)
    return Versions(*held[2].execute(_PEEK).fetchone())


class _Listener:
    """PostgreSQL: a thread per worker LISTENs on `CHANNEL` through a connection of its own and
    reads the version again after each notification, so `peek` costs no round trip. A version
    it read counts only while no connection of this worker that wrote has gone back to the pool
    since the read began (`db.writes`): a worker's own commit is never hidden behind a
    notification still on its way; until the thread reads again (at the notification, or within
    `IDLE` s), `peek` says None and callers read. Another worker's write is seen once its
    notification arrives (milliseconds). No connection, or a database whose trigger does not
    notify (not migrated since): None, always."""

    # s: how long a version this worker's write made stale waits for a notification before the
    # thread reads anyway. Short: the notification often comes before the connection is back in
    # the pool (commit, then check-in), and then no other one is on its way.
    IDLE = 0.02
    _held: _Listener | None = None

    def __init__(self, engine: Engine) -> None:
        self.engine, self.pid = engine, os.getpid()
        self._read: tuple[Versions, int] | None = None  # (versions, db.writes when its read began)

    @classmethod
    def of(cls, engine: Engine) -> _Listener:
        held = cls._held
        if held is None or held.engine is not engine or held.pid != os.getpid():
            held = cls._held = cls(engine)
            threading.Thread(target=held._run, name="kontrol-data-version", daemon=True).start()
        return held

    def versions(self) -> Versions | None:
        read = self._read
        return read[0] if read is not None and read[1] == db.writes else None

    def _current(self) -> bool:
        return db.in_use(self.engine) and os.getpid() == self.pid and _Listener._held is self

    def _run(self) -> None:
        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while self._current():
            try:
                # Keepalives: a connection that died without a word ends within half a minute.
                with psycopg.connect(url, autocommit=True, keepalives_idle=10, keepalives_interval=5, keepalives_count=3) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    if not connection.execute(_NOTIFIES, {"name": FUNCTION}).fetchone()[0]:
                        return  # the trigger function predates NOTIFY: no version is ever trusted
                    self._refresh(connection)
                    while self._current():
                        waited = self.IDLE if self.versions() is None else 1.0
                        if any(True for _ in connection.notifies(timeout=waited, stop_after=1)) or self.versions() is None:
                            self._refresh(connection)
            except psycopg.Error:
                self._read = None
                time.sleep(1.0)
        self._read = None

    def _refresh(self, connection: psycopg.Connection) -> None:
        writes = db.writes  # before the read: a write that ends during it leaves the read untrusted
        self._read = (Versions(*connection.execute(_PEEK).fetchone()), writes)


_NOTIFIES = "SELECT coalesce(bool_or(position('pg_notify' in prosrc) > 0), false) FROM pg_proc WHERE proname = %(name)s"


def read_at_version(fn: Callable[..., T]) -> Callable[..., tuple[int, T]]:
    """`fn(session, ...)` as (the version, its result), the version read first."""

    @functools.wraps(fn)
    def at_version(session: Session, *args: Any, **kwargs: Any) -> tuple[int, T]:
        return current(session.connection()), fn(session, *args, **kwargs)

    return at_version


class Read(NamedTuple):
    """A remembered read: its `version`, when it was read (`at`), its `result`, and which read
    first gave that same result (`origin`): a page that shows that read's result shows this one."""

    version: int
    at: float
    result: Any
    origin: int


class Remembered:
    """Reads remembered by one worker, each good while the version is the one it was read at,
    and for at most `seconds` (what a page shows also moves with the clock: due dates, overdue
    sums). Kept small: when full, it starts again empty."""

    def __init__(self, *, size: int = 512, seconds: float = 30.0) -> None:
        self.size, self.seconds = size, seconds
        self._entries: dict[Any, Read] = {}
        self._reads = itertools.count(1)

    def get(self, key: Any, version: int | None) -> Read | None:
        """What was read for `key`, if it was read at `version` and is not too old."""
        entry = self._entries.get(key)
        if entry is None or entry.version != version or time.time() - entry.at >= self.seconds:
            return None
        return entry

    def put(self, key: Any, version: int, result: Any) -> Read:
        """Remember `result`, read at `version`. Equal to what was remembered for `key` (read
        again after a write elsewhere, or as the clock ran), it keeps its `origin`."""
        if len(self._entries) >= self.size:
            self._entries.clear()
        last = self._entries.get(key)
        origin = last.origin if last is not None and last.result == result else next(self._reads)
        self._entries[key] = entry = Read(version, time.time(), result, origin)
        return entry

    def ageing(self, entry: Read) -> bool:
        """Past two thirds of its time: worth reading again ahead of the click that would wait."""
        return time.time() - entry.at >= self.seconds * 2 / 3


def _sqlite_triggers(table: str, name: str = TABLE, bump: str = _BUMP) -> dict[str, str]:
    return {f"{name}_{table}_{change.lower()}": f"AFTER {change} ON {table} BEGIN {bump}; END"
            for change in ("INSERT", "UPDATE", "DELETE")}


def ready(connection: Connection) -> bool:
    """Whether the table is there with both versions (not while downgraded below them)."""
    found = inspect(connection)
    return TABLE in found.get_table_names() and SIGN_IN in {column["name"] for column in found.get_columns(TABLE)}


def install(connection: Connection) -> list[str]:
    """Triggers on every table that lacks them (the sign-in version's too, on `SIGN_IN_TABLES`),
    and a fresh random start; the tables it covered now (idempotent: it runs after every
    migration)."""
    tables = set(inspect(connection).get_table_names())
    added = sorted(tables - SKIPPED - covered(connection))
    signing_in = sorted(tables.intersection(SIGN_IN_TABLES) - covered(connection, SIGN_IN))
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text(_POSTGRES_FUNCTION))
        connection.execute(text(_POSTGRES_SIGN_IN_FUNCTION))
    for name, function, bump, chosen in ((TABLE, FUNCTION, _BUMP, added), (SIGN_IN, SIGN_IN_FUNCTION, _BUMP_SIGN_IN, signing_in)):
        for table in chosen:
            if postgres:
                connection.execute(text(
                    f'CREATE CONSTRAINT TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                    f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {function}()"
                ))
            else:
                for trigger, body in _sqlite_triggers(table, name, bump).items():
                    connection.execute(text(f"CREATE TRIGGER IF NOT EXISTS {trigger} {body}"))
    restart(connection)
    return sorted({*added, *signing_in})


def restart(connection: Connection) -> None:
    """A fresh random version: what a worker remembers of another database (one restored over
    it, a copy of the same template) never matches this one."""
    connection.execute(text(f"UPDATE {TABLE} SET version = :start, {SIGN_IN} = :sign_in"),
                       {"start": secrets.randbelow(2**52), "sign_in": secrets.randbelow(2**52)})
    if connection.dialect.name == "postgresql":  # the version's own table has no trigger
        connection.execute(text(f"SELECT pg_notify('{CHANNEL}', '')"))


def covered(connection: Connection, name: str = TABLE) -> set[str]:
    """The tables whose writes change the version (`name`: SIGN_IN, the sign-in version)."""
    if connection.dialect.name == "postgresql":
        return set(connection.execute(text(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = :name"
        ), {"name": name}).scalars())
    names = set(connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    tables = set(inspect(connection).get_table_names()) - SKIPPED
    return {table for table in tables if names.issuperset(_sqlite_triggers(table, name))}
