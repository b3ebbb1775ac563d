"""The approval certificate: one approval record as a PDF the shop can show in a dispute.

It carries the shop's branding, the job, the version and its file name, the preview the
client was shown, the record's facts (who, when in the shop's time and in UTC, from which
address and browser), the file's full SHA-256 fingerprint, the ticked checklist, and the
words that say what was approved. Text is set in DejaVu Sans (Debian's fonts-dejavu-core),
so any name comes out as typed; without the font file, the core Helvetica font is used and
the characters it lacks are replaced.

Who may have one is `readable_record`: staff, or a client signed in to the record's
customer's portal (and only for versions that client was sent). Plain Python, no reflex.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF
from PIL import Image
from sqlmodel import Session

from kontrol_app.models import ApprovalRecord, Customer, Job, MockupVersion, StoredFile
from kontrol_app.services import files
from kontrol_app.services.clock import shop_time
from kontrol_app.services.errors import NotFound
from kontrol_app.services.mockups import APPROVALS, METHODS
from kontrol_app.services.shop import display_name, get_shop, shop_info

if TYPE_CHECKING:
    from kontrol_app.services.portal_auth import PortalPrincipal
    from kontrol_app.services.staff import StaffPrincipal

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
FONT_MONO = FONT_DIR / "DejaVuSansMono.ttf"

TITLE = "Artwork approval certificate"
NOT_FOUND = "That approval record does not exist."
MARGIN = 16  # mm
PREVIEW_BOX = (68.0, 84.0)  # mm: the preview sits to the right of the facts
LOGO_BOX = (42.0, 18.0)
LABEL_WIDTH = 36.0
INK = (33, 37, 41)
MUTED = (96, 103, 112)
RULE = (210, 214, 219)
# What the core fonts (Latin-1) cannot show, said another way (only without DejaVu Sans).
_FALLBACK = {"✓": "[x]", "✗": "[ ]", "☑": "[x]", "☐": "[ ]", "—": "-", "–": "-", "…": "...", "•": "*",
             "‘": "'", "’": "'", "“": '"', "”": '"', "→": "->"}


# --- who may have one ---------------------------------------------------------------------------


def _record(session: Session, record_id: int) -> ApprovalRecord | None:
    # Past an INTEGER column there is no such record (and no database error).
    if not isinstance(record_id, int) or isinstance(record_id, bool) or not 0 < record_id <= 2**31 - 1:
        return None
    return session.get(ApprovalRecord, record_id)


def readable_record(
    session: Session, record_id: int, *, staff: StaffPrincipal | None, portal: PortalPrincipal | None
) -> ApprovalRecord | None:
    """The approval record when this reader may have its certificate; None for an unknown
    id, a record that is not an approval, and a refusal alike. A client gets only their own
    customer's records, and only of versions they were sent (not a draft or a withdrawn one)."""
    record = _record(session, record_id)
    if record is None or record.decision not in APPROVALS:
        return None
    if staff is not None:
        return record
    if portal is None:
        return None
    job = session.get(Job, record.job_id)
    if job is None or job.customer_id != portal.customer_id:
        return None
    if record.version_id is not None:
        version = session.get(MockupVersion, record.version_id)
        if version is None or version.sent_at is None or version.withdrawn_at is not None:
            return None
    return record


def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", unicodedata.normalize("NFC", text).casefold()).strip("-_")[:60].strip("-_")


def certificate_name(session: Session, record: ApprovalRecord) -> str:
    """approval-<job title>-v2.pdf (the files service makes it safe for a header)."""
    job = session.get(Job, record.job_id)
    parts = ["approval", _slug(job.title if job is not None else "") or f"job-{record.job_id}"]
    if record.version_number:
        parts.append(f"v{record.version_number}")
    return "-".join(parts) + ".pdf"


def certificate_url(record_id: int) -> str:
    return f"/api/approvals/{record_id}/certificate.pdf"


# --- what goes on it ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Content:
    record: ApprovalRecord
    shop_name: str
    shop_lines: list[str]
    logo: Path | None
    job_title: str
    customer_name: str
    version_label: str
    file_name: str
    preview: Path | None
    local_time: str
    utc_time: str
    checklist: list[tuple[str, bool]]


def _blob(session: Session, file_id: int | None) -> Path | None:
    row = session.get(StoredFile, file_id) if file_id else None
    if row is None:
        return None
    path = files.blob_path(row.sha256)
    return path if path.is_file() else None


