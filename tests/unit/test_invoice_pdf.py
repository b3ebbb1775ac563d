"""The invoice PDF: made from real invoices (through the services), read back with pdfium's text
extraction: names and currencies in any script, the number or the draft's notice, the dates, the
customer, the lines, the totals, the PAID and VOID stamps, the deposit, the payment instructions
and notes; a 10,000-line invoice across pages; the shop's logo; fonts embedded as a subset and
parsed once per process (and drawing exactly what a fresh parse draws). SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from fpdf import FPDF
from PIL import Image
from sqlmodel import Session

from kontrol_app.db import get_engine
from kontrol_app.models import Invoice
from kontrol_app.services import invoice_pdf, invoices, pdf_fonts
from kontrol_app.services import shop as shop_service
from kontrol_app.services.errors import NotFound
from tests.factories import make_customer, make_invoice, make_job
from tests.helpers.pdf import first_page_pixels, image_count, page_texts

LINES = [("Team shirts, 2 colours front — € pricing", "24", "12.50"), ("Setup ₹ screens", "2", "25.00")]


def png(size=(800, 300), color=(20, 60, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def world(session: Session, owner) -> dict:
    shop = shop_service.get_shop(session)
    shop.currency = "INR"
    shop.address = "Rynek 1\nŁódź"
    shop.phone = "+48 42 000 00 00"
    shop.payment_instructions = "Bank transfer to PL61 1090 1014 0000 0712 1981 2874 (Ærø Bank)."
    session.add(shop)
    session.commit()
    customer_id = make_customer(session, owner, "Zoë Ærøskøbing", "zoe@aero.example", address="Havnegade 5\nÆrøskøbing")
    job_id = make_job(session, owner, customer_id, "Łódź Marathon Shirts")
    return {"customer": customer_id, "job": job_id}


def test_a_sent_invoice_in_any_script_with_every_part(session, owner, world):
    invoice_id = make_invoice(
        session,
        owner,
        world["job"],
        LINES,
        send=True,
        tax_rate="8.875",
        discount_kind="percent",
        discount="10",
        deposit_kind="percent",
        deposit="50",
        notes="Thank you, Zoë! Pickup at Łódź.",
    )
    invoice = session.get(Invoice, invoice_id)
    [text] = page_texts(invoice_pdf.render(session, invoice_id))
    view = invoices.view(session, invoice)
    for fact in (
        "Test Print Co.",
        "owner@example.com",
        "+48 42 000 00 00",
        "Rynek 1",
        "Łódź",  # the shop
        "INVOICE",
        invoice.number,
        f"Issued {view.issued}",
        f"Due {view.due_date}",
        "Zoë Ærøskøbing",
        "zoe@aero.example",
        "Havnegade 5",
        "Łódź Marathon Shirts",  # customer and job
        "Team shirts, 2 colours front — € pricing",
        "Setup ₹ screens",
        "₹12.50",
        "₹300.00",
        "₹50.00",
        "Subtotal ₹350.00",
        "Discount (10%) -₹35.00",
        f"Tax (8.875%) {view.tax}",
        f"Total {view.total}",
        f"Deposit {view.deposit}",
        f"Balance due {view.balance}",
        f"Due now: {view.due_now}, the deposit; the rest of the balance after that.",
        "Bank transfer to PL61 1090 1014 0000 0712 1981 2874 (Ærø Bank).",
        "Thank you, Zoë! Pickup at Łódź.",
        f"{invoice.number} · page 1/1",
    ):
        assert fact in text, fact
    assert "PAID" not in text and "VOID" not in text and "DRAFT" not in text
    assert "Paid ₹" not in text  # the rows the portal shows: no "Paid ₹0.00" before a payment


def test_a_draft_says_it_has_no_number_and_owes_nothing_yet(session, owner, world):
    invoice_id = make_invoice(session, owner, world["job"], LINES)
    [text] = page_texts(invoice_pdf.render(session, invoice_id))
    assert "DRAFT — no number until sent" in text
    assert "INV-" not in text and "Balance due" not in text and "Paid" not in text
    assert "Total ₹350.00" in text
    assert invoice_pdf.pdf_name(session.get(Invoice, invoice_id)) == f"draft-invoice-{invoice_id}.pdf"


def test_paid_in_full_gets_the_paid_stamp(session, owner, world):
    invoice_id = make_invoice(session, owner, world["job"], LINES, send=True)
    invoices.record_payment(session, owner, invoice_id, amount="350.00", method="check", reference="1042")
    session.commit()
    [text] = page_texts(invoice_pdf.render(session, invoice_id))
    assert "PAID" in text
    assert "Paid ₹350.00" in text and "Balance due ₹0.00" in text
    # Paid: no instructions for paying it any more.
    assert "How to pay" not in text


def test_a_refund_shows_and_reopens_the_balance(session, owner, world):
    invoice_id = make_invoice(session, owner, world["job"], LINES, send=True)
    invoices.record_payment(session, owner, invoice_id, amount="350.00", method="cash")
    invoices.record_refund(session, owner, invoice_id, amount="50.00")
    session.commit()
    [text] = page_texts(invoice_pdf.render(session, invoice_id))
    assert "PAID" not in text
    assert "Paid ₹300.00" in text and "Refunded ₹50.00" in text and "Balance due ₹50.00" in text


def test_a_paid_deposit_leaves_the_deposit_row_and_nothing_due_now(session, owner, world):
    invoice_id = make_invoice(session, owner, world["job"], LINES, send=True, deposit_kind="percent", deposit="50")
    invoices.record_payment(session, owner, invoice_id, amount="175.00", method="check")
    session.commit()
    [text] = page_texts(invoice_pdf.render(session, invoice_id))
    assert "Deposit ₹175.00" in text and "Paid ₹175.00" in text and "Balance due ₹175.00" in text
    assert "Due now" not in text and text.count("₹175.00") == 3  # the amount once per row, no box repeating it


def test_void_gets_the_void_stamp_and_its_reason(session, owner, world):
    invoice_id = make_invoice(session, owner, world["job"], LINES, send=True)
    invoices.void_invoice(session, owner, invoice_id, reason="Duplicate of the Łódź order")
    session.commit()
    [text] = page_texts(invoice_pdf.render(session, invoice_id))
    assert "VOID" in text and "This invoice is void: Duplicate of the Łódź order" in text
    assert "Balance due" not in text


def test_ten_thousand_lines_run_across_pages_with_the_heading_on_each(session, owner, world):
    lines = [(f"Item {n:05d} — embroidered cap, Łódź", "1", "1.00") for n in range(1, 10_001)]
    invoice_id = make_invoice(session, owner, world["job"], lines, send=True)
    texts = page_texts(invoice_pdf.render(session, invoice_id))
    assert len(texts) > 100
    number = session.get(Invoice, invoice_id).number
    for index, text in enumerate(texts[1:], start=2):
        assert "Description (continued) Qty Unit price Amount" in text, index
        assert f"{number} · page {index}/{len(texts)}" in text
    found = [int(n) for n in re.findall(r"Item (\d{5})", " ".join(texts))]
    assert found == list(range(1, 10_001))  # every line once, in order, none cut off at a page end
    assert "Total ₹10,000.00" in texts[-1] and "Balance due ₹10,000.00" in texts[-1]


def test_a_long_description_wraps_inside_its_row(session, owner, world):
    long = "Full-colour sublimated jersey with names and numbers on the back, sizes XS to 3XL, " * 3
    invoice_id = make_invoice(session, owner, world["job"], [(long.strip(), "12", "40.00"), ("Shipping", "1", "15.00")])
    [text] = page_texts(invoice_pdf.render(session, invoice_id))
    assert " ".join(long.split()) in text
    assert "Shipping 1 ₹15.00 ₹15.00" in text


def test_the_logo_is_drawn_when_the_shop_has_one(session, owner, world):
    invoice_id = make_invoice(session, owner, world["job"], LINES)
    assert image_count(invoice_pdf.render(session, invoice_id)) == 0
    shop_service.save_logo(session, owner, png())
    session.commit()
    assert image_count(invoice_pdf.render(session, invoice_id)) == 1


def test_fonts_are_embedded_as_a_subset(session, owner, world):
    invoice_id = make_invoice(session, owner, world["job"], LINES, send=True)
    data = invoice_pdf.render(session, invoice_id)
    assert re.search(rb"/BaseFont /[A-Z]{6}\+DejaVuSans", data)  # the subset tag
    assert len(data) < 60_000  # the regular face alone is 740 KB whole


def test_core_fonts_draw_the_same_invoice_in_latin_1(session, owner, world):
    invoice_id = make_invoice(session, owner, world["job"], LINES, send=True)
    [text] = page_texts(invoice_pdf.render(session, invoice_id, core_fonts=True))
    assert "Zoë Ærøskøbing" in text  # Latin-1 has these
    assert "INR300.00" in text and "Setup INR screens" in text
    assert "DejaVu" not in invoice_pdf.render(session, invoice_id, core_fonts=True).decode("latin-1")


def test_an_unknown_invoice_is_not_found(session, owner):
    for invoice_id in (12345, 0, -1, 2**40):
        with pytest.raises(NotFound):
            invoice_pdf.render(session, invoice_id)


def test_invoices_made_at_once_in_threads_are_all_whole(session, owner, world):
    ids = [make_invoice(session, owner, world["job"], [(f"Order {n} Łódź €", "1", f"{n}.00")], send=True) for n in range(1, 9)]

    def render(invoice_id: int) -> bytes:
        with Session(get_engine()) as own:
            return invoice_pdf.render(own, invoice_id)

    with ThreadPoolExecutor(max_workers=8) as pool:
        pdfs = list(pool.map(render, ids))
    texts = [page_texts(pdf)[0] for pdf in pdfs]  # pdfium reads back in one thread only
    for n, text in enumerate(texts, start=1):
        assert f"Order {n} Łódź €" in text and f"Total ₹{n}.00" in text


# --- the shared font parse draws what a fresh parse draws ----------------------------------------


def test_the_cached_font_draws_exactly_what_fpdf2_draws_from_the_same_file(tmp_path):
    text = "Zoë Ærøskøbing · Łódź · ₹ 1,234.50 · € 99 · Σοφία · Привет · ǅ ﬁ"
    regular, bold = tmp_path / "regular.ttf", tmp_path / "bold.ttf"
    regular.write_bytes(pdf_fonts._face(pdf_fonts.FONT_REGULAR, "").data)
    bold.write_bytes(pdf_fonts._face(pdf_fonts.FONT_BOLD, "B").data)

    def document(cached: bool) -> bytes:
        pdf = FPDF()
        if cached:
            assert pdf_fonts.add_fonts(pdf)
        else:
            pdf.add_font(pdf_fonts.FAMILY, "", str(regular))
            pdf.add_font(pdf_fonts.FAMILY, "B", str(bold))
        pdf.add_page()
        for style in ("", "B", ""):
            pdf.set_font(pdf_fonts.FAMILY, style, 14)
            pdf.cell(0, 10, text, new_x="LMARGIN", new_y="NEXT")
        return pdf_fonts.output(pdf) if cached else bytes(pdf.output())

    first, second, fresh = document(True), document(True), document(False)
    assert first_page_pixels(first) == first_page_pixels(second) == first_page_pixels(fresh)
    # (pdfium reads the ﬁ ligature back as the two letters it stands for)
    assert " ".join(text.replace("ﬁ", "fi").split()) in page_texts(first)[0]
