"""Portal -> Active Orders: only the customer's own jobs, as cards with a timeline, in a fixed number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from kontrol_app import db
from kontrol_app.models import Carrier, Job, JobStatus, JobStatusChange, Shop
from kontrol_app.services import customers, jobs, portal_live, portal_orders, staff, statuses
from kontrol_app.services.errors import NotFound
from kontrol_app.services.portal_view import PortalViewer
from tests.factories import make_customer, make_job
from tests.helpers.sql import statements

PIPELINE_LABELS = ["Quote", "Artwork", "Awaiting Approval", "Art Approved", "In Production", "Ready", "Shipped", "Completed"]


def _set_times(session: Session, job_id: int, times: dict[str, datetime]) -> None:
    """Pin when the job entered each status."""
    for status, moment in times.items():
        session.exec(
            update(JobStatusChange)
            .where(JobStatusChange.job_id == job_id, JobStatusChange.to_status == status)
            .values(created_at=moment)
        )
    session.commit()


def _set_timezone(session: Session, timezone: str) -> None:
    shop = session.exec(select(Shop)).one()
    shop.timezone = timezone
    session.add(shop)
    session.commit()


@pytest.fixture
def two_customers(session, owner):
    a = make_customer(session, owner, "Smith Embroidery", contact_name="Pat")
    b = make_customer(session, owner, "Pixel Labs", contact_name="Pat")
    return a, b


def test_customer_orders_lists_only_that_customers_active_jobs(session, owner, two_customers):
    a, b = two_customers
    later = make_job(session, owner, a, "Holiday Hoodies", due_date="2026-12-01")
    soon = make_job(session, owner, a, "Spring League T-Shirts", path=["artwork", "in_production"], due_date="2026-04-12")
    undated = make_job(session, owner, a, "Sample Run")
    held = make_job(session, owner, a, "Trucker Caps", path=["artwork", "on_hold"], due_date="2026-06-01")
    done = make_job(session, owner, a, "Old Tees", path=["artwork", "completed"])
    cancelled = make_job(session, owner, a, "Cancelled Caps", path=["cancelled"])
    declined = make_job(session, owner, a, "Declined Quote", path=["declined"])
    make_job(session, owner, b, "Pixel Hoodies", due_date="2026-01-01")
    make_job(session, owner, b, "Pixel Done", path=["completed"])

    active = portal_orders.customer_orders(session, a)
    assert [o.id for o in active] == [soon, held, later, undated]  # due soonest first, undated last
    assert [o.title for o in active] == ["Spring League T-Shirts", "Trucker Caps", "Holiday Hoodies", "Sample Run"]

    past = portal_orders.customer_orders(session, a, past=True)
    assert sorted(o.id for o in past) == sorted([done, cancelled, declined])
    assert {o.status for o in past} == {"completed", "cancelled", "declined"}

    assert [o.title for o in portal_orders.customer_orders(session, b)] == ["Pixel Hoodies"]
    assert [o.title for o in portal_orders.customer_orders(session, b, past=True)] == ["Pixel Done"]
    assert portal_orders.customer_orders(session, 987654) == []


def test_card_formatting_status_and_progress(session, owner, two_customers):
    a, _ = two_customers
    job_id = make_job(session, owner, a, "Spring League T-Shirts", path=["artwork", "in_production"], quantity="1500", due_date="2026-04-12")
    jobs.update_job(
        session,
        owner,
        job_id,
        jobs.JobInput(
            title="Spring League T-Shirts", customer_id=a, quantity="144", due_date="2026-04-12", garment="Gildan 5000", colour="Royal"
        ),
    )
    session.commit()
    [card] = portal_orders.customer_orders(session, a)
    assert card.pieces == "144 pcs"
    assert card.due == "Due Apr 12"
    assert (card.status, card.status_label, card.progress) == ("in_production", "In Production", 57)
    assert card.status_color == "blue"
    assert (card.garment, card.colour, card.side_note) == ("Gildan 5000", "Royal", "")
    assert (card.tracking_number, card.tracking_carrier, card.tracking_url) == ("", "", "")

    big = make_job(session, owner, a, "Run", quantity="12,500", due_date="2026-01-05")
    card = portal_orders.customer_order(session, a, big)
    assert (card.pieces, card.due, card.progress, card.status_label) == ("12,500 pcs", "Due Jan 5", 0, "Quote")
    no_due = portal_orders.customer_order(session, a, make_job(session, owner, a, "Undated"))
    assert no_due.due == ""


def test_one_progress_rule_for_the_cards_and_the_statuses_module(session, owner, two_customers):
    """A job on a side state shows how far it got before it, on its card and in the rule itself."""
    assert [statuses.progress_percent(s) for s in statuses.PIPELINE] == [0, 14, 29, 43, 57, 71, 86, 100]
    assert statuses.progress_percent("revisions_requested") == 14  # back to Artwork
    assert statuses.progress_percent("on_hold") == 0  # no history: nothing reached yet
    assert statuses.progress_percent("on_hold", {"quote", "artwork", "in_production"}) == 57
    assert statuses.progress_percent("cancelled", ["quote", "artwork"]) == 14

    a, _ = two_customers
    held = make_job(session, owner, a, "Trucker Caps", path=["artwork", "in_production", "on_hold"])
    fresh_hold = make_job(session, owner, a, "Sample Run", path=["on_hold"])
    cards = {card.id: card for card in portal_orders.customer_orders(session, a)}
    assert cards[held].progress == statuses.progress_percent("on_hold", {"quote", "artwork", "in_production"}) == 57
    assert cards[fresh_hold].progress == statuses.progress_percent("on_hold", {"quote"}) == 0
    assert [step.state for step in cards[held].steps].index("current") == statuses.pipeline_position("on_hold", {"in_production"})


def test_timeline_steps_are_done_current_next_with_dates_in_the_shops_timezone(session, owner, two_customers):
    a, _ = two_customers
    _set_timezone(session, "America/Los_Angeles")
    job_id = make_job(session, owner, a, "Tees", path=["artwork", "awaiting_approval", "art_approved", "in_production"])
    _set_times(
        session,
        job_id,
        {
            "quote": datetime(2026, 4, 1, 18, 0, tzinfo=UTC),
            "artwork": datetime(2026, 4, 3, 2, 30, tzinfo=UTC),  # Apr 2, 7:30 pm in Los Angeles
            "awaiting_approval": datetime(2026, 4, 5, 12, 0, tzinfo=UTC),
            "art_approved": datetime(2026, 4, 8, 6, 59, tzinfo=UTC),  # Apr 7, 11:59 pm
            "in_production": datetime(2026, 4, 8, 7, 0, tzinfo=UTC),  # Apr 8, midnight
        },
    )
    [card] = portal_orders.customer_orders(session, a)
    assert [(s.label, s.state, s.when) for s in card.steps] == [
        ("Quote", "done", "Apr 1"),
        ("Artwork", "done", "Apr 2"),
        ("Awaiting Approval", "done", "Apr 5"),
        ("Art Approved", "done", "Apr 7"),
        ("In Production", "current", "Apr 8"),
        ("Ready", "next", ""),
        ("Shipped", "next", ""),
        ("Completed", "next", ""),
    ]

    _set_timezone(session, "Pacific/Auckland")  # UTC+13 until Apr 5, 2026, then UTC+12
    [card] = portal_orders.customer_orders(session, a)
    assert [s.when for s in card.steps[:5]] == ["Apr 2", "Apr 3", "Apr 6", "Apr 8", "Apr 8"]


def test_timeline_for_side_states_shipped_and_completed(session, owner, two_customers):
    a, _ = two_customers
    held = make_job(session, owner, a, "Held", path=["artwork", "in_production", "on_hold"], due_date="2026-04-01")
    revising = make_job(session, owner, a, "Revising", path=["artwork", "awaiting_approval", "revisions_requested"], due_date="2026-04-02")
    shipped = make_job(session, owner, a, "Shipped", path=["artwork", "in_production", "ready"], due_date="2026-04-03")
    jobs.set_tracking(session, owner, shipped, carrier=Carrier.UPS, number="1Z999AA10123456784")
    jobs.change_status(session, owner, shipped, "shipped")
    finished = make_job(session, owner, a, "Finished", path=["artwork", "completed"])
    session.commit()

    cards = {c.id: c for c in portal_orders.customer_orders(session, a)}
    held_card = cards[held]
    assert held_card.side_note == "This order is on hold." and held_card.status_label == "On Hold"
    assert [s.state for s in held_card.steps] == ["done"] * 4 + ["current"] + ["next"] * 3
    assert held_card.progress == 57

    revising_card = cards[revising]
    assert revising_card.side_note == "Changes to the artwork were requested: the shop is preparing a new version."
    assert [s.state for s in revising_card.steps] == ["done", "current"] + ["next"] * 6
    assert revising_card.progress == 14

    shipped_card = cards[shipped]
    assert [s.state for s in shipped_card.steps] == ["done"] * 6 + ["current", "next"]
    assert (shipped_card.tracking_carrier, shipped_card.tracking_number) == ("UPS", "1Z999AA10123456784")
    assert shipped_card.tracking_url == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert shipped_card.progress == 86
    # Skipped steps are marked done but carry no date.
    assert [bool(s.when) for s in shipped_card.steps] == [True, True, False, False, True, True, True, False]

    [finished_card] = portal_orders.customer_orders(session, a, past=True)
    assert finished_card.id == finished
    assert all(s.state == "done" for s in finished_card.steps)
    assert finished_card.progress == 100
    assert [s.label for s in finished_card.steps] == PIPELINE_LABELS


def test_customer_order_of_another_customer_is_not_found(session, owner, two_customers):
    a, b = two_customers
    mine = make_job(session, owner, a, "Mine", path=["artwork"])
    theirs = make_job(session, owner, b, "Theirs")
    card = portal_orders.customer_order(session, a, mine)
    assert (card.id, card.title, card.status_label) == (mine, "Mine", "Artwork")
    for job_id in (theirs, 987654):
        with pytest.raises(NotFound):
            portal_orders.customer_order(session, a, job_id)
    assert portal_orders.customer_order(session, b, theirs).title == "Theirs"


def test_orders_stamp_changes_when_a_job_changes(session, owner, two_customers):
    a, b = two_customers
    viewer = PortalViewer(a, "A", "Client", "client@a.example", False)
    stamps = [portal_live.stamps(session, viewer)[portal_live.ORDERS]]

    def changed() -> bool:
        session.commit()
        stamp = portal_live.stamps(session, viewer)[portal_live.ORDERS]
        fresh = stamp not in stamps
        stamps.append(stamp)
        return fresh

    job_id = make_job(session, owner, a, "Tees")
    assert changed()
    jobs.change_status(session, owner, job_id, "artwork")
    assert changed()
    jobs.set_tracking(session, owner, job_id, carrier=Carrier.UPS, number="1Z1")
    assert changed()
    jobs.update_job(session, owner, job_id, jobs.JobInput(title="Tees v2", customer_id=a, quantity="10"))
    assert changed()
    assert not changed()  # nothing happened
    make_job(session, owner, b, "Someone else's")
    assert not changed()


def test_customer_orders_runs_a_fixed_number_of_queries(database):
    """1 job or 50 jobs with long histories: the same statements, no query per job."""
    engine = db.get_engine()
    with Session(engine, expire_on_commit=False) as setup:
        owner = staff.create_shop(setup, shop_name="Shop", name="Olivia Owner", email="owner@example.com", password="correct horse")
        small = customers.create_customer(setup, owner, customers.CustomerInput(name="Small"))
        busy = customers.create_customer(setup, owner, customers.CustomerInput(name="Busy"))
        path = ["artwork", "awaiting_approval", "revisions_requested", "artwork", "awaiting_approval", "art_approved", "in_production"]
        make_job(setup, owner, small, "Only job", path=path)
        for n in range(50):
            make_job(setup, owner, busy, f"Job {n}", path=path[: 2 + n % 6], due_date=f"2026-05-{1 + n % 28:02d}")

    def statements_for(customer_id: int) -> tuple[int, int]:
        with Session(engine) as session:
            session.exec(select(Job.id).limit(1)).all()  # the connection is open before counting
            with statements() as seen:
                cards = portal_orders.customer_orders(session, customer_id)
        return len(seen), len(cards)

    small_count, small_cards = statements_for(small)
    busy_count, busy_cards = statements_for(busy)
    assert (small_cards, busy_cards) == (1, 50)
    assert small_count == busy_count
    assert 1 <= busy_count <= 4


def test_dates_follow_the_history_even_when_a_status_is_entered_twice(session, owner, two_customers):
    a, _ = two_customers
    job_id = make_job(session, owner, a, "Back and forth", path=["artwork", "awaiting_approval", "revisions_requested", "artwork"])
    changes = session.exec(
        select(JobStatusChange).where(JobStatusChange.job_id == job_id).order_by(JobStatusChange.id)
    ).all()
    base = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
    for n, change in enumerate(changes):
        change.created_at = base + timedelta(days=n)
        session.add(change)
    session.commit()
    [card] = portal_orders.customer_orders(session, a)
    # Back in Artwork: the latest entry is the date shown; Awaiting Approval is next again.
    assert [(s.state, s.when) for s in card.steps[:3]] == [("done", "Apr 1"), ("current", "Apr 5"), ("next", "")]
    assert card.status == JobStatus.ARTWORK


def test_every_status_off_the_pipeline_has_a_sentence_for_the_client():
    assert set(portal_orders.SIDE_NOTES) == {status.value for status in statuses.SIDE_STATES}
    assert all(note.endswith(".") and note[0].isupper() for note in portal_orders.SIDE_NOTES.values())
