"""What the benchmarks share: the common options, a scratch database, the shop owner, timing.

    with scratch_database(args.database_url) as backend:  # "SQLite" or "PostgreSQL"
        owner = create_owner()
        ...  # bulk inserts, then analyze()
        print_medians(args.runs, [(label, lambda s: ...), ...])

Without a database URL the database is SQLite in a temporary directory. With one, a scratch
database (kontrol_bench_<random>) is created on that PostgreSQL server and dropped at the end;
the database named in the URL is only used to connect. Either way Kontrol's settings point at
it and it is migrated before the body runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kontrol_app.services.staff import StaffPrincipal

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def argument_parser(doc: str) -> argparse.ArgumentParser:
    """A parser described by the first paragraph of `doc`, with --database-url and --customers."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="a PostgreSQL server to benchmark on (default: SQLite in a temp dir)")
    parser.add_argument("--customers", type=int, default=10_000)
    return parser


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """--runs (timed calls per measurement) and --seed (for the random seed data)."""
    parser.add_argument("--runs", type=int, default=9, help="timed calls per measurement (the median is printed)")
    parser.add_argument("--seed", type=int, default=7)


def scratch_postgres(url: str) -> tuple[str, Callable[[], None]]:
    """Create a fresh database beside the one named in `url`; returns its URL and a dropper."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(url.replace("postgres://", "postgresql://", 1))
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"kontrol_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return server.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False), drop


@contextmanager
def scratch_database(database_url: str = "") -> Iterator[str]:
    """A migrated scratch database that Kontrol's settings point at; yields the backend's name.

    SQLite in a temporary directory when `database_url` is empty, else a scratch PostgreSQL
    database on that server. The engine, settings cache, database and directory are cleaned
    up on the way out.
    """
    workdir = tempfile.TemporaryDirectory(prefix="kontrol-bench-")
    drop = None
    if database_url:
        url, drop = scratch_postgres(database_url)
        backend = "PostgreSQL"
    else:
        url = f"sqlite:///{Path(workdir.name) / 'bench.db'}"
        backend = "SQLite"
    os.environ["DATABASE_URL"] = url
    os.environ["KONTROL_DATA_DIR"] = str(Path(workdir.name) / "data")
    os.environ.setdefault("KONTROL_SECRET_KEY", "benchmark-secret-" + "k" * 32)

    from kontrol_app import db
    from kontrol_app.manage import migrate
    from kontrol_app.settings import get_settings

    get_settings.cache_clear()
    db.reset_engine()
    try:
        migrate()
        yield backend
    finally:
        db.reset_engine()
        get_settings.cache_clear()
        if drop is not None:
            drop()
        workdir.cleanup()


@contextmanager
def writing(database_url: str, every: float) -> Iterator[None]:
    """Something written to the database every `every` seconds for as long as the block runs (a
    colleague, a client, the outbox), so a page never finds the data version it read at and
    every event reads afresh: what an event costs when the shop is busy."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    stop = threading.Event()

    def write() -> None:
        while not stop.wait(every):
            with engine.begin() as connection:
                connection.execute(text("UPDATE shop SET name = name"))

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        yield
    finally:
        stop.set()
        writer.join()
        engine.dispose()


def create_owner() -> StaffPrincipal:
    """The benchmark shop and its owner, committed."""
    from sqlmodel import Session

    from kontrol_app import db
    from kontrol_app.services import staff

    with Session(db.get_engine()) as session:
        owner = staff.create_shop(
            session, shop_name="Benchmark Print Co", name="Bea Bench", email="owner@bench.test", password="benchmark-pass"
        )
        session.commit()
    return owner


def seed_customers(connection, count: int, *, with_contacts: bool = False) -> list[int]:
    """`count` plain customers "Customer 0".. (each with a primary contact when asked), in bulk
    on an open connection; their ids in order."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from kontrol_app.models import Customer, CustomerContact
    from kontrol_app.services import portal_links

    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        salt, key_hash = portal_links.new_link_secret()
        rows.append(
            {"name": f"Customer {i}", "slug": f"customer-{i}", "phone": "", "address": "", "notes": "", "portal_salt": salt,
             "portal_key_hash": key_hash, "portal_link_copied_at": None, "portal_link_emailed_at": None,
             "created_at": now, "updated_at": now}
        )
    table = Customer.__table__
    ids = [
        row[0]
        for start in range(0, len(rows), 1000)
        for row in connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows[start : start + 1000])
    ]
    if with_contacts:
        connection.execute(
            insert(CustomerContact.__table__),
            [{"customer_id": cid, "name": f"Contact {n}", "email": f"c{n}@bench.test", "is_primary": True, "created_at": now}
             for n, cid in enumerate(ids)],
        )
    return ids


def analyze() -> None:
    """Fresh planner statistics, as a long-running database would have."""
    from sqlalchemy import text

    from kontrol_app import db

    with db.get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))


def median_ms(runs: int, call: Callable) -> float:
    """Median milliseconds of `call(session)`, each call in a fresh session, after a warm-up."""
    from sqlmodel import Session

    from kontrol_app import db

    engine = db.get_engine()
    timings = []
    for attempt in range(runs + 1):
        with Session(engine) as session:
            start = time.perf_counter()
            call(session)
            elapsed = (time.perf_counter() - start) * 1000
        if attempt:
            timings.append(elapsed)
    return statistics.median(timings)


def print_medians(runs: int, results: list[tuple[str, Callable]]) -> None:
    """A heading, then each label with the median_ms of its call, in one aligned column."""
    print(f"median of {runs} runs, ms:")
    width = max(len(label) for label, _ in results)
    for label, call in results:
        print(f"  {label:<{width}}  {median_ms(runs, call):8.2f}")


def count_statements(call: Callable) -> int:
    """How many SQL statements `call(session)` sends, on an already open connection."""
    from sqlalchemy import event, text
    from sqlmodel import Session

    from kontrol_app import db

    engine = db.get_engine()
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with Session(engine) as session:
        session.connection().execute(text("SELECT 1"))
        event.listen(engine, "before_cursor_execute", record)
        try:
            call(session)
        finally:
            event.remove(engine, "before_cursor_execute", record)
    return len(seen)
