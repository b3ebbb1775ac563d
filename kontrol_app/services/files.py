"""Private files: uploads judged by their bytes, capped while they stream in, stored once per
SHA-256 under `KONTROL_DATA_DIR/files`, read only through one authorized route, and removed
from disk only after the database has forgotten them.

How a feature uses it:

    files.register_reader("mockup", files.staff_or_own_customer)  # once, at import
    upload = await files.receive(rx_upload_file, max_bytes=25 * MB, field="file")  # async, capped
    row = files.store(session, upload, kind="mockup", allowed=files.IMAGES_AND_PDF, customer_id=...)
    url = files.url_for(row)  # /api/files/<id>/<name>
    files.delete(session, row)  # the bytes go after the commit, when no other row uses them

The bytes are written before the row; a row removed (or a file written by a transaction that
rolls back) has its bytes deleted only after the commit/rollback, and only when no committed
row still names the same SHA-256. (Known gap: identical bytes uploaded while their last other
row is being deleted, not yet committed, can lose their file; the route then answers 404.)
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import os
import re
import secrets
import threading
import unicodedata
import warnings
import zipfile
from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pypdfium2 as pdfium
from PIL import Image, UnidentifiedImageError
from sqlalchemy import event, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from kontrol_app.models import StoredFile, utcnow
from kontrol_app.services.errors import InvalidInput
from kontrol_app.settings import get_settings

if TYPE_CHECKING:
    from kontrol_app.services.portal_auth import PortalPrincipal
    from kontrol_app.services.staff import StaffPrincipal

log = logging.getLogger(__name__)

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 25 * MB
CHUNK = 1 * MB
INCOMING = ".incoming"  # temp files, on the same disk so the final move is atomic


@dataclass(frozen=True)
class FileType:
    name: str
    label: str
    content_type: str
    extension: str
    inline: bool  # may be shown in a browser; the others are only ever downloads


TYPES: dict[str, FileType] = {
    t.name: t
    for t in (
        FileType("png", "PNG", "image/png", "png", True),
        FileType("jpeg", "JPEG", "image/jpeg", "jpg", True),
        FileType("webp", "WebP", "image/webp", "webp", True),
        FileType("pdf", "PDF", "application/pdf", "pdf", True),
        FileType("ai", "AI", "application/illustrator", "ai", False),
        FileType("eps", "EPS", "application/postscript", "eps", False),
        FileType("svg", "SVG", "image/svg+xml", "svg", False),  # can carry script: never inline
        FileType("psd", "PSD", "image/vnd.adobe.photoshop", "psd", False),
        FileType("zip", "ZIP", "application/zip", "zip", False),
    )
}
IMAGES = frozenset({"png", "jpeg", "webp"})
IMAGES_AND_PDF = IMAGES | {"pdf"}
ARTWORK = IMAGES_AND_PDF | {"ai", "eps", "svg", "psd", "zip"}
_PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
_EXTENSIONS = {"png": {"png"}, "jpeg": {"jpg", "jpeg"}, "webp": {"webp"}, "pdf": {"pdf"}, "ai": {"ai"},
               "eps": {"eps", "epsf", "ps"}, "svg": {"svg"}, "psd": {"psd"}, "zip": {"zip"}}

# pdfium is not thread-safe and services run in worker threads.
_PDFIUM_LOCK = threading.Lock()


def type_label(file_type: str) -> str:
    """"PNG", "PDF", ...: how a stored file's type is named to people (an unknown one in capitals)."""
    known = TYPES.get(file_type)
    return known.label if known else file_type.upper()


def shown_inline(row: Any) -> bool:
    """A browser may show this stored file (a StoredFile or a row with its columns): it was
    stored as safe to show and its type may ever be shown (never SVG)."""
    known = TYPES.get(row.file_type)
    return bool(row.inline and known is not None and known.inline)


