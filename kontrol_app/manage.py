"""Command-line tasks: `python -m kontrol_app.manage migrate`."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from kontrol_app.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(db_url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["configure_logger"] = False
    if db_url:
        config.attributes["db_url"] = db_url
    return config


def migrate(db_url: str | None = None) -> None:
    """Bring the database schema up to date (creates the SQLite file when missing)."""
    settings = get_settings()
    if not db_url and settings.db_url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(db_url), "head")


def main(argv: list[str]) -> int:
    if argv[:1] == ["migrate"]:
        migrate()
        print("Database is up to date.")
        return 0
    if argv[:1] == ["demo"]:
        from kontrol_app.demo import load_demo

        migrate()
        print(load_demo())
        return 0
    print("usage: python -m kontrol_app.manage migrate|demo|send-email", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
