"""The private-files service: types judged from the bytes, the size cap while streaming, one copy
per SHA-256, rows before nothing and files removed only after the commit; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from fpdf import FPDF
from PIL import Image
from sqlalchemy import text
from sqlmodel import Session, select

from alembic import command
from kontrol_app import db
from kontrol_app.manage import alembic_config, migrate
from kontrol_app.models import Shop, StoredFile
from kontrol_app.services import files
from kontrol_app.services import shop as shop_service
from kontrol_app.services.errors import InvalidInput
from kontrol_app.services.portal_auth import PortalPrincipal
from kontrol_app.settings import get_settings
from tests.factories import make_customer

KIND = "test-private"
files.register_reader(KIND, files.staff_or_own_customer)


# --- real files -------------------------------------------------------------------------------


def image_bytes(image_format: str, size: tuple[int, int] = (64, 48), colour=(200, 30, 30)) -> bytes:
    image = Image.new("RGB", size, colour)
    for x in range(size[0]):
        image.putpixel((x, x % size[1]), (x % 256, 10, 200))
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def noisy_jpeg() -> bytes:
    """Big enough that half of it cuts into the pixel data, not the headers."""
    buffer = io.BytesIO()
    Image.effect_noise((300, 200), 90).convert("RGB").save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def pdf_bytes(pages: int = 3) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=14)
    for number in range(pages):
        pdf.add_page()
        pdf.cell(text=f"Proof page {number + 1}")
    return bytes(pdf.output())


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims to be width x height (a decompression bomb needs no more)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("logo.ai", "%!PS-Adobe-3.0\n")
    return buffer.getvalue()


SVG_WITH_SCRIPT = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script></svg>"""
HTML_NAMED_PNG = b"<html><body><script>fetch('/api/steal?c='+document.cookie)</script></body></html>"
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto 10 10 lineto stroke\n%%EOF\n"
PSD = b"8BPS\x00\x01" + b"\x00" * 64


@pytest.fixture
def files_dir(database) -> Path:
    return get_settings().files_dir


def blobs(files_dir: Path) -> list[Path]:
    """Every stored file and every temp file left under the files folder."""
    return sorted(p for p in files_dir.rglob("*") if p.is_file()) if files_dir.exists() else []


def store(session: Session, data: bytes, name: str = "upload", allowed=files.ARTWORK, **kwargs) -> StoredFile:
    return files.store(session, data, kind=kwargs.pop("kind", KIND), allowed=allowed, original_name=name, **kwargs)


# --- the type comes from the bytes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_format", "file_type", "content_type"),
    [("PNG", "png", "image/png"), ("JPEG", "jpeg", "image/jpeg"), ("WEBP", "webp", "image/webp")],
)
def test_real_images_are_stored_with_what_they_are(session, files_dir, image_format, file_type, content_type):
    data = image_bytes(image_format, (64, 48))
    row = store(session, data, f"art.{file_type}", allowed=files.IMAGES)
    session.commit()
    assert (row.file_type, row.content_type, row.inline) == (file_type, content_type, True)
    assert (row.width, row.height, row.page_count) == (64, 48, None)
    assert row.size == len(data) and row.sha256 == hashlib.sha256(data).hexdigest()
    assert files.blob_path(row.sha256).read_bytes() == data
    assert blobs(files_dir) == [files.blob_path(row.sha256)]  # no temp file left


def test_the_name_does_not_decide_the_type(session, files_dir):
    row = store(session, image_bytes("JPEG"), "photo.png", allowed=files.IMAGES)
    assert (row.file_type, row.content_type) == ("jpeg", "image/jpeg")
    assert row.original_name == "photo.png.jpg"  # the extension always matches the bytes