def describe(allowed: Iterable[str]) -> str:
    """ "a PNG, JPEG or WebP image", "... or a PDF", or the list of labels."""
    allowed = set(allowed)
    if allowed <= IMAGES_AND_PDF:
        images = [TYPES[n].label for n in ("png", "jpeg", "webp") if n in allowed]
        parts = []
        if images:
            joined = images[0] if len(images) == 1 else ", ".join(images[:-1]) + " or " + images[-1]
            parts.append(f"a {joined} image")
        if "pdf" in allowed:
            parts.append("a PDF")
        return " or ".join(parts)
    return "one of " + ", ".join(TYPES[n].label for n in TYPES if n in allowed)


def _size_text(max_bytes: int) -> str:
    value = max_bytes / MB
    return f"{value:g} MB"


def files_root(files_dir: Path | None = None) -> Path:
    return Path(files_dir) if files_dir is not None else get_settings().files_dir


def blob_path(sha256: str, files_dir: Path | None = None) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        raise ValueError("not a SHA-256")
    return files_root(files_dir) / sha256[:2] / sha256


# --- receiving: capped while streaming --------------------------------------------------------


@dataclass
class Received:
    """Bytes on disk in a temp file, not yet judged or stored."""

    path: Path
    size: int
    sha256: str
    name: str
    field: str
    files_dir: Path

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class _Writer:
    def __init__(self, files_dir: Path, max_bytes: int, field: str) -> None:
        incoming = files_dir / INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        self.path = incoming / secrets.token_hex(16)
        self.handle = open(self.path, "xb")
        self.hash = hashlib.sha256()
        self.size = 0
        self.max_bytes = max_bytes
        self.field = field

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.abort()
            raise InvalidInput(
                f"The file is larger than {_size_text(self.max_bytes)}. Choose a smaller file.", self.field
            )
        self.hash.update(chunk)
        self.handle.write(chunk)

    def abort(self) -> None:
        self.handle.close()
        self.path.unlink(missing_ok=True)

    def finish(self, name: str, files_dir: Path) -> Received:
        self.handle.close()
        return Received(self.path, self.size, self.hash.hexdigest(), name, self.field, files_dir)


def _chunk_bytes(item: Any) -> bytes:
    data = getattr(item, "data", item)  # Reflex's UploadChunk carries .data
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("upload chunks must be bytes")
    return bytes(data)


def _source_name(source: Any) -> str:
    for attribute in ("filename", "name"):
        value = getattr(source, attribute, None)
        if isinstance(value, str):
            return value
    return ""


async def receive(
    source: Any, *, max_bytes: int = DEFAULT_MAX_BYTES, field: str = "file", name: str | None = None,
    files_dir: Path | None = None,
) -> Received:
    """Copy an upload to a temp file, refusing it once it passes `max_bytes` (nothing is left behind).

    `source`: an object with an async `read(size)` (rx.UploadFile), an async iterable of bytes
    (or of Reflex upload chunks), an iterable of bytes, or bytes."""
    root = files_root(files_dir)
    writer = await asyncio.to_thread(_Writer, root, max_bytes, field)
    try:
        read = getattr(source, "read", None)
        if read is not None and inspect.iscoroutinefunction(read):
            while chunk := await read(CHUNK):
                await asyncio.to_thread(writer.write, _chunk_bytes(chunk))
        elif isinstance(source, AsyncIterable):
            async for item in source:
                await asyncio.to_thread(writer.write, _chunk_bytes(item))
        else:
            await asyncio.to_thread(_write_sync, writer, source)
    except BaseException:
        writer.abort()
        raise
    return writer.finish(name if name is not None else _source_name(source), root)


def _write_sync(writer: _Writer, source: Any) -> None:
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = [bytes(source)[i : i + CHUNK] for i in range(0, len(source), CHUNK)]
    read = getattr(source, "read", None)
    if read is not None:
        while chunk := read(CHUNK):
            writer.write(_chunk_bytes(chunk))
        return
    for item in source:
        writer.write(_chunk_bytes(item))


