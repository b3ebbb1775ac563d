"""The database engine and sessions used by services, routes and background loops."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.sql.base import Executable
from sqlalchemy.util import LRUCache
from sqlmodel import Session, create_engine

from kontrol_app.services.search import SQLITE_UNICODE_LOWER, python_lower
from kontrol_app.settings import get_settings

_engine: Engine | None = None
S = TypeVar("S", bound=Executable)
# Per worker process: its event threads (asyncio's default executor holds min(32, CPUs + 4))
# and the background loops. PostgreSQL's default 100 connections allow several workers.
POOL_SIZE = 12
POOL_OVERFLOW = 8


# Statements built once at import (`compiled_once`): their cache keys, by identity.
_BUILT_ONCE: dict[int, tuple] = {}


def compiled_once(statement: S) -> S:
    """Mark a statement built once at import (the portal's re-check, a staff click's session
    check...): each execution finds its compiled SQL by the identity of its cache key."""
    key = statement._generate_cache_key()  # memoized on the statement: the same tuple for life
    if key is not None:
        _BUILT_ONCE[id(key.key)] = key.key
    return statement


class StatementCache:
    """SQLAlchemy's compiled-SQL cache (an LRU keyed by each statement's cache key), except for
    statements marked `compiled_once`: the LRU hashes the whole key, a deep tuple, on every
    execution (10 µs for the portal's re-check, and an eighth of a portal event's time in a
    profile under load); those are found by the identity of their key instead."""

    def __init__(self, size: int = 500) -> None:  # SQLAlchemy's default size
        self._lru: LRUCache = LRUCache(size)
        self._once: dict[tuple[int, int, tuple], tuple[tuple, Any]] = {}

    @staticmethod
    def _slot(key: tuple) -> tuple[int, int, tuple]:
        # SQLAlchemy's key: (dialect, statement's cache key, column keys, schema map?, executemany?)
        return id(key[0]), id(key[1]), key[2:]

    def get(self, key: tuple, default: Any = None) -> Any:
        entry = self._once.get(self._slot(key))
        if entry is not None and entry[0][0] is key[0] and entry[0][1] is key[1]:
            return entry[1]
        return self._lru.get(key, default)

    def __setitem__(self, key: tuple, compiled: Any) -> None:
        if _BUILT_ONCE.get(id(key[1])) is key[1]:
            self._once[self._slot(key)] = (key, compiled)
        else:
            self._lru[key] = compiled


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # Enough pooled connections for every worker thread (asyncio's default executor, the
        # background loops): with SQLAlchemy's default 5 the overflow ones were opened and
        # closed again on every busy second, each paying the pragmas below.
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
            execution_options={"compiled_cache": StatementCache()},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            # WAL lets the outbox sender write while pages read.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            # Unicode case folding for searches with non-ASCII letters (services/search.py).
            dbapi_connection.create_function(SQLITE_UNICODE_LOWER, 1, python_lower, deterministic=True)

        return engine
    engine = create_engine(
        url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, execution_options={"compiled_cache": StatementCache()}
    )
    event.listen(engine, "after_cursor_execute", _note_write)
    event.listen(engine.pool, "checkin", _count_write)
    return engine


# PostgreSQL: how many times a connection of this process that wrote went back to the pool (its
# transaction over). data_version.peek trusts a version read only while this is unchanged, so
# code reads its own writes. Anything but a SELECT counts as a write (a savepoint too).
writes = 0
_WROTE = "kontrol_wrote"


def _note_write(connection, _cursor, statement: str, _parameters, _context, _executemany) -> None:
    if not statement.lstrip()[:6].upper().startswith("SELECT"):
        connection.info[_WROTE] = True


def _count_write(_dbapi_connection, record) -> None:
    global writes
    if record.info.pop(_WROTE, False):
        writes += 1


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        settings = get_settings()
        if settings.db_url.startswith("sqlite:///"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        _engine = make_engine(settings.db_url)
    return _engine


def in_use(engine: Engine) -> bool:
    """Whether `engine` is the one `get_engine` hands out now (not replaced since)."""
    return _engine is engine


def reset_engine() -> None:
    """Forget the engine (tests that switch databases call this)."""
    global _engine
    if _engine is not None:
        _engine.dispose()
    _engine = None


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_scope() -> Iterator[Session]:
    """A unit of work that only reads: nothing to commit (closing rolls back whatever began)."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


def _after_fork_in_child() -> None:
    # Forked workers must not share the parent's pooled connections.
    if _engine is not None:
        _engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)
