"""The open portal's one poll (ui/portal/live.py): nothing new changes nothing (so Reflex
sends nothing back); a job, invoice or message change reloads just that tab, whichever tab
shows; another customer's changes move nothing."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

from sqlmodel import Session, select

from kontrol_app.models import PortalSession as PortalSessionRow, utcnow

from kontrol_app.services import jobs, messages, portal_live, quotes
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.ui.portal.live import PortalLive
from kontrol_app.ui.portal.session import PortalSession
from kontrol_app.ui.portal.tabs.invoices import InvoicesTab
from kontrol_app.ui.portal.tabs.messages import MessagesTab
from kontrol_app.ui.portal.tabs.nav import PortalTabs
from kontrol_app.ui.portal.tabs.orders import OrdersTab
from kontrol_app.ui.portal.tabs.quote import QuoteTab
from tests.factories import make_invoice, make_job
from tests.helpers.sql import peeks, statements
from tests.helpers.states import run_handler, screen
from tests.unit import test_portal_messages_tab as tab_tests
from tests.unit.test_quotes import fill as fill_request


client = tab_tests.client  # the fixture: Acme with a job, a signed-in contact, another customer
_open = tab_tests._open


def _dirty(root) -> set[str]:
    """Every var an event changed, in any part of the portal."""
    found: set[str] = set()
    todo = [root]
    while todo:
        state = todo.pop()
        found |= {f"{type(state).__name__}.{name}" for name in state.dirty_vars}
        todo += list(state.substates.values())
    return found


def _clean(root) -> None:
    todo = [root]
    while todo:
        state = todo.pop()
        state.dirty_vars.clear()
        todo += list(state.substates.values())


def _version_reads(sent: list[str]) -> int:
    return sum("data_version" in statement for statement in sent)


def test_a_poll_that_finds_nothing_new_changes_nothing(client, database):
    """...and it is one statement: the session re-check and the four stamps together. Polled
    again with nothing written anywhere: only the data version is peeked at."""
    root = _open(client)
    _clean(root)
    with statements() as sent:
        run_handler(screen(root, PortalLive), "poll", "tick")
    assert _dirty(root) == set()
    assert len(sent) - _version_reads(sent) == 1, sent
    with statements() as sent:
        run_handler(screen(root, PortalLive), "poll", "tick")
    assert _dirty(root) == set()
    assert sent == peeks(), sent


def test_a_remembered_check_ends_with_a_write_or_the_sessions_expiry(client, session: Session):
    """The poll's remembered re-check: any write reads it again (a signed-out session is seen
    at once), and so does the session's expiry, which is no write."""
    root = _open(client)
    live = screen(root, PortalLive)
    run_handler(live, "poll", "tick")
    run_handler(live, "poll", "tick")
    assert screen(root, PortalSession).signed_in
    row = session.exec(select(PortalSessionRow).where(PortalSessionRow.customer_id == client["customer_id"])).one()
    with patch("kontrol_app.ui.portal.session.utcnow", return_value=row.expires_at + timedelta(seconds=1)), \
            patch("kontrol_app.services.portal_view.utcnow", return_value=row.expires_at + timedelta(seconds=1)):
        run_handler(live, "poll", "tick")
    assert not screen(root, PortalSession).signed_in  # expired: the portal is cleared

    root = _open(client)
    live = screen(root, PortalLive)
    run_handler(live, "poll", "tick")
    assert screen(root, PortalSession).signed_in
    row.revoked_at = utcnow()  # signed out elsewhere: a write
    session.commit()
    run_handler(live, "poll", "tick")
    assert not screen(root, PortalSession).signed_in


