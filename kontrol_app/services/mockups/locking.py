"""Finding a row to change: the job's row locked until the commit, so that uploads, sends and
decisions of one job happen one after the other; a version by id."""

from __future__ import annotations

from sqlmodel import Session, select

from kontrol_app.models import Job, MockupVersion
from kontrol_app.services import jobs
from kontrol_app.services.errors import find, found


def _lock_job(session: Session, job_id: int) -> Job:
    """The job's row, locked until the commit (PostgreSQL; SQLite's writers take turns anyway),
    so uploads, sends and decisions of one job happen one after the other."""
    return found(
        session.exec(select(Job).where(Job.id == job_id).with_for_update().execution_options(populate_existing=True)).first(),
        jobs.NO_JOB,
    )


def _version(session: Session, version_id: int) -> MockupVersion:
    return find(session, MockupVersion, version_id, "That version does not exist.")