def _content(session: Session, record: ApprovalRecord) -> _Content:
    job = session.get(Job, record.job_id)
    customer = session.get(Customer, job.customer_id) if job is not None else None
    info = shop_info(session)
    shop = get_shop(session)
    contact = " · ".join(part for part in ((info.email, info.phone) if info else ()) if part)
    address = ", ".join(line.strip() for line in (info.address if info else "").splitlines() if line.strip())
    version = session.get(MockupVersion, record.version_id) if record.version_id else None
    original = session.get(StoredFile, version.file_id) if version is not None else None
    timezone = info.timezone if info is not None else "UTC"
    try:
        ticks = [(str(item["text"]), bool(item["ticked"])) for item in json.loads(record.checklist or "[]")]
    except (ValueError, TypeError, KeyError):
        ticks = []
    created = record.created_at
    return _Content(
        record=record,
        shop_name=display_name(info),
        shop_lines=[line for line in (contact, address) if line],
        logo=_blob(session, shop.logo_file_id if shop is not None else None),
        job_title=job.title if job is not None else f"Job {record.job_id}",
        customer_name=customer.name if customer is not None else "",
        version_label=f"v{record.version_number}" if record.version_number else "",
        file_name=original.original_name if original is not None else "",
        preview=_blob(session, version.preview_file_id) if version is not None else None,
        local_time=f"{shop_time(created, timezone)} ({timezone})",
        utc_time=created.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        checklist=ticks,
    )


def _facts(c: _Content) -> list[tuple[str, str]]:
    r = c.record
    rows: list[tuple[str, str]] = []
    if r.decision == "approved_offline":
        how = METHODS.get(r.method, r.method)
        rows.append(("Decision", "No artwork needed — approved offline" if r.method == "no_artwork" else "Approved offline"))
        rows.append(("Approved by", r.typed_name))
        if r.method != "no_artwork":
            rows.append(("How", how[:1].upper() + how[1:]))
        rows.append(("Recorded by", f"{r.staff_name} ({c.shop_name})" if r.staff_name else c.shop_name))
    else:
        rows.append(("Decision", "Approved"))
        rows.append(("Typed name", r.typed_name))
        rows.append(("Contact", r.contact_name))
        rows.append(("Email", r.contact_email))
    rows.append(("Time (shop)", c.local_time))
    rows.append(("Time (UTC)", c.utc_time))
    if r.decision != "approved_offline":
        rows.append(("IP address", r.ip or "not recorded"))
        rows.append(("Browser", r.user_agent or "not recorded"))
    rows.append(("Record", f"#{r.id}"))
    return [(label, value) for label, value in rows if value]


def _statement(c: _Content) -> str:
    r = c.record
    version = (f"{c.file_name}, " if c.file_name else "") + f"{c.version_label} of \"{c.job_title}\""
    check = " and every point of the print checklist above" if c.checklist else ""
    if r.decision == "approved_offline" and r.method == "no_artwork":
        return (
            f"This certificate records that {r.staff_name or 'a member of staff'} of {c.shop_name} recorded on "
            f"{c.local_time} ({c.utc_time}) that {r.typed_name} confirmed that the job \"{c.job_title}\" needs no "
            "artwork and approved it for production. The record was written at that moment and cannot be changed "
            "or deleted afterwards."
        )
    fingerprint = (
        " The fingerprint is computed from the exact bytes of that file: any change to the file, however small, "
        "gives a different fingerprint. To check a file against this certificate, compute its SHA-256 (for "
        "example `sha256sum <file>`, or `certutil -hashfile <file> SHA256` on Windows) and compare it with the "
        "fingerprint above."
    )
    kept = " The record was written at the moment of the decision and cannot be changed or deleted afterwards."
    if r.decision == "approved_offline":
        how = METHODS.get(r.method, r.method)
        return (
            f"This certificate records that {r.typed_name} approved the artwork identified by the SHA-256 "
            f"fingerprint above ({version}) for production, as {r.staff_name or 'a member of staff'} "
            f"of {c.shop_name} recorded on {c.local_time} ({c.utc_time}). The approval was given by {how}, "
            "outside the client portal; the note above is the shop's account of it." + fingerprint + kept
        )
    contact = f"{r.contact_name} <{r.contact_email}>" if r.contact_name else r.contact_email
    return (
        f"This certificate records that {r.typed_name}, signed in to {c.shop_name}'s client portal as {contact}, "
        f"approved the artwork identified by the SHA-256 fingerprint above ({version}) for "
        f"production on {c.local_time} ({c.utc_time}). Before approving they were shown this artwork, "
        f"typed their full name, and ticked \"I approve this artwork for production\"{check}. "
        "Production proceeds from this file as approved; any change after this approval needs a new approval."
        + fingerprint + kept
    )


