"""Staff pages that show what the database holds without reading it again: a page unchanged
since this tab (or another tab on this worker) read it at the current data version is neither
read nor sent; any write, this tab's own included, and the clock make it read again."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update
from sqlmodel import select

import kontrol_app.kontrol_app  # noqa: F401  (registers every state)
from kontrol_app.models import Customer, Job, JobStatus
from kontrol_app.services import staff
from kontrol_app.ui import guard
from kontrol_app.ui.staff.customers.customer_page import CustomerPageState
from kontrol_app.ui.staff.invoice_list import InvoiceListState
from kontrol_app.ui.staff.jobs.board import JobBoardState
from kontrol_app.ui.staff.jobs.job_list import JobListState
from kontrol_app.models import CustomerContact
from kontrol_app.services import messages
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.ui.staff.messages_badge import MessagesBadgeState
from kontrol_app.ui.staff.notifications import NotificationsState
from kontrol_app.ui.staff.quotes_badge import QuotesBadgeState
from tests.factories import make_customer, make_job
from tests.helpers.sql import peeks, statements
from tests.helpers.states import browser_tab, run_handler, screen, staff_cookie


@pytest.fixture
def shop(session, owner):
    customer_id = make_customer(session, owner, "Pixel Labs")
    job_id = make_job(session, owner, customer_id, "League Tees")
    session.commit()
    return {"customer_id": customer_id, "job_id": job_id, "cookie": staff_cookie(session)}


def _cards(board) -> list[str]:
    return [card["title"] for column in board.columns for card in column["cards"]]


def _board(shop):
    board = screen(browser_tab(cookie=shop["cookie"], path="/jobs/board"), JobBoardState)
    run_handler(board, "load")
    board._clean()
    return board


def _load_quietly(state) -> tuple[list[str], set[str]]:
    """Load again: (the SQL it sent, the vars it would send the browser)."""
    with statements() as sent:
        run_handler(state, "load")
    return sent, {name for name in state.dirty_vars if not name.startswith("_")} - {"errors"}  # _backend ones stay


def test_an_unchanged_board_is_neither_read_nor_sent_again(shop):
    board = _board(shop)
    assert _cards(board) == ["League Tees"]
    sent, dirty = _load_quietly(board)
    assert sent == peeks()  # the session check's peek at the data version, nothing more
    assert dirty == set()


def test_another_tab_on_the_worker_shares_the_read(shop):
    _board(shop)
    with statements() as sent:
        other = _board(shop)  # a second tab (or a colleague) opening the board
    assert sent == peeks() and _cards(other) == ["League Tees"]


def test_a_write_from_anywhere_shows_at_the_next_load(session, shop):
    board = _board(shop)
    session.execute(update(Job).values(title="League Tees, reprint"))  # another worker, a loop, anyone
    session.commit()
    _, dirty = _load_quietly(board)
    assert dirty == {"columns"} and _cards(board) == ["League Tees, reprint"]


def test_a_write_that_leaves_the_page_as_it_was_sends_nothing(session, shop):
    board = _board(shop)
    session.execute(update(Customer).values(notes="Called back"))  # not on the board
    session.commit()
    sent, dirty = _load_quietly(board)
    assert len(sent) > len(peeks())  # read again: the version moved
    assert dirty == set()  # the same cards: nothing to send


def test_after_a_write_elsewhere_the_only_look_at_the_versions_is_the_session_checks_peek(session, shop):
    """No sign-in changed: the session check stays remembered (the sign-in version), and the
    board's read is remembered at the version that check saw, without reading one of its own."""
    board = _board(shop)
    session.execute(update(Job).values(title="League Tees, reprint"))
    session.commit()
    sent, dirty = _load_quietly(board)
    assert [statement for statement in sent if "data_version" in statement] == peeks()
    assert len(sent) > len(peeks()) and dirty == {"columns"}
    board._clean()
    assert _load_quietly(board) == (peeks(), set())  # remembered at that version


def test_the_tabs_own_change_shows_at_once(session, shop):
    board = _board(shop)
    run_handler(board, "move_next", shop["job_id"], JobStatus.QUOTE.value)
    assert [c["status"] for c in board.columns if c["cards"]] == ["Artwork"]


def test_the_clock_makes_it_read_again(shop, monkeypatch):
    board = _board(shop)
    monkeypatch.setattr(guard.SHARED_READS, "seconds", 0.0)  # due dates, overdue sums move with it
    sent, _ = _load_quietly(board)
    assert len(sent) > 1