def test_a_real_pdf_is_parsed_and_its_pages_counted(session, files_dir):
    row = store(session, pdf_bytes(3), "proof.pdf", allowed=files.IMAGES_AND_PDF)
    session.commit()
    assert (row.file_type, row.content_type, row.inline, row.page_count) == ("pdf", "application/pdf", True, 3)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        pytest.param(HTML_NAMED_PNG, "photo.png", id="html-named-png"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + HTML_NAMED_PNG, "photo.png", id="png-magic-then-html"),
        pytest.param(b"\xff\xd8\xff\xe0" + HTML_NAMED_PNG, "photo.jpg", id="jpeg-magic-then-html"),
        pytest.param(b"%PDF-1.7\n" + HTML_NAMED_PNG + b"\n%%EOF\n", "proof.pdf", id="pdf-header-then-html"),
        pytest.param(image_bytes("PNG")[:-20], "cut.png", id="truncated-png"),
        pytest.param(image_bytes("WEBP")[:-20], "cut.webp", id="truncated-webp"),
        pytest.param(noisy_jpeg()[: len(noisy_jpeg()) // 2], "cut.jpg", id="truncated-jpeg"),
        pytest.param(pdf_bytes()[:-60], "cut.pdf", id="truncated-pdf"),
        pytest.param(image_bytes("GIF"), "anim.gif", id="gif"),
        pytest.param(image_bytes("BMP"), "old.bmp", id="bmp"),
        pytest.param(SVG_WITH_SCRIPT, "logo.svg", id="svg-not-allowed-here"),
        pytest.param(b"", "empty.png", id="empty"),
    ],
)
def test_anything_but_a_whole_allowed_file_is_refused_and_leaves_nothing(session, files_dir, data, name):
    with pytest.raises(InvalidInput) as refused:
        store(session, data, name, allowed=files.IMAGES_AND_PDF, field="artwork")
    assert refused.value.field == "artwork"
    session.commit()
    assert blobs(files_dir) == []
    assert session.exec(select(StoredFile)).all() == []


def test_the_refusal_names_what_is_accepted(session, files_dir):
    with pytest.raises(InvalidInput) as refused:
        store(session, HTML_NAMED_PNG, "photo.png", allowed=files.IMAGES)
    assert "PNG, JPEG or WebP" in refused.value.message


@pytest.mark.parametrize("size", [(100_000, 100_000), (20_000, 20_000), (10_000, 10_000)])
def test_decompression_bombs_are_refused_by_pillows_limit(session, files_dir, size):
    assert size[0] * size[1] > Image.MAX_IMAGE_PIXELS  # (10,000 x 10,000 is in Pillow's warning band)
    with pytest.raises(InvalidInput):
        store(session, png_header_only(*size), "bomb.png", allowed=files.IMAGES)
    assert blobs(files_dir) == []


def test_a_caller_can_set_a_lower_pixel_limit(session, files_dir):
    with pytest.raises(InvalidInput):
        store(session, image_bytes("PNG", (200, 100)), "wide.png", allowed=files.IMAGES, max_pixels=100 * 100)


def test_svg_with_script_is_kept_only_as_a_download(session, files_dir):
    row = store(session, SVG_WITH_SCRIPT, "logo.svg")
    session.commit()
    assert (row.file_type, row.content_type, row.inline) == ("svg", "image/svg+xml", False)
    found = files.readable(session, row.id, staff=object(), portal=None)
    assert found is not None and found.inline is False


@pytest.mark.parametrize(
    ("data", "name", "file_type"),
    [
        pytest.param(EPS, "logo.eps", "eps", id="eps"),
        pytest.param(EPS, "logo.ai", "ai", id="postscript-illustrator"),
        pytest.param(pdf_bytes(1), "logo.ai", "ai", id="pdf-compatible-illustrator"),
        pytest.param(PSD, "layers.psd", "psd", id="psd"),
        pytest.param(zip_bytes(), "print-files.zip", "zip", id="zip"),
    ],
)
def test_print_files_are_stored_as_downloads(session, files_dir, data, name, file_type):
    row = store(session, data, name)
    assert (row.file_type, row.inline, row.original_name) == (file_type, False, name)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"<html><body><svg></svg><script>alert(1)</script></body></html>", id="html-holding-an-svg"),
        pytest.param(b"<!-- a comment --><div><svg/></div>", id="div-root"),
        pytest.param("<svg>".encode("utf-16"), id="utf-16"),
    ],
)
def test_only_a_real_svg_root_counts_as_svg(session, files_dir, data):
    with pytest.raises(InvalidInput):
        store(session, data, "logo.svg")
    assert blobs(files_dir) == []


def test_a_broken_zip_is_refused(session, files_dir):
    with pytest.raises(InvalidInput):
        store(session, b"PK\x03\x04" + b"\x00" * 100, "files.zip")
    assert blobs(files_dir) == []


def test_only_registered_kinds_can_be_stored(session, files_dir):
    with pytest.raises(ValueError):
        store(session, image_bytes("PNG"), kind="nobody-reads-this")
    assert blobs(files_dir) == []


# --- the size cap, while streaming ---------------------------------------------------------------


def test_the_cap_stops_a_stream_early_and_leaves_no_temp_file(files_dir):
    pulled = 0

    async def endless():
        nonlocal pulled
        while True:
            pulled += 1
            yield b"\0" * files.MB

    with pytest.raises(InvalidInput) as refused:
        asyncio.run(files.receive(endless(), max_bytes=3 * files.MB, field="artwork"))
    assert refused.value.field == "artwork" and "3 MB" in refused.value.message
    assert pulled == 4  # stopped at the first chunk past the cap, not at the end of the upload
    assert blobs(files_dir) == []


