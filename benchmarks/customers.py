"""How fast the Customers pages answer with 10,000 customers.

    .venv/bin/python benchmarks/customers.py
    .venv/bin/python benchmarks/customers.py --database-url postgresql://postgres@127.0.0.1:5432/test

Without --database-url the database is SQLite in a temporary directory. With it, a scratch
database (kontrol_bench_<random>) is created on that PostgreSQL server, migrated, seeded and
dropped at the end; the database named in the URL is only used to connect.

The seed goes in with bulk inserts: customers with their primary contact, some extra
contacts, and a few jobs each (so the customer page's job counts have rows to count).
Each timing is the median of --runs calls, each in a fresh session, after one warm-up.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared harness beside this file
import harness

FIRST = ["Ann", "Ben", "Cara", "Dan", "Eve", "Finn", "Gina", "Hugo", "Iris", "Jon", "Kate", "Liam", "Mia", "Noah",
         "Olga", "Paul", "Quinn", "Rosa", "Sam", "Tess", "Uma", "Vic", "Wes", "Xena", "Yara", "Zack"]
LAST = ["Smith", "Jones", "Garcia", "Brown", "Miller", "Davis", "Lopez", "Wilson", "Moore", "Taylor", "Clark",
        "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson"]
WORDS = ["Acme", "Bright", "Summit", "River", "Urban", "Coastal", "Golden", "Maple", "Iron", "Blue", "Lucky",
         "North", "Prairie", "Metro", "Harbor", "Pioneer", "Redwood", "Silver", "Stone", "Valley"]
KINDS = ["Apparel", "Sports", "Brewing", "Cafe", "Dental", "Fitness", "Church", "Academy", "Realty", "Motors",
         "Landscaping", "Bakery", "Studio", "Events", "Robotics Club", "Hockey League", "Print Co", "Outfitters"]
STATUSES = ["quote", "artwork", "awaiting_approval", "in_production", "ready", "shipped", "completed", "completed"]


def parse_args() -> argparse.Namespace:
    parser = harness.argument_parser(__doc__)
    harness.add_run_options(parser)
    return parser.parse_args()


def seed(count: int, rng: random.Random) -> dict:
    """The shop, its owner and `count` customers with contacts and jobs, in bulk."""
    from sqlalchemy import insert

    from kontrol_app import db
    from kontrol_app.models import Customer, CustomerContact, Job, utcnow
    from kontrol_app.services import portal_links
    from kontrol_app.services.customers import slugify

    engine = db.get_engine()
    owner = harness.create_owner()

    now = utcnow()
    names = [f"{rng.choice(WORDS)} {rng.choice(KINDS)} {i}" for i in range(count)]
    customer_rows = []
    for name in names:
        salt, key_hash = portal_links.new_link_secret()
        customer_rows.append(
            Customer(
                name=name,
                slug=slugify(name),
                phone=f"({rng.randint(200, 989)}) 555-{rng.randint(0, 9999):04d}",
                address=f"{rng.randint(1, 999)} Main St",
                portal_salt=salt,
                portal_key_hash=key_hash,
                created_at=now,
                updated_at=now,
            ).model_dump(exclude={"id"})
        )
    with engine.begin() as connection:
        ids = [
            row[0]
            for start in range(0, count, 1000)
            for row in connection.execute(
                insert(Customer.__table__).returning(Customer.__table__.c.id, sort_by_parameter_order=True),
                customer_rows[start : start + 1000],
            )
        ]
        contacts, jobs, serial = [], [], 0
        for customer_id in ids:
            extras = 2 if customer_id % 10 == 0 else 1 if customer_id % 3 == 0 else 0
            for index in range(1 + extras):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                serial += 1
                contacts.append(
                    CustomerContact(
                        customer_id=customer_id,
                        name=f"{first} {last}",
                        email=f"{first}.{last}.{serial}@example.test".lower(),
                        is_primary=index == 0,
                        created_at=now,
                    ).model_dump(exclude={"id"})
                )
            for number in range(rng.randint(0, 4)):
                jobs.append(
                    Job(
                        customer_id=customer_id,
                        title=f"Order {number + 1}",
                        quantity=rng.randint(12, 500),
                        due_date=(now + timedelta(days=rng.randint(-60, 60))).date(),
                        status=rng.choice(STATUSES),
                        created_at=now,
                        updated_at=now,
                    ).model_dump(exclude={"id"})
                )
        for start in range(0, len(contacts), 5000):
            connection.execute(insert(CustomerContact.__table__), contacts[start : start + 5000])
        for start in range(0, len(jobs), 5000):
            connection.execute(insert(Job.__table__), jobs[start : start + 5000])
    harness.analyze()
    middle = ids[len(ids) // 2]
    return {"owner": owner, "contacts": len(contacts), "jobs": len(jobs), "middle_id": middle, "sample_email": contacts[len(contacts) // 2]["email"]}


def main() -> int:
    args = parse_args()
    with harness.scratch_database(args.database_url) as backend:
        from kontrol_app import db
        from kontrol_app.services import customers

        started = time.perf_counter()
        seeded = seed(args.customers, random.Random(args.seed))
        seed_seconds = time.perf_counter() - started
        owner = seeded["owner"]
        with db.session_scope() as session:
            first = customers.list_customers(session, owner)
            pages = first.pages
            searched = customers.list_customers(session, owner, search="smith")
        middle_page = max(1, pages // 2)
        print(
            f"{backend}: seeded {args.customers:,} customers, {seeded['contacts']:,} contacts, "
            f"{seeded['jobs']:,} jobs in {seed_seconds:.1f} s; {pages} pages of {customers.PAGE_SIZE}"
        )
        harness.print_medians(
            args.runs,
            [
                ("list_customers page 1", lambda s: customers.list_customers(s, owner, page=1)),
                (f"list_customers page {middle_page} (middle)", lambda s: customers.list_customers(s, owner, page=middle_page)),
                (f"list_customers search 'smith' ({searched.total:,} matches)", lambda s: customers.list_customers(s, owner, search="smith")),
                ("list_customers search one exact email", lambda s: customers.list_customers(s, owner, search=seeded["sample_email"])),
                ("customer_detail (a middle customer)", lambda s: customers.customer_detail(s, owner, seeded["middle_id"])),
            ],
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
