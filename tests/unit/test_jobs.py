"""Jobs: create/edit with validation, status changes with history, tracking, finding jobs, the board."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from kontrol_app import db
from kontrol_app.models import Carrier, Decoration, Job, JobStatus, JobStatusChange
from kontrol_app.services import customers, jobs, staff, statuses
from kontrol_app.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kontrol_app.services.tracking import tracking_url
from tests.factories import approve_offline, make_customer, make_job, make_owner, make_staff, move_job
from tests.helpers.sql import statements

# --- helpers -----------------------------------------------------------------------------


def job_count(session: Session) -> int:
    return session.exec(select(func.count(Job.id))).one()


def history(session: Session, job_id: int) -> list[JobStatusChange]:
    return list(
        session.exec(select(JobStatusChange).where(JobStatusChange.job_id == job_id).order_by(JobStatusChange.id)).all()
    )


@pytest.fixture
def customer_id(session, owner) -> int:
    return make_customer(session, owner, contact_name="Sarah Smith")


# --- creating and editing ---------------------------------------------------------------


def test_create_job_saves_every_field_and_records_created_history(session, owner, customer_id):
    before = datetime.now(UTC)
    job_id = jobs.create_job(
        session,
        owner,
        jobs.JobInput(
            title="  Spring League T-Shirts ",
            customer_id=customer_id,
            quantity="1,440",
            due_date="2026-04-12",
            decoration=Decoration.EMBROIDERY,
            garment="Gildan 5000",
            colour="Royal blue",
            notes="Left chest",
        ),
    )
    session.commit()

    job = session.get(Job, job_id)
    assert (job.title, job.customer_id, job.quantity, job.due_date) == ("Spring League T-Shirts", customer_id, 1440, date(2026, 4, 12))
    assert (job.decoration, job.garment, job.colour, job.notes) == ("embroidery", "Gildan 5000", "Royal blue", "Left chest")
    assert job.status == JobStatus.QUOTE
    [created] = history(session, job_id)
    assert created.from_status is None
    assert created.to_status == JobStatus.QUOTE
    assert created.staff_user_id == owner.id
    assert created.changed_by == "Olivia Owner"
    assert before - timedelta(seconds=1) <= created.created_at <= datetime.now(UTC) + timedelta(seconds=1)

    detail = jobs.job_detail(session, owner, job_id)
    assert detail.customer_name == "Smith Embroidery"
    assert [(h.from_label, h.to_label, h.changed_by) for h in detail.history] == [("", "Quote", "Olivia Owner")]
    assert jobs.job_input(session, owner, job_id) == jobs.JobInput(
        title="Spring League T-Shirts",
        customer_id=customer_id,
        quantity="1440",
        due_date="2026-04-12",
        decoration="embroidery",
        garment="Gildan 5000",
        colour="Royal blue",
        notes="Left chest",
    )


def test_create_job_without_a_due_date(session, owner, customer_id):
    job_id = make_job(session, owner, customer_id, quantity=" 6 ", due_date="  ")
    job = session.get(Job, job_id)
    assert job.quantity == 6
    assert job.due_date is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"customer_id": None}, "customer"),
        ({"customer_id": 987654}, "customer"),
        ({"quantity": ""}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "-5"}, "quantity"),
        ({"quantity": "1.5"}, "quantity"),
        ({"quantity": "12 pcs"}, "quantity"),
        ({"quantity": "lots"}, "quantity"),
        ({"quantity": "1e3"}, "quantity"),
        ({"quantity": "²"}, "quantity"),  # a "digit" to str.isdigit, not to int()
        ({"quantity": "9" * 5000}, "quantity"),  # beyond int()'s digit limit
        ({"quantity": str(jobs.MAX_QUANTITY + 1)}, "quantity"),
        ({"due_date": "12/04/2026"}, "due_date"),
        ({"due_date": "2026-13-01"}, "due_date"),
        ({"due_date": "tomorrow"}, "due_date"),
        ({"decoration": "glitter"}, "decoration"),
        ({"decoration": ""}, "decoration"),
        ({"garment": "g" * 201}, "garment"),
        ({"notes": "n" * 5001}, "notes"),
    ],
)
def test_create_job_refuses_bad_input_with_the_field_named(session, owner, customer_id, changes, field):
    fields = {"title": "Hoodies", "customer_id": customer_id, "quantity": "144", "due_date": "2026-04-12"} | changes
    with pytest.raises(InvalidInput) as refused:
        jobs.create_job(session, owner, jobs.JobInput(**fields))
    assert refused.value.field == field
    session.rollback()
    assert job_count(session) == 0
    assert session.exec(select(func.count(JobStatusChange.id))).one() == 0


def test_one_save_names_every_bad_field_in_the_forms_order(session, owner, customer_id):
    bad = jobs.JobInput(title="", customer_id=None, quantity="lots", due_date="tomorrow", decoration="glitter", notes="n" * 5001)
    with pytest.raises(InvalidInput) as refused:
        jobs.create_job(session, owner, bad)
    assert list(refused.value.errors) == ["title", "customer", "quantity", "due_date", "decoration", "notes"]
    assert (refused.value.field, refused.value.message) == ("title", refused.value.errors["title"])
    assert refused.value.errors["quantity"] == "Enter the quantity as a whole number of pieces, like 144."
    session.rollback()
    assert job_count(session) == 0


def test_update_job_changes_the_fields_and_keeps_status_and_history(session, owner, customer_id):
    other_customer = make_customer(session, owner, "Pixel Labs", contact_name="Sarah Smith")
    job_id = make_job(session, owner, customer_id, due_date="2026-04-12")
    before = session.get(Job, job_id).updated_at
    jobs.update_job(
        session,
        owner,
        job_id,
        jobs.JobInput(
            title="Holiday Hoodies",
            customer_id=other_customer,
            quantity="60",
            due_date="2026-12-01",
            decoration=Decoration.DTG,
            garment="Hoodie",
            colour="Grey",
            notes="Rush",
        ),
    )
    session.commit()
    session.expire_all()
    job = session.get(Job, job_id)
    assert (job.title, job.customer_id, job.quantity, job.due_date, job.decoration) == (
        "Holiday Hoodies",
        other_customer,
        60,
        date(2026, 12, 1),
        "dtg",
    )
    assert (job.garment, job.colour, job.notes, job.status) == ("Hoodie", "Grey", "Rush", JobStatus.QUOTE)
    assert job.updated_at > before
    assert len(history(session, job_id)) == 1


def test_update_job_with_bad_input_changes_nothing(session, owner, customer_id):
    job_id = make_job(session, owner, customer_id, title="Original")
    with pytest.raises(InvalidInput) as refused:
        jobs.update_job(session, owner, job_id, jobs.JobInput(title="Renamed", customer_id=customer_id, quantity="0"))
    assert refused.value.field == "quantity"
    session.rollback()
    assert session.get(Job, job_id).title == "Original"
    with pytest.raises(NotFound):
        jobs.update_job(session, owner, 987654, jobs.JobInput(title="x", customer_id=customer_id, quantity="1"))


# --- status changes ----------------------------------------------------------------------


def test_change_status_records_who_when_from_to_and_note(session, owner, customer_id):
    member = make_staff(session, owner)
    job_id = make_job(session, owner, customer_id)
    before = datetime.now(UTC)
    assert jobs.change_status(session, member, job_id, JobStatus.ARTWORK, note="  Proof sent  ") is True
    session.commit()

    assert session.get(Job, job_id).status == JobStatus.ARTWORK
    created, moved = history(session, job_id)
    assert (moved.from_status, moved.to_status, moved.note) == ("quote", "artwork", "Proof sent")
    assert (moved.staff_user_id, moved.changed_by) == (member.id, "Sam Staff")
    assert before - timedelta(seconds=1) <= moved.created_at <= datetime.now(UTC) + timedelta(seconds=1)
    detail = jobs.job_detail(session, owner, job_id)
    assert detail.status == "artwork"
    # Newest first on the job page.
    assert [(h.from_label, h.to_label, h.note, h.changed_by) for h in detail.history] == [
        ("Quote", "Artwork", "Proof sent", "Sam Staff"),
        ("", "Quote", "", "Olivia Owner"),
    ]


def test_change_status_takes_status_values_not_labels(session, owner, customer_id):
    job_id = make_job(session, owner, customer_id)
    approve_offline(session, owner, job_id)  # the production gate (tests/unit/test_mockups.py)
    with pytest.raises(InvalidInput):
        jobs.change_status(session, owner, job_id, "In Production")
    assert jobs.change_status(session, owner, job_id, "artwork")
    assert session.get(Job, job_id).status == JobStatus.ARTWORK
    assert jobs.change_status(session, owner, job_id, "in_production")
    assert jobs.change_status(session, owner, job_id, JobStatus.ON_HOLD)
    session.commit()
    session.expire_all()
    assert session.get(Job, job_id).status == "on_hold"
    assert [(c.from_status, c.to_status) for c in history(session, job_id)[1:]] == [
        ("quote", "artwork"),
        ("artwork", "in_production"),
        ("in_production", "on_hold"),
    ]


def test_change_status_to_the_current_status_does_nothing(session, owner, customer_id):
    job_id = make_job(session, owner, customer_id)
    jobs.change_status(session, owner, job_id, "artwork")
    session.commit()
    updated_at = session.get(Job, job_id).updated_at
    assert jobs.change_status(session, owner, job_id, "artwork") is False
    assert jobs.change_status(session, owner, job_id, "artwork", note="again") is False
    session.commit()
    session.expire_all()
    assert len(history(session, job_id)) == 2
    assert session.get(Job, job_id).updated_at == updated_at


def test_double_click_moves_the_job_once(session, owner, customer_id):
    """The board sends the status the card showed; the second click finds it moved on."""
    job_id = make_job(session, owner, customer_id)
    assert jobs.change_status(session, owner, job_id, "artwork", expected_from="quote") is True
    session.commit()
    assert jobs.change_status(session, owner, job_id, "artwork", expected_from="quote") is False
    # Moved by someone else meanwhile: a click meant for "quote" must not act on "artwork".
    assert jobs.change_status(session, owner, job_id, "on_hold", expected_from="quote") is False
    session.commit()
    session.expire_all()
    assert session.get(Job, job_id).status == "artwork"
    assert [c.to_status for c in history(session, job_id)] == ["quote", "artwork"]
    assert jobs.change_status(session, owner, job_id, "on_hold", expected_from="artwork") is True


def test_two_clicks_at_the_same_moment_move_the_job_once(database):
    """Two requests race (two tabs, two people): the second waits for the first and then does nothing."""
    engine = db.get_engine()
    with Session(engine, expire_on_commit=False) as setup:
        owner = make_owner(setup)
        job_id = make_job(setup, owner, make_customer(setup, owner, contact_name="Sarah Smith"))

    result: dict[str, object] = {}

    def second_click() -> None:
        try:
            with Session(engine) as second:
                result["moved"] = jobs.change_status(second, owner, job_id, "artwork", expected_from="quote")
                second.commit()
        except Exception as error:
            result["error"] = error

    with Session(engine) as first:
        assert jobs.change_status(first, owner, job_id, "artwork", expected_from="quote") is True
        thread = threading.Thread(target=second_click)
        thread.start()
        thread.join(timeout=1.0)  # it now waits for the first click's transaction
        first.commit()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert result == {"moved": False}
    with Session(engine) as check:
        assert [c.to_status for c in history(check, job_id)] == ["quote", "artwork"]
        assert check.get(Job, job_id).status == "artwork"


@pytest.mark.parametrize("target", ["Lost", "", "SHIPPED", "shipping"])
def test_change_status_refuses_unknown_statuses(session, owner, customer_id, target):
    job_id = make_job(session, owner, customer_id)
    with pytest.raises(InvalidInput) as refused:
        jobs.change_status(session, owner, job_id, target)
    assert refused.value.field == "status"
    session.rollback()
    assert session.get(Job, job_id).status == "quote"
    assert len(history(session, job_id)) == 1


def test_change_status_of_a_missing_job_is_not_found(session, owner):
    with pytest.raises(NotFound):
        jobs.change_status(session, owner, 987654, "artwork")


# --- tracking ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("carrier", "host"),
    [(Carrier.UPS, "ups.com"), (Carrier.FEDEX, "fedex.com"), (Carrier.USPS, "usps.com"), (Carrier.DHL, "dhl.com")],
)
def test_tracking_url_links_to_the_carrier_with_the_number(carrier, host):
    url = tracking_url(carrier, "1Z999AA10123456784")
    assert url.startswith("https://") and host in url
    assert url.endswith("1Z999AA10123456784")
    quoted = tracking_url(carrier, " 1Z 99/9&x=1 ")
    assert quoted.endswith("1Z%2099%2F9%26x%3D1")
    assert " " not in quoted and "&x=" not in quoted


def test_tracking_url_is_empty_for_other_carriers_or_no_number():
    assert tracking_url(Carrier.OTHER, "ABC123") == ""
    assert tracking_url("", "ABC123") == ""
    assert tracking_url(Carrier.UPS, "") == ""


def test_set_tracking_saves_and_clears(session, owner, customer_id):
    job_id = make_job(session, owner, customer_id)
    jobs.set_tracking(session, owner, job_id, carrier=Carrier.FEDEX, number=" 7712 3456 ")
    session.commit()
    detail = jobs.job_detail(session, owner, job_id)
    assert (detail.tracking_carrier, detail.tracking_number) == ("fedex", "7712 3456")
    assert detail.tracking_url == "https://www.fedex.com/fedextrack/?trknbr=7712%203456"

    jobs.set_tracking(session, owner, job_id, carrier=Carrier.OTHER, number="LOCAL-1")
    session.commit()
    assert jobs.job_detail(session, owner, job_id).tracking_url == ""
    assert session.get(Job, job_id).tracking_number == "LOCAL-1"

    jobs.set_tracking(session, owner, job_id, carrier=Carrier.UPS, number="   ")
    session.commit()
    job = session.get(Job, job_id)
    assert (job.tracking_carrier, job.tracking_number) == ("", "")
    assert jobs.job_detail(session, owner, job_id).tracking_url == ""


@pytest.mark.parametrize(("carrier", "number", "field"), [("", "1Z999", "tracking_carrier"), ("pigeon", "1Z999", "tracking_carrier"), ("ups", "9" * 61, "tracking_number")])
def test_set_tracking_refuses_bad_input(session, owner, customer_id, carrier, number, field):
    job_id = make_job(session, owner, customer_id)
    with pytest.raises(InvalidInput) as refused:
        jobs.set_tracking(session, owner, job_id, carrier=carrier, number=number)
    assert refused.value.field == field
    session.rollback()
    assert session.get(Job, job_id).tracking_number == ""


# --- finding jobs ---------------------------------------------------------------------------


def _titles(page: jobs.JobPage) -> list[str]:
    return [row.title for row in page.rows]


def _move(session: Session, owner: staff.StaffPrincipal, job_id: int, status: str) -> None:
    if status in jobs.APPROVAL_GATED:
        approve_offline(session, owner, job_id)  # the approval gate (tests/unit/test_mockups.py)
    move_job(session, owner, job_id, status)
    session.commit()


def test_list_jobs_filters_by_status_with_active_meaning_not_closed(session, owner, customer_id):
    ids = {}
    for status in statuses.ALL_STATUSES:
        ids[status] = make_job(session, owner, customer_id, title=f"Job {status.value}")
        if status != JobStatus.QUOTE:
            _move(session, owner, ids[status], status)

    active = jobs.list_jobs(session, owner, jobs.JobFilters(status="active"))
    assert active.total == 9
    assert {row.status for row in active.rows} == {s.value for s in statuses.ACTIVE}
    assert not {"completed", "declined", "cancelled"} & {row.status for row in active.rows}

    everything = jobs.list_jobs(session, owner, jobs.JobFilters())
    assert everything.total == 12
    shipped = jobs.list_jobs(session, owner, jobs.JobFilters(status="shipped"))
    assert [(r.id, r.title, r.status, r.customer_name, r.quantity) for r in shipped.rows] == [
        (ids[JobStatus.SHIPPED], "Job shipped", "shipped", "Smith Embroidery", 144)
    ]
    assert jobs.list_jobs(session, owner, jobs.JobFilters(status="completed")).total == 1


def test_list_jobs_filters_by_customer_and_due_range(session, owner, customer_id):
    other = make_customer(session, owner, "Pixel Labs", contact_name="Sarah Smith")
    make_job(session, owner, customer_id, title="April 1", due_date="2026-04-01")
    make_job(session, owner, customer_id, title="April 12", due_date="2026-04-12")
    make_job(session, owner, customer_id, title="April 30", due_date="2026-04-30")
    make_job(session, owner, customer_id, title="Undated")
    make_job(session, owner, other, title="Other customer", due_date="2026-04-12")

    mine = jobs.list_jobs(session, owner, jobs.JobFilters(customer_id=customer_id))
    assert _titles(mine) == ["April 1", "April 12", "April 30", "Undated"]
    assert _titles(jobs.list_jobs(session, owner, jobs.JobFilters(customer_id=other))) == ["Other customer"]

    ranged = jobs.list_jobs(session, owner, jobs.JobFilters(due_from="2026-04-12", due_to="2026-04-30"))
    # Same day: the newer job first.
    assert _titles(ranged) == ["Other customer", "April 12", "April 30"]
    assert ranged.total == 3
    assert _titles(jobs.list_jobs(session, owner, jobs.JobFilters(due_to="2026-04-01"))) == ["April 1"]
    both = jobs.JobFilters(customer_id=customer_id, due_from="2026-04-02")
    assert _titles(jobs.list_jobs(session, owner, both)) == ["April 12", "April 30"]

    for bad in (jobs.JobFilters(due_from="April"), jobs.JobFilters(due_to="2026-02-30")):
        with pytest.raises(InvalidInput) as refused:
            jobs.list_jobs(session, owner, bad)
        assert refused.value.field == ("due_from" if bad.due_from else "due_to")


def test_list_jobs_title_search_is_case_insensitive_and_takes_wildcards_literally(session, owner, customer_id):
    for title in ("Holiday HOODIES", "Hoodie samples", "100% Cotton Tees", "100 Cotton Tees", "A_B caps", "AxB caps", "Polos"):
        make_job(session, owner, customer_id, title=title)

    def search(text: str) -> list[str]:
        return sorted(_titles(jobs.list_jobs(session, owner, jobs.JobFilters(search=text))))

    assert search("hoodie") == ["Holiday HOODIES", "Hoodie samples"]
    assert search("  HOODIES ") == ["Holiday HOODIES"]
    assert search("100%") == ["100% Cotton Tees"]
    assert search("%") == ["100% Cotton Tees"]
    assert search("a_b") == ["A_B caps"]
    assert search("nothing like it") == []
    assert len(search("")) == 7


def test_list_jobs_orders_by_due_date_and_pages_in_sql(session, owner, customer_id):
    make_job(session, owner, customer_id, title="Late", due_date="2026-06-01")
    make_job(session, owner, customer_id, title="Undated older")
    make_job(session, owner, customer_id, title="Soon", due_date="2026-04-02")
    make_job(session, owner, customer_id, title="Undated newer")
    make_job(session, owner, customer_id, title="Middle", due_date="2026-05-01")
    expected = ["Soon", "Middle", "Late", "Undated newer", "Undated older"]

    assert _titles(jobs.list_jobs(session, owner, jobs.JobFilters())) == expected

    with statements() as sent:
        pages = [jobs.list_jobs(session, owner, jobs.JobFilters(), page=n, page_size=2) for n in (1, 2, 3)]
    assert [_titles(p) for p in pages] == [expected[0:2], expected[2:4], expected[4:5]]
    assert [(p.total, p.page, p.pages) for p in pages] == [(5, 1, 3), (5, 2, 3), (5, 3, 3)]
    # The database does the paging: the row query carries LIMIT/OFFSET.
    row_queries = [s for s in sent if "ORDER BY" in s.upper()]
    assert len(row_queries) == 3 and all("LIMIT" in s.upper() for s in row_queries)

    past_the_end = jobs.list_jobs(session, owner, jobs.JobFilters(), page=99, page_size=2)
    assert (past_the_end.page, _titles(past_the_end)) == (3, ["Undated older"])
    assert jobs.list_jobs(session, owner, jobs.JobFilters(), page=0, page_size=2).page == 1
    empty = jobs.list_jobs(session, owner, jobs.JobFilters(search="zzz"))
    assert (empty.rows, empty.total, empty.page, empty.pages) == ([], 0, 1, 1)


def test_early_pages_read_from_each_status_give_the_same_list_as_one_sort(session, owner, customer_id, monkeypatch):
    """list_jobs reads an early page from each status's first jobs (`SLICED_DEPTH`), and a page
    after a row (Next) from each status's next jobs at any depth; every page, for every status
    filter and for one customer, is the page one sort of all matching jobs gives."""
    other = make_customer(session, owner, "Pixel Labs", contact_name="Sarah Smith")
    day = date(2026, 5, 1)
    kinds = ["quote", "artwork", "in_production", "on_hold", "completed", "cancelled"]
    for n in range(60):  # shared due days, undated ones, two customers, active and closed
        due = None if n % 5 == 0 else day + timedelta(days=n % 7)
        owner_of = customer_id if n % 3 else other
        session.add(Job(customer_id=owner_of, title=f"Job {n:02d}", quantity=1, due_date=due, status=kinds[n % len(kinds)]))
    session.commit()
    cases = [jobs.JobFilters(status=f) for f in ("active", "", "artwork", "completed", "made-up")]
    cases.append(jobs.JobFilters(status="active", customer_id=other))

    def pages(filters: jobs.JobFilters) -> list[list[int]]:
        return [[row.id for row in jobs.list_jobs(session, owner, filters, page=n, page_size=7).rows] for n in range(1, 11)]

    def walked(filters: jobs.JobFilters) -> list[list[int]]:  # Next, Next, ...: each page read on from the last row
        shown, after = [], None
        for n in range(1, 11):
            rows = jobs.list_jobs(session, owner, filters, page=n, page_size=7, after=after).rows
            shown.append([row.id for row in rows])
            after = rows[-1] if rows else None
        return shown

    sliced = [pages(filters) for filters in cases]
    monkeypatch.setattr(jobs, "SLICED_DEPTH", 0)  # every page by one sort of all matching jobs
    assert sliced == [pages(filters) for filters in cases]
    assert len({job_id for page in sliced[0] for job_id in page}) == 40  # every active job, once paged through
    assert sliced[-2] == [[]] * 10  # a made-up status lists nothing
    with statements() as sent:
        assert [walked(filters) for filters in cases] == sliced
    next_pages = sum(jobs.list_jobs(session, owner, filters, page_size=7).pages - 1 for filters in cases)
    assert sum("UNION ALL" in s for s in sent) == next_pages  # each read on from a row, none sorting every job


def test_the_jobs_lists_next_and_previous_read_on_from_a_row_shown(session, owner, customer_id, monkeypatch):
    import kontrol_app.kontrol_app  # noqa: F401  (registers every state)
    from kontrol_app.ui.staff.jobs.job_list import JobListState
    from tests.helpers.states import browser_tab, run_handler, screen, staff_cookie

    day = date(2026, 5, 1)
    for n in range(60):  # three pages; shared due days and undated jobs across their edges
        due = None if n % 4 == 0 else day + timedelta(days=n % 5)
        session.add(Job(customer_id=customer_id, title=f"Job {n:02d}", quantity=1, due_date=due, status="artwork"))
    session.commit()
    expected = [[str(r.id) for r in jobs.list_jobs(session, owner, jobs.JobFilters(status="active"), page=n).rows] for n in (1, 2, 3)]
    monkeypatch.setattr(jobs, "SLICED_DEPTH", 0)  # only a page read on from a row comes from the status slices
    listing = screen(browser_tab(cookie=staff_cookie(session), path="/jobs"), JobListState)
    run_handler(listing, "load")
    shown = [[row["id"] for row in listing.rows]]
    with statements() as sent:
        for n in (2, 3):  # Next, Next
            run_handler(listing, "go_to_page", n)
            shown.append([row["id"] for row in listing.rows])
    assert shown == expected and listing.page == 3
    assert sum("UNION ALL" in s for s in sent) == 2
    for n in (2, 1):  # Previous, Previous: each after a write elsewhere, so it reads
        session.add(Job(customer_id=customer_id, title=f"Finished {n}", quantity=1, status="completed"))
        session.commit()
        with statements() as sent:
            run_handler(listing, "go_to_page", n)
        assert [row["id"] for row in listing.rows] == expected[n - 1] and listing.page == n
        # Page 2 on from page 1's last row, as Next read it, not by a sort of every job; page 1
        # by position (here, with SLICED_DEPTH 0).
        assert sum("UNION ALL" in s for s in sent) == (n == 2)
    for n in (3, 2):  # a page skipped (a browser sending it by hand): by position, and what follows it too
        run_handler(listing, "go_to_page", n)
        assert [row["id"] for row in listing.rows] == expected[n - 1]


def test_the_jobs_list_opens_on_the_status_a_link_names(session, owner, customer_id):
    """The Dashboard's "See them" link: /jobs?status=revisions_requested; a made-up status is ignored."""
    import kontrol_app.kontrol_app  # noqa: F401  (registers every state)
    from kontrol_app.ui.staff.jobs.job_list import JobListState
    from tests.helpers.states import browser_tab, run_handler, screen, staff_cookie

    make_job(session, owner, customer_id, "Revise me", path=["artwork", "awaiting_approval", "revisions_requested"])
    make_job(session, owner, customer_id, "Other", path=["artwork"])
    cookie = staff_cookie(session)
    for query, titles in (("revisions_requested", ["Revise me"]), ("bogus", ["Other", "Revise me"])):
        listing = screen(browser_tab(cookie=cookie, path=f"/jobs?status={query}", query={"status": query}), JobListState)
        run_handler(listing, "load")
        assert sorted(row["title"] for row in listing.rows) == titles