def test_each_change_reloads_its_own_tab_whichever_tab_shows(client, session: Session):
    root = _open(client)
    run_handler(screen(root, PortalTabs), "set_tab", "quote")  # none of the three in front
    live = screen(root, PortalLive)

    jobs.change_status(session, client["owner"], client["job_id"], "artwork")
    session.commit()
    _clean(root)
    run_handler(live, "poll", "tick")
    assert screen(root, OrdersTab).orders[0].status == "artwork"
    assert not {name for name in _dirty(root) if name.startswith(("InvoicesTab.", "MessagesTab."))}

    make_invoice(session, client["owner"], client["job_id"], send=True)
    session.commit()
    _clean(root)
    run_handler(live, "poll", "tick")
    assert len(screen(root, InvoicesTab).invoices) == 1
    assert not {name for name in _dirty(root) if name.startswith(("OrdersTab.", "MessagesTab."))}

    messages.start_thread_staff(session, client["owner"], client["customer_id"], "Proof ready", job_id=client["job_id"])
    session.commit()
    run_handler(live, "poll", "tick")
    assert screen(root, MessagesTab).unread_total == 1  # the tab's badge, on the Quote tab

    run_handler(screen(root, PortalTabs), "set_tab", "orders")
    quote = screen(root, QuoteTab)
    quote.notes = "typed, not saved yet"
    viewer = PortalViewer(client["customer_id"], "Acme Uniforms", "Sarah", "sarah@acme.example", False, client["contact_id"])
    fill_request(session, viewer)
    number = quotes.submit(session, viewer)  # as if from another tab: the list follows, the typing stays
    session.commit()
    run_handler(live, "poll", "tick")
    assert [row.number for row in quote.requests] == [number] and quote.notes == "typed, not saved yet"


def test_another_customers_news_moves_no_stamp(client, session: Session):
    viewer = PortalViewer(client["customer_id"], "Acme Uniforms", "Sarah", "sarah@acme.example", False)
    before = portal_live.stamps(session, viewer)
    other_job = make_job(session, client["owner"], client["other_customer"], "Not Acme's")
    make_invoice(session, client["owner"], other_job, send=True)
    messages.post_staff(session, client["owner"], client["other_thread"], "Still not Acme's")
    session.commit()
    assert portal_live.stamps(session, viewer) == before
    assert set(before) == {"orders", "invoices", "messages", "quotes"}


def test_open_a_job_reads_its_card_and_proof_in_the_recheck_trip(client, session: Session):
    """`@portal_event(reads=...)`: the card comes with the re-check; another customer's job,
    a made-up id or a non-number opens nothing and shows nothing of theirs."""
    other_job = make_job(session, client["owner"], client["other_customer"], "Not Acme's Hoodies")
    session.commit()
    root = _open(client)
    orders = screen(root, OrdersTab)
    run_handler(orders, "open_job", client["job_id"])
    assert orders.job_open and orders.job.title == "Spring League T-Shirts"
    for wrong in (other_job, 10**9, "x1", None, True):
        run_handler(orders, "open_job", wrong)
        assert not orders.job_open and orders.job.title == ""
    run_handler(orders, "open_job", str(client["job_id"]))  # the browser may send it as text
    assert orders.job_open


def test_opening_a_job_is_one_statement_after_the_recheck(client, session: Session, database):
    """The card, its history and whether artwork awaits approval come in one statement."""
    jobs.change_status(session, client["owner"], client["job_id"], "artwork")
    session.commit()
    root = _open(client)
    orders = screen(root, OrdersTab)
    with statements() as sent:
        run_handler(orders, "open_job", client["job_id"])
    assert len(sent) - _version_reads(sent) == 2, sent  # the re-check, then the job
    orders.job_open = False
    with statements() as sent:  # again, with nothing written anywhere
        run_handler(orders, "open_job", client["job_id"])
    assert orders.job_open and sent == peeks(), sent  # remembered: nothing read
    assert [step.when != "" for step in orders.job.steps][:2] == [True, True]  # Quote, Artwork dated


def test_open_a_thread_reads_it_in_the_recheck_trip_and_refuses_anothers(client, session: Session, database):
    thread_id = messages.start_thread_staff(session, client["owner"], client["customer_id"], "Proof ready", job_id=client["job_id"])
    session.commit()
    root = _open(client)
    tab = screen(root, MessagesTab)
    run_handler(tab, "open_thread", client["other_thread"])
    assert tab.mode == "list" and tab.refusal == messages.NOT_IN_PORTAL
    run_handler(tab, "open_thread", "nonsense")
    assert tab.mode == "list"
    with statements() as sent:
        run_handler(tab, "open_thread", thread_id)
    assert tab.mode == "thread" and [m.parts[0].text for m in tab.shown] == ["Proof ready"] and tab.unread_total == 0
    # The re-check, the thread with the badge's count, its messages; then the read mark.
    assert len(sent) - _version_reads(sent) == 4, sent
    with statements() as sent:
        run_handler(tab, "open_thread", thread_id)  # again: nothing new to mark (the mark was a write)
    assert len(sent) - _version_reads(sent) == 3, sent
    with statements() as sent:
        run_handler(tab, "open_thread", thread_id)  # and again, with nothing written since
    assert sent == peeks(), sent  # remembered: nothing read
