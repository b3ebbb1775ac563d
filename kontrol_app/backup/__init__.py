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

Where each part lives (everything public is imported here, so callers write `backup.NAME`):

- `common`: the archive format's names (`FORMAT`, `ROOT`, `MANIFEST`, ...), what the manifest
  counts, `BackupError`, and the file-system helpers both directions use.
- `databases`: SQLite and PostgreSQL (`_Sqlite`, `_Postgres`): snapshots and their `Facts`,
  the shop check, loading a backup's database.
- `archive`: writing the tar members, and reading an archive back (`check_archive_start`, `_unpack`).
- `making`: `backup()`, `BackupResult` and `default_name`.
- `restoring`: `restore()` and `RestoreResult`.
"""

from kontrol_app.backup.common import (
    CHUNK,
    COUNTED,
    DATABASE_FILES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    ROOT,
    SECRET_KEY,
    SNAPSHOT_TRIES,
    BackupError,
)
from kontrol_app.backup.databases import Facts, Snapshot
from kontrol_app.backup.archive import check_archive_start
from kontrol_app.backup.making import BackupResult, backup, default_name
from kontrol_app.backup.restoring import RestoreResult, restore

__all__ = [
    "CHUNK",
    "COUNTED",
    "DATABASE_FILES",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "ROOT",
    "SECRET_KEY",
    "SNAPSHOT_TRIES",
    "BackupError",
    "BackupResult",
    "Facts",
    "RestoreResult",
    "Snapshot",
    "backup",
    "check_archive_start",
    "default_name",
    "restore",
]