def test_board_counts_every_job_and_shows_at_most_a_column_of_cards(session, owner, customer_id):
    other = make_customer(session, owner, "Pixel Labs", contact_name="Sarah Smith")
    extra = jobs.BOARD_CARDS_PER_COLUMN + 3
    start = date(2026, 4, 1)
    # Bulk rows for the crowded Quote column (create_job is tested above).
    for n in range(extra):
        session.add(Job(customer_id=customer_id, title=f"Quote {n:02d}", quantity=1, due_date=start + timedelta(days=extra - n)))
    session.commit()
    moved = {}
    for status in (JobStatus.IN_PRODUCTION, JobStatus.ON_HOLD, JobStatus.REVISIONS_REQUESTED, JobStatus.COMPLETED, JobStatus.CANCELLED):
        moved[status] = make_job(session, owner, other, title=f"Other {status.value}")
        _move(session, owner, moved[status], status)

    columns = jobs.board(session, owner)
    assert [c.status for c in columns] == [
        "quote",
        "artwork",
        "awaiting_approval",
        "art_approved",
        "in_production",
        "ready",
        "shipped",
        "revisions_requested",
        "on_hold",
    ]
    assert [c.label for c in columns][:2] == ["Quote", "Artwork"]
    by_status = {c.status: c for c in columns}
    quote = by_status["quote"]
    assert quote.count == extra
    assert len(quote.cards) == jobs.BOARD_CARDS_PER_COLUMN
    # The most urgent ones: earliest due first.
    assert [c.title for c in quote.cards[:2]] == [f"Quote {extra - 1:02d}", f"Quote {extra - 2:02d}"]
    assert [c.due_date for c in quote.cards] == sorted(c.due_date for c in quote.cards)
    assert (by_status["in_production"].count, [c.title for c in by_status["in_production"].cards]) == (1, ["Other in_production"])
    assert by_status["artwork"].count == 0 and by_status["artwork"].cards == []
    assert by_status["on_hold"].count == 1 and by_status["revisions_requested"].count == 1

    theirs = {c.status: c for c in jobs.board(session, owner, customer_id=other)}
    assert theirs["quote"].count == 0 and theirs["quote"].cards == []
    assert theirs["in_production"].count == 1


