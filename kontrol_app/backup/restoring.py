"""Restoring a backup: `restore()` (checks, blobs, database, secret key, migrations, then the
blobs no restored row names are removed) and its `RestoreResult`."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kontrol_app.backup.archive import _unpack, check_archive_start
from kontrol_app.backup.common import CHUNK, BackupError, _blobs_on_disk, counted, written_whole
from kontrol_app.backup.databases import _database, _Postgres, _shop_message
from kontrol_app.settings import Settings, get_settings


# --- restoring -------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    where: str
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = self.manifest["counts"]
        lines = [
            f"Restored the backup of {self.manifest['created_at']} into {self.where}: "
            f"{counted(counts, 'customers', 'jobs', 'files', 'emails')}. The database is migrated up to date.",
        ]
        return "\n".join(lines + self.notes)


def _move_into(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, target)
    except OSError:  # another file system: copy next to the target, then rename
        with written_whole(target, prefix=".restore-") as (out, _), open(source, "rb") as handle:
            shutil.copyfileobj(handle, out, CHUNK)


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
    with written_whole(target, prefix=".secret_key-") as (out, _):
        out.write(key)
    return []