class AsyncReadable:
    """An upload as Reflex hands it over: `await read(size)` until b""."""

    def __init__(self, data: bytes, filename: str) -> None:
        self.buffer, self.filename, self.reads = io.BytesIO(data), filename, 0

    async def read(self, size: int = -1) -> bytes:
        self.reads += 1
        return self.buffer.read(size)


def test_an_upload_file_is_read_in_chunks_up_to_the_cap(session, files_dir):
    data = image_bytes("PNG")
    upload = AsyncReadable(data, "logo.png")
    received = asyncio.run(files.receive(upload, max_bytes=len(data)))  # exactly at the cap passes
    assert (received.size, received.sha256, received.name) == (len(data), hashlib.sha256(data).hexdigest(), "logo.png")
    row = files.store(session, received, kind=KIND, allowed=files.IMAGES)
    assert row.original_name == "logo.png" and not received.path.exists()
    assert blobs(files_dir) == [files.blob_path(row.sha256)]

    too_big = AsyncReadable(b"\0" * (3 * files.MB), "big.png")
    with pytest.raises(InvalidInput):
        asyncio.run(files.receive(too_big, max_bytes=2 * files.MB))
    assert too_big.reads <= 3
    assert blobs(files_dir) == [files.blob_path(row.sha256)]


def test_bytes_over_the_cap_are_refused(session, files_dir):
    with pytest.raises(InvalidInput) as refused:
        store(session, image_bytes("PNG") + b"\0" * files.MB, max_bytes=files.MB)
    assert "1 MB" in refused.value.message
    assert blobs(files_dir) == []


def test_a_received_file_that_is_refused_is_removed(session, files_dir):
    received = files.receive_sync(HTML_NAMED_PNG, name="x.png")
    assert received.path.exists()
    with pytest.raises(InvalidInput):
        files.store(session, received, kind=KIND, allowed=files.IMAGES)
    assert blobs(files_dir) == []


# --- one copy per SHA-256; removed only after the commit ----------------------------------------


def test_the_same_bytes_are_stored_once(session, owner, files_dir):
    customer_id = make_customer(session, owner, "Acme", "buyer@acme.example")
    data = pdf_bytes(2)
    first = store(session, data, "proof.pdf")
    second = store(session, data, "proof-again.pdf", customer_id=customer_id, created_by_staff_id=owner.id)
    session.commit()
    assert first.id != second.id and first.sha256 == second.sha256
    assert blobs(files_dir) == [files.blob_path(first.sha256)]
    assert (second.customer_id, second.created_by_staff_id, second.original_name) == (customer_id, owner.id, "proof-again.pdf")


def test_delete_removes_the_file_only_after_the_commit(session, files_dir):
    row = store(session, image_bytes("PNG"))
    session.commit()
    path = files.blob_path(row.sha256)
    files.delete(session, row)
    assert path.exists()  # the row is gone only inside this transaction
    session.commit()
    assert not path.exists()


def test_a_rolled_back_delete_keeps_the_file(session, files_dir):
    row = store(session, image_bytes("PNG"))
    session.commit()
    files.delete(session, row)
    session.rollback()
    assert files.blob_path(row.sha256).exists()
    assert session.get(StoredFile, row.id) is not None
    session.commit()  # a later commit does not remove it either
    assert files.blob_path(row.sha256).exists()


def test_a_file_another_row_still_uses_is_kept(session, files_dir):
    data = image_bytes("WEBP")
    first, second = store(session, data), store(session, data)
    session.commit()
    files.delete(session, first)
    session.commit()
    assert files.blob_path(second.sha256).read_bytes() == data
    files.delete(session, second)
    session.commit()
    assert blobs(files_dir) == []


def test_a_rolled_back_store_leaves_no_file(session, files_dir):
    kept = store(session, image_bytes("PNG", colour=(1, 2, 3)))
    session.commit()
    store(session, image_bytes("PNG", colour=(1, 2, 3)))  # the same bytes: must survive
    store(session, image_bytes("JPEG"))  # new bytes: must go
    session.rollback()
    assert blobs(files_dir) == [files.blob_path(kept.sha256)]


def test_a_session_closed_without_commit_leaves_no_file(database, files_dir):
    with Session(db.get_engine()) as session:
        row = store(session, image_bytes("PNG"))
        path = files.blob_path(row.sha256)
        assert path.exists()  # the bytes are written before the row
    assert not path.exists()


# --- who may read -------------------------------------------------------------------------------


