"""Command-line tasks: `python -m kontrol_app.manage migrate|demo|send-email [--once]|backup [PATH]|restore PATH [--force]|set-password EMAIL`."""

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


def send_email(*, once: bool) -> int:
    """Deliver the outbox with the settings from the environment: every email due now
    (`--once`), or for as long as the process runs (the web app's sender loop)."""
    import asyncio
    import logging

    from kontrol_app.background import outbox_sender
    from kontrol_app.services.outbox import deliver_due, transport_for

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if once:
        settings = get_settings()
        handled = deliver_due(transport_for(settings), settings=settings)
        print(f"Handled {handled} email(s).")
        return 0
    try:
        asyncio.run(outbox_sender())
    except KeyboardInterrupt:
        pass
    return 0


def backup_or_restore(argv: list[str]) -> int | None:
    """`backup [PATH]` and `restore PATH [--force]` (kontrol_app/backup/); None: not these."""
    from kontrol_app import backup

    command_name, arguments = argv[0], argv[1:]
    try:
        if command_name == "backup" and len(arguments) <= 1 and not any(a.startswith("-") for a in arguments):
            print(backup.backup(arguments[0] if arguments else None).summary())
            return 0
        force = "--force" in arguments
        paths = [a for a in arguments if a != "--force"]
        if command_name == "restore" and len(paths) == 1 and not paths[0].startswith("-"):
            print(backup.restore(paths[0], force=force).summary())
            return 0
    except backup.BackupError as error:
        print(str(error), file=sys.stderr)
        return 1
    return None


def set_password(email: str) -> int:
    """A team member's new password, typed twice at the prompt (or one line on stdin when piped)."""
    import getpass

    from kontrol_app.db import session_scope
    from kontrol_app.services import staff
    from kontrol_app.services.errors import InvalidInput

    if sys.stdin.isatty():
        password = getpass.getpass("New password: ")
        if getpass.getpass("Type it again: ") != password:
            print("The two passwords differ; nothing changed.", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        with session_scope() as session:
            name = staff.set_password_from_console(session, email, password)
    except InvalidInput as error:
        print(f"{error.message} Nothing changed.", file=sys.stderr)
        return 1
    print(f"{name} can sign in with the new password; their other sign-ins have ended.")
    return 0


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
    if argv[:1] == ["send-email"] and argv[1:] in ([], ["--once"]):
        return send_email(once=argv[1:] == ["--once"])
    if argv[:1] in (["backup"], ["restore"]) and (code := backup_or_restore(argv)) is not None:
        return code
    if argv[:1] == ["set-password"] and len(argv) == 2:
        return set_password(argv[1])
    print(
        "usage: python -m kontrol_app.manage migrate|demo|send-email [--once]|backup [PATH]|restore PATH [--force]"
        "|set-password EMAIL",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
