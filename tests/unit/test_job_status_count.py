"""The database keeps how many jobs have each status (JobStatusCount), whatever changes a job."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from kontrol_app import db
from kontrol_app.manage import alembic_config
from kontrol_app.services import jobs
from tests.factories import make_customer, make_job, make_owner


def _counted(session) -> dict[str, int]:
    """The truth: every job counted."""
    return dict(session.connection().execute(text("SELECT status, count(*) FROM job GROUP BY status")).all())


def _kept(session) -> dict[str, int]:
    """What the database keeps, without the statuses no job has any more."""
    return {status: n for status, n in jobs.status_counts(session).items() if n}


def test_the_counts_follow_every_insert_status_change_and_delete(session):
    owner = make_owner(session)
    customer_id = make_customer(session, owner, "Acme")
    ids = [make_job(session, owner, customer_id, title=f"Job {n}") for n in range(4)]
    session.commit()
    assert _kept(session) == {"quote": 4}

    jobs.move_to_next(session, owner, ids[0], expected_from="quote")
    jobs.change_status(session, owner, ids[1], "on_hold")
    jobs.change_status(session, owner, ids[2], "on_hold")
    session.commit()
    assert _kept(session) == _counted(session) == {"quote": 1, "artwork": 1, "on_hold": 2}

    # Changes made outside the services are kept too: the triggers are the database's.
    connection = session.connection()
    connection.execute(text("UPDATE job SET status = 'ready' WHERE id = :id"), {"id": ids[3]})
    connection.execute(text("UPDATE job SET title = 'Renamed', status = status WHERE id = :id"), {"id": ids[1]})
    connection.execute(text("DELETE FROM job_status_change WHERE job_id = :id"), {"id": ids[2]})
    connection.execute(text("DELETE FROM job WHERE id = :id"), {"id": ids[2]})
    session.commit()
    assert _kept(session) == _counted(session) == {"artwork": 1, "on_hold": 1, "ready": 1}


def test_a_rolled_back_change_leaves_the_counts_alone(session):
    owner = make_owner(session)
    job_id = make_job(session, owner, make_customer(session, owner, "Acme"))
    session.commit()
    jobs.change_status(session, owner, job_id, "artwork")
    session.rollback()
    assert _kept(session) == {"quote": 1}


def test_the_board_and_the_jobs_list_count_from_the_kept_counts(session):
    owner = make_owner(session)
    customer_id = make_customer(session, owner, "Acme")
    for n in range(3):
        make_job(session, owner, customer_id, title=f"Job {n}")
    session.commit()
    # Nudge the kept count only: a page that still counted the jobs would not see it.
    session.connection().execute(text("UPDATE job_status_count SET jobs = 40 WHERE status = 'quote'"))
    session.commit()
    assert next(c.count for c in jobs.board(session, owner) if c.status == "quote") == 40
    assert jobs.list_jobs(session, owner, jobs.JobFilters(status="active")).total == 40
    assert jobs.list_jobs(session, owner, jobs.JobFilters(status="quote")).total == 40
    # Narrowed lists and a customer's own board still count their jobs.
    assert jobs.list_jobs(session, owner, jobs.JobFilters(status="quote", search="Job")).total == 3
    assert next(c.count for c in jobs.board(session, owner, customer_id=customer_id) if c.status == "quote") == 3


def test_the_migration_counts_the_jobs_already_there(database, session):
    owner = make_owner(session)
    customer_id = make_customer(session, owner, "Acme")
    make_job(session, owner, customer_id)
    make_job(session, owner, customer_id)
    make_job(session, owner, customer_id, path=["ready"])  # approved offline on the way (the gate)
    session.commit()
    session.close()
    db.reset_engine()  # no pooled connection may hold the table the downgrade drops
    command.downgrade(alembic_config(database), "-1")
    command.upgrade(alembic_config(database), "head")
    with db.read_scope() as fresh:
        assert _kept(fresh) == _counted(fresh) == {"quote": 2, "ready": 1}
        fresh.connection().execute(text("UPDATE job SET status = 'shipped' WHERE status = 'ready'"))
        assert _kept(fresh) == {"quote": 2, "shipped": 1}
