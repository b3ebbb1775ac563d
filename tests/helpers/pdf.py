"""Reading PDFs back in tests with pdfium. pdfium is not thread-safe: these take the app's own
pdfium lock (so they never race an upload rendering in a worker thread) and close every page
themselves rather than leave it to a finalizer that may run on another thread (a CI segfault)."""

from __future__ import annotations

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from kontrol_app.services.files import _PDFIUM_LOCK


def page_texts(data: bytes) -> list[str]:
    """Each page's text, whitespace made single spaces."""
    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(data)
        try:
            texts = []
            for index in range(len(document)):
                page = document[index]
                textpage = page.get_textpage()
                texts.append(" ".join(textpage.get_text_range().split()))
                textpage.close()
                page.close()
            return texts
        finally:
            document.close()


def first_page_text(data: bytes) -> str:
    return page_texts(data)[0]


def image_count(data: bytes) -> int:
    """Images drawn on the first page."""
    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(data)
        try:
            page = document[0]
            count = len(list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])))
            page.close()
            return count
        finally:
            document.close()


def first_page_pixels(data: bytes) -> bytes:
    """The first page rendered at 2x, as raw pixels (to compare two PDFs' drawing)."""
    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(data)
        try:
            page = document[0]
            bitmap = page.render(scale=2)
            pixels = bitmap.to_pil().tobytes()
            bitmap.close()
            page.close()
            return pixels
        finally:
            document.close()
