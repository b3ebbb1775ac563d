"""Two or more transactions at the same time, each in its own thread and session, on the
test database (SQLite or PostgreSQL), to prove a check-then-write cannot be raced."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from kontrol_app import db


def _run(work: Callable[[Session], Any]) -> Any:
    """`work(session)` committed; its exception (rolled back) instead of a result when it raised."""
    with Session(db.get_engine(), expire_on_commit=False) as session:
        try:
            value = work(session)
            session.commit()
            return value
        except Exception as error:
            session.rollback()
            return error


def while_first_is_open(first: Callable[[Session], Any], second: Callable[[Session], Any]) -> tuple[Any, Any]:
    """Run `first` and keep its transaction open (written, not committed) while `second`
    starts in another thread and session; then commit the first and wait for the second.
    A correct second waits at the first's lock and then sees its commit."""
    outcome: list[Any] = []
    with Session(db.get_engine(), expire_on_commit=False) as one:
        result = first(one)
        one.flush()
        thread = threading.Thread(target=lambda: outcome.append(_run(second)))
        thread.start()
        thread.join(0.7)  # the second has reached the first's lock (or, when unguarded, finished)
        one.commit()
        thread.join(60)
    assert not thread.is_alive()
    return result, outcome[0]


def all_at_once(count: int, work: Callable[[Session], Any]) -> list[Any]:
    """`work(session)` in `count` threads released together; their results or exceptions."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        results[index] = _run(work)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    return results
