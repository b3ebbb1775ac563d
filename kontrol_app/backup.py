"""Backups: one archive of the database and the stored files, and its restore.

`python -m kontrol_app.manage backup [PATH]` and `restore PATH [--force]` call `backup()` and
`restore()`. An archive is a .tar.gz holding, under `kontrol-backup/`:

    files/ab/ab12…          every stored blob, named by its SHA-256 (services/files.py)
    database.sqlite3        SQLite: a copy made with SQLite's online backup API, or
    database.pgdump         PostgreSQL: `pg_dump --format=custom` of Kontrol's schema
    secret_key              the generated signing secret, when it lives in the data dir
    manifest.json           written last: format, schema revision, database kind, counts

Both are safe while the app writes. The database is copied as one consistent snapshot
(SQLite's backup API; PostgreSQL: an exported snapshot that `pg_dump` and our own counts
share). A blob is written before the row that names it commits and removed only after the
row's deletion commits, so every blob a snapshot names is on disk at the snapshot's moment;
all blobs are copied before the snapshot, then those it names that are still missing. One
deleted in between (its row removed after the snapshot) makes the snapshot be taken again.

The signing secret is kept because portal links and the saved Stripe keys are derived from
it: without it every client's link would change. The archive is written with mode 0600.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import make_url

from kontrol_app.settings import Settings, get_settings

FORMAT = "kontrol-backup"
FORMAT_VERSION = 1
ROOT = "kontrol-backup"
MANIFEST = "manifest.json"
SECRET_KEY = "secret_key"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# What the manifest counts, and the table each count comes from.
COUNTED = {"customers": "customer", "jobs": "job", "files": "stored_file", "emails": "outbox_email"}
SNAPSHOT_TRIES = 10
CHUNK = 1024 * 1024
_BLOB = re.compile(r"[0-9a-f]{64}")
_BLOB_MEMBER = re.compile(rf"{ROOT}/files/([0-9a-f]{{2}})/([0-9a-f]{{64}})")


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


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


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = self.manifest["counts"]
        size = self.path.stat().st_size
        lines = [
            f"Backup written to {self.path} ({_size(size)}).",
            f"It holds {counts['customers']} customer(s), {counts['jobs']} job(s), {counts['files']} file(s) "
            f"({self.manifest['blobs']} stored blob(s)) and {counts['emails']} email(s); "
            f"database: {self.manifest['database']}, schema {self.manifest['schema_revision']}.",
        ]
        return "\n".join(lines + self.notes)


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    where: str
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = self.manifest["counts"]
        lines = [
            f"Restored the backup of {self.manifest['created_at']} into {self.where}: "
            f"{counts['customers']} customer(s), {counts['jobs']} job(s), {counts['files']} file(s), "
            f"{counts['emails']} email(s). The database is migrated up to date.",
        ]
        return "\n".join(lines + self.notes)


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} bytes"  # pragma: no cover


def default_name(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("kontrol-backup-%Y%m%d-%H%M%S.tar.gz")


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
        descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}-restore-")
        try:
            with os.fdopen(descriptor, "wb") as out, open(staged, "rb") as source:
                shutil.copyfileobj(source, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            if self.path.exists():
                os.chmod(temporary, self.path.stat().st_mode & 0o777)
                self._release(force=force)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_dir(self.path.parent)

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


# --- writing an archive ----------------------------------------------------------------------


def _blobs_on_disk(files_dir: Path) -> set[str]:
    found: set[str] = set()
    if not files_dir.is_dir():
        return found
    for folder in os.scandir(files_dir):
        if not (folder.is_dir(follow_symlinks=False) and len(folder.name) == 2):
            continue  # .incoming (uploads arriving) and anything else
        for entry in os.scandir(folder.path):
            if _BLOB.fullmatch(entry.name) and entry.name[:2] == folder.name and entry.is_file(follow_symlinks=False):
                found.add(entry.name)
    return found


def _tarinfo(name: str, size: int, mode: int = 0o600) -> tarfile.TarInfo:
    info = tarfile.TarInfo(f"{ROOT}/{name}")
    info.size = size
    info.mode = mode
    info.mtime = int(time.time())
    info.uname = info.gname = ""
    return info


class _HashingReader(io.RawIOBase):
    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.hash = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.handle.read(len(buffer))
        self.hash.update(data)
        buffer[: len(data)] = data
        return len(data)


def _add_blobs(archive: tarfile.TarFile, files_dir: Path, wanted: set[str], archived: set[str], notes: list[str]) -> set[str]:
    """Copy the `wanted` blobs not yet in the archive; returns those no longer on disk."""
    missing: set[str] = set()
    for sha256 in sorted(wanted - archived):
        path = files_dir / sha256[:2] / sha256
        try:
            handle = open(path, "rb")  # once open, a removal by the app no longer matters
        except FileNotFoundError:
            missing.add(sha256)
            continue
        with handle:
            reader = _HashingReader(handle)
            archive.addfile(_tarinfo(f"files/{sha256[:2]}/{sha256}", os.fstat(handle.fileno()).st_size), reader)
        if reader.hash.hexdigest() != sha256:
            notes.append(f"Warning: the stored file {path} does not match its SHA-256 (damaged on disk); it was backed up as it is.")
        archived.add(sha256)
    return missing


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    archive.addfile(_tarinfo(name, len(data)), io.BytesIO(data))


def _secret_key(settings: Settings) -> tuple[bytes | None, str]:
    """(the key file's bytes or None, where the signing secret comes from)."""
    if settings.secret_key and settings.secret_key.get_secret_value():
        return None, "environment"
    path = settings.data_dir / "secret_key"
    if path.is_file():
        return path.read_bytes(), "archive"
    return None, "none"


def backup(path: str | Path | None = None, *, settings: Settings | None = None) -> BackupResult:
    """Write one archive of the database and the stored files to `path` (a file name, or a
    folder to put the default name in; the current folder when None)."""
    settings = settings or get_settings()
    database = _database(settings)
    target = Path(path) if path is not None else Path(default_name())
    if str(path).endswith(("/", os.sep)) and not target.is_dir():
        raise BackupError(f"The folder {target} does not exist. Nothing was written.")
    if target.is_dir():
        target = target / default_name()
    target = target.resolve()
    if target.exists():
        raise BackupError(f"{target} already exists: choose another name. Nothing was written.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist. Nothing was written.")
    database.preflight()
    files_dir = settings.files_dir
    notes: list[str] = []
    descriptor, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-", suffix=".partial")  # mode 0600
    try:
        with (
            tempfile.TemporaryDirectory(dir=target.parent, prefix=".kontrol-backup-") as work,
            os.fdopen(descriptor, "wb") as out,
        ):
            with tarfile.open(fileobj=out, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as archive:
                archived: set[str] = set()
                _add_blobs(archive, files_dir, _blobs_on_disk(files_dir), archived, notes)
                for _ in range(SNAPSHOT_TRIES):
                    with _snapshot(database, Path(work)) as snapshot:
                        # Blobs removed since the snapshot (their rows were deleted after it) are
                        # missing: a newer snapshot no longer names them.
                        if not _add_blobs(archive, files_dir, snapshot.facts.named, archived, notes):
                            snapshot.finish()
                            break
                else:
                    raise BackupError(
                        "Stored files kept being removed while the backup ran: try again at a quieter moment. Nothing was written."
                    )
                facts, database_file = snapshot.facts, snapshot.path
                archive.add(database_file, f"{ROOT}/{database_file.name}", recursive=False, filter=_private)
                key, key_source = _secret_key(settings)
                if key is not None:
                    _add_bytes(archive, SECRET_KEY, key)
                elif key_source == "environment":
                    notes.append(
                        "KONTROL_SECRET_KEY comes from the environment and is not in the archive: keep it with "
                        "your backups (portal links and the saved Stripe keys need it)."
                    )
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "schema_revision": facts.revision,
                    "database": database.kind,
                    "database_file": database_file.name,
                    "counts": facts.counts,
                    "blobs": len(archived),
                    "secret_key": key_source,
                }
                _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    return BackupResult(target, manifest, notes)


def _snapshot(database: _Sqlite | _Postgres, workdir: Path) -> contextlib.AbstractContextManager[Snapshot]:
    """The database's consistent snapshot (a context manager)."""
    return database.snapshot(workdir)


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode = 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _fsync_dir(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# --- reading an archive ----------------------------------------------------------------------


@dataclass
class _Unpacked:
    manifest: dict[str, Any]
    database_file: Path
    blobs: Path
    blob_names: set[str]
    secret_key: bytes | None


def _not_a_backup(path: Path, why: str) -> BackupError:
    return BackupError(f"{path} is not a Kontrol backup ({why}). Nothing was changed.")


def _open_archive(path: Path) -> tarfile.TarFile:
    if not path.is_file():
        raise BackupError(f"{path} does not exist (or is not a file). Nothing was changed.")
    try:
        return tarfile.open(path, mode="r:*")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise _not_a_backup(path, "not a .tar.gz archive") from error


def check_archive_start(path: Path) -> None:
    """Refuse at once what is plainly not a Kontrol backup (a different archive, any other file)."""
    with _open_archive(path) as archive:
        try:
            first = archive.next()
        except (tarfile.TarError, OSError, EOFError) as error:
            raise _not_a_backup(path, "a damaged or unreadable archive") from error
        if first is None or not first.name.startswith(f"{ROOT}/"):
            raise _not_a_backup(path, f"it holds {first.name!r}" if first is not None else "an empty archive")


def _read_member(archive: tarfile.TarFile, member: tarfile.TarInfo, limit: int) -> bytes:
    if member.size > limit:
        raise BackupError(f"{member.name} in the backup is too large ({member.size} bytes).")
    handle = archive.extractfile(member)
    assert handle is not None
    return handle.read()


def _unpack(path: Path, staging: Path) -> _Unpacked:
    """Read the whole archive into `staging`, checking every blob against its SHA-256; the
    live database and files are not touched here."""
    manifest = None
    database_files: dict[str, Path] = {}
    blobs = staging / "files"
    names: set[str] = set()
    secret = None
    with _open_archive(path) as archive:
        try:
            for member in archive:
                if not member.name.startswith(f"{ROOT}/"):
                    raise _not_a_backup(path, f"it holds {member.name!r}")
                if member.isdir():
                    continue
                if not member.isfile():
                    raise _not_a_backup(path, f"{member.name!r} is not a plain file")
                name = member.name[len(ROOT) + 1 :]
                if name == MANIFEST:
                    try:
                        manifest = json.loads(_read_member(archive, member, 1024 * 1024))
                    except ValueError as error:
                        raise _not_a_backup(path, "its manifest is not valid JSON") from error
                elif name in DATABASE_FILES.values():
                    database_files[name] = staging / name
                    _extract(archive, member, staging / name)
                elif name == SECRET_KEY:
                    secret = _read_member(archive, member, 64 * 1024)
                elif match := _BLOB_MEMBER.fullmatch(member.name):
                    folder, sha256 = match.groups()
                    if sha256[:2] != folder:
                        raise _not_a_backup(path, f"{member.name!r} is misplaced")
                    digest = _extract(archive, member, blobs / folder / sha256)
                    if digest != sha256:
                        raise BackupError(f"The backup {path} is damaged: the stored file {sha256} does not match its SHA-256. Nothing was changed.")
                    names.add(sha256)
                # Anything else under kontrol-backup/ is from a later format and left alone.
        except (tarfile.TarError, OSError, EOFError) as error:
            raise BackupError(f"The backup {path} is damaged or incomplete ({error}). Nothing was changed.") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _not_a_backup(path, "it has no Kontrol manifest")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(f"{path} was made by a newer Kontrol (backup format {version}): update Kontrol, then restore it. Nothing was changed.")
    kind = manifest.get("database")
    database_name = manifest.get("database_file")
    if kind not in DATABASE_FILES or database_name not in database_files:
        raise BackupError(f"The backup {path} is incomplete: its database file is missing. Nothing was changed.")
    if manifest.get("blobs") != len(names):
        raise BackupError(
            f"The backup {path} is incomplete: it should hold {manifest.get('blobs')} stored files and holds {len(names)}. "
            "Nothing was changed."
        )
    return _Unpacked(manifest, database_files[database_name], blobs, names, secret)


def _extract(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> str:
    """Write a member's bytes to `target`; returns their SHA-256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source = archive.extractfile(member)
    assert source is not None
    digest = hashlib.sha256()
    with open(target, "wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


# --- restoring -------------------------------------------------------------------------------


def _move_into(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, target)
    except OSError:  # another file system: copy next to the target, then rename
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".restore-")
        try:
            with os.fdopen(descriptor, "wb") as out, open(source, "rb") as handle:
                shutil.copyfileobj(handle, out, CHUNK)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory

    from kontrol_app.manage import alembic_config

    return revision in {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def restore(path: str | Path, *, force: bool = False, settings: Settings | None = None) -> RestoreResult:
    """Replace the database and the stored files with a backup's, then migrate up to head.
    Refuses a database that holds a shop unless `force`."""
    from kontrol_app import db
    from kontrol_app.manage import migrate

    settings = settings or get_settings()
    path = Path(path).resolve()
    database = _database(settings)
    check_archive_start(path)
    if isinstance(database, _Postgres):
        database.check_tools()
    db.reset_engine()  # this process's own pooled connections would hold the database
    shop = database.shop_name()
    if shop is not None and not force:
        raise BackupError(_shop_message(database.describe(), shop))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    staging = Path(tempfile.mkdtemp(dir=settings.data_dir, prefix=".kontrol-restore-"))
    try:
        unpacked = _unpack(path, staging)
        manifest = unpacked.manifest
        if manifest["database"] != database.kind:
            kinds = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
            raise BackupError(
                f"This backup holds a {kinds[manifest['database']]} database, and DATABASE_URL points to "
                f"{kinds[database.kind]}: restore it with the same kind of database. Nothing was changed."
            )
        revision = manifest.get("schema_revision") or ""
        if not _known_revision(revision):
            raise BackupError(
                f"This backup's schema ({revision}) is newer than this Kontrol knows: update Kontrol, then restore it. "
                "Nothing was changed."
            )
        # The bytes first (content-addressed: adding them changes no existing file), then the
        # database, then the migrations; bytes no restored row names go last.
        files_dir = settings.files_dir
        added = sorted(unpacked.blob_names - _blobs_on_disk(files_dir))
        try:
            for sha256 in unpacked.blob_names:
                _move_into(unpacked.blobs / sha256[:2] / sha256, files_dir / sha256[:2] / sha256)
            database.load(unpacked.database_file, force=force)
        except BaseException:
            for sha256 in added:  # refused or failed: the files folder is left as it was too
                (files_dir / sha256[:2] / sha256).unlink(missing_ok=True)
            raise
        notes += _restore_secret(settings, unpacked.secret_key, manifest.get("secret_key"))
        try:
            migrate(settings.db_url)
        except Exception as error:
            raise BackupError(
                f"The backup was restored into {database.describe()}, but migrating it up to date failed: {error}. "
                "Run `python -m kontrol_app.manage migrate` to see the whole error."
            ) from error
        # Bytes the restored database names no row of (the old shop's, or ones the backup
        # caught while the app removed them) would never be read: remove them, as the app would.
        for sha256 in _blobs_on_disk(files_dir) - _named_files(settings.db_url):
            (files_dir / sha256[:2] / sha256).unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        db.reset_engine()
    return RestoreResult(manifest, database.describe(), notes)


def _named_files(url: str) -> set[str]:
    from sqlalchemy import text

    from kontrol_app.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.execute(text("SELECT DISTINCT sha256 FROM stored_file")).scalars())
    finally:
        engine.dispose()


def _restore_secret(settings: Settings, key: bytes | None, source: Any) -> list[str]:
    from_environment = bool(settings.secret_key and settings.secret_key.get_secret_value())
    if key is None:
        if source == "environment" and not from_environment:
            return [
                "Warning: the backed-up shop took its signing secret from KONTROL_SECRET_KEY. Set the same value "
                "here, or portal links and the saved Stripe keys will not work."
            ]
        return []
    if from_environment:
        if settings.secret_key.get_secret_value() != key.decode(errors="replace").strip():
            return [
                "Warning: KONTROL_SECRET_KEY is set and differs from the backup's signing secret: portal links and the "
                "saved Stripe keys need the backup's. Unset it to use the restored key file."
            ]
    target = settings.data_dir / "secret_key"
    descriptor, temporary = tempfile.mkstemp(dir=settings.data_dir, prefix=".secret_key-")  # mode 0600
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(key)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return []