def test_board_cards_are_the_first_of_the_jobs_list_in_its_order(session, owner, customer_id):
    # Undated jobs, and dated ones sharing a day, around a column's edge: the same cards in the
    # same order as the Jobs list filtered to that status.
    day = date(2026, 5, 1)
    for n in range(jobs.BOARD_CARDS_PER_COLUMN + 4):
        due = None if n % 3 == 0 else day + timedelta(days=n % 4)
        session.add(Job(customer_id=customer_id, title=f"Artwork {n:02d}", quantity=1, due_date=due, status="artwork"))
    session.add(Job(customer_id=customer_id, title="Only undated", quantity=1, status="ready"))
    session.commit()
    by_status = {c.status: c for c in jobs.board(session, owner)}
    for status in ("artwork", "ready"):
        listed = jobs.list_jobs(session, owner, jobs.JobFilters(status=status), page_size=jobs.BOARD_CARDS_PER_COLUMN)
        assert by_status[status].cards == listed.rows
        assert by_status[status].count == listed.total
    artwork = by_status["artwork"].cards
    assert artwork[0].due_date is not None and artwork[-1].due_date is None  # the undated fill the column


def test_customer_job_counts_and_customer_stats(session, owner, customer_id):
    other = make_customer(session, owner, "Pixel Labs", contact_name="Sarah Smith")
    assert jobs.customer_job_counts(session, customer_id) == jobs.CustomerJobCounts(active=0, total=0)
    for status in (JobStatus.QUOTE, JobStatus.IN_PRODUCTION, JobStatus.ON_HOLD, JobStatus.COMPLETED, JobStatus.DECLINED, JobStatus.CANCELLED):
        job_id = make_job(session, owner, customer_id, title=f"Job {status.value}")
        if status != JobStatus.QUOTE:
            _move(session, owner, job_id, status)
    make_job(session, owner, other, title="Someone else's")

    assert jobs.customer_job_counts(session, customer_id) == jobs.CustomerJobCounts(active=3, total=6)
    stats = customers.customer_stats(session, customer_id)
    assert (stats.active_jobs, stats.total_orders) == (3, 6)
    assert customers.customer_detail(session, owner, other).stats.total_orders == 1
    assert customers.customer_detail(session, owner, other).stats.active_jobs == 1


