"""How fast the Jobs pages, the board and the portal's Active Orders answer with 200,000 jobs.

    .venv/bin/python benchmarks/jobs.py
    .venv/bin/python benchmarks/jobs.py --database-url postgresql://postgres@127.0.0.1:5432/test

Without --database-url the database is SQLite in a temporary directory. With it, a scratch
database (kontrol_bench_<random>) is created on that PostgreSQL server, migrated, seeded and
dropped at the end; the database named in the URL is only used to connect.

The seed goes in with bulk (executemany) inserts: --customers customers with a primary
contact, and --jobs jobs spread over every status and over the customers, each with its
"created" history row. One busy customer has --busy-jobs of them; its active ones carry
a full history (every step they went through), as the portal timeline reads it.
Each timing is the median of --runs calls, each in a fresh session, after one warm-up.
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

WORDS = ["Acme", "Bright", "Summit", "River", "Urban", "Coastal", "Golden", "Maple", "Iron", "Blue", "Lucky",
         "North", "Prairie", "Metro", "Harbor", "Pioneer", "Redwood", "Silver", "Stone", "Valley"]
KINDS = ["Apparel", "Sports", "Brewing", "Cafe", "Dental", "Fitness", "Church", "Academy", "Realty", "Motors",
         "Landscaping", "Bakery", "Studio", "Events", "Robotics Club", "Hockey League", "Print Co", "Outfitters"]
EVENTS = ["Spring League", "Summer Camp", "Holiday", "Staff", "5K Fun Run", "Launch Party", "Volunteer", "Reunion",
          "Tournament", "Grand Opening", "Charity Walk", "Coaches'", "Booster Club", "Field Day", "Conference"]
GARMENTS = ["T-Shirts", "Hoodies", "Polos", "Caps", "Tote Bags", "Aprons", "Jackets", "Quarter-Zips", "Tank Tops",
            "Beanies", "Crewnecks", "Long Sleeves"]
DECORATIONS = ["screen_print", "screen_print", "embroidery", "dtg", "heat_transfer", "other"]
# Most of a shop's history is finished work; the rest spread over the pipeline.
STATUS_WEIGHTS = {
    "quote": 6, "artwork": 4, "awaiting_approval": 4, "art_approved": 3, "in_production": 5, "ready": 3,
    "shipped": 4, "completed": 60, "revisions_requested": 1.5, "on_hold": 1.5, "declined": 5, "cancelled": 3,
}
PIPELINE = ["quote", "artwork", "awaiting_approval", "art_approved", "in_production", "ready", "shipped", "completed"]
CLOSED = {"completed", "declined", "cancelled"}


def parse_args() -> argparse.Namespace:
    parser = harness.argument_parser(__doc__)
    parser.add_argument("--jobs", type=int, default=200_000)
    parser.add_argument("--busy-jobs", type=int, default=1_000, help="jobs of the one busy customer (within --jobs)")
    parser.add_argument("--busy-active", type=int, default=60, help="how many of the busy customer's jobs are active")
    harness.add_run_options(parser)
    return parser.parse_args()


def _path_to(status: str) -> list[str]:
    """The statuses a job walked through to get to `status` (after Quote)."""
    if status in PIPELINE:
        return PIPELINE[1 : PIPELINE.index(status) + 1]
    if status == "revisions_requested":
        return ["artwork", "awaiting_approval", "revisions_requested"]
    if status == "on_hold":
        return ["artwork", "awaiting_approval", "art_approved", "in_production", "on_hold"]
    return [status]  # declined, cancelled: straight from the quote


def seed(args: argparse.Namespace, rng: random.Random) -> dict:
    """The shop, its owner, customers with their primary contact, jobs and history, in bulk."""
    from sqlalchemy import insert, text

    from kontrol_app import db
    from kontrol_app.models import Customer, CustomerContact, Job, JobStatusChange
    from kontrol_app.services import portal_links
    from kontrol_app.services.customers import slugify

    engine = db.get_engine()
    owner = harness.create_owner()

    now = datetime.now(UTC)
    today = now.date()
    customer_rows = []
    for i in range(args.customers):
        name = f"{rng.choice(WORDS)} {rng.choice(KINDS)} {i}"
        salt, key_hash = portal_links.new_link_secret()
        customer_rows.append(
            {"name": name, "slug": slugify(name), "phone": "", "address": "", "notes": "", "portal_salt": salt,
             "portal_key_hash": key_hash, "portal_link_copied_at": None, "portal_link_emailed_at": None,
             "created_at": now, "updated_at": now}
        )
    customer_table, contact_table = Customer.__table__, CustomerContact.__table__
    job_table, change_table = Job.__table__, JobStatusChange.__table__
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    active_statuses = [s for s in statuses if s not in CLOSED]
    active_weights = [STATUS_WEIGHTS[s] for s in active_statuses]

    with engine.begin() as connection:
        customer_ids = [
            row[0]
            for start in range(0, len(customer_rows), 1000)
            for row in connection.execute(
                insert(customer_table).returning(customer_table.c.id, sort_by_parameter_order=True),
                customer_rows[start : start + 1000],
            )
        ]
        connection.execute(
            insert(contact_table),
            [
                {"customer_id": cid, "name": f"Contact {n}", "email": f"contact{n}@bench.test", "is_primary": True, "created_at": now}
                for n, cid in enumerate(customer_ids)
            ],
        )
        busy = customer_ids[len(customer_ids) // 3]

        def job_row(customer_id: int, status: str) -> dict:
            created = now - timedelta(days=rng.randint(0, 3 * 365) if status in CLOSED else rng.randint(0, 45))
            due = None
            if rng.random() > 0.05:
                due = (created + timedelta(days=rng.randint(7, 40))).date() if status in CLOSED else today + timedelta(days=rng.randint(-20, 60))
            return {
                "customer_id": customer_id,
                "title": f"{rng.choice(EVENTS)} {rng.choice(GARMENTS)}",
                "quantity": rng.choice((12, 24, 36, 48, 72, 144, 250, 500)),
                "due_date": due,
                "decoration": rng.choice(DECORATIONS),
                "garment": "",
                "colour": "",
                "notes": "",
                "status": status,
                "tracking_carrier": "ups" if status in ("shipped", "completed") else "",
                "tracking_number": f"1Z999AA1{rng.randint(0, 10**10):010d}" if status in ("shipped", "completed") else "",
                "created_at": created,
                "updated_at": created + timedelta(hours=rng.randint(1, 200)),
            }

        busy_active = min(args.busy_active, args.busy_jobs)
        rows = [job_row(busy, rng.choices(active_statuses, active_weights)[0]) for _ in range(busy_active)]
        rows += [job_row(busy, rng.choice(sorted(CLOSED))) for _ in range(args.busy_jobs - busy_active)]
        others = [c for c in customer_ids if c != busy]
        rows += [job_row(rng.choice(others), rng.choices(statuses, weights)[0]) for _ in range(args.jobs - len(rows))]
        rng.shuffle(rows)

        # Ids given here (the table is empty), so the history rows can point at them
        # without RETURNING, which makes psycopg rewrite very large statements.
        for job_id, row in enumerate(rows, start=1):
            row["id"] = job_id
        history = 0
        for start in range(0, len(rows), 10_000):
            chunk = rows[start : start + 10_000]
            connection.execute(insert(job_table), chunk)
            ids = [row["id"] for row in chunk]
            changes = []
            for job_id, row in zip(ids, chunk, strict=True):
                changes.append(
                    {"job_id": job_id, "from_status": None, "to_status": "quote", "note": "", "staff_user_id": owner.id,
                     "changed_by": owner.name, "created_at": row["created_at"]}
                )
                if row["customer_id"] == busy and row["status"] not in CLOSED:
                    previous, moment = "quote", row["created_at"]
                    for step in _path_to(row["status"]):
                        moment += timedelta(hours=rng.randint(2, 48))
                        changes.append(
                            {"job_id": job_id, "from_status": previous, "to_status": step, "note": "", "staff_user_id": owner.id,
                             "changed_by": owner.name, "created_at": moment}
                        )
                        previous = step
            connection.execute(insert(change_table), changes)
            history += len(changes)
        if connection.dialect.name == "postgresql":  # the next job the app creates gets the next id
            connection.execute(text("SELECT setval(pg_get_serial_sequence('job', 'id'), (SELECT max(id) FROM job))"))
    harness.analyze()
    return {"owner": owner, "busy": busy, "jobs": len(rows), "history": history}


def main() -> int:
    args = parse_args()
    with harness.scratch_database(args.database_url) as backend:
        from kontrol_app import db
        from kontrol_app.services import jobs, portal_orders

        started = time.perf_counter()
        seeded = seed(args, random.Random(args.seed))
        seed_seconds = time.perf_counter() - started
        owner, busy = seeded["owner"], seeded["busy"]
        active = jobs.JobFilters(status="active")
        search = jobs.JobFilters(status="", search="hoodie")
        with db.session_scope() as session:
            first = jobs.list_jobs(session, owner, active)
            found = jobs.list_jobs(session, owner, search)
            busy_cards = len(portal_orders.customer_orders(session, busy))
            middle = max(1, first.pages // 2)
            before_middle = jobs.list_jobs(session, owner, active, page=middle - 1).rows[-1]  # Next from here
        print(
            f"{backend}: seeded {args.customers:,} customers, {seeded['jobs']:,} jobs, {seeded['history']:,} history rows "
            f"in {seed_seconds:.1f} s; {first.total:,} active jobs = {first.pages:,} pages of {jobs.PAGE_SIZE}"
        )
        harness.print_medians(
            args.runs,
            [
                ("list_jobs active, page 1", lambda s: jobs.list_jobs(s, owner, active, page=1)),
                (f"list_jobs active, page {middle:,} (middle)", lambda s: jobs.list_jobs(s, owner, active, page=middle)),
                (f"list_jobs active, Next to page {middle:,}", lambda s: jobs.list_jobs(s, owner, active, page=middle, after=before_middle)),
                (f"list_jobs search 'hoodie', all statuses ({found.total:,} matches)", lambda s: jobs.list_jobs(s, owner, search)),
                ("list_jobs search 'hoodie', active", lambda s: jobs.list_jobs(s, owner, jobs.JobFilters(status="active", search="hoodie"))),
                ("board (9 columns)", lambda s: jobs.board(s, owner)),
                (f"customer_orders, busy customer ({busy_cards} active cards)", lambda s: portal_orders.customer_orders(s, busy)),
                ("orders_stamp, busy customer (the portal polls it)", lambda s: portal_orders.orders_stamp(s, busy)),
            ],
        )
        statements = harness.count_statements(lambda s: portal_orders.customer_orders(s, busy))
        print(f"customer_orders SQL statements: {statements}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
