"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

import kontrol_app.models  # noqa: F401  (registers every table)
from kontrol_app import db
from kontrol_app.manage import alembic_config, migrate
from kontrol_app.settings import get_settings
from tests.conftest import BACKENDS, _admin, _postgres_url


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path, monkeypatch) -> str:
    """A database nothing has touched (the `database` fixture copies an already migrated one)."""
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        name = f"kontrol_empty_{uuid.uuid4().hex[:12]}"
        _admin(f'CREATE DATABASE "{name}"')
        url = _postgres_url(name)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("KONTROL_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    db.reset_engine()
    yield url
    db.reset_engine()
    get_settings.cache_clear()
    if name:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def schema_differences(url: str) -> list:
    """What `alembic revision --autogenerate` would write, compared as env.py compares."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def test_there_is_one_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, heads


def test_migrate_on_an_empty_database_matches_the_models(empty_database):
    assert table_names(empty_database) == set()
    migrate()
    assert current_revision(empty_database) == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert set(SQLModel.metadata.tables) <= table_names(empty_database)
    assert schema_differences(empty_database) == []


def test_test_database_matches_the_models(database):
    assert current_revision(database) == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert set(SQLModel.metadata.tables) <= table_names(database)
    assert schema_differences(database) == []


def test_downgrade_to_base_and_upgrade_again(database):
    db.reset_engine()  # no pooled connection may hold a table the downgrade drops
    command.downgrade(alembic_config(database), "base")
    assert table_names(database) <= {"alembic_version"}
    assert current_revision(database) is None
    migrate()
    assert schema_differences(database) == []
    # And once more, step by step, to catch a revision whose downgrade leaves something behind.
    script = ScriptDirectory.from_config(alembic_config())
    for _ in list(script.walk_revisions()):
        command.downgrade(alembic_config(database), "-1")
    assert table_names(database) <= {"alembic_version"}
    migrate()
    assert schema_differences(database) == []


def test_migrate_twice_is_harmless(database):
    migrate()
    assert schema_differences(database) == []


@pytest.mark.parametrize("table", ["shop", "staff_user", "staff_session", "sign_in_ticket", "sign_in_attempt"])
def test_foundation_tables_exist(database, table):
    assert table in table_names(database)
