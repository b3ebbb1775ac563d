"""How states reach services (ui/services.py): `read` on SQLite runs on the event loop's own
thread and commits nothing; on PostgreSQL it hops to a worker thread like `call`. `scan` (a
searched list) commits nothing and always runs in a worker thread."""

from __future__ import annotations

import asyncio
import threading

from sqlmodel import select

from kontrol_app.models import Customer
from kontrol_app.services import customers
from kontrol_app.ui.services import call, read, scan
from tests.factories import customer_input


def _add_and_report_thread(session, owner, name: str) -> int:
    customers.create_customer(session, owner, customer_input(name))
    session.flush()
    return threading.get_ident()


def _names(session) -> list[str]:
    return list(session.exec(select(Customer.name)).all())


def test_read_commits_nothing_and_stays_on_the_loop_only_on_sqlite(database, owner, session):
    session.commit()

    async def each() -> tuple[int, int, int, int]:
        added = _add_and_report_thread
        return (threading.get_ident(), await read(added, owner, "Read Only"), await scan(added, owner, "Scanned"),
                await call(added, owner, "Called"))

    loop_thread, read_thread, scan_thread, call_thread = asyncio.run(each())
    on_sqlite = database.startswith("sqlite")
    assert (read_thread == loop_thread) is on_sqlite
    assert scan_thread != loop_thread  # a search never holds up the other pages
    assert call_thread != loop_thread
    names = asyncio.run(call(_names))
    assert "Called" in names and "Read Only" not in names and "Scanned" not in names  # reads are never committed