def test_readers_decide_per_kind_and_refusals_look_like_unknown_ids(session, owner, files_dir):
    acme = make_customer(session, owner, "Acme", "buyer@acme.example")
    other = make_customer(session, owner, "Other Co", "boss@other.example")
    row = store(session, image_bytes("PNG"), "art.png", customer_id=acme)
    session.commit()
    acme_client = PortalPrincipal(acme, 1, "Buyer", "buyer@acme.example")
    other_client = PortalPrincipal(other, 2, "Boss", "boss@other.example")

    assert files.readable(session, row.id, staff=owner, portal=None) is not None
    assert files.readable(session, row.id, staff=None, portal=acme_client).path == files.blob_path(row.sha256)
    assert files.readable(session, row.id, staff=None, portal=other_client) is None
    assert files.readable(session, row.id, staff=None, portal=None) is None
    assert files.readable(session, row.id + 1000, staff=owner, portal=None) is None


def test_a_shop_file_is_not_readable_by_any_client(session, owner, files_dir):
    acme = make_customer(session, owner, "Acme", "buyer@acme.example")
    row = store(session, image_bytes("PNG"))  # no customer
    session.commit()
    assert files.readable(session, row.id, staff=None, portal=PortalPrincipal(acme, 1, "B", "b@x.example")) is None


# --- names and headers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("proof.pdf", "proof.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\sam\\art.pdf", "art.pdf"),
        ("evil\r\nSet-Cookie: x=1.pdf", "evil Set-Cookie_ x=1.pdf"),
        ("right\u202eto\u200bleft.pdf", "right to left.pdf"),
        ('quote".pdf', "quote_.pdf"),
        ("...pdf", "pdf.pdf"),
        ("", "file.pdf"),
        ("Müller – Logo.pdf", "Müller – Logo.pdf"),
        ("page.html", "page.html.pdf"),
    ],
)
def test_clean_name(name, expected):
    assert files.clean_name(name, files.TYPES["pdf"]) == expected


def test_long_names_keep_their_extension():
    cleaned = files.clean_name("a" * 500 + ".pdf", files.TYPES["pdf"])
    assert len(cleaned) == 200 and cleaned.endswith(".pdf")


def test_content_disposition_is_rfc_6266_and_cannot_be_injected():
    assert files.content_disposition("proof.pdf", inline=True) == 'inline; filename="proof.pdf"'
    header = files.content_disposition("Müller Logo.png", inline=False)
    assert header == "attachment; filename=\"Muller Logo.png\"; filename*=UTF-8''M%C3%BCller%20Logo.png"
    header = files.content_disposition('x";\r\nSet-Cookie: a=b.png', inline=False)
    assert "\r" not in header and "\n" not in header and header.count('"') == 2
    assert files.content_disposition("日本語.pdf", inline=False).startswith('attachment; filename="')


# --- the logo on the files service ----------------------------------------------------------------


def test_the_logo_is_a_public_stored_file(session, owner, files_dir):
    info = shop_service.save_logo(session, owner, image_bytes("PNG"))
    session.commit()
    row = session.get(StoredFile, session.get(Shop, 1).logo_file_id)
    assert (row.kind, row.customer_id, row.created_by_staff_id) == ("logo", None, owner.id)
    assert info.logo_path == f"/api/files/{row.id}/logo-{row.sha256[:16]}.png"
    found = files.readable(session, row.id, staff=None, portal=None)
    assert found is not None and found.public


def test_an_existing_logo_moves_onto_the_files_service_when_migrating(database, files_dir):
    """A shop upgraded from before the files service keeps its logo, and its old URL."""
    script = ScriptDirectory.from_config(alembic_config())
    revision = next(r for r in script.walk_revisions() if "stored files" in (r.doc or ""))
    db.reset_engine()
    command.downgrade(alembic_config(database), revision.down_revision)
    data = image_bytes("PNG", colour=(9, 9, 9))
    legacy_name = f"logo-{hashlib.sha256(data).hexdigest()[:16]}.png"
    files_dir.mkdir(parents=True, exist_ok=True)
    (files_dir / legacy_name).write_bytes(data)
    engine = db.make_engine(database)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO shop (name, email, phone, address, currency, timezone, logo_file, logo_content_type, "
                "created_at, updated_at) VALUES ('Old Shop', '', '', '', 'USD', 'UTC', :name, 'image/png', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"name": legacy_name},
        )
    engine.dispose()
    migrate()
    db.reset_engine()
    with Session(db.get_engine()) as session:
        info = shop_service.shop_info(session)
        assert info.logo_file.endswith("/" + legacy_name)
        logo = shop_service.legacy_logo(session, legacy_name)
        assert logo is not None and logo.kind == "logo" and logo.content_type == "image/png"
        assert files.blob_path(logo.sha256).read_bytes() == data
