"""The data version: a committed write to any table changes it; a read or a rolled-back write
does not; every table is covered, also after later migrations."""

from __future__ import annotations

import os
from pathlib import Path
from unittest.mock import patch

import psycopg
import pytest

from sqlalchemy import insert, inspect, text, update
from sqlmodel import Session, select

from kontrol_app import data_version, db
from kontrol_app.models import Customer, Shop, StaffSession, StaffUser
from kontrol_app.models.base import utcnow
from kontrol_app.settings import get_settings
from tests.factories import make_customer
from tests.helpers.sql import caught_up, peek_until


def _now() -> int:
    with db.get_engine().connect() as connection:
        return data_version.current(connection)


def test_every_table_changes_the_version(database):
    with db.get_engine().connect() as connection:
        tables = set(inspect(connection).get_table_names()) - data_version.SKIPPED
        assert "job" in tables and "staff_session" in tables
        assert data_version.covered(connection) == tables
        assert data_version.covered(connection, data_version.SIGN_IN) == set(data_version.SIGN_IN_TABLES)


def _versions() -> data_version.Versions:
    with db.get_engine().connect() as connection:
        return data_version.versions(connection)


def test_the_sign_in_version_changes_only_with_a_staff_sign_in(session, owner):
    """A staff click's remembered session check outlives every write but to staff_session and
    staff_user (services/staff.py `remembered_session`)."""
    before = _versions()
    make_customer(session, owner)
    session.commit()
    after_customer = _versions()
    assert after_customer.data != before.data and after_customer.sign_in == before.sign_in
    with db.get_engine().begin() as connection:
        connection.execute(update(StaffUser).where(StaffUser.id == owner.id).values(name="Dana Owner-Smith"))
    renamed = _versions()
    assert renamed.data != after_customer.data and renamed.sign_in != after_customer.sign_in
    with db.get_engine().begin() as connection:
        connection.execute(update(StaffSession).where(StaffSession.id == -1).values(revoked_at=None))  # no row: no change
    assert _versions() == renamed
    with db.get_engine().begin() as connection:
        connection.execute(insert(StaffSession).values(
            staff_user_id=owner.id, token_hash="x" * 64, created_at=utcnow(), expires_at=utcnow(), last_seen_at=utcnow()))
    assert _versions().sign_in != renamed.sign_in


def test_a_committed_write_changes_it_and_a_read_or_a_rollback_does_not(session, owner):
    before = _now()
    session.exec(select(Customer)).all()
    session.commit()
    assert _now() == before
    with db.get_engine().connect() as connection:
        connection.execute(update(Shop).values(name="Never kept"))
        connection.rollback()
    assert _now() == before

    make_customer(session, owner)  # through the ORM
    session.commit()
    after_orm = _now()
    assert after_orm != before
    with db.get_engine().begin() as connection:  # through Core
        connection.execute(update(Customer).values(notes="Rush orders welcome"))
    assert _now() != after_orm


def test_read_at_version_reads_the_version_first(session, owner):
    make_customer(session, owner)
    session.commit()
    with Session(db.get_engine()) as fresh:
        version, names = data_version.read_at_version(lambda s: [c.name for c in s.exec(select(Customer))])(fresh)
    assert (version, names) == (_now(), ["Smith Embroidery"])


def test_peek_is_the_version_now_on_sqlite(session, owner, database, tmp_path):
    if not database.startswith("sqlite"):
        return  # test_peek_on_postgresql_is_the_listeners_version
    assert data_version.peek().data == _now()
    make_customer(session, owner)  # committed through the engine's own connections
    session.commit()
    assert data_version.peek().data == _now()
    with db.get_engine().connect() as connection:  # an open read of another connection
        connection.execute(text("BEGIN"))
        before = data_version.current(connection)
        with db.get_engine().begin() as writer:
            writer.execute(update(Shop).values(name="Renamed"))
        assert data_version.peek().data != before  # peek starts a read of its own each time
    # Another database (tests switch; so would a worker whose engine was replaced).
    other = tmp_path / "other.db"
    other.write_bytes(Path(database.removeprefix("sqlite:///")).read_bytes())
    db.reset_engine()
    with patch.dict(os.environ, {"DATABASE_URL": f"sqlite:///{other}"}):
        get_settings.cache_clear()
        with db.get_engine().begin() as connection:
            data_version.restart(connection)
        assert data_version.peek().data == _now()
        db.reset_engine()
    get_settings.cache_clear()