def test_a_read_getting_old_is_read_again_before_a_click_must_wait_for_it(shop, data_version_clock):
    clock = data_version_clock
    board = _board(shop)
    clock.now += 0.7 * guard.SHARED_READS.seconds  # past two thirds of the time a read is good for

    async def load_and_read_ahead() -> set[str]:
        await board.event_handlers["load"].fn(board)
        dirty = {name for name in board.dirty_vars if not name.startswith("_")} - {"errors"}
        assert guard.READING_AHEAD  # the page answered as it was; the read goes on after
        await asyncio.gather(*guard.READING_AHEAD.values())
        return dirty

    assert asyncio.run(load_and_read_ahead()) == set()
    clock.now += 0.4 * guard.SHARED_READS.seconds  # what this tab showed is now too old to count
    sent, dirty = _load_quietly(board)
    assert sent == peeks()  # the read made ahead, not one of its own
    assert dirty == set()  # read again, it was the same: nothing to send


def test_a_session_that_ends_forgets_what_the_tab_showed(session, shop):
    board = _board(shop)
    staff.sign_out(session, shop["cookie"].split("=", 1)[1])
    session.commit()
    run_handler(board, "load")
    assert board.columns == [] and board._shown == ()


@pytest.mark.parametrize(
    ("cls", "path", "query", "shown"),
    [
        (JobListState, "/jobs", {}, lambda s: [r["title"] for r in s.rows]),
        (InvoiceListState, "/invoices", {}, lambda s: s.rows),
        (CustomerPageState, "/customers/[customer_id]", "customer", lambda s: s.name),
    ],
)
def test_the_lists_and_the_customer_page_read_only_what_changed(session, shop, cls, path, query, shown):
    query = {"customer_id": str(shop["customer_id"])} if query == "customer" else query
    state = screen(browser_tab(cookie=shop["cookie"], path=path, query=query), cls)
    run_handler(state, "load")
    before = shown(state)
    state._clean()
    sent, dirty = _load_quietly(state)
    assert sent == peeks() and dirty <= {"status", "search", "page", "email_dialog_open", "found", "customer_name"}
    session.execute(update(Customer).values(name="Pixel Labs Ltd"))
    session.commit()
    sent, _ = _load_quietly(state)
    assert len(sent) > 1
    if cls is CustomerPageState:
        assert (before, shown(state)) == ("Pixel Labs", "Pixel Labs Ltd")


def test_the_jobs_list_reads_the_next_page_ahead(session, shop):
    from kontrol_app.services import jobs

    for n in range(jobs.PAGE_SIZE + 3):  # two pages of active jobs
        session.add(Job(customer_id=shop["customer_id"], title=f"Job {n:02d}", quantity=1, status="artwork"))
    session.commit()
    listing = screen(browser_tab(cookie=shop["cookie"], path="/jobs"), JobListState)

    async def load_and_read_ahead() -> None:
        await listing.event_handlers["load"].fn(listing)
        assert guard.READING_AHEAD  # after the answer, not before it
        await asyncio.gather(*guard.READING_AHEAD.values())

    asyncio.run(load_and_read_ahead())
    assert listing.pages == 2
    with statements() as sent:
        run_handler(listing, "go_to_page", 2)  # Next
    assert sent == peeks() and len(listing.rows) == 4  # 3 jobs and League Tees, from memory


def test_an_idle_pages_polls_read_only_the_version_until_something_is_written(session, owner, shop):
    """Every open staff page ticks every 3 s (the bell, the Messages and Quote Requests counts):
    while nothing at all was written since the last tick, each reads only the data version
    (the session check) and sends nothing; a client's message shows at the next tick."""
    tab = browser_tab(cookie=shop["cookie"], path="/jobs/board")
    polls = [screen(tab, NotificationsState), screen(tab, MessagesBadgeState), screen(tab, QuotesBadgeState)]
    for state in polls:
        run_handler(state, "load")
        state._clean()
    with statements() as sent:
        for state in polls:
            run_handler(state, "load")
    assert sent == peeks(3), sent
    assert all(not {name for name in state.dirty_vars if not name.startswith("_")} - {"errors"} for state in polls)

    customer = session.get(Customer, make_customer(session, owner, "Acme Uniforms", "sarah@acme.example"))
    session.commit()
    contact = session.exec(select(CustomerContact).where(CustomerContact.customer_id == customer.id)).one()
    viewer = PortalViewer(customer.id, customer.name, contact.name, contact.email, False, contact.id)
    for state in polls:
        run_handler(state, "load")
    assert screen(tab, MessagesBadgeState).unread == 0  # a new customer is a write: the counts were read again

    messages.start_thread_client(session, viewer, "Can we add a back print?", subject="Back print")
    session.commit()
    badge = screen(tab, MessagesBadgeState)
    with statements() as sent:
        run_handler(badge, "load")
    assert badge.unread == 1
    # The stamp once, then the count: not the stamp again before counting.
    assert sum("max(message.id)" in statement.lower() for statement in sent) == 1, sent
    for state in polls:
        run_handler(state, "load")
    assert badge.unread == 1
