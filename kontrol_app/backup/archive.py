"""The .tar.gz itself: writing its members (blobs hashed as they are copied, private modes), and
reading one back (`check_archive_start`, `_unpack` into a staging folder, every blob checked)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kontrol_app.backup.common import (
    _BLOB_MEMBER,
    CHUNK,
    DATABASE_FILES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    ROOT,
    SECRET_KEY,
    BackupError,
)


# --- writing an archive ----------------------------------------------------------------------


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


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode = 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


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