def receive_sync(
    source: Any, *, max_bytes: int = DEFAULT_MAX_BYTES, field: str = "file", name: str = "",
    files_dir: Path | None = None,
) -> Received:
    """`receive` for code already off the event loop: bytes, a binary file, or an iterable of bytes."""
    root = files_root(files_dir)
    writer = _Writer(root, max_bytes, field)
    try:
        _write_sync(writer, source)
    except BaseException:
        writer.abort()
        raise
    return writer.finish(name or _source_name(source), root)


# --- judging the bytes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    file_type: FileType
    width: int | None = None
    height: int | None = None
    page_count: int | None = None


def _head(path: Path, size: int = 8192) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def _tail(path: Path, size: int = 1024) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - size))
        return handle.read()


def _looks_like_svg(head: bytes) -> bool:
    try:
        text = head.decode("utf-8-sig", errors="strict" if len(head) < 8192 else "ignore")
    except UnicodeDecodeError:
        return False
    # The root element must be <svg>, after any XML declaration, comments and doctype.
    text = re.sub(r"^(\s*(<\?xml[^>]*\?>|<!--.*?-->|<!doctype[^>]*>))*\s*", "", text.lower(), flags=re.S)
    return text.startswith("<svg")


def _candidate(head: bytes, allowed: frozenset[str], name: str) -> str | None:
    """The type the first bytes claim; the file name only picks between AI and PDF/EPS."""
    named_ai = name.lower().endswith(".ai") and "ai" in allowed
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        # Illustrator saves PDF-compatible files: the same bytes, kept as a print file.
        return "ai" if named_ai or ("pdf" not in allowed and "ai" in allowed) else "pdf"
    if head.startswith(b"%!PS-Adobe") or head.startswith(b"\xc5\xd0\xd3\xc6"):
        return "ai" if named_ai or ("eps" not in allowed and "ai" in allowed) else "eps"
    if head.startswith(b"8BPS"):
        return "psd"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if _looks_like_svg(head):
        return "svg"
    return None


def _check_image(path: Path, file_type: FileType, max_pixels: int, refuse: Callable[[str], InvalidInput]) -> Judged:
    pillow_format = _PILLOW_FORMATS[file_type.name]
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it: refuse there too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=[pillow_format]) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise refuse("too_large")
                image.verify()  # PNG chunk checksums; JPEG has none, so decode below too
            with Image.open(path, formats=[pillow_format]) as image:
                image.load()  # a truncated file fails here
    except InvalidInput:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            SyntaxError, ValueError, EOFError) as error:
        raise refuse("damaged") from error
    return Judged(file_type, width=width, height=height)


def _check_pdf(path: Path, file_type: FileType, refuse: Callable[[str], InvalidInput]) -> Judged:
    # A whole file ends with %%EOF (within its last kilobyte, as readers allow).
    if b"%%EOF" not in _tail(path):
        raise refuse("damaged")
    with _PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(str(path))
        except (pdfium.PdfiumError, OSError) as error:  # broken, or needs a password
            raise refuse("damaged") from error
        try:
            pages = len(document)
            if pages < 1:
                raise refuse("damaged")
            document[0].close()  # the page tree really leads to a page
        except pdfium.PdfiumError as error:
            raise refuse("damaged") from error
        finally:
            document.close()
    return Judged(file_type, page_count=pages)


def _check_zip(path: Path, file_type: FileType, refuse: Callable[[str], InvalidInput]) -> Judged:
    try:
        with zipfile.ZipFile(path) as archive:
            archive.infolist()  # the central directory reads; entries are not unpacked
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise refuse("damaged") from error
    return Judged(file_type)