def test_find_customers_for_the_job_form(session, owner, customer_id):
    make_customer(session, owner, "Pixel Labs", contact_name="Sarah Smith")
    make_customer(session, owner, "100% Pixel", contact_name="Sarah Smith")
    assert [name for _, name in jobs.find_customers(session, owner, "PIXEL")] == ["100% Pixel", "Pixel Labs"]
    assert [name for _, name in jobs.find_customers(session, owner, "0%")] == ["100% Pixel"]
    assert jobs.customer_name(session, customer_id) == "Smith Embroidery"
    assert jobs.customer_name(session, 987654) is None


# --- statuses -----------------------------------------------------------------------------


def test_next_status_walks_the_pipeline():
    # Artwork skips Awaiting Approval: Send for Approval moves a job there, the client's answer on.
    assert [statuses.label(statuses.next_status(s) or "") for s in statuses.PIPELINE] == [
        "Artwork", "Art Approved", "", "In Production", "Ready", "Shipped", "Completed", "",
    ]
    assert statuses.next_status("revisions_requested") == JobStatus.ARTWORK
    for side in ("on_hold", "declined", "cancelled", "nonsense"):
        assert statuses.next_status(side) is None


def test_progress_percent():
    assert [statuses.progress_percent(s) for s in statuses.PIPELINE] == [0, 14, 29, 43, 57, 71, 86, 100]
    assert statuses.progress_percent("revisions_requested") == 14
    assert statuses.progress_percent("on_hold") == 0
    assert statuses.progress_percent("nonsense") == 0


