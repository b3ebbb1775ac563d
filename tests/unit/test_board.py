"""The board's one-click move to the next pipeline step, and the approval gate it meets."""

from __future__ import annotations

from sqlmodel import select

import kontrol_app.kontrol_app  # noqa: F401  (registers every state)
from kontrol_app.models import Job, JobStatusChange
from kontrol_app.services import customers, jobs, staff
from kontrol_app.ui.staff.jobs.board import JobBoardState
from tests.factories import approve_offline
from tests.helpers.states import browser_tab, database_rows, run_handler, screen, staff_cookie


def _job(session):
    owner = staff.create_shop(session, shop_name="Shop", name="Owner", email="owner@shop.example", password="long enough pw")
    customer_id = customers.create_customer(session, owner, customers.CustomerInput(name="Acme"))
    job_id = jobs.create_job(session, owner, jobs.JobInput(title="Tees", customer_id=customer_id, quantity="12"))
    session.commit()
    return owner, job_id


def test_move_to_next_takes_one_step_and_records_it(session):
    owner, job_id = _job(session)
    assert jobs.move_to_next(session, owner, job_id, expected_from="quote") == "Artwork"
    session.commit()
    assert session.get(Job, job_id).status == "artwork"
    changes = session.exec(select(JobStatusChange).where(JobStatusChange.job_id == job_id)).all()
    assert [(c.from_status, c.to_status) for c in changes] == [(None, "quote"), ("quote", "artwork")]


def test_a_stale_board_click_changes_nothing(session):
    owner, job_id = _job(session)
    jobs.move_to_next(session, owner, job_id, expected_from="quote")
    session.commit()
    # The same card clicked again from a board drawn before the first move.
    assert jobs.move_to_next(session, owner, job_id, expected_from="quote") is None
    session.commit()
    assert session.get(Job, job_id).status == "artwork"


def test_completed_has_no_next_step(session):
    owner, job_id = _job(session)
    approve_offline(session, owner, job_id)
    jobs.change_status(session, owner, job_id, "completed")
    session.commit()
    assert jobs.move_to_next(session, owner, job_id, expected_from="completed") is None
    assert session.get(Job, job_id).status == "completed"


def test_the_board_cannot_click_a_job_into_art_approved_without_an_approval(session):
    owner, job_id = _job(session)
    assert jobs.change_status(session, owner, job_id, "artwork")
    session.commit()
    board = screen(browser_tab(cookie=staff_cookie(session, "owner@shop.example", "long enough pw"), path="/jobs/board"), JobBoardState)
    run_handler(board, "load")
    before = database_rows()
    [card] = [card for c in board.columns for card in c["cards"]]
    assert card["next"] == "Art Approved"  # Awaiting Approval comes with Send for Approval
    result = run_handler(board, "move_next", job_id, "artwork")
    assert jobs.APPROVAL_GATE in repr(result)  # no status field on the board: a toast says why
    assert database_rows() == before
    assert [c["status"] for c in board.columns if c["cards"]] == ["Artwork"]

    approve_offline(session, owner, job_id)  # recorded by staff: the job moves to Art Approved itself
    session.commit()
    assert session.get(Job, job_id).status == "art_approved"
    result = run_handler(board, "move_next", job_id, "art_approved")
    assert "Moved to In Production." in repr(result)
    assert [c["status"] for c in board.columns if c["cards"]] == ["In Production"]