def judge(
    path: Path, allowed: Iterable[str], *, name: str = "", field: str = "file",
    max_pixels: int | None = None, rejected_message: str | None = None,
) -> Judged:
    """What the file at `path` really is, refused unless it is whole and one of `allowed`."""
    allowed = frozenset(allowed)
    unknown = allowed - set(TYPES)
    if unknown:
        raise ValueError(f"unknown file types: {sorted(unknown)}")
    if max_pixels is None:
        max_pixels = Image.MAX_IMAGE_PIXELS or 0

    def refuse(reason: str) -> InvalidInput:
        if rejected_message:
            return InvalidInput(rejected_message, field)
        if reason == "too_large":
            return InvalidInput(f"The image is too large. Use one under {max_pixels // 1_000_000} megapixels.", field)
        if reason == "damaged":
            return InvalidInput("This file is damaged or is not what its name says. Check it and upload it again.", field)
        return InvalidInput(f"This file type is not accepted here. Upload {describe(allowed)}.", field)

    candidate = _candidate(_head(path), allowed, name)
    if candidate is None or candidate not in allowed:
        raise refuse("type")
    file_type = TYPES[candidate]
    if candidate in _PILLOW_FORMATS:
        return _check_image(path, file_type, max_pixels, refuse)
    if candidate == "pdf":
        return _check_pdf(path, file_type, refuse)
    if candidate == "zip":
        return _check_zip(path, file_type, refuse)
    return Judged(file_type)  # AI, EPS, SVG, PSD: kept as they are, only ever downloaded


# --- names --------------------------------------------------------------------------------------


