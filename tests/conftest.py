"""Shared fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.

PostgreSQL runs when the server at KONTROL_TEST_POSTGRES (default: the machine's
127.0.0.1:5432, database `test`) answers; each test gets its own database with a
random name, dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import uuid

import psycopg
import pytest
from sqlmodel import Session

from kontrol_app import data_version, db
from kontrol_app.manage import migrate
from kontrol_app.settings import get_settings
from tests.fakes.stripe_server import fake_stripe  # noqa: F401  (imported to register the fixture)

POSTGRES_ADMIN = os.environ.get("KONTROL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_reachable() -> bool:
    try:
        with psycopg.connect(POSTGRES_ADMIN, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


BACKENDS = ["sqlite"] + (["postgresql"] if _postgres_reachable() else [])


def _admin(sql: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(sql)


def _postgres_url(name: str) -> str:
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    return f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory):
    """Migrate once per run; each test then copies the result (a file, or a PG template)."""
    sqlite_file = tmp_path_factory.mktemp("template") / "kontrol.db"
    migrate(f"sqlite:///{sqlite_file}")
    templates = {"sqlite": sqlite_file}
    if "postgresql" in BACKENDS:
        name = f"kontrol_template_{uuid.uuid4().hex[:12]}"
        _admin(f'CREATE DATABASE "{name}"')
        migrate(_postgres_url(name))
        templates["postgresql"] = name
    yield templates
    if "postgresql" in templates:
        _admin(f'DROP DATABASE IF EXISTS "{templates["postgresql"]}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path, monkeypatch, migrated_templates) -> str:
    """Point Kontrol's settings at a fresh, migrated database; yields its URL."""
    name = None
    if request.param == "sqlite":
        path = tmp_path / "kontrol-test.db"
        shutil.copyfile(migrated_templates["sqlite"], path)
        url = f"sqlite:///{path}"
    else:
        name = f"kontrol_test_{uuid.uuid4().hex[:12]}"
        _admin(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_templates["postgresql"]}"')
        url = _postgres_url(name)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("KONTROL_DATA_DIR", str(tmp_path / "data"))
    for variable in ("RESEND_API_KEY", "KONTROL_MAIL_DIR", "KONTROL_PUBLIC_URL"):
        monkeypatch.delenv(variable, raising=False)
    get_settings.cache_clear()
    db.reset_engine()
    with db.get_engine().begin() as connection:
        data_version.restart(connection)  # every test's copy of the template starts elsewhere
    yield url
    db.reset_engine()
    get_settings.cache_clear()
    if name:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def session(database) -> Session:
    """A session on the test database; commit explicitly to make changes visible."""
    with Session(db.get_engine(), expire_on_commit=False) as session:
        yield session


@pytest.fixture
def owner(session: Session):
    """The shop and its owner, made through the service (see tests/factories.py for the
    name, `owner@example.com` and the password `correct horse`)."""
    from tests.factories import make_owner

    return make_owner(session)
