"""An upload's file checks and previews: PDFs with too many or giant pages refused before
anything renders them; an image scaled, or a PDF's first pages rendered, as PNG."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageOps

from kontrol_app.services import files
from kontrol_app.services.errors import InvalidInput
from kontrol_app.services.mockups.limits import FIELD, MAX_PAGE_POINTS, MAX_PDF_PAGES, PREVIEW_SIZE


def _refuse_pdf_bombs(path: Path) -> None:
    """Refuse PDFs with too many pages or a giant page before anything renders them. A PDF
    pdfium can't open is left for files.judge, which refuses it with its own message."""
    with open(path, "rb") as handle:
        if not handle.read(5) == b"%PDF-":
            return
    with files._PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(str(path))
        except (pdfium.PdfiumError, OSError):
            return
        try:
            pages = len(document)
            if pages > MAX_PDF_PAGES:
                raise InvalidInput(
                    f"This PDF has {pages} pages. Upload the artwork only: at most {MAX_PDF_PAGES} pages.", FIELD
                )
            for index in range(pages):
                width, height = document.get_page_size(index)
                if max(width, height) > MAX_PAGE_POINTS:
                    raise InvalidInput(
                        f"Page {index + 1} of this PDF is larger than 200 in (5080 mm) on a side. "
                        "Export the artwork at its real size.",
                        FIELD,
                    )
        except pdfium.PdfiumError:
            return
        finally:
            document.close()


def _damaged() -> InvalidInput:
    return InvalidInput("This file is damaged or is not what its name says. Check it and upload it again.", FIELD)


_RENDER_ERRORS = (pdfium.PdfiumError, OSError, ValueError, SyntaxError, Image.DecompressionBombError)


def _encode_png(image: Image.Image) -> bytes:
    """At most PREVIEW_SIZE px on its long side, as PNG."""
    transparent = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if transparent else "RGB")
    image.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def _render_page(document: pdfium.PdfDocument, index: int) -> Image.Image:
    """One page at PREVIEW_SIZE px on its long side (the caller holds the pdfium lock)."""
    page = document[index]
    try:
        width, height = page.get_size()
        if min(width, height) <= 0:
            raise _damaged()
        bitmap = page.render(scale=PREVIEW_SIZE / max(width, height))
        try:
            return bitmap.to_pil().copy()  # may share the bitmap's memory: own it first
        finally:
            bitmap.close()
    finally:
        page.close()


def _pdf_page_pngs(path: Path, limit: int) -> list[bytes]:
    """PNGs of a PDF's first `limit` pages, page 1 first. Page 1 must render (else the file is
    refused as damaged); a later page that fails ends the list there (the original has it).
    The pdfium lock is taken page by page, so one big PDF does not stall every other upload."""
    pngs: list[bytes] = []
    try:
        with files._PDFIUM_LOCK:
            document = pdfium.PdfDocument(str(path))
            pages = len(document)
    except _RENDER_ERRORS as error:
        raise _damaged() from error
    try:
        for index in range(min(pages, limit)):
            try:
                with files._PDFIUM_LOCK:
                    image = _render_page(document, index)
                pngs.append(_encode_png(image))
            except InvalidInput:
                if index == 0:
                    raise
                break
            except _RENDER_ERRORS as error:
                if index == 0:
                    raise _damaged() from error
                break
    finally:
        with files._PDFIUM_LOCK:
            document.close()
    if not pngs:
        raise _damaged()
    return pngs


def _preview_png(path: Path, file_type: str) -> bytes:
    """A PNG at most PREVIEW_SIZE px on its long side: the image scaled, or a PDF's first page."""
    if file_type == "pdf":
        return _pdf_page_pngs(path, 1)[0]
    try:
        with Image.open(path) as opened:
            if opened.format == "JPEG":
                opened.draft("RGB", (PREVIEW_SIZE, PREVIEW_SIZE))  # decode at a fraction of the size
            image = ImageOps.exif_transpose(opened)
            image.load()
        return _encode_png(image)
    except _RENDER_ERRORS as error:
        raise _damaged() from error
