"""The two kinds of database, SQLite (`_Sqlite`) and PostgreSQL (`_Postgres`): preflight, the
consistent snapshot and its `Facts`, the shop check, and loading a backup's database in place."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from kontrol_app.backup.common import CHUNK, COUNTED, DATABASE_FILES, BackupError, written_whole
from kontrol_app.settings import Settings


@dataclass
class Facts:
    """What a database snapshot holds: its schema revision, the manifest's counts and the
    SHA-256 of every stored file it names."""

    revision: str
    counts: dict[str, int]
    named: set[str]


@dataclass
class Snapshot:
    """A database snapshot: its facts, and the file `finish()` leaves it in."""

    facts: Facts
    path: Path
    finish: Callable[[], None] = lambda: None


# --- the two kinds of database ---------------------------------------------------------------


def _database(settings: Settings) -> _Sqlite | _Postgres:
    url = settings.db_url
    if url.startswith("sqlite"):
        return _Sqlite(url)
    if url.startswith("postgresql"):
        return _Postgres(url)
    raise BackupError(f"Backups support SQLite and PostgreSQL; DATABASE_URL names {make_url(url).get_backend_name()}.")


def _count_rows(execute, tables: set[str]) -> dict[str, int]:
    return {
        name: (execute(f'SELECT count(*) FROM "{table}"')[0][0] if table in tables else 0)
        for name, table in COUNTED.items()
    }


class _Sqlite:
    kind = "sqlite"

    def __init__(self, url: str) -> None:
        database = make_url(url).database
        if not database or database == ":memory:":
            raise BackupError("DATABASE_URL names an in-memory SQLite database: there is nothing to back up.")
        self.path = Path(database).resolve()

    def describe(self) -> str:
        return f"the SQLite database {self.path}"

    def preflight(self) -> None:
        if not self.path.is_file():
            raise BackupError(f"There is no database at {self.path} yet: nothing to back up.")

    @staticmethod
    def _facts(connection: sqlite3.Connection, where: str) -> Facts:
        def execute(sql: str) -> list[tuple]:
            return connection.execute(sql).fetchall()

        tables = {row[0] for row in execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "alembic_version" not in tables:
            raise BackupError(f"{_cap(where)} has no Kontrol schema: run `python -m kontrol_app.manage migrate` first.")
        revision = execute("SELECT version_num FROM alembic_version")
        named = {row[0] for row in execute("SELECT DISTINCT sha256 FROM stored_file")} if "stored_file" in tables else set()
        return Facts(revision[0][0] if revision else "", _count_rows(execute, tables), named)

    @contextlib.contextmanager
    def snapshot(self, workdir: Path) -> Iterator[Snapshot]:
        """A consistent copy through SQLite's online backup API (readers never block the app's
        writers under WAL), as one self-contained file."""
        if not self.path.is_file():
            raise BackupError(f"There is no database at {self.path} yet: nothing to back up.")
        target = workdir / DATABASE_FILES["sqlite"]
        target.unlink(missing_ok=True)
        source = sqlite3.connect(self.path, timeout=30)
        try:
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)  # all pages in one step: one read transaction, one moment
                copy.execute("PRAGMA journal_mode=DELETE")  # no -wal file next to the copy
                if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise BackupError(f"{_cap(self.describe())} failed SQLite's integrity check: it was not backed up.")
                facts = self._facts(copy, self.describe())
            finally:
                copy.close()
        except sqlite3.DatabaseError as error:
            raise BackupError(f"Could not read {self.describe()}: {error}.") from error
        finally:
            source.close()
        yield Snapshot(facts, target)

    def shop_name(self) -> str | None:
        if not self.path.is_file():
            return None
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            return self._shop(connection)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"Could not read {self.describe()}: {error}.") from error
        finally:
            connection.close()

    def load(self, staged: Path, *, force: bool) -> None:
        """Put the backup's database file in place of the current one, atomically."""
        try:
            check = sqlite3.connect(staged)
            try:
                ok = check.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            finally:
                check.close()
        except sqlite3.DatabaseError:
            ok = False
        if not ok:
            raise BackupError("The backup's database file is damaged (SQLite's integrity check failed). Nothing was changed.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with written_whole(self.path, prefix=f".{self.path.name}-restore-") as (out, temporary):
            with open(staged, "rb") as source:
                shutil.copyfileobj(source, out, CHUNK)
            if self.path.exists():
                os.chmod(temporary, self.path.stat().st_mode & 0o777)
                self._release(force=force)

    @staticmethod
    def _shop(connection: sqlite3.Connection) -> str | None:
        if connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'shop'").fetchone() is None:
            return None
        return _shop_from(lambda sql: connection.execute(sql).fetchall())

    def _release(self, *, force: bool) -> None:
        """Fold the current database's WAL into it and leave WAL mode, so that no -wal file of the
        old database is left to be replayed onto the new one. This needs every other connection
        closed: a running app is refused here."""
        connection = sqlite3.connect(self.path, timeout=2)
        try:
            shop = self._shop(connection)
            if shop is not None and not force:  # it got a shop since we looked
                raise BackupError(_shop_message(self.describe(), shop))
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        except sqlite3.OperationalError as error:
            raise BackupError(
                f"{_cap(self.describe())} is in use: stop Kontrol (and anything else using the database) before restoring. "
                f"Nothing was changed. ({error})"
            ) from error
        finally:
            connection.close()
        if mode != "delete":
            raise BackupError(f"{_cap(self.describe())} is in use: stop Kontrol before restoring. Nothing was changed.")
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


class _Postgres:
    kind = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        # libpq takes the URL without the driver name; the password goes through the
        # environment so that it never shows in a process list.
        self.conninfo = self.url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
        self.env = {**os.environ}
        if self.url.password:
            self.env["PGPASSWORD"] = str(self.url.password)

    def describe(self) -> str:
        host = self.url.host or "localhost"
        return f"the PostgreSQL database {self.url.database} on {host}:{self.url.port or 5432}"

    def preflight(self) -> None:
        self._tool("pg_dump", "back up")

    def _connect(self):
        import psycopg

        try:
            return psycopg.connect(self.conninfo, password=self.url.password or None, autocommit=True, connect_timeout=10)
        except psycopg.Error as error:
            raise BackupError(f"Could not connect to {self.describe()}: {str(error).strip()}") from error

    def _tool(self, name: str, purpose: str) -> str:
        found = shutil.which(name)
        if not found:
            raise BackupError(
                f"{name} was not found on PATH: it is needed to {purpose} {self.describe()}. Install PostgreSQL's "
                f"client tools, the same major version as the server or newer (Debian: apt-get install postgresql-client), "
                f"and run this again. Nothing was written."
            )
        return found

    @contextlib.contextmanager
    def snapshot(self, workdir: Path) -> Iterator[Snapshot]:
        """A read-only repeatable-read transaction exports its snapshot; the counts come from it
        and `pg_dump --snapshot` dumps exactly it (when the caller calls `finish`)."""
        pg_dump = self._tool("pg_dump", "back up")
        target = workdir / DATABASE_FILES["postgresql"]
        connection = self._connect()
        try:
            connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot = connection.execute("SELECT pg_export_snapshot()").fetchone()[0]
            schema = connection.execute("SELECT current_schema()").fetchone()[0]

            def execute(sql: str) -> list[tuple]:
                return connection.execute(sql).fetchall()

            tables = {row[0] for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchall()}
            if "alembic_version" not in tables:
                raise BackupError(f"{_cap(self.describe())} has no Kontrol schema: run `python -m kontrol_app.manage migrate` first.")
            revision = execute("SELECT version_num FROM alembic_version")
            named = {row[0] for row in execute("SELECT DISTINCT sha256 FROM stored_file")} if "stored_file" in tables else set()
            facts = Facts(revision[0][0] if revision else "", _count_rows(execute, tables), named)

            def dump() -> None:
                # Kontrol's schema only (tables, sequences, indexes, its trigger functions), not
                # compressed (the archive is), under the very snapshot the facts come from.
                done = subprocess.run(
                    [pg_dump, "--format=custom", "--compress=0", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                     f"--schema={_quote(schema)}", f"--file={target}", f"--dbname={self.conninfo}"],
                    env=self.env, capture_output=True, text=True,
                )
                if done.returncode != 0:
                    raise BackupError(f"pg_dump could not back up {self.describe()}:\n{done.stderr.strip()}")

            yield Snapshot(facts, target, dump)
        finally:
            connection.close()

    def _tables(self, connection) -> tuple[str, set[str]]:
        schema = connection.execute("SELECT current_schema()").fetchone()[0]
        if schema is None:
            raise BackupError(f"{_cap(self.describe())} has no schema to restore into (check the user's search_path).")
        tables = {row[0] for row in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()}
        return schema, tables

    def shop_name(self) -> str | None:
        with self._connect() as connection:
            _schema, tables = self._tables(connection)
            return _shop_from(lambda sql: connection.execute(sql).fetchall()) if "shop" in tables else None

    def check_tools(self) -> None:
        self._tool("pg_restore", "restore into")
        self._tool("psql", "restore into")

    def load(self, staged: Path, *, force: bool) -> None:
        """Drop the schema's tables and load the dump, in one transaction: if anything fails,
        the database is left as it was."""
        pg_restore = self._tool("pg_restore", "restore into")
        psql = self._tool("psql", "restore into")
        work = staged.parent
        # The dump as SQL, minus the schema itself (it exists here; it may belong to someone
        # else); --clean also drops what the dump defines besides tables (trigger functions).
        listed = subprocess.run([pg_restore, "--list", str(staged)], capture_output=True, text=True)
        if listed.returncode != 0:
            raise BackupError(f"pg_restore could not read the backup's database dump; nothing was changed.\n{listed.stderr.strip()}")
        toc = [line for line in listed.stdout.splitlines() if not re.match(r"^\d+;\s+\d+\s+\d+\s+(SCHEMA|COMMENT - SCHEMA) ", line)]
        (work / "toc.list").write_text("\n".join(toc) + "\n")
        script = work / "restore.sql"
        made = subprocess.run(
            [pg_restore, "--no-owner", "--no-privileges", "--clean", "--if-exists", f"--use-list={work / 'toc.list'}",
             f"--file={script}", str(staged)],
            capture_output=True, text=True,
        )
        if made.returncode != 0:
            raise BackupError(f"pg_restore could not read the backup's database dump; nothing was changed.\n{made.stderr.strip()}")
        with self._connect() as connection:
            schema, tables = self._tables(connection)
            if "shop" in tables:
                shop = _shop_from(lambda sql: connection.execute(sql).fetchall())
                if shop is not None and not force:
                    raise BackupError(_shop_message(self.describe(), shop))
        drops = work / "drop-tables.sql"
        lines = ["SET lock_timeout = '30s';"]
        if tables:
            names = ", ".join(f"{_quote(schema)}.{_quote(name)}" for name in sorted(tables))
            lines.append(f"DROP TABLE IF EXISTS {names} CASCADE;")
        drops.write_text("\n".join(lines) + "\n")
        done = subprocess.run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", f"--dbname={self.conninfo}",
             "-f", str(drops), "-f", str(script)],
            env=self.env, capture_output=True, text=True,
        )
        if done.returncode != 0:
            message = done.stderr.strip()
            hint = " Stop Kontrol before restoring." if "lock timeout" in message else ""
            raise BackupError(f"psql could not load the backup into {self.describe()}; nothing was changed.{hint}\n{message}")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _shop_from(execute) -> str | None:
    rows = execute('SELECT name FROM "shop" ORDER BY id LIMIT 1')
    return rows[0][0] if rows else None


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shop_message(where: str, shop: str) -> str:
    return (
        f"{_cap(where)} already holds the shop “{shop}”. Restoring would replace everything in it "
        f"(and the stored files) with the backup. Run the restore again with --force to do that. Nothing was changed."
    )