def test_peek_on_postgresql_is_the_listeners_version(session, owner, database):
    """A thread of the worker LISTENs for commits; the worker's own write is never hidden
    behind a notification still on its way; another connection's write shows up in moments."""
    if database.startswith("sqlite"):
        return
    assert caught_up().data == _now()
    make_customer(session, owner)
    session.commit()  # the connection goes back to the pool: this worker wrote
    assert data_version.peek() is None  # until the listener has read the version again
    assert caught_up().data == _now()
    with db.get_engine().connect() as reading:  # a read is no write
        reading.execute(select(Customer)).all()
    assert data_version.peek().data == _now()
    before = _now()
    with psycopg.connect(database.replace("+psycopg", ""), autocommit=True) as other:  # another worker
        other.execute("UPDATE shop SET name = 'Renamed'")
    peek_until(lambda versions: versions is not None and versions.data != before, "another connection's write never reached the listener")
    assert data_version.peek().data == _now()


def test_peek_on_postgresql_trusts_no_version_without_notifications(database):
    """A database whose trigger function predates NOTIFY (not migrated since): never a version."""
    if database.startswith("sqlite"):
        return
    caught_up()
    with db.get_engine().begin() as connection:
        connection.execute(text(data_version._POSTGRES_FUNCTION.replace(f"PERFORM pg_notify('{data_version.CHANNEL}', '');", "")))
    db.reset_engine()  # a worker started on it
    assert data_version.peek() is None
    with pytest.raises(AssertionError, match="never read"):
        caught_up(timeout=0.5)


def test_install_is_idempotent_and_starts_afresh(database):
    before = _now()
    with db.get_engine().begin() as connection:
        assert data_version.install(connection) == []  # every table has its triggers already
    assert _now() != before


def test_a_table_without_triggers_gets_them_at_the_next_install(session, owner):
    """As after a SQLite batch migration (it copies the table, triggers lost) or a new table."""
    make_customer(session, owner)
    session.commit()
    with db.get_engine().begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text('DROP TRIGGER data_version ON "customer"'))
        else:
            connection.execute(text("DROP TRIGGER data_version_customer_update"))
        assert "customer" not in data_version.covered(connection)
        assert data_version.install(connection) == ["customer"]
    with db.get_engine().begin() as connection:
        before = data_version.current(connection)
        connection.execute(update(Customer).values(notes="Rush orders welcome"))
    assert _now() != before


def test_a_staff_table_without_its_sign_in_triggers_gets_them_at_the_next_install(session, owner):
    with db.get_engine().begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text('DROP TRIGGER sign_in_version ON "staff_user"'))
        else:
            connection.execute(text("DROP TRIGGER sign_in_version_staff_user_update"))
        assert data_version.covered(connection, data_version.SIGN_IN) == {"staff_session"}
        assert data_version.install(connection) == ["staff_user"]
    before = _versions()
    with db.get_engine().begin() as connection:
        connection.execute(update(StaffUser).values(role="owner"))
    assert _versions().sign_in != before.sign_in


def test_a_remembered_read_is_good_at_its_version_for_its_time_and_keeps_its_origin_while_the_same(data_version_clock):
    clock = data_version_clock
    clock.now = 1000.0
    reads = data_version.Remembered(seconds=30.0)
    first = reads.put("board", 7, ["League Tees"])
    assert reads.get("board", 7) == first and reads.get("board", 8) is None
    clock.now += 21
    assert reads.ageing(first)
    again = reads.put("board", 7, ["League Tees"])  # read again, the same: a page showing it still does
    assert (again.at, again.origin) == (1021.0, first.origin)
    clock.now += 10  # 31 s after the first read, 10 s after the second
    assert reads.get("board", 7) == again and not reads.ageing(again)
    after_a_write = reads.put("board", 8, ["League Tees"])  # a write elsewhere: the same cards
    assert after_a_write.origin == first.origin and reads.get("board", 7) is None
    moved = reads.put("board", 8, ["League Tees (due today)"])  # the clock moved what it shows
    assert moved.origin != first.origin
    assert reads.put("list", 8, ["League Tees (due today)"]).origin not in (first.origin, moved.origin)
    clock.now += 30
    assert reads.get("board", 8) is None
