"""The board's one-click move to the next pipeline step."""

from __future__ import annotations

from sqlmodel import select

from kontrol_app.models import Job, JobStatusChange
from kontrol_app.services import customers, jobs, staff


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
    jobs.change_status(session, owner, job_id, "completed")
    session.commit()
    assert jobs.move_to_next(session, owner, job_id, expected_from="completed") is None
    assert session.get(Job, job_id).status == "completed"
