"""Receiving artwork: an upload copied to a temp file, a new version (v1, v2, ...) with its
previews, and a version made from a file already kept (`version_from_file`)."""

from __future__ import annotations

from pathlib import PurePath

from sqlmodel import Session, select

from kontrol_app.models import MockupPage, MockupVersion, StoredFile, utcnow
from kontrol_app.services import files, jobs
from kontrol_app.services.errors import InvalidInput, NotFound
from kontrol_app.services.mockups.facts import _facts
from kontrol_app.services.mockups.limits import ALLOWED, FIELD, MAX_MOCKUP_BYTES, MAX_PREVIEW_PAGES
from kontrol_app.services.mockups.locking import _lock_job
from kontrol_app.services.mockups.previews import _pdf_page_pngs, _preview_png, _refuse_pdf_bombs
from kontrol_app.services.mockups.showing import _version_view
from kontrol_app.services.mockups.views import VersionView
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.validation import clean_text


async def receive_upload(source) -> files.Received:
    """Copy an upload to a temp file, refused (nothing kept) past 25 MB."""
    return await files.receive(source, max_bytes=MAX_MOCKUP_BYTES, field=FIELD)


def upload_version(
    session: Session, actor: StaffPrincipal, job_id: int, upload: files.Received | bytes, *, name: str = "", note: str = ""
) -> VersionView:
    """A new version (v1, v2, ...) of the job's artwork, with its preview made once. A refused
    file leaves nothing behind (the temp file goes here; stored bytes go with the rollback)."""
    received = upload if isinstance(upload, files.Received) else None
    try:
        job = _lock_job(session, job_id)
        note = clean_text(note, field="note", label="the note", max_length=500, multiline=True)
        if received is None:
            received = files.receive_sync(upload, max_bytes=MAX_MOCKUP_BYTES, field=FIELD, name=name)
        received.field = FIELD
        if received.size > MAX_MOCKUP_BYTES:
            raise InvalidInput("The file is larger than 25 MB. Choose a smaller file.", FIELD)
        if received.size > 0:
            _refuse_pdf_bombs(received.path)
        files_dir = received.files_dir
        original = files.store(
            session, received, kind="mockup", allowed=ALLOWED, customer_id=job.customer_id,
            created_by_staff_id=actor.id, original_name=name or received.name, max_bytes=MAX_MOCKUP_BYTES,
            field=FIELD, files_dir=files_dir,
        )
    finally:
        if received is not None:
            received.discard()
    stored_at = files.blob_path(original.sha256, files_dir)
    if original.file_type == "pdf":
        pages = _pdf_page_pngs(stored_at, MAX_PREVIEW_PAGES)  # page 1 is the version's preview
    else:
        pages = [_preview_png(stored_at, original.file_type)]
    stem = PurePath(original.original_name).stem
    preview = files.store(
        session, pages[0], kind="mockup_preview", allowed={"png"}, customer_id=job.customer_id,
        created_by_staff_id=actor.id, original_name=f"{stem}-preview.png", field=FIELD, files_dir=files_dir,
    )
    page_files = [preview] + [
        files.store(
            session, png, kind="mockup_page", allowed={"png"}, customer_id=job.customer_id,
            created_by_staff_id=actor.id, original_name=f"{stem}-page-{number}.png", field=FIELD, files_dir=files_dir,
        )
        for number, png in enumerate(pages[1:], start=2)
    ]
    # The job's row is locked (and on SQLite the insert above holds the write lock): no one
    # else numbers a version of this job until the commit.
    last = session.exec(
        select(MockupVersion.number).where(MockupVersion.job_id == job.id).order_by(MockupVersion.number.desc()).limit(1)
    ).first()
    version = MockupVersion(
        job_id=job.id, number=(last or 0) + 1, file_id=original.id, preview_file_id=preview.id, note=note,
        uploaded_by_staff_id=actor.id, uploaded_by=actor.name, created_at=utcnow(),
    )
    session.add(version)
    session.flush()
    if original.file_type == "pdf":
        for number, row in enumerate(page_files, start=1):
            session.add(MockupPage(version_id=version.id, page_number=number, preview_file_id=row.id))
        session.flush()
    facts = _facts(session, job)
    return _version_view(facts, version, {original.id: original, preview.id: preview}, {version.id: page_files})


def version_from_file(
    session: Session, actor: StaffPrincipal, job_id: int, stored: StoredFile, note: str = "", *, field: str = FIELD
) -> VersionView:
    """A new version of the job's artwork from a file already kept (a message's attachment, a
    quote request's artwork): its bytes go through `upload_version` as if uploaded, so the
    version has its own original and preview. Only the job's customer's files (or the shop's
    own) may be used; PNG, JPEG, WebP or PDF. A refusal names `field`."""
    job = jobs.get_job(session, job_id)
    if stored.customer_id is not None and stored.customer_id != job.customer_id:
        raise NotFound("That file does not exist.")
    if stored.file_type not in ALLOWED:
        label = files.type_label(stored.file_type)
        raise InvalidInput(f"A {label} file can't be a mockup version. Use a PNG, JPEG or WebP image or a PDF.", field)
    try:
        handle = open(files.blob_path(stored.sha256), "rb")
    except OSError as error:
        raise NotFound("That file's contents are gone — upload it again.") from error
    with handle:
        received = files.receive_sync(handle, max_bytes=MAX_MOCKUP_BYTES, field=FIELD, name=stored.original_name)
    return upload_version(session, actor, job.id, received, name=stored.original_name, note=note)