# --- drawing ------------------------------------------------------------------------------------


class _Certificate(FPDF):
    unicode: bool = True
    footer_text: str = ""

    def text_for(self, text: str) -> str:
        if self.unicode:
            return text
        text = "".join(_FALLBACK.get(ch, ch) for ch in unicodedata.normalize("NFC", text))
        out = []
        for ch in text:
            if ord(ch) < 256:
                out.append(ch)
                continue
            plain = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(plain or "?")
        return "".join(out)

    def use(self, style: str = "", size: float = 10, *, mono: bool = False) -> None:
        if mono:
            self.set_font("DejaVuMono" if self.unicode else "Courier", "", size)
        else:
            self.set_font("DejaVu" if self.unicode else "Helvetica", style, size)

    def footer(self) -> None:
        self.set_y(-12)
        self.use(size=7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.text_for(f"{self.footer_text} · page {self.page_no()}/{{nb}}"), align="C")


def _new_pdf(c: _Content) -> _Certificate:
    pdf = _Certificate(format="A4", unit="mm")
    pdf.unicode = FONT_REGULAR.is_file() and FONT_BOLD.is_file() and FONT_MONO.is_file()
    if pdf.unicode:
        pdf.add_font("DejaVu", "", str(FONT_REGULAR))
        pdf.add_font("DejaVu", "B", str(FONT_BOLD))
        pdf.add_font("DejaVuMono", "", str(FONT_MONO))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=18)
    pdf.footer_text = f"{c.shop_name} · {TITLE} · record #{c.record.id} · made {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    pdf.set_title(pdf.text_for(f"{TITLE} — {c.job_title}"))
    pdf.set_author(pdf.text_for(c.shop_name))
    pdf.set_creator("Kontrol")
    pdf.add_page()
    pdf.set_text_color(*INK)
    return pdf


