"""Artwork approval timings: accepting a 20 MB PDF and making its preview, and the portal's
job view (and the staff Mockups tab) for a job with 20 versions.

Prints milliseconds, and what the portal view carries: it must hold one preview of the
version awaiting an answer, never the 20 originals.

    .venv/bin/python benchmarks/approval.py [--database-url postgresql://...] [--runs 5]
"""

from __future__ import annotations

import io
import json
import time

import harness


def _pdf_of(size_mb: float) -> bytes:
    """A real one-page PDF padded with an embedded, incompressible image to about `size_mb`."""
    import os

    from fpdf import FPDF
    from PIL import Image

    side = int((size_mb * 1024 * 1024 / 3) ** 0.5)
    noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG", compress_level=0)
    pdf = FPDF(format=(300, 300))
    pdf.add_page()
    pdf.image(io.BytesIO(buffer.getvalue()), x=10, y=10, w=280)
    return bytes(pdf.output())


def _png(width: int = 2400, height: int = 1600, shade: int = 30) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, shade % 256, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def main() -> int:
    parser = harness.argument_parser(__doc__)
    harness.add_run_options(parser)
    args = parser.parse_args()
    with harness.scratch_database(args.database_url) as backend:
        from kontrol_app import db
        from kontrol_app.services import customers, jobs, mockups
        from kontrol_app.services.customers import CustomerInput

        owner = harness.create_owner()
        with db.session_scope() as session:
            customer_id = customers.create_customer(
                session, owner, CustomerInput(name="Bench Customer", email="buyer@bench.test", contact_name="Bea Buyer")
            )
            job_id = jobs.create_job(
                session, owner, jobs.JobInput(title="Bench Hoodies", quantity="144", customer_id=customer_id)
            )
        big = _pdf_of(20)
        timings = []
        for _ in range(max(1, args.runs // 3)):
            started = time.perf_counter()
            with db.session_scope() as session:
                mockups.upload_version(session, owner, job_id, big, name="proof.pdf", note="20 MB")
            timings.append((time.perf_counter() - started) * 1000)
        print(f"{backend}: upload_version of a {len(big) / 1024 / 1024:.1f} MB PDF (judge, store, preview): "
              f"median {sorted(timings)[len(timings) // 2]:.0f} ms over {len(timings)}")

        with db.session_scope() as session:
            for number in range(20 - len(timings)):
                mockups.upload_version(session, owner, job_id, _png(shade=number), name=f"v{number}.png")
            newest = mockups.job_mockups(session, owner, job_id).versions[0]
            mockups.send_for_approval(session, owner, newest.id, message="Here it is.")
        with db.session_scope() as session:
            proof = mockups.portal_proof(session, customer_id, job_id)
            staff_view = mockups.job_mockups(session, owner, job_id)
        carried = json.dumps(proof.__dict__, default=str)
        print(f"portal job view carries {len(carried):,} bytes of data for one proof "
              f"(a link to one {newest.label} preview, no file bytes); staff tab lists {len(staff_view.versions)} versions")
        harness.print_medians(
            args.runs,
            [
                ("portal_proof, job with 20 versions", lambda s: mockups.portal_proof(s, customer_id, job_id)),
                ("awaiting_approval (the portal banner)", lambda s: mockups.awaiting_approval(s, customer_id)),
                ("job_mockups (staff Mockups tab), 20 versions", lambda s: mockups.job_mockups(s, owner, job_id)),
                ("current_approved (the production gate)", lambda s: mockups.current_approved(s, job_id)),
            ],
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