def test_status_labels():
    assert statuses.label("awaiting_approval") == "Awaiting Approval"
    assert statuses.from_value("revisions_requested") == JobStatus.REVISIONS_REQUESTED
    # Screens send values: a label (or anything else) is not a status.
    assert statuses.from_value("Revisions Requested") is None
    assert len(statuses.LABELS) == len(statuses.ALL_STATUSES) == 12


def test_list_jobs_filters_by_part_of_the_customer_name(session):
    owner = staff.create_shop(session, shop_name="Shop", name="Owner", email="owner@shop.example", password="long enough pw")
    acme = customers.create_customer(session, owner, customers.CustomerInput(name="Acme Sports"))
    other = customers.create_customer(session, owner, customers.CustomerInput(name="Brew 100% Coffee"))
    for customer_id, title in ((acme, "Acme tees"), (other, "Brew aprons")):
        jobs.create_job(session, owner, jobs.JobInput(title=title, customer_id=customer_id, quantity="10"))
    session.commit()
    found = jobs.list_jobs(session, owner, jobs.JobFilters(customer_search="ACME"))
    assert [row.title for row in found.rows] == ["Acme tees"]
    literal = jobs.list_jobs(session, owner, jobs.JobFilters(customer_search="100%"))
    assert [row.title for row in literal.rows] == ["Brew aprons"]
    assert jobs.list_jobs(session, owner, jobs.JobFilters(customer_search="0%C")).total == 0


