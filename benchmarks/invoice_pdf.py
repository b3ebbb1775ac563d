"""The invoice PDF: DejaVu Sans (Unicode, embedded as a subset) with the shop's logo, against the
same invoice drawn in the core Helvetica font, in the same run. The goal: at most 2x the
core-font time. Also prints the first (cold) Unicode render, which parses the fonts once.

    .venv/bin/python benchmarks/invoice_pdf.py [--database-url postgresql://...] [--runs 15] [--lines 12]
"""

from __future__ import annotations

import io
import statistics
import time

import harness

GOAL = 2.0


def _logo() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (1200, 400), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((20, 20, 380, 380), radius=60, fill=(37, 99, 235, 255))
    draw.ellipse((460, 60, 740, 340), fill=(234, 88, 12, 255))
    draw.rectangle((800, 100, 1180, 300), fill=(22, 163, 74, 200))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _paired(runs: int, invoice_id: int) -> tuple[float, float, float]:
    """Median ms of the Unicode and the core-font render, and the median of their ratios. The two
    are timed in pairs, one right after the other (in turn first), each in a fresh session, so a
    busy machine slows both alike."""
    from sqlmodel import Session

    from kontrol_app import db
    from kontrol_app.services import invoice_pdf

    engine = db.get_engine()

    def timed(core_fonts: bool) -> float:
        with Session(engine) as session:
            started = time.perf_counter()
            invoice_pdf.render(session, invoice_id, core_fonts=core_fonts)
            return (time.perf_counter() - started) * 1000

    timed(False), timed(True)  # warm-up
    unicode_times, core_times = [], []
    for attempt in range(runs):
        if attempt % 2:
            core_times.append(timed(True))
            unicode_times.append(timed(False))
        else:
            unicode_times.append(timed(False))
            core_times.append(timed(True))
    ratios = [u / c for u, c in zip(unicode_times, core_times, strict=True)]
    return statistics.median(unicode_times), statistics.median(core_times), statistics.median(ratios)


def main() -> int:
    parser = harness.argument_parser(__doc__)
    harness.add_run_options(parser)
    parser.add_argument("--lines", type=int, default=12, help="lines on the invoice")
    args = parser.parse_args()
    with harness.scratch_database(args.database_url) as backend:
        from kontrol_app import db
        from kontrol_app.services import customers, invoice_pdf, invoices, jobs
        from kontrol_app.services import shop as shop_service
        from kontrol_app.services.customers import CustomerInput

        owner = harness.create_owner()
        with db.session_scope() as session:
            shop = shop_service.get_shop(session)
            shop.currency, shop.address, shop.phone = "EUR", "Rynek 1\n90-001 Łódź", "+48 42 000 00 00"
            shop.payment_instructions = "Bank transfer: PL61 1090 1014 0000 0712 1981 2874 (Ærø Bank), reference = invoice number."
            session.add(shop)
            shop_service.save_logo(session, owner, _logo())
        with db.session_scope() as session:
            customer_id = customers.create_customer(
                session, owner, CustomerInput(name="Zoë Ærøskøbing", email="zoe@bench.test", address="Havnegade 5\nÆrøskøbing")
            )
            job_id = jobs.create_job(session, owner, jobs.JobInput(title="Łódź Marathon Shirts", quantity="144", customer_id=customer_id))
            lines = [invoices.LineInput(f"Line {n}: shirts, 2 colours front — € price, ₹ quote {n}", str(n * 3), f"{n}.50") for n in range(1, args.lines + 1)]
            invoice_id = invoices.create_draft(
                session,
                owner,
                job_id,
                invoices.InvoiceInput(
                    lines=lines,
                    tax_rate="23",
                    discount_kind="percent",
                    discount="5",
                    deposit_kind="percent",
                    deposit="50",
                    notes="Dziękujemy! Pickup at the Łódź shop.",
                ),
            )

        with db.session_scope() as session:  # the first render of the process: the fonts are parsed here
            started = time.perf_counter()
            data = invoice_pdf.render(session, invoice_id)
            cold = (time.perf_counter() - started) * 1000
        with db.session_scope() as session:
            invoices.send_invoice(session, owner, invoice_id)
        with db.session_scope() as session:
            unicode_pdf = invoice_pdf.render(session, invoice_id)
            core_pdf = invoice_pdf.render(session, invoice_id, core_fonts=True)

        unicode_ms, core_ms, ratio = _paired(args.runs, invoice_id)
        print(f"{backend}: one invoice, {args.lines} lines, with the shop's logo; median of {args.runs} runs, ms:")
        print(f"  first Unicode render (parses the fonts once)  {cold:8.2f}   ({len(data):,} bytes)")
        print(f"  Unicode (DejaVu Sans subset)                  {unicode_ms:8.2f}   ({len(unicode_pdf):,} bytes)")
        print(f"  core font (Helvetica, Latin-1)                {core_ms:8.2f}   ({len(core_pdf):,} bytes)")
        print(f"  ratio (median of the {args.runs} paired runs) {ratio:.2f}x (goal: at most {GOAL:.0f}x) — {'met' if ratio <= GOAL else 'NOT met'}")
        return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