def clean_name(name: str, file_type: FileType | None = None, *, max_length: int = 200) -> str:
    """A file name safe to store and to put in a header: no path, no control characters,
    and (when the type is known) an extension that matches the bytes."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(" " if unicodedata.category(ch).startswith(("C", "Z")) else ch for ch in name)
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if file_type is not None and extension.lower() not in _EXTENSIONS[file_type.name]:
        stem, extension = name, file_type.extension  # "x.html" holding a PNG becomes "x.html.png"
    stem = stem.strip() or "file"
    suffix = f".{extension}" if extension else ""
    stem = stem[: max(1, max_length - len(suffix))]
    return stem + suffix


def content_disposition(name: str, *, inline: bool) -> str:
    """RFC 6266: an ASCII fallback plus filename* in UTF-8 for everything else."""
    name = clean_name(name)
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r"[^A-Za-z0-9 ._()\-]", "_", fallback).strip() or "file"
    value = f'{"inline" if inline else "attachment"}; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


# --- storing ------------------------------------------------------------------------------------

_SWEEP = "kontrol_files_sweep"  # session.info: (files dir, sha256) to check after commit/rollback


def _touch(session: Session, files_dir: Path, sha256: str) -> None:
    session.info.setdefault(_SWEEP, set()).add((str(files_dir), sha256))


def store(
    session: Session,
    source: Received | bytes,
    *,
    kind: str,
    allowed: Iterable[str],
    customer_id: int | None = None,
    created_by_staff_id: int | None = None,
    created_by_contact_id: int | None = None,
    original_name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int | None = None,
    field: str = "file",
    rejected_message: str | None = None,
    files_dir: Path | None = None,
) -> StoredFile:
    """Judge, keep the bytes (once per SHA-256), then add the row (flushed, not committed).
    The temp file is gone afterwards whatever happens."""
    if kind not in _kinds:
        raise ValueError(f"no reader registered for file kind {kind!r}")
    received = source if isinstance(source, Received) else receive_sync(
        source, max_bytes=max_bytes, field=field, name=original_name or "", files_dir=files_dir
    )
    try:
        if received.size == 0:
            raise InvalidInput("Choose a file to upload.", received.field)
        name = original_name if original_name is not None else received.name
        judged = judge(received.path, allowed, name=name, field=received.field, max_pixels=max_pixels,
                       rejected_message=rejected_message)
        final = blob_path(received.sha256, received.files_dir)
        final.parent.mkdir(parents=True, exist_ok=True)
        # Checked after any commit or rollback: bytes no committed row names are removed.
        _touch(session, received.files_dir, received.sha256)
        if not final.exists():
            os.replace(received.path, final)  # atomic: readers never see half a file
        row = StoredFile(
            kind=kind,
            customer_id=customer_id,
            sha256=received.sha256,
            size=received.size,
            file_type=judged.file_type.name,
            content_type=judged.file_type.content_type,
            inline=judged.file_type.inline,
            original_name=clean_name(name, judged.file_type),
            width=judged.width,
            height=judged.height,
            page_count=judged.page_count,
            created_at=utcnow(),
            created_by_staff_id=created_by_staff_id,
            created_by_contact_id=created_by_contact_id,
        )
        session.add(row)
        session.flush()
        return row
    finally:
        received.discard()


def delete(session: Session, row: StoredFile, files_dir: Path | None = None) -> None:
    """Remove the row now; its bytes go after the commit if no other row uses them."""
    _touch(session, files_root(files_dir), row.sha256)
    session.delete(row)
    session.flush()


def _sweep(session: OrmSession) -> None:
    pending = session.info.pop(_SWEEP, None)
    if not pending:
        return
    try:
        bind = session.get_bind()
        engine = getattr(bind, "engine", bind)
        with engine.connect() as connection:
            for files_dir, sha256 in pending:
                used = connection.execute(
                    sa_select(func.count()).select_from(StoredFile).where(StoredFile.sha256 == sha256)
                ).scalar_one()
                if not used:
                    blob_path(sha256, Path(files_dir)).unlink(missing_ok=True)
    except Exception:  # the commit stands; a leftover file is only disk space
        log.exception("could not remove unused files")


@event.listens_for(OrmSession, "after_transaction_end")
def _after_transaction_end(session: OrmSession, transaction: Any) -> None:
    # Only the outermost transaction: after a commit, a rollback or a close without commit.
    # Removed rows that came back keep their bytes; bytes of rows that never landed go.
    if transaction.parent is None:
        _sweep(session)


# --- reading ------------------------------------------------------------------------------------

Reader = Callable[[Session, StoredFile, "StaffPrincipal | None", "PortalPrincipal | None"], bool]


@dataclass(frozen=True)
class _Kind:
    reader: Reader
    public: bool


_kinds: dict[str, _Kind] = {}


def register_reader(kind: str, reader: Reader, *, public: bool = False) -> None:
    """Who may read files of `kind`: reader(session, file, staff, portal) -> bool.
    `public` files may be cached by anyone (the shop's logo); all others are private."""
    _kinds[kind] = _Kind(reader, public)


def anyone(session: Session, row: StoredFile, staff: Any, portal: Any) -> bool:
    return True


def staff_or_own_customer(session: Session, row: StoredFile, staff: Any, portal: Any) -> bool:
    """Any signed-in staff member, or a client signed in to the file's customer's portal."""
    if staff is not None:
        return True
    return portal is not None and row.customer_id is not None and portal.customer_id == row.customer_id


@dataclass(frozen=True)
class Readable:
    """What the files route needs to answer, once the reader said yes."""

    path: Path
    name: str
    content_type: str
    inline: bool
    sha256: str
    size: int
    public: bool


def readable(
    session: Session, file_id: int, *, staff: StaffPrincipal | None, portal: PortalPrincipal | None,
    files_dir: Path | None = None,
) -> Readable | None:
    """The file when this reader may have it; None for an unknown id and a refusal alike."""
    row = session.get(StoredFile, file_id)
    if row is None:
        return None
    kind = _kinds.get(row.kind)
    if kind is None or not kind.reader(session, row, staff, portal):
        return None
    return _readable(row, kind, files_dir)


def _readable(row: StoredFile, kind: _Kind, files_dir: Path | None) -> Readable | None:
    path = blob_path(row.sha256, files_dir)
    if not path.is_file():
        return None
    inline = shown_inline(row)
    return Readable(path, row.original_name, row.content_type, inline, row.sha256, row.size, kind.public)


def readable_row(row: StoredFile, files_dir: Path | None = None) -> Readable | None:
    """For callers that already decided (e.g. the shop's public logo under its old URL)."""
    kind = _kinds.get(row.kind)
    return _readable(row, kind, files_dir) if kind is not None else None


def url_for(row: StoredFile, *, download: bool = False) -> str:
    path = f"/api/files/{row.id}/{quote(row.original_name, safe='')}"
    return path + "?download=1" if download else path
