"""Alembic environment: Kontrol's settings give the URL, its models the target schema."""

from logging.config import fileConfig

from alembic import context
from sqlmodel import SQLModel

import kontrol_app.models  # noqa: F401  (registers every table)
from kontrol_app import data_version
from kontrol_app.db import make_engine
from kontrol_app.settings import get_settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def _url() -> str:
    return config.attributes.get("db_url") or get_settings().db_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    # After every run, committed on its own: every table, a new one too, changes the data version
    # (kontrol_app/data_version.py). Not while downgraded below the table or its columns.
    if data_version.ready(connection):
        data_version.install(connection)
    connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
