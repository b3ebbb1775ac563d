"""What every part of a backup shares: the archive format's names, what the manifest counts,
`BackupError`, and the file-system helpers both directions use (the blobs in the files folder,
a file written whole before it takes its name, fsync of a folder)."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

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


def counted(counts: dict, *kinds: str) -> str:
    """ "1 customer, 12 jobs, 3 files" from the manifest's counts (kinds in the plural)."""
    return ", ".join(f"{counts[kind]} {kind[:-1] if counts[kind] == 1 else kind}" for kind in kinds)


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


@contextlib.contextmanager
def written_whole(target: Path, *, prefix: str, suffix: str = "") -> Iterator[tuple[BinaryIO, Path]]:
    """(file, its temporary path) to write what becomes `target`: a private file (mode 0600)
    beside it, put on disk and renamed over `target` only when the block ends without an
    error; else removed. So `target` is never seen half written, nor lost to a failure."""
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(descriptor, "wb") as out:
            yield out, Path(temporary)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
