"""How fast the Invoices page (and the customer page's Open Invoices, the portal's Invoices tab)
answer with 100,000 invoices.

    .venv/bin/python benchmarks/invoices.py
    .venv/bin/python benchmarks/invoices.py --database-url postgresql://postgres@127.0.0.1:5432/test

Without --database-url the database is SQLite in a temporary directory; with it, a scratch
database on that server (created, migrated, seeded and dropped). The seed goes in with bulk
inserts: --customers customers, one job each for a tenth of them, and --invoices invoices over
them in every status (most paid, as in a shop's real history), two lines each. One busy
customer has --busy-invoices of them. Each timing is the median of --runs calls, each in a
fresh session, after one warm-up.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared harness beside this file
import harness

STATUS_WEIGHTS = {"draft": 3, "sent": 8, "partially_paid": 3, "paid": 80, "void": 6}
GARMENTS = ["T-Shirts", "Hoodies", "Polos", "Caps", "Tote Bags", "Jackets", "Beanies"]


def parse_args() -> argparse.Namespace:
    parser = harness.argument_parser(__doc__)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--busy-invoices", type=int, default=300, help="invoices of the one busy customer")
    harness.add_run_options(parser)
    return parser.parse_args()


def seed(args: argparse.Namespace, rng: random.Random) -> dict:
    from sqlalchemy import insert, text

    from kontrol_app import db
    from kontrol_app.models import Job

    engine = db.get_engine()
    owner = harness.create_owner()
    now = datetime.now(UTC)
    with engine.begin() as connection:
        customer_ids = harness.seed_customers(connection, args.customers)
        jobs = [
            {"id": n + 1, "customer_id": cid, "title": f"{rng.choice(GARMENTS)} order {n}", "quantity": 48, "due_date": None,
             "decoration": "screen_print", "garment": "", "colour": "", "notes": "", "status": "completed",
             "tracking_carrier": "", "tracking_number": "", "created_at": now, "updated_at": now}
            for n, cid in enumerate(customer_ids[:: max(1, len(customer_ids) // max(1, args.customers // 10))])
        ]
        connection.execute(insert(Job.__table__), jobs)
        job_of = {job["customer_id"]: job["id"] for job in jobs}
        busy = add_invoices(connection, rng, owner.id, customer_ids, job_of, args.invoices, args.busy_invoices)
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT setval(pg_get_serial_sequence('job', 'id'), (SELECT max(id) FROM job))"))
    harness.analyze()
    return {"owner": owner, "busy": busy}


def add_invoices(connection, rng: random.Random, owner_id: int, customer_ids: list[int], job_of: dict[int, int],
                 count: int, busy_count: int) -> int:
    """`count` invoices over `customer_ids` in every status (most paid), two lines each, in bulk
    on an open connection whose invoice table is empty; an invoice is for `job_of[customer]` when
    there is one. Returns the busy customer, who has the first `busy_count`."""
    from sqlalchemy import insert, text

    from kontrol_app.models import Invoice, InvoiceLine, Shop

    now = datetime.now(UTC)
    today = now.date()
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    busy = customer_ids[len(customer_ids) // 3]
    invoices, lines, number = [], [], 0
    for n in range(count):
        customer_id = busy if n < busy_count else rng.choice(customer_ids)
        status = rng.choices(statuses, weights)[0]
        sent = now - timedelta(days=rng.randint(0, 3 * 365))
        unit = rng.choice((850, 1275, 1599, 2400))
        quantity = rng.choice((12, 24, 48, 144))
        total = unit * quantity + 3500
        paid = {"paid": total, "partially_paid": total // 2}.get(status, 0)
        number += status != "draft"
        invoices.append(
            {"id": n + 1, "customer_id": customer_id, "job_id": job_of.get(customer_id),
             "number": f"INV-{number:06d}" if status != "draft" else None, "status": status, "currency": "USD",
             "discount_kind": "", "discount_value": 0, "tax_rate": 0, "deposit_kind": "", "deposit_value": 0,
             "subtotal_cents": total, "discount_cents": 0, "tax_cents": 0, "total_cents": total, "deposit_cents": 0,
             "paid_cents": paid, "refunded_cents": 0, "notes": "", "void_reason": "",
             "due_date": (sent + timedelta(days=14)).date() if status != "draft" else today + timedelta(days=14),
             "sent_at": sent if status != "draft" else None, "paid_at": sent + timedelta(days=5) if status == "paid" else None,
             "voided_at": None, "version": 1, "created_by_staff_id": owner_id, "created_at": sent, "updated_at": sent}
        )
        lines.append({"invoice_id": n + 1, "position": 0, "description": "Shirts", "quantity": quantity, "unit_price_cents": unit, "amount_cents": unit * quantity})
        lines.append({"invoice_id": n + 1, "position": 1, "description": "Screen setup", "quantity": 1, "unit_price_cents": 3500, "amount_cents": 3500})
    for start in range(0, len(invoices), 10_000):
        connection.execute(insert(Invoice.__table__), invoices[start : start + 10_000])
        connection.execute(insert(InvoiceLine.__table__), lines[2 * start : 2 * start + 20_000])
    connection.execute(Shop.__table__.update().values(invoice_next_number=number + 1))
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT setval(pg_get_serial_sequence('invoice', 'id'), (SELECT max(id) FROM invoice))"))
    return busy


def main() -> int:
    args = parse_args()
    with harness.scratch_database(args.database_url) as backend:
        from kontrol_app import db
        from kontrol_app.services import invoices
        from kontrol_app.services.invoices import InvoiceFilters

        started = time.perf_counter()
        seeded = seed(args, random.Random(args.seed))
        owner, busy = seeded["owner"], seeded["busy"]
        with db.session_scope() as session:
            everything = invoices.list_invoices(session, owner, InvoiceFilters())
            found = invoices.list_invoices(session, owner, InvoiceFilters(search="hoodies"))
        print(
            f"{backend}: seeded {args.customers:,} customers and {args.invoices:,} invoices in "
            f"{time.perf_counter() - started:.1f} s; {everything.pages:,} pages of {invoices.PAGE_SIZE}; "
            f"open {everything.open_total}, overdue {everything.overdue_total}"
        )
        middle = max(1, everything.pages // 2)
        harness.print_medians(
            args.runs,
            [
                ("list_invoices all, page 1 (with open/overdue totals)", lambda s: invoices.list_invoices(s, owner, InvoiceFilters())),
                (f"list_invoices all, page {middle:,} (middle)", lambda s: invoices.list_invoices(s, owner, InvoiceFilters(), page=middle)),
                ("list_invoices Overdue", lambda s: invoices.list_invoices(s, owner, InvoiceFilters(status="overdue"))),
                ("list_invoices Open", lambda s: invoices.list_invoices(s, owner, InvoiceFilters(status="open"))),
                ("list_invoices search a number 'INV-004242'", lambda s: invoices.list_invoices(s, owner, InvoiceFilters(search="INV-004242"))),
                (f"list_invoices search 'hoodies' (job titles, {found.total:,} matches)", lambda s: invoices.list_invoices(s, owner, InvoiceFilters(search="hoodies"))),
                ("open_balance, busy customer (Open Invoices card)", lambda s: invoices.open_balance(s, busy)),
                (f"portal_cards, busy customer ({args.busy_invoices} invoices)", lambda s: invoices.portal_cards(s, busy)),
                ("portal_stamp, busy customer (the portal polls it)", lambda s: invoices.portal_stamp(s, busy)),
            ],
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
