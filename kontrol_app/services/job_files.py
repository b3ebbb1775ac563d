"""Files kept with a job (`JobFile`): e.g. the artwork of the quote request it came from. The
bytes stay the customer's stored file (the private files service and its reader decide who
may read it); a job file only says "this one belongs with that job, from there". Staff list
them on the job page and can make an image or PDF one the job's next mockup version."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, select

from kontrol_app.models import JobFile, StoredFile
from kontrol_app.services import files, mockups
from kontrol_app.services.errors import NotFound, find
from kontrol_app.services.jobs import get_job
from kontrol_app.services.staff import StaffPrincipal

FIELD = "job_file"
PROMOTABLE = mockups.ALLOWED  # PNG, JPEG, WebP, PDF
MAX_SOURCE = JobFile.__table__.c.source.type.length
NOT_FOUND = "That file is not kept with this job."


@dataclass(frozen=True)
class JobFileView:
    id: int  # the JobFile id (make_mockup takes it)
    file_id: int
    name: str
    file_type: str  # png, jpeg, webp, pdf, ai, eps, svg, psd, zip
    label: str  # "PNG", "PDF", ...
    size: int
    source: str  # "Quote request QR-0001"
    url: str  # the private files route
    download_url: str
    image: bool  # PNG, JPEG, WebP: a thumbnail may show
    pdf: bool  # opens in the browser's viewer
    promotable: bool  # may become a mockup version


def attach(session: Session, job_id: int, file_ids: Iterable[int], source: str) -> int:
    """Keep these stored files with the job (each once; a file already kept is skipped).
    Only the job's customer's files: another customer's id is refused as not found.
    Returns how many were added."""
    job = get_job(session, job_id)
    wanted = list(dict.fromkeys(int(i) for i in file_ids))
    if not wanted:
        return 0
    rows = session.exec(select(StoredFile).where(StoredFile.id.in_(wanted))).all()
    if len(rows) != len(wanted) or any(r.customer_id != job.customer_id for r in rows):
        raise NotFound("That file does not exist.")
    kept = set(session.exec(select(JobFile.file_id).where(JobFile.job_id == job.id, JobFile.file_id.in_(wanted))).all())
    added = 0
    for file_id in wanted:
        if file_id not in kept:
            session.add(JobFile(job_id=job.id, file_id=file_id, source=source[:MAX_SOURCE]))
            added += 1
    session.flush()
    return added


def _view(job_file: JobFile, row: StoredFile) -> JobFileView:
    previewable = files.shown_inline(row)
    return JobFileView(
        id=job_file.id,
        file_id=row.id,
        name=row.original_name,
        file_type=row.file_type,
        label=files.type_label(row.file_type),
        size=row.size,
        source=job_file.source,
        url=files.url_for(row),
        download_url=files.url_for(row, download=True),
        image=previewable and row.file_type in files.IMAGES,
        pdf=previewable and row.file_type == "pdf",
        promotable=row.file_type in PROMOTABLE,
    )


def job_files(session: Session, actor: StaffPrincipal, job_id: int) -> list[JobFileView]:
    """The job's files, oldest first."""
    job = get_job(session, job_id)
    rows = session.exec(
        select(JobFile, StoredFile).join(StoredFile, StoredFile.id == JobFile.file_id).where(JobFile.job_id == job.id).order_by(JobFile.id)
    ).all()
    return [_view(job_file, row) for job_file, row in rows]


def make_mockup(session: Session, actor: StaffPrincipal, job_id: int, job_file_id: int, *, note: str = "") -> mockups.VersionView:
    """The job's next mockup version from one of its files (PNG, JPEG, WebP or PDF). The
    file must be kept with that job: any other id is "not found"."""
    job_file = find(session, JobFile, job_file_id, NOT_FOUND)
    if job_file.job_id != job_id:
        raise NotFound(NOT_FOUND)
    row = find(session, StoredFile, job_file.file_id, NOT_FOUND)
    note = note.strip() or (f"From {job_file.source}" if job_file.source else f"From {row.original_name}")
    return mockups.version_from_file(session, actor, job_file.job_id, row, note, field=FIELD)
