"""The invoice as a PDF: what the client gets attached to the "Invoice INV-0112 from <shop>"
email and downloads from the portal, and what staff download from the invoice.

Branded like the approval certificate: the shop's logo, name, address, email and phone; then
"INVOICE" and its number (a draft says it has none yet), the dates, the customer, the job,
the lines (a table that carries on across as many pages as it needs, its heading repeated),
the totals, a PAID or VOID stamp, what is due now while a deposit is unpaid, how to pay, and
the notes. Every figure comes formatted from `invoices.view`, so the PDF says what the
screens say.

Text is set in DejaVu Sans (services/pdf_fonts.py: parsed once per process, embedded as a
subset), so names in any script come out as typed. `core_fonts=True` draws the same invoice
in the core Helvetica font (Latin-1 only); it exists for the benchmark's comparison and is
what happens on a machine without the DejaVu files. Plain Python, no reflex.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC, datetime

from fpdf import FPDF
from PIL import Image
from sqlmodel import Session, select

from kontrol_app.models import Customer, CustomerContact, Invoice, InvoiceStatus, StoredFile
from kontrol_app.services import files, invoices, pdf_fonts
from kontrol_app.services.errors import NotFound, find
from kontrol_app.services.shop import display_name, get_shop, shop_info

NOT_FOUND = "That invoice does not exist."
DRAFT_TITLE = "DRAFT — no number until sent"
MARGIN = 16  # mm
LOGO_BOX = (48.0, 20.0)
INK = (33, 37, 41)
MUTED = (96, 103, 112)
RULE = (210, 214, 219)
SHADE = (243, 244, 246)
PAID_COLOUR = (22, 128, 61)
VOID_COLOUR = (185, 28, 28)
# The lines table: description, quantity, unit price, amount (mm; the page is 178 mm wide inside).
COLUMNS = (100.0, 20.0, 29.0, 29.0)
ROW_LINE = 4.6  # mm per line of text in a row
ROW_PAD = 1.4


def pdf_name(invoice: Invoice) -> str:
    """INV-0112.pdf, or draft-invoice-7.pdf before it has a number."""
    return f"{invoice.number}.pdf" if invoice.number else f"draft-invoice-{invoice.id}.pdf"


def pdf_url(invoice_id: int) -> str:
    return f"/api/invoices/{invoice_id}/pdf"


# --- the logo, decoded once per image ---------------------------------------------------------

_LOGOS: OrderedDict[str, Image.Image] = OrderedDict()
_LOGOS_LOCK = threading.Lock()


def _logo(session: Session, file_id: int | None) -> Image.Image | None:
    """The shop's logo at most 600 px on its long side (a 25-megapixel logo need not travel
    whole), kept per SHA-256 so each invoice does not decode it again."""
    row = session.get(StoredFile, file_id) if file_id else None
    if row is None:
        return None
    with _LOGOS_LOCK:
        cached = _LOGOS.get(row.sha256)
        if cached is not None:
            _LOGOS.move_to_end(row.sha256)
            return cached.copy()
    path = files.blob_path(row.sha256)
    try:
        with Image.open(path) as opened:
            opened.load()
            image = opened.convert("RGBA" if "A" in opened.getbands() or "transparency" in opened.info else "RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None  # a missing or unreadable logo leaves its space empty, never the invoice
    image.thumbnail((600, 600), Image.Resampling.LANCZOS)
    with _LOGOS_LOCK:
        _LOGOS[row.sha256] = image
        while len(_LOGOS) > 8:
            _LOGOS.popitem(last=False)
    return image.copy()


# --- drawing ----------------------------------------------------------------------------------


class _InvoicePDF(FPDF):
    unicode: bool = True
    footer_text: str = ""
    table_heading: bool = False  # repeat the lines table's heading on the next page

    def t(self, text: str) -> str:
        return text if self.unicode else pdf_fonts.latin1(text)

    def use(self, style: str = "", size: float = 10) -> None:
        self.set_font(pdf_fonts.FAMILY if self.unicode else pdf_fonts.CORE_FAMILY, style, size)

    def footer(self) -> None:
        self.set_y(-12)
        self.use(size=7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.t(f"{self.footer_text} · page {self.page_no()}/{{nb}}"), align="C")
        self.set_text_color(*INK)

    def header(self) -> None:
        if self.table_heading and self.page_no() > 1:
            _table_heading(self, continued=True)


def _rule(pdf: _InvoicePDF) -> None:
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.3)
    pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())


def _heading(pdf: _InvoicePDF, text: str) -> None:
    if pdf.get_y() > pdf.h - 45:  # a heading never sits alone at the foot of a page
        pdf.add_page()
    pdf.ln(3)
    pdf.use("B", 10.5)
    pdf.cell(0, 6, pdf.t(text), new_x="LMARGIN", new_y="NEXT")


def _paragraph(pdf: _InvoicePDF, text: str, size: float = 9.5) -> None:
    pdf.use(size=size)
    pdf.multi_cell(0, 4.8, pdf.t(text.strip()), align="L", new_x="LMARGIN", new_y="NEXT")


def _shop_block(pdf: _InvoicePDF, session: Session) -> None:
    info = shop_info(session)
    shop = get_shop(session)
    top = pdf.get_y()
    text_x = MARGIN
    logo = _logo(session, shop.logo_file_id if shop is not None else None)
    logo_h = 0.0
    if logo is not None:
        width, height = logo.size
        scale = min(LOGO_BOX[0] / width, LOGO_BOX[1] / height)
        w, logo_h = width * scale, height * scale
        pdf.image(logo, x=MARGIN, y=top, w=w, h=logo_h, alt_text=pdf.t(f"{display_name(info)} logo"))
        text_x = MARGIN + w + 6
    pdf.set_xy(text_x, top)
    pdf.use("B", 13)
    pdf.multi_cell(0, 6, pdf.t(display_name(info)), align="L", new_x="LEFT", new_y="NEXT")
    pdf.use(size=9)
    pdf.set_text_color(*MUTED)
    lines = [line.strip() for line in (info.address if info else "").splitlines() if line.strip()]
    contact = " · ".join(part for part in ((info.email, info.phone) if info else ()) if part)
    for line in [*lines, contact] if contact else lines:
        pdf.set_x(text_x)
        pdf.multi_cell(0, 4.4, pdf.t(line), align="L", new_x="LEFT", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.set_y(max(pdf.get_y(), top + logo_h) + 4)
    _rule(pdf)
    pdf.ln(5)


def _stamp(pdf: _InvoicePDF, word: str, colour: tuple[int, int, int], x: float, y: float) -> None:
    """A big rubber stamp, tilted, over the top right of the first page."""
    pdf.use("B", 30)
    width = pdf.get_string_width(word) + 14
    with pdf.local_context(fill_opacity=0.85, stroke_opacity=0.85):
        pdf.set_text_color(*colour)
        pdf.set_draw_color(*colour)
        pdf.set_line_width(1.2)
        with pdf.rotation(angle=12, x=x + width / 2, y=y + 8):
            pdf.set_xy(x, y)
            pdf.cell(width, 16, word, border=1, align="C")
    pdf.set_text_color(*INK)


def _title_block(pdf: _InvoicePDF, view: invoices.InvoiceView, invoice: Invoice, customer: Customer | None, contact_email: str) -> None:
    top = pdf.get_y()
    left_w = 98.0
    right_x = MARGIN + left_w + 6
    right_w = pdf.w - MARGIN - right_x
    # Left: who it is for.
    pdf.set_text_color(*MUTED)
    pdf.use("B", 8.5)
    pdf.cell(left_w, 5, "BILL TO", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.use("B", 11)
    pdf.multi_cell(left_w, 5.6, pdf.t(view.customer_name or "—"), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.use(size=9.5)
    address = [line.strip() for line in (customer.address if customer else "").splitlines() if line.strip()]
    for line in [*address, contact_email]:
        if line:
            pdf.multi_cell(left_w, 4.8, pdf.t(line), align="L", new_x="LMARGIN", new_y="NEXT")
    if view.job_title:
        pdf.ln(2)
        pdf.set_text_color(*MUTED)
        pdf.use("B", 8.5)
        pdf.cell(left_w, 5, "JOB", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*INK)
        pdf.use(size=10)
        pdf.multi_cell(left_w, 5, pdf.t(view.job_title), align="L", new_x="LMARGIN", new_y="NEXT")
    left_bottom = pdf.get_y()
    # Right: what it is.
    pdf.set_xy(right_x, top)
    pdf.use("B", 22)
    pdf.cell(right_w, 10, "INVOICE", align="R", new_x="LEFT", new_y="NEXT")
    pdf.use("B", 12)
    pdf.multi_cell(right_w, 6, pdf.t(view.number or DRAFT_TITLE), align="R", new_x="LEFT", new_y="NEXT")
    facts = []
    if view.issued:
        facts.append(("Issued", view.issued))
    if view.due_date:
        facts.append(("Due", view.due_date))
    facts.append(("Status", view.status_label))
    pdf.ln(1)
    for label, value in facts:
        pdf.set_x(right_x)
        pdf.use(size=9.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(right_w - 40, 5, pdf.t(label), align="R")
        pdf.set_text_color(VOID_COLOUR if view.status == invoices.OVERDUE and label == "Status" else INK)
        pdf.use("B", 9.5)
        pdf.cell(40, 5, pdf.t(value), align="R", new_x="LEFT", new_y="NEXT")
        pdf.set_x(right_x)
    pdf.set_text_color(*INK)
    right_bottom = pdf.get_y()
    if invoice.status in (InvoiceStatus.PAID, InvoiceStatus.VOID):
        paid = invoice.status == InvoiceStatus.PAID
        _stamp(pdf, "PAID" if paid else "VOID", PAID_COLOUR if paid else VOID_COLOUR, right_x + 8, right_bottom + 3)
        right_bottom += 24
    pdf.set_y(max(left_bottom, right_bottom) + 2)
    if invoice.status == InvoiceStatus.VOID and view.void_reason:
        pdf.set_text_color(*VOID_COLOUR)
        pdf.use("B", 10)
        pdf.multi_cell(0, 5, pdf.t(f"This invoice is void: {view.void_reason}"), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*INK)
    pdf.ln(4)


def _table_heading(pdf: _InvoicePDF, *, continued: bool = False) -> None:
    pdf.set_x(MARGIN)
    pdf.use("B", 9)
    pdf.set_fill_color(*SHADE)
    labels = ("Description" + (" (continued)" if continued else ""), "Qty", "Unit price", "Amount")
    for index, (label, width) in enumerate(zip(labels, COLUMNS, strict=True)):
        pdf.cell(width, 7, label, align="L" if index == 0 else "R", fill=True)
    pdf.ln(7)
    pdf.use(size=9)


def _row_lines(pdf: _InvoicePDF, text: str, width: float) -> list[str]:
    # One line for most rows, measured without the (slower) dry run.
    if "\n" not in text and pdf.get_string_width(text) <= width - 3.2:
        return [text]
    return pdf.multi_cell(width - 3.2, ROW_LINE, text, dry_run=True, output="LINES", padding=0)


def _lines_table(pdf: _InvoicePDF, view: invoices.InvoiceView) -> None:
    if pdf.get_y() > pdf.h - 50:
        pdf.add_page()
    _table_heading(pdf)
    pdf.table_heading = True
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    bottom = pdf.h - pdf.b_margin
    for line in view.lines:
        description = _row_lines(pdf, pdf.t(line.description), COLUMNS[0])
        height = len(description) * ROW_LINE + 2 * ROW_PAD
        if pdf.get_y() + height > bottom:
            pdf.add_page()  # the header repeats the table's heading
        y = pdf.get_y()
        x = MARGIN
        for index, text in enumerate(description):
            pdf.set_xy(x, y + ROW_PAD + index * ROW_LINE)
            pdf.cell(COLUMNS[0], ROW_LINE, text)
        x += COLUMNS[0]
        for value, width in zip((f"{line.quantity:,}", line.unit_price, line.amount), COLUMNS[1:], strict=True):
            pdf.set_xy(x, y + ROW_PAD)
            pdf.cell(width, ROW_LINE, pdf.t(value), align="R")
            x += width
        pdf.set_y(y + height)
        pdf.line(MARGIN, y + height, pdf.w - MARGIN, y + height)
    pdf.table_heading = False
    pdf.ln(2)


def _totals(pdf: _InvoicePDF, view: invoices.InvoiceView) -> None:
    # The rows the staff's page and the portal show; on paper, the balance is "Balance due".
    rows = [("Balance due" if row.key == "balance" else row.label, row.amount, row.bold) for row in view.totals]
    if pdf.get_y() + 7 * len(rows) > pdf.h - pdf.b_margin:
        pdf.add_page()
    label_w, value_w = 50.0, 36.0
    x = pdf.w - MARGIN - label_w - value_w
    for label, value, strong in rows:
        pdf.set_x(x)
        if strong:
            pdf.set_draw_color(*RULE)
            pdf.line(x, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
        pdf.use("B" if strong else "", 11 if strong else 9.5)
        pdf.cell(label_w, 6.5, pdf.t(label), align="R")
        pdf.cell(value_w, 6.5, pdf.t(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _deposit(pdf: _InvoicePDF, view: invoices.InvoiceView) -> None:
    # The totals show the deposit's amount; this says what it means for the reader today.
    if view.due_kind != "deposit" or not view.due_now:
        return
    text = f"Due now: {view.due_now}, the deposit; the rest of the balance after that."
    pdf.set_fill_color(254, 243, 199)
    pdf.use("B", 9.5)
    pdf.multi_cell(0, 6, pdf.t(text), align="L", fill=True, padding=(1, 2), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def render(session: Session, invoice_id: int, *, core_fonts: bool = False) -> bytes:
    """The invoice's PDF. Callers check who may have it first (the route: staff, or the
    invoice's own client for a sent one)."""
    if isinstance(invoice_id, int) and not 0 < invoice_id <= 2**31 - 1:
        raise NotFound(NOT_FOUND)
    invoice = find(session, Invoice, invoice_id, NOT_FOUND)
    view = invoices.view(session, invoice)
    customer = session.get(Customer, invoice.customer_id)
    contact_email = (
        session.exec(select(CustomerContact.email).where(CustomerContact.customer_id == invoice.customer_id, CustomerContact.is_primary.is_(True))).first()
        or ""
    )
    shop = get_shop(session)
    shop_name = display_name(shop_info(session))

    pdf = _InvoicePDF(format="A4", unit="mm")
    pdf.unicode = not core_fonts and pdf_fonts.add_fonts(pdf)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.c_margin = 1.6  # inside each table cell
    pdf.set_auto_page_break(True, margin=18)
    pdf.footer_text = f"{shop_name} · {view.number or 'Draft invoice'}"
    pdf.set_title(pdf.t(f"Invoice {view.number}" if view.number else "Draft invoice"))
    pdf.set_author(pdf.t(shop_name))
    pdf.set_creator("Kontrol")
    pdf.set_creation_date(datetime.now(UTC))
    pdf.add_page()
    pdf.set_text_color(*INK)
    _shop_block(pdf, session)
    _title_block(pdf, view, invoice, customer, contact_email)
    _lines_table(pdf, view)
    _totals(pdf, view)
    _deposit(pdf, view)
    instructions = (shop.payment_instructions if shop is not None else "").strip()
    if instructions and invoice.status not in (InvoiceStatus.PAID, InvoiceStatus.VOID):
        _heading(pdf, "How to pay")
        _paragraph(pdf, instructions)
    if invoice.notes.strip():
        _heading(pdf, "Notes")
        _paragraph(pdf, invoice.notes)
    return pdf_fonts.output(pdf) if pdf.unicode else bytes(pdf.output())
