"""Making a backup: `backup()` (blobs, then a snapshot that names no missing blob, the secret key,
the manifest last), its `BackupResult`, and the default archive name."""

from __future__ import annotations

import contextlib
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kontrol_app.backup.archive import _add_blobs, _add_bytes, _private
from kontrol_app.backup.common import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    ROOT,
    SECRET_KEY,
    SNAPSHOT_TRIES,
    BackupError,
    _blobs_on_disk,
    counted,
    written_whole,
)
from kontrol_app.backup.databases import Snapshot, _database, _Postgres, _Sqlite
from kontrol_app.settings import Settings, get_settings


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
            f"It holds {counted(counts, 'customers', 'jobs', 'files')} ({counted(self.manifest, 'blobs')} stored) "
            f"and {counted(counts, 'emails')}; "
            f"database: {self.manifest['database']}, schema {self.manifest['schema_revision']}.",
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
    with (
        written_whole(target, prefix=f".{target.name}-", suffix=".partial") as (out, _),
        tempfile.TemporaryDirectory(dir=target.parent, prefix=".kontrol-backup-") as work,
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
    return BackupResult(target, manifest, notes)


def _snapshot(database: _Sqlite | _Postgres, workdir: Path) -> contextlib.AbstractContextManager[Snapshot]:
    """The database's consistent snapshot (a context manager)."""
    return database.snapshot(workdir)