def _open_image(path: Path | None, max_px: int) -> Image.Image | None:
    """The image at most `max_px` on its long side (a 25-megapixel logo need not travel whole)."""
    if path is None:
        return None
    try:
        with Image.open(path) as opened:
            opened.load()
            image = opened.convert("RGBA" if "A" in opened.getbands() or "transparency" in opened.info else "RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None  # a missing or unreadable image leaves its space empty, never the certificate
    image.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    return image


def _fit(image: Image.Image, box: tuple[float, float]) -> tuple[float, float]:
    width, height = image.size
    scale = min(box[0] / width, box[1] / height)
    return width * scale, height * scale


def _header(pdf: _Certificate, c: _Content) -> None:
    top = pdf.get_y()
    text_x = MARGIN
    logo = _open_image(c.logo, 600)
    logo_h = 0.0
    if logo is not None:
        w, logo_h = _fit(logo, LOGO_BOX)
        pdf.image(logo, x=MARGIN, y=top, w=w, h=logo_h)
        text_x = MARGIN + w + 6
    pdf.set_xy(text_x, top)
    pdf.use("B", 13)
    pdf.multi_cell(0, 6, pdf.text_for(c.shop_name), align="L", new_x="LEFT", new_y="NEXT")
    pdf.use(size=9)
    pdf.set_text_color(*MUTED)
    for line in c.shop_lines:
        pdf.set_x(text_x)
        pdf.multi_cell(0, 4.5, pdf.text_for(line), align="L", new_x="LEFT", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.set_y(max(pdf.get_y(), top + logo_h) + 4)
    _rule(pdf)
    pdf.ln(5)
    pdf.use("B", 18)
    pdf.cell(0, 9, pdf.text_for(TITLE), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.use("B", 12)
    pdf.multi_cell(0, 6, pdf.text_for(c.job_title), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.use(size=10)
    pdf.set_text_color(*MUTED)
    lines = []
    if c.customer_name:
        lines.append(f"Customer: {c.customer_name}")
    if c.version_label:
        lines.append(f"Artwork: {c.version_label}" + (f" — {c.file_name}" if c.file_name else ""))
    else:
        lines.append("Artwork: none (no artwork needed)")
    for line in lines:
        pdf.multi_cell(0, 5, pdf.text_for(line), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(4)


def _rule(pdf: _Certificate) -> None:
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.3)
    pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())


def _heading(pdf: _Certificate, text: str) -> None:
    if pdf.get_y() > pdf.h - 40:  # a heading never sits alone at the foot of a page
        pdf.add_page()
    pdf.ln(2)
    pdf.use("B", 11)
    pdf.cell(0, 6, pdf.text_for(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(0.5)


def _facts_and_preview(pdf: _Certificate, c: _Content) -> None:
    """The record's facts on the left, the preview the client was shown on the right."""
    top, page = pdf.get_y(), pdf.page_no()
    preview = _open_image(c.preview, 1200)
    column = pdf.w - 2 * MARGIN
    bottom = top
    if preview is not None:
        w, h = _fit(preview, PREVIEW_BOX)
        x = pdf.w - MARGIN - PREVIEW_BOX[0] + (PREVIEW_BOX[0] - w) / 2
        pdf.set_draw_color(*RULE)
        pdf.rect(x - 1, top - 1, w + 2, h + 2)
        pdf.image(preview, x=x, y=top, w=w, h=h, alt_text=f"Preview of {c.version_label}")
        pdf.set_xy(pdf.w - MARGIN - PREVIEW_BOX[0], top + h + 2)
        pdf.use(size=7.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(PREVIEW_BOX[0], 4, pdf.text_for(f"The preview of {c.version_label} shown for approval"), align="C")
        pdf.set_text_color(*INK)
        bottom = top + h + 7
        column -= PREVIEW_BOX[0] + 6
    pdf.set_xy(MARGIN, top)
    for label, value in _facts(c):
        y = pdf.get_y()
        pdf.use("B", 9)
        pdf.set_text_color(*MUTED)
        pdf.cell(LABEL_WIDTH, 5, pdf.text_for(label))
        pdf.set_text_color(*INK)
        pdf.use(size=9.5)
        pdf.set_xy(MARGIN + LABEL_WIDTH, y)
        pdf.multi_cell(column - LABEL_WIDTH, 5, pdf.text_for(value), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.8)
    if pdf.page_no() == page:  # below the preview too (facts that ran onto a new page are below it already)
        pdf.set_y(max(pdf.get_y(), bottom))
    pdf.ln(2)


def _fingerprint(pdf: _Certificate, c: _Content) -> None:
    if not c.record.sha256:
        return
    _heading(pdf, "File fingerprint (SHA-256)")
    pdf.use(size=9.5, mono=True)
    pdf.set_fill_color(243, 244, 246)
    pdf.multi_cell(0, 7, c.record.sha256, align="L", fill=True, padding=(0, 2), new_x="LMARGIN", new_y="NEXT")
    if c.file_name:
        pdf.use(size=8.5)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(0, 4.5, pdf.text_for(f"of {c.file_name} ({c.version_label})"), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*INK)


def _checklist(pdf: _Certificate, c: _Content) -> None:
    if not c.checklist:
        return
    _heading(pdf, "Print checklist")
    for text, ticked in c.checklist:
        pdf.use(size=9.5)
        mark = "☑" if ticked else "☐"
        suffix = "" if ticked else "  (not ticked)"
        pdf.multi_cell(0, 5.2, pdf.text_for(f"{mark}  {text}{suffix}"), align="L", new_x="LMARGIN", new_y="NEXT")


def _notes(pdf: _Certificate, c: _Content) -> None:
    if not c.record.notes.strip():
        return
    _heading(pdf, "Note" if c.record.decision == "approved_offline" else "Notes")
    pdf.use(size=9.5)
    pdf.multi_cell(0, 5, pdf.text_for(c.record.notes.strip()), align="L", new_x="LMARGIN", new_y="NEXT")


def _words(pdf: _Certificate, c: _Content) -> None:
    _heading(pdf, "What this certificate records")
    pdf.use(size=9)
    pdf.multi_cell(0, 4.6, pdf.text_for(_statement(c)), align="L", new_x="LMARGIN", new_y="NEXT")


def certificate_pdf(session: Session, record_id: int) -> bytes:
    """The certificate of one approval record (refused for an unknown id or a record that
    is not an approval). Callers check who may have it first (`readable_record`)."""
    record = _record(session, record_id)
    if record is None or record.decision not in APPROVALS:
        raise NotFound(NOT_FOUND)
    content = _content(session, record)
    pdf = _new_pdf(content)
    _header(pdf, content)
    _facts_and_preview(pdf, content)
    _fingerprint(pdf, content)
    _checklist(pdf, content)
    _notes(pdf, content)
    _words(pdf, content)
    return bytes(pdf.output())