# --- edit versions: a stale form never overwrites a colleague's save----------------


def test_job_form_and_detail_carry_the_version_and_each_save_bumps_it(session, owner, customer_id):
    job_id = make_job(session, owner, customer_id)
    form = jobs.job_input(session, owner, job_id)
    assert form.version == jobs.job_detail(session, owner, job_id).version == 1
    form.colour = "Navy"
    jobs.update_job(session, owner, job_id, form, expected_version=form.version)
    session.commit()
    assert jobs.job_input(session, owner, job_id).version == 2
    # Status moves have their own check: an open edit form stays valid.
    assert jobs.change_status(session, owner, job_id, "artwork")
    session.commit()
    assert jobs.job_detail(session, owner, job_id).version == 2


def test_saving_a_stale_job_form_changes_nothing(session, owner, customer_id):
    job_id = make_job(session, owner, customer_id, notes="First notes")
    mine = jobs.job_input(session, owner, job_id)
    theirs = jobs.job_input(session, owner, job_id)
    theirs.quantity = "500"
    jobs.update_job(session, owner, job_id, theirs, expected_version=theirs.version)
    session.commit()

    mine.title, mine.notes = "My title", "My notes"
    with pytest.raises(Conflict) as stale:
        jobs.update_job(session, owner, job_id, mine, expected_version=mine.version)
    session.rollback()
    assert stale.value.message == "Someone else changed this job — reload to see their changes"
    job = session.get(Job, job_id)
    session.refresh(job)
    assert (job.title, job.quantity, job.notes, job.version) == ("Spring League T-Shirts", 500, "First notes", 2)


