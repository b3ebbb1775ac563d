"""Messages at shop scale: the staff Messages page at 50,000 threads, and a thread of 2,000
messages opened (the newest 50, with "Load earlier"; never all 2,000).

    .venv/bin/python benchmarks/messages.py
    .venv/bin/python benchmarks/messages.py --database-url postgresql://postgres@127.0.0.1:5432/test

Without --database-url the database is SQLite in a temporary directory; with it, a scratch
database on that server (created, migrated, seeded and dropped). The seed goes in with bulk
inserts: --customers customers, --threads threads over them (a tenth unread by the shop),
three messages each, and one long thread of --long-messages messages. Each timing is the median
of --runs calls, each in a fresh session, after one warm-up.
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

SUBJECTS = ["Sizes for the order", "Logo file", "Ink colours", "Delivery date", "Invoice question", "Reorder", "Proof feedback"]
LINES = ["Can you send the vector file?", "The navy looks great.", "We need 12 more in XL.", "When will it ship?",
         "Please use the new logo.", "Thanks, approved on our side.", "Could we move the print up an inch?"]


def parse_args() -> argparse.Namespace:
    parser = harness.argument_parser(__doc__)
    parser.add_argument("--threads", type=int, default=50_000)
    parser.add_argument("--long-messages", type=int, default=2_000)
    harness.add_run_options(parser)
    return parser.parse_args()


def seed(args: argparse.Namespace, rng: random.Random) -> dict:
    from kontrol_app import db

    engine = db.get_engine()
    owner = harness.create_owner()
    with engine.begin() as connection:
        customer_ids = harness.seed_customers(connection, args.customers, with_contacts=True)
        long_thread, messages = add_threads(connection, rng, owner.id, customer_ids, args.threads, args.long_messages)
    harness.analyze()
    return {"owner": owner, "long_thread": long_thread, "messages": messages}


def add_threads(connection, rng: random.Random, owner_id: int, customer_ids: list[int], count: int,
                long_messages: int) -> tuple[int, int]:
    """`count` threads over `customer_ids` (a tenth unread by the shop), three messages each and
    one of `long_messages`, in bulk on an open connection whose thread and message tables are
    empty. Returns the long thread's id and how many messages went in."""
    from sqlalchemy import insert, text

    from kontrol_app.models import Message, MessageThread

    now = datetime.now(UTC)
    threads, messages, message_id = [], [], 0
    long_thread = 1
    for thread_id in range(1, count + 1):
        count_here = long_messages if thread_id == long_thread else 3
        started = now - timedelta(minutes=rng.randint(10, 500_000))
        last_client = last_shop = 0
        for n in range(count_here):
            message_id += 1
            side = "client" if n % 2 == 0 else "shop"
            last_client, last_shop = (message_id, last_shop) if side == "client" else (last_client, message_id)
            messages.append(
                {"id": message_id, "thread_id": thread_id, "side": side, "staff_user_id": owner_id if side == "shop" else None,
                 "contact_id": None, "sender_name": "Sam" if side == "shop" else "Client", "body": rng.choice(LINES),
                 "created_at": started + timedelta(minutes=n)}
            )
        unread = rng.random() < 0.1
        threads.append(
            {"id": thread_id, "customer_id": rng.choice(customer_ids), "job_id": None, "subject": rng.choice(SUBJECTS),
             "created_by_side": "client", "created_at": started, "last_message_at": started + timedelta(minutes=count_here),
             "closed_at": None, "last_client_message_id": last_client, "last_shop_message_id": last_shop,
             "staff_read_message_id": 0 if unread else message_id, "staff_unread": unread and last_client > 0,
             "staff_unread_count": (count_here + 1) // 2 if unread else 0,  # every client message (even n)
             # Every email notice already went out, as in a running shop: none due when the app starts.
             "last_notice_at_shop": None, "shop_noticed_message_id": last_client, "last_notice_at_client": None,
             "client_noticed_message_id": last_shop}
        )
    for start in range(0, len(threads), 10_000):
        connection.execute(insert(MessageThread.__table__), threads[start : start + 10_000])
    for start in range(0, len(messages), 20_000):
        connection.execute(insert(Message.__table__), messages[start : start + 20_000])
    if connection.dialect.name == "postgresql":
        for table in ("message_thread", "message"):
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    return long_thread, len(messages)


def main() -> int:
    args = parse_args()
    with harness.scratch_database(args.database_url) as backend:
        from kontrol_app import db
        from kontrol_app.services import messages

        started = time.perf_counter()
        seeded = seed(args, random.Random(args.seed))
        owner, long_thread = seeded["owner"], seeded["long_thread"]
        with db.session_scope() as session:
            first = messages.staff_threads(session, owner)
            opened = messages.open_thread_staff(session, owner, long_thread)
        print(
            f"{backend}: seeded {args.threads:,} threads, {seeded['messages']:,} messages in {time.perf_counter() - started:.1f} s; "
            f"{first.total:,} threads = {first.pages:,} pages; the long thread opens with {len(opened.messages)} of "
            f"{args.long_messages:,} messages (earlier ones behind Load earlier: {opened.has_earlier})"
        )
        oldest_shown = opened.messages[0].id
        harness.print_medians(
            args.runs,
            [
                ("staff_threads all, page 1 (unread first)", lambda s: messages.staff_threads(s, owner)),
                ("staff_threads unread only", lambda s: messages.staff_threads(s, owner, show="unread")),
                ("staff_threads search 'vector' (message text)", lambda s: messages.staff_threads(s, owner, search="vector")),
                ("staff_unread_total (the nav badge)", lambda s: messages.staff_unread_total(s)),
                ("staff_stamp (the page's poll)", lambda s: messages.staff_stamp(s)),
                (f"open_thread_staff, {args.long_messages:,} messages (newest 50)", lambda s: messages.open_thread_staff(s, owner, long_thread)),
                ("open_thread_staff, Load earlier", lambda s: messages.open_thread_staff(s, owner, long_thread, before_id=oldest_shown)),
            ],
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