def test_two_saves_of_the_same_job_version_at_the_same_moment_let_one_win(database):
    engine = db.get_engine()
    with Session(engine, expire_on_commit=False) as setup:
        owner = make_owner(setup)
        customer = make_customer(setup, owner, contact_name="Sarah Smith")
        job_id = make_job(setup, owner, customer)
    result: dict[str, object] = {}

    def data(title: str) -> jobs.JobInput:
        return jobs.JobInput(title=title, customer_id=customer, quantity="10")

    def second_save() -> None:
        try:
            with Session(engine) as second:
                jobs.update_job(second, owner, job_id, data("Second"), expected_version=1)
                second.commit()
                result["saved"] = True
        except Exception as error:
            result["error"] = error

    with Session(engine) as first:
        jobs.update_job(first, owner, job_id, data("First"), expected_version=1)
        thread = threading.Thread(target=second_save)
        thread.start()
        thread.join(timeout=1.0)  # it now waits for the first save's transaction
        first.commit()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert isinstance(result.get("error"), Conflict), result
    with Session(engine) as check:
        job = check.get(Job, job_id)
        assert (job.title, job.version) == ("First", 2)


@pytest.mark.parametrize("field_name", ["title", "garment", "colour"])
@pytest.mark.parametrize("value", ["Tees\nBcc: x@example.com", "Tees\r\nready", "Tees\rready", "Tees\x85ready"])
def test_single_line_job_fields_refuse_line_breaks(session, owner, customer_id, field_name, value):
    data = jobs.JobInput(title="Tees", customer_id=customer_id, quantity="10")
    setattr(data, field_name, value)
    with pytest.raises(InvalidInput) as refused:
        jobs.create_job(session, owner, data)
    assert refused.value.field == field_name
    assert "one line" in refused.value.message
    session.rollback()


def test_job_notes_keep_their_lines(session, owner, customer_id):
    job_id = make_job(session, owner, customer_id, notes="Left chest\nBack print")
    assert session.get(Job, job_id).notes == "Left chest\nBack print"


@pytest.mark.parametrize("target", ["art_approved", "in_production", "ready", "shipped", "completed"])
def test_no_job_skips_the_approval_gate_to_production_or_past_it(session, owner, customer_id, target):
    """"Production doesn't start until you have a written approval": nor may Set status jump a
    quote straight to Ready, Shipped or Completed."""
    job_id = make_job(session, owner, customer_id)
    with pytest.raises(NotAllowed) as refused:
        jobs.change_status(session, owner, job_id, target)
    assert (refused.value.message, refused.value.field) == (jobs.APPROVAL_GATE, "status")
    session.rollback()
    assert session.get(Job, job_id).status == "quote" and len(history(session, job_id)) == 1
    approve_offline(session, owner, job_id)
    assert jobs.change_status(session, owner, job_id, target)


@pytest.mark.parametrize("quantity", ["0", "10,000,001", "99999999999999999999"])
def test_a_quantity_out_of_range_is_told_the_range(session, owner, customer_id, quantity):
    with pytest.raises(InvalidInput) as refused:
        jobs.create_job(session, owner, jobs.JobInput(title="Caps", customer_id=customer_id, quantity=quantity))
    assert refused.value.errors == {"quantity": "Enter a quantity from 1 to 10,000,000 pieces."}
