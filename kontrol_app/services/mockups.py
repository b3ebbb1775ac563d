"""Artwork approval: mockup versions, Send for Approval, the client's decision, the written
(immutable) approval record, and the approval gate's question `current_approved`.

A version is never edited: a mistaken one is withdrawn. A version's state is read from its
columns and records: withdrawn; decided (the newest record for it); replaced (a newer version
was sent, or, for one never sent, a newer one exists); sent ("awaiting the client"); draft.
An approval is bound to the version and its file's SHA-256: a newer version uploaded after it
means the job's current artwork is not approved.

Who wins a race: every writer here first locks the job's row (PostgreSQL: SELECT ... FOR
UPDATE; SQLite serializes writers itself), and a decision claims `decided_at` with one
conditional UPDATE, so of two decisions at the same moment exactly one is recorded.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath

import pypdfium2 as pdfium
from PIL import Image, ImageOps
from sqlalchemy import bindparam, delete, exists, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from kontrol_app.models import (
    ApprovalRecord,
    ChecklistItem,
    Customer,
    CustomerContact,
    EmailKind,
    Job,
    JobStatus,
    MockupPage,
    MockupVersion,
    StoredFile,
    utcnow,
)
from kontrol_app.services import approve_by, files, jobs, notifications, outbox, statuses
from kontrol_app.services.clock import shop_time
from kontrol_app.services.errors import InvalidInput, NotAllowed, NotFound, find, found
from kontrol_app.services.portal_links import portal_url
from kontrol_app.services.shop import shop_timezone
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.validation import clean_text
from kontrol_app.settings import get_settings

MAX_MOCKUP_BYTES = 25 * 1024 * 1024
ALLOWED = files.IMAGES_AND_PDF  # png, jpeg, webp, pdf
FIELD = "mockup"
PREVIEW_SIZE = 1600  # px on the long side
MAX_PDF_PAGES = 200
MAX_PREVIEW_PAGES = 20  # a PDF's first pages get a preview each; the rest are in the original
MAX_PAGE_POINTS = 200 * 72  # 200 in (5080 mm): larger is no print, only a way to exhaust memory
MAX_CHECKLIST_ITEMS = 12
MAX_CHECKLIST_TEXT = 200
MAX_PINS = 20
MAX_PIN_NOTE = 300

DECISIONS = ("approved", "revisions", "declined")
APPROVALS = frozenset({"approved", "approved_offline"})
METHODS = {"phone": "phone", "in_person": "in person", "email": "email", "no_artwork": "no artwork needed"}
NOT_IN_PORTAL = "That job is not in your portal."


def _version_label(number: int | None) -> str:
    return f"v{number}" if number else ""


def _mockup_reader(session: Session, row: StoredFile, staff, portal) -> bool:
    """Staff: any mockup. A client: only their customer's versions that were sent and not
    withdrawn (drafts and withdrawn versions are hidden from the client); a PDF's page
    previews follow their version."""
    if not files.staff_or_own_customer(session, row, staff, portal):
        return False
    if staff is not None:
        return True
    query = select(MockupVersion.id).where(MockupVersion.sent_at.is_not(None), MockupVersion.withdrawn_at.is_(None))
    if row.kind == "mockup_page":
        query = query.join(MockupPage, MockupPage.version_id == MockupVersion.id).where(MockupPage.preview_file_id == row.id)
    else:
        column = MockupVersion.file_id if row.kind == "mockup" else MockupVersion.preview_file_id
        query = query.where(column == row.id)
    return session.exec(query).first() is not None


files.register_reader("mockup", _mockup_reader)
files.register_reader("mockup_preview", _mockup_reader)
files.register_reader("mockup_page", _mockup_reader)


# --- views ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionView:
    id: int
    number: int
    label: str  # "v2"
    file_name: str
    size_text: str  # "1.2 MB"
    sha256: str
    preview_url: str  # the preview image (files route), "" if none
    file_url: str  # the original, as a download
    page_count: int  # 0 for images
    note: str
    uploaded_by: str
    uploaded_at: str  # shop time text
    state: str  # draft | sent | replaced | withdrawn | approved | revisions | declined
    state_text: str
    # Page by page (a PDF's first MAX_PREVIEW_PAGES pages); else just the preview; () if none.
    page_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordView:
    summary: str
    decision: str
    notes: str
    checklist: list[tuple[str, bool]]
    id: int = 0  # the record's id (its certificate: /api/approvals/<id>/certificate.pdf)
    pins: tuple[tuple[float, float, str], ...] = ()  # (x, y, note), numbered 1.. in this order
    preview_url: str = ""  # the decided version's preview, for showing the pins on it


@dataclass(frozen=True)
class JobMockups:
    versions: list[VersionView]  # newest first
    records: list[RecordView]  # newest first
    checklist: list[str]
    approved: bool
    approval_text: str


@dataclass(frozen=True)
class PortalProof:
    job_id: int
    version_id: int
    label: str
    preview_url: str
    file_url: str
    page_count: int
    message: str
    checklist: list[str]
    can_decide: bool  # sent, newest sent, not withdrawn, not decided
    decided_text: str
    record_id: int = 0  # the approval record of the shown version (its certificate), 0 while not approved
    approve_by_text: str = ""  # "Approve by Apr 3 to keep your Apr 12 due date" while it awaits an answer
    page_urls: tuple[str, ...] = ()  # page by page (PDF), else just the preview; () if none


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


# --- reading the state of a job's versions --------------------------------------------------------


@dataclass
class _Facts:
    """Everything about one job's versions, read once."""

    job: Job
    versions: list[MockupVersion]  # by number
    records: list[ApprovalRecord]  # by id
    timezone: str

    def last_record(self, version_id: int) -> ApprovalRecord | None:
        return next((r for r in reversed(self.records) if r.version_id == version_id), None)

    def current(self) -> MockupVersion | None:
        """The job's artwork now: the newest version not withdrawn."""
        return next((v for v in reversed(self.versions) if v.withdrawn_at is None), None)

    def replaced_by(self, version: MockupVersion) -> MockupVersion | None:
        newer = [v for v in self.versions if v.number > version.number]
        if version.sent_at is not None:
            sent = [v for v in newer if v.sent_at is not None]
            return sent[-1] if sent else None
        alive = [v for v in newer if v.withdrawn_at is None]
        return alive[-1] if alive else None

    def when(self, moment: datetime | None) -> str:
        return shop_time(moment, self.timezone)


def _facts(session: Session, job: Job) -> _Facts:
    versions = list(session.exec(select(MockupVersion).where(MockupVersion.job_id == job.id).order_by(MockupVersion.number)).all())
    records = list(session.exec(select(ApprovalRecord).where(ApprovalRecord.job_id == job.id).order_by(ApprovalRecord.id)).all())
    return _Facts(job, versions, records, shop_timezone(session))


def _who(record: ApprovalRecord) -> str:
    return record.typed_name or record.contact_name or record.contact_email or "the client"


def _decided_text(facts: _Facts, record: ApprovalRecord, *, for_client: bool = False) -> str:
    when = facts.when(record.created_at)
    if record.decision == "approved_offline":
        if for_client:
            return f"Approved by {_who(record)} on {when}"
        return f"Approved offline by {_who(record)} ({METHODS.get(record.method, record.method)}) on {when}"
    if record.decision == "approved":
        return f"Approved by {_who(record)} on {when}"
    name = record.contact_name or record.contact_email or "the client"
    if record.decision == "revisions":
        return f"Revisions requested by {name} on {when}"
    return f"Declined by {name} on {when}"


def _state(facts: _Facts, version: MockupVersion, *, for_client: bool = False) -> tuple[str, str]:
    if version.withdrawn_at is not None:
        return "withdrawn", f"Withdrawn on {facts.when(version.withdrawn_at)}"
    record = facts.last_record(version.id)
    if record is not None:
        state = "approved" if record.decision in APPROVALS else record.decision
        return state, _decided_text(facts, record, for_client=for_client)
    newer = facts.replaced_by(version)
    if newer is not None:
        return "replaced", f"This version was replaced by {_version_label(newer.number)}"
    if version.sent_at is not None:
        return "sent", "Awaiting the client"
    return "draft", "Not sent yet"


def _is_approval_of(record: ApprovalRecord | None, version: MockupVersion, sha256: str) -> bool:
    return record is not None and record.decision in APPROVALS and record.sha256 == sha256 and record.version_id == version.id


def _current_approval(session: Session, facts: _Facts) -> ApprovalRecord | None:
    """The record that approves the job's current artwork (or its lack of artwork), if any."""
    current = facts.current()
    if current is None:
        return next(
            (r for r in reversed(facts.records)
             if r.version_id is None and r.decision == "approved_offline" and r.method == "no_artwork"),
            None,
        )
    original = session.get(StoredFile, current.file_id)
    record = facts.last_record(current.id)
    return record if _is_approval_of(record, current, original.sha256 if original else "") else None


def current_approved(session: Session, job_id: int) -> bool:
    """The approval gate (Art Approved, In Production): the job's current version (the newest
    not withdrawn) is approved, bound to its file's SHA-256; or, with no version, an offline
    "no artwork needed" record."""
    job = session.get(Job, job_id)
    if job is None:
        return False
    return _current_approval(session, _facts(session, job)) is not None


# --- staff ------------------------------------------------------------------------------------


def _lock_job(session: Session, job_id: int) -> Job:
    """The job's row, locked until the commit (PostgreSQL; SQLite's writers take turns anyway),
    so uploads, sends and decisions of one job happen one after the other."""
    return found(
        session.exec(select(Job).where(Job.id == job_id).with_for_update().execution_options(populate_existing=True)).first(),
        jobs.NO_JOB,
    )


def _version(session: Session, version_id: int) -> MockupVersion:
    return find(session, MockupVersion, version_id, "That version does not exist.")


async def receive_upload(source) -> files.Received:
    """Copy an upload to a temp file, refused (nothing kept) past 25 MB."""
    return await files.receive(source, max_bytes=MAX_MOCKUP_BYTES, field=FIELD)


def _refuse_pdf_bombs(path: Path) -> None:
    """Refuse PDFs with too many pages or a giant page before anything renders them. A PDF
    pdfium can't open is left for files.judge, which refuses it with its own message."""
    with open(path, "rb") as handle:
        if not handle.read(5) == b"%PDF-":
            return
    with files._PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(str(path))
        except (pdfium.PdfiumError, OSError):
            return
        try:
            pages = len(document)
            if pages > MAX_PDF_PAGES:
                raise InvalidInput(
                    f"This PDF has {pages} pages. Upload the artwork only: at most {MAX_PDF_PAGES} pages.", FIELD
                )
            for index in range(pages):
                width, height = document.get_page_size(index)
                if max(width, height) > MAX_PAGE_POINTS:
                    raise InvalidInput(
                        f"Page {index + 1} of this PDF is larger than 200 in (5080 mm) on a side. "
                        "Export the artwork at its real size.",
                        FIELD,
                    )
        except pdfium.PdfiumError:
            return
        finally:
            document.close()


def _damaged() -> InvalidInput:
    return InvalidInput("This file is damaged or is not what its name says. Check it and upload it again.", FIELD)


_RENDER_ERRORS = (pdfium.PdfiumError, OSError, ValueError, SyntaxError, Image.DecompressionBombError)


def _encode_png(image: Image.Image) -> bytes:
    """At most PREVIEW_SIZE px on its long side, as PNG."""
    transparent = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if transparent else "RGB")
    image.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def _render_page(document: pdfium.PdfDocument, index: int) -> Image.Image:
    """One page at PREVIEW_SIZE px on its long side (the caller holds the pdfium lock)."""
    page = document[index]
    try:
        width, height = page.get_size()
        if min(width, height) <= 0:
            raise _damaged()
        bitmap = page.render(scale=PREVIEW_SIZE / max(width, height))
        try:
            return bitmap.to_pil().copy()  # may share the bitmap's memory: own it first
        finally:
            bitmap.close()
    finally:
        page.close()


def _pdf_page_pngs(path: Path, limit: int) -> list[bytes]:
    """PNGs of a PDF's first `limit` pages, page 1 first. Page 1 must render (else the file is
    refused as damaged); a later page that fails ends the list there (the original has it).
    The pdfium lock is taken page by page, so one big PDF does not stall every other upload."""
    pngs: list[bytes] = []
    try:
        with files._PDFIUM_LOCK:
            document = pdfium.PdfDocument(str(path))
            pages = len(document)
    except _RENDER_ERRORS as error:
        raise _damaged() from error
    try:
        for index in range(min(pages, limit)):
            try:
                with files._PDFIUM_LOCK:
                    image = _render_page(document, index)
                pngs.append(_encode_png(image))
            except InvalidInput:
                if index == 0:
                    raise
                break
            except _RENDER_ERRORS as error:
                if index == 0:
                    raise _damaged() from error
                break
    finally:
        with files._PDFIUM_LOCK:
            document.close()
    if not pngs:
        raise _damaged()
    return pngs


def _preview_png(path: Path, file_type: str) -> bytes:
    """A PNG at most PREVIEW_SIZE px on its long side: the image scaled, or a PDF's first page."""
    if file_type == "pdf":
        return _pdf_page_pngs(path, 1)[0]
    try:
        with Image.open(path) as opened:
            if opened.format == "JPEG":
                opened.draft("RGB", (PREVIEW_SIZE, PREVIEW_SIZE))  # decode at a fraction of the size
            image = ImageOps.exif_transpose(opened)
            image.load()
        return _encode_png(image)
    except _RENDER_ERRORS as error:
        raise _damaged() from error


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
        label = files.TYPES[stored.file_type].label if stored.file_type in files.TYPES else stored.file_type.upper()
        raise InvalidInput(f"A {label} file can't be a mockup version. Use a PNG, JPEG or WebP image or a PDF.", field)
    try:
        handle = open(files.blob_path(stored.sha256), "rb")
    except OSError as error:
        raise NotFound("That file's contents are gone — upload it again.") from error
    with handle:
        received = files.receive_sync(handle, max_bytes=MAX_MOCKUP_BYTES, field=FIELD, name=stored.original_name)
    return upload_version(session, actor, job.id, received, name=stored.original_name, note=note)


def withdraw_version(session: Session, actor: StaffPrincipal, version_id: int) -> None:
    """Hide a mistaken version from the client; it stays in the record."""
    version = _version(session, version_id)
    _lock_job(session, version.job_id)
    done = session.exec(
        update(MockupVersion)
        .where(MockupVersion.id == version.id, MockupVersion.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow())
    ).rowcount
    session.expire(version)
    if done != 1:
        raise NotAllowed(f"{_version_label(version.number)} is already withdrawn.")


def set_checklist(session: Session, actor: StaffPrincipal, job_id: int, items: list[str]) -> list[str]:
    """The points the client must tick before approving (replaces the list; blanks dropped)."""
    _lock_job(session, job_id)
    cleaned = []
    for item in items or []:
        for line in str(item).splitlines():
            text = " ".join(line.split())
            if not text:
                continue
            if len(text) > MAX_CHECKLIST_TEXT:
                raise InvalidInput(f"Keep each point under {MAX_CHECKLIST_TEXT} characters.", "checklist")
            cleaned.append(text)
    if len(cleaned) > MAX_CHECKLIST_ITEMS:
        raise InvalidInput(f"Keep the checklist to {MAX_CHECKLIST_ITEMS} points or fewer.", "checklist")
    session.exec(delete(ChecklistItem).where(ChecklistItem.job_id == job_id))
    for position, text in enumerate(cleaned):
        session.add(ChecklistItem(job_id=job_id, position=position, text=text))
    session.flush()
    return cleaned


def _checklist(session: Session, job_id: int) -> list[str]:
    return list(
        session.exec(select(ChecklistItem.text).where(ChecklistItem.job_id == job_id).order_by(ChecklistItem.position)).all()
    )


def send_for_approval(session: Session, actor: StaffPrincipal, version_id: int, *, message: str = "") -> int:
    """Email every contact of the customer, move the job to Awaiting Approval; older sent
    versions are replaced (they can no longer be decided). Returns how many emails were queued."""
    version = _version(session, version_id)
    job = _lock_job(session, version.job_id)
    message = clean_text(message, field="message", label="the message", max_length=2000, multiline=True)
    label = _version_label(version.number)
    session.refresh(version)
    if version.withdrawn_at is not None:
        raise NotAllowed(f"{label} was withdrawn: it can't be sent.")
    if version.sent_at is not None:
        raise NotAllowed(f"{label} was already sent.")
    if version.decided_at is not None:
        raise NotAllowed(f"{label} is already decided.")
    facts = _facts(session, job)
    current = facts.current()
    if current is None or current.id != version.id:
        raise NotAllowed(f"Only the newest version can be sent: {_version_label(current.number if current else None)}.")
    sent = session.exec(
        update(MockupVersion)
        .where(
            MockupVersion.id == version.id, MockupVersion.sent_at.is_(None), MockupVersion.withdrawn_at.is_(None),
            MockupVersion.decided_at.is_(None),
        )
        .values(sent_at=utcnow(), send_message=message)
    ).rowcount
    session.expire(version)
    if sent != 1:
        raise NotAllowed(f"{label} was already sent.")
    jobs.move_status(
        session, job.id, JobStatus.AWAITING_APPROVAL, changed_by=actor.name, staff_user_id=actor.id,
        note=f"{label} sent for approval",
    )
    customer = session.get(Customer, job.customer_id)
    contacts = session.exec(
        select(CustomerContact)
        .where(CustomerContact.customer_id == job.customer_id, CustomerContact.email.is_not(None), CustomerContact.email != "")
        .order_by(CustomerContact.id)
    ).all()
    preview = session.get(StoredFile, version.preview_file_id) if version.preview_file_id else None
    data = {
        "job_title": job.title,
        "version_label": label,
        "message": message,
        "job_url": f"{portal_url(customer)}?job={job.id}",
    }
    if approve_by_text := approve_by.job_text(session, job):
        data["approve_by_text"] = approve_by_text
    if preview is not None:
        data["preview_url"] = get_settings().base_url.rstrip("/") + files.url_for(preview)
    queued = 0
    for contact in contacts:
        email = outbox.queue_email(
            session, kind=EmailKind.ARTWORK_READY, to=contact.email, data=data,
            dedupe_key=f"artwork-ready:{version.id}:{contact.id}",
        )
        queued += email is not None
    return queued


def record_offline_approval(
    session: Session, actor: StaffPrincipal, job_id: int, *, approved_by: str, method: str, note: str
) -> None:
    """Staff record an approval given by phone, in person or email (for the current version),
    or that the job needs no artwork. It is an approval record like a client's, by this staff
    member, and opens the approval gate."""
    job = _lock_job(session, job_id)
    approved_by = clean_text(approved_by, field="approved_by", label="who approved", max_length=120, required=True)
    if method not in METHODS:
        raise InvalidInput("Choose how the client approved: phone, in person, email, or no artwork needed.", "method")
    note = clean_text(note, field="note", label="the note", max_length=2000, multiline=True)
    facts = _facts(session, job)
    current = facts.current()
    if method == "no_artwork" and current is not None:
        raise InvalidInput(
            f"This job has artwork ({_version_label(current.number)}): choose how the client approved it.", "method"
        )
    if method != "no_artwork" and current is None:
        raise InvalidInput('There is no artwork to approve. Upload it first, or choose "No artwork needed".', "method")
    if _current_approval(session, facts) is not None:
        raise NotAllowed("The current artwork is already approved.")
    sha256 = ""
    if current is not None:
        sha256 = session.get(StoredFile, current.file_id).sha256
        # A request still open in the portal is answered now: the client can no longer decide it.
        session.exec(
            update(MockupVersion).where(MockupVersion.id == current.id, MockupVersion.decided_at.is_(None)).values(decided_at=utcnow())
        )
        session.expire(current)
    session.add(
        ApprovalRecord(
            job_id=job.id, version_id=current.id if current else None, version_number=current.number if current else None,
            sha256=sha256, decision="approved_offline", typed_name=approved_by, notes=note, checklist="[]",
            staff_user_id=actor.id, staff_name=actor.name, method=method, created_at=utcnow(),
        )
    )
    session.flush()
    if job.status in (JobStatus.ARTWORK, JobStatus.AWAITING_APPROVAL, JobStatus.REVISIONS_REQUESTED):
        how = METHODS[method]
        jobs.move_status(
            session, job.id, JobStatus.ART_APPROVED, changed_by=actor.name, staff_user_id=actor.id,
            note=f"Approved offline ({how}) by {approved_by}",
        )


def _page_urls(version: MockupVersion, preview_url: str, pages: dict[int, list[StoredFile]]) -> tuple[str, ...]:
    """A PDF's page previews; a version from before pages were kept (or an image): its preview."""
    rendered = pages.get(version.id) or []
    if rendered:
        return tuple(files.url_for(row) for row in rendered)
    return (preview_url,) if preview_url else ()


def _pages(session: Session, version_ids: list[int]) -> dict[int, list[StoredFile]]:
    """By version id: its page previews' files, page 1 first."""
    if not version_ids:
        return {}
    rows = session.exec(
        select(MockupPage.version_id, StoredFile)
        .join(StoredFile, StoredFile.id == MockupPage.preview_file_id)
        .where(MockupPage.version_id.in_(version_ids))
        .order_by(MockupPage.version_id, MockupPage.page_number)
    ).all()
    found: dict[int, list[StoredFile]] = {}
    for version_id, row in rows:
        found.setdefault(version_id, []).append(row)
    return found


def _version_view(
    facts: _Facts, version: MockupVersion, stored: dict[int, StoredFile], pages: dict[int, list[StoredFile]] | None = None
) -> VersionView:
    original = stored[version.file_id]
    preview = stored.get(version.preview_file_id) if version.preview_file_id else None
    preview_url = files.url_for(preview) if preview is not None else ""
    state, state_text = _state(facts, version)
    return VersionView(
        id=version.id,
        number=version.number,
        label=_version_label(version.number),
        file_name=original.original_name,
        size_text=size_text(original.size),
        sha256=original.sha256,
        preview_url=preview_url,
        file_url=files.url_for(original, download=True),
        page_count=original.page_count or 0,
        note=version.note,
        uploaded_by=version.uploaded_by,
        uploaded_at=facts.when(version.created_at),
        state=state,
        state_text=state_text,
        page_urls=_page_urls(version, preview_url, pages or {}),
    )


def _stored(session: Session, versions: list[MockupVersion]) -> dict[int, StoredFile]:
    ids = {v.file_id for v in versions} | {v.preview_file_id for v in versions if v.preview_file_id}
    if not ids:
        return {}
    return {row.id: row for row in session.exec(select(StoredFile).where(StoredFile.id.in_(ids))).all()}


def _record_view(facts: _Facts, record: ApprovalRecord, previews: dict[int, str] | None = None) -> RecordView:
    when = facts.when(record.created_at)
    fingerprint = f" — {_version_label(record.version_number)}, SHA-256 {record.sha256[:8]}…" if record.version_number else ""
    if record.decision == "approved_offline":
        if record.method == "no_artwork":
            summary = f"No artwork needed — approved offline by {record.typed_name}, recorded by {record.staff_name} on {when}"
        else:
            summary = (
                f"Approved offline by {record.typed_name} ({METHODS.get(record.method, record.method)}), "
                f"recorded by {record.staff_name} on {when}{fingerprint}"
            )
    else:
        verb = {"approved": "Approved", "revisions": "Revisions requested", "declined": "Declined"}[record.decision]
        who = record.typed_name or record.contact_name or "the client"
        if record.typed_name and record.contact_name and record.typed_name.casefold() != record.contact_name.casefold():
            who = f"{record.typed_name}, signed in as {record.contact_name}"
        email = f" ({record.contact_email})" if record.contact_email else ""
        summary = f"{verb} by {who}{email} on {when}{fingerprint}"
    try:
        ticks = [(str(item["text"]), bool(item["ticked"])) for item in json.loads(record.checklist or "[]")]
    except (ValueError, TypeError, KeyError):
        ticks = []
    pins = _read_pins(record.pins)
    return RecordView(
        summary=summary, decision=record.decision, notes=record.notes, checklist=ticks, id=record.id,
        pins=pins, preview_url=(previews or {}).get(record.version_id, "") if pins else "",
    )


def _read_pins(text: str) -> tuple[tuple[float, float, str], ...]:
    try:
        return tuple((float(p["x"]), float(p["y"]), str(p["note"])) for p in json.loads(text or "[]"))
    except (ValueError, TypeError, KeyError):
        return ()


def clean_pins(pins) -> list[dict]:
    """Pins on the preview: x and y are fractions of its width and height (0..1), each with a note."""
    pins = list(pins or ())
    if len(pins) > MAX_PINS:
        raise InvalidInput(f"Place at most {MAX_PINS} pins.", "pins")
    cleaned = []
    for number, pin in enumerate(pins, start=1):
        try:
            x, y = float(pin["x"]), float(pin["y"])
        except (TypeError, KeyError, ValueError):
            raise InvalidInput(f"Pin {number} is not on the preview.", "pins") from None
        if not (0 <= x <= 1 and 0 <= y <= 1):  # also refuses NaN
            raise InvalidInput(f"Pin {number} is not on the preview.", "pins")
        note = clean_text(str(pin.get("note") or ""), field="pins", label=f"pin {number}'s note", max_length=MAX_PIN_NOTE)
        if not note:
            raise InvalidInput(f"Say what should change at pin {number}.", "pins")
        cleaned.append({"x": round(x, 4), "y": round(y, 4), "note": note})
    return cleaned


def _approval_text(session: Session, facts: _Facts) -> tuple[bool, str]:
    approval = _current_approval(session, facts)
    current = facts.current()
    if approval is not None:
        when = facts.when(approval.created_at)
        if current is None:
            return True, f"No artwork needed — approved offline by {approval.typed_name} on {when}"
        how = " (offline)" if approval.decision == "approved_offline" else ""
        return True, f"{_version_label(current.number)} approved{how} by {_who(approval)} on {when}"
    if current is not None:
        earlier = next(
            (r for r in reversed(facts.records) if r.decision in APPROVALS and r.version_id not in (None, current.id)), None
        )
        if earlier is not None:
            return False, f"{_version_label(current.number)} is not approved: {_version_label(earlier.version_number)} was"
    return False, "Not approved yet"


def job_mockups(session: Session, actor: StaffPrincipal, job_id: int) -> JobMockups:
    job = jobs.get_job(session, job_id)
    facts = _facts(session, job)
    stored = _stored(session, facts.versions)
    approved, approval_text = _approval_text(session, facts)
    pages = _pages(session, [v.id for v in facts.versions])
    versions = [_version_view(facts, v, stored, pages) for v in reversed(facts.versions)]
    previews = {v.id: v.preview_url for v in versions}  # a record's pins are shown on its version's preview
    return JobMockups(
        versions=versions,
        records=[_record_view(facts, r, previews) for r in reversed(facts.records)],
        checklist=_checklist(session, job.id),
        approved=approved,
        approval_text=approval_text,
    )


# --- portal -----------------------------------------------------------------------------------


def awaiting_approval(session: Session, customer_id: int) -> list[tuple[int, str]]:
    """(job id, title) of the customer's open jobs whose newest sent version awaits a decision."""
    newer = aliased(MockupVersion)
    rows = session.exec(
        select(Job.id, Job.title)
        .join(MockupVersion, MockupVersion.job_id == Job.id)
        .where(
            Job.customer_id == customer_id,
            Job.status.not_in([s.value for s in statuses.CLOSED]),
            MockupVersion.sent_at.is_not(None),
            MockupVersion.withdrawn_at.is_(None),
            MockupVersion.decided_at.is_(None),
            ~exists().where(newer.job_id == MockupVersion.job_id, newer.number > MockupVersion.number, newer.sent_at.is_not(None)),
        )
        .order_by(MockupVersion.sent_at, Job.id)
    ).all()
    return [(job_id, title) for job_id, title in rows]


def _own_job(session: Session, customer_id: int, job_id: int) -> Job:
    return find(session, Job, job_id, NOT_IN_PORTAL, customer_id=customer_id)


def _approval_id(facts: _Facts, version: MockupVersion) -> int:
    record = facts.last_record(version.id)
    return record.id if record is not None and record.decision in APPROVALS else 0


# Built once (Core): whose job it is, and whether anything was sent. Most jobs a client opens
# have nothing sent, and this one query says so.
# Whether artwork is out for approval on a job (correlated with `Job`): the portal's gate.
PROOF_SENT = exists().where(MockupVersion.job_id == Job.id, MockupVersion.sent_at.is_not(None), MockupVersion.withdrawn_at.is_(None))
_PROOF_GATE = sa_select(Job.customer_id, PROOF_SENT).where(Job.id == bindparam("job_id"))


def portal_proof(session: Session, customer_id: int, job_id: int) -> PortalProof | None:
    """The version the client is asked about (the newest sent, not withdrawn), or None."""
    gate = session.connection().execute(_PROOF_GATE, {"job_id": job_id}).first() if isinstance(job_id, int) else None
    if gate is None or gate[0] != customer_id:
        raise NotFound(NOT_IN_PORTAL)
    if not gate[1]:
        return None
    job = _own_job(session, customer_id, job_id)
    facts = _facts(session, job)
    shown = next((v for v in reversed(facts.versions) if v.sent_at is not None and v.withdrawn_at is None), None)
    if shown is None:
        return None
    stored = _stored(session, [shown])
    original = stored[shown.file_id]
    preview = stored.get(shown.preview_file_id) if shown.preview_file_id else None
    preview_url = files.url_for(preview) if preview is not None else ""
    state, text = _state(facts, shown, for_client=True)
    can_decide = state == "sent" and job.status not in statuses.CLOSED
    if state == "sent" and not can_decide:
        text = "This job is closed."
    return PortalProof(
        job_id=job.id,
        version_id=shown.id,
        label=_version_label(shown.number),
        preview_url=preview_url,
        file_url=files.url_for(original, download=True),
        page_count=original.page_count or 0,
        message=shown.send_message,
        checklist=_checklist(session, job.id),
        can_decide=can_decide,
        decided_text="" if can_decide else text,
        record_id=_approval_id(facts, shown) if state == "approved" else 0,
        approve_by_text=approve_by.job_text(session, job) if can_decide else "",
        page_urls=_page_urls(shown, preview_url, _pages(session, [shown.id])),
    )


def _already(facts: _Facts, version: MockupVersion) -> NotAllowed:
    """Why this version can no longer be decided."""
    if version.withdrawn_at is not None:
        return NotAllowed("This version was withdrawn.")
    record = facts.last_record(version.id)
    if record is not None:
        who = _who(record) if record.decision in APPROVALS else (record.contact_name or record.contact_email or "the client")
        if record.decision in APPROVALS:
            return NotAllowed(f"Already approved by {who}")
        if record.decision == "revisions":
            return NotAllowed(f"Revisions were already requested by {who}")
        return NotAllowed(f"Already declined by {who}")
    newer = facts.replaced_by(version)
    if newer is not None:
        return NotAllowed(f"This version was replaced by {_version_label(newer.number)}")
    if facts.job.status in statuses.CLOSED:
        return NotAllowed("This job is closed.")
    return NotAllowed("This version can no longer be decided.")


def decide(
    session: Session,
    customer_id: int,
    contact_id: int,
    version_id: int,
    *,
    decision: str,
    typed_name: str = "",
    agreed: bool = False,
    ticked: list[int] = (),
    notes: str = "",
    ip: str = "",
    user_agent: str = "",
    pins: list[dict] = (),
) -> str:
    """The client's answer to the version they were sent: an immutable approval record, and
    the job moves (Art Approved, Revisions Requested or Declined). Returns the confirmation.
    A Request Revisions may carry numbered `pins` on the preview ({"x", "y", "note"})."""
    version = session.get(MockupVersion, version_id) if isinstance(version_id, int) else None
    job = session.get(Job, version.job_id) if version is not None else None
    if version is None or job is None or job.customer_id != customer_id or version.sent_at is None:
        raise NotFound(NOT_IN_PORTAL)  # drafts do not exist for the client
    contact = find(session, CustomerContact, contact_id, NOT_IN_PORTAL, customer_id=customer_id)
    if decision not in DECISIONS:
        raise InvalidInput("Choose Approve, Request Revisions or Decline.", "decision")

    facts = _facts(session, job)
    state, _ = _state(facts, version)
    if state != "sent" or job.status in statuses.CLOSED:
        raise _already(facts, version)

    checklist = _checklist(session, job.id)
    ticks = {int(i) for i in (ticked or ()) if isinstance(i, int) or str(i).isdigit()}
    typed = ""
    if decision == "approved":
        typed = clean_text(typed_name, field="typed_name", label="your full name", max_length=120)
        if not typed:
            raise InvalidInput("Type your full name.", "typed_name")
        if agreed is not True:
            raise InvalidInput('Tick "I approve this artwork for production".', "agreed")
        if not set(range(len(checklist))) <= ticks:
            raise InvalidInput("Tick every point before approving.", "checklist")
        notes = clean_text(notes, field="notes", label="your notes", max_length=2000, multiline=True)
    else:
        notes = clean_text(notes, field="notes", label="your notes", max_length=2000, multiline=True)
        if not notes:
            raise InvalidInput("Say what should change." if decision == "revisions" else "Say why you decline.", "notes")
    if pins and decision != "revisions":
        raise InvalidInput("Pins go with Request Revisions.", "pins")
    pins = clean_pins(pins)

    # One winner: the job's row is locked, and the claim matches only an open, newest request.
    _lock_job(session, job.id)
    newer = aliased(MockupVersion)
    now = utcnow()
    claimed = session.exec(
        update(MockupVersion)
        .where(
            MockupVersion.id == version.id,
            MockupVersion.decided_at.is_(None),
            MockupVersion.withdrawn_at.is_(None),
            MockupVersion.sent_at.is_not(None),
            ~exists().where(newer.job_id == version.job_id, newer.number > version.number, newer.sent_at.is_not(None)),
        )
        .values(decided_at=now)
    ).rowcount
    if claimed != 1:
        session.expire_all()
        job = session.get(Job, version.job_id)
        raise _already(_facts(session, job), session.get(MockupVersion, version.id))

    original = session.get(StoredFile, version.file_id)
    label = _version_label(version.number)
    session.add(
        ApprovalRecord(
            job_id=job.id, version_id=version.id, version_number=version.number, sha256=original.sha256,
            decision=decision, typed_name=typed, notes=notes,
            checklist=json.dumps([{"text": text, "ticked": i in ticks} for i, text in enumerate(checklist)]),
            pins=json.dumps(pins),
            contact_id=contact.id, contact_name=contact.name, contact_email=contact.email or "",
            ip=(ip or "")[:64], user_agent=(user_agent or "")[:500], created_at=now,
        )
    )
    session.flush()
    target = {"approved": JobStatus.ART_APPROVED, "revisions": JobStatus.REVISIONS_REQUESTED, "declined": JobStatus.DECLINED}
    history = {"approved": f"{label} approved by {typed}", "revisions": f"{label}: {notes}", "declined": f"{label} declined: {notes}"}
    jobs.move_status(
        session, job.id, target[decision], changed_by=contact.name or contact.email or "Client", staff_user_id=None,
        note=outbox.clip(history[decision], 1000),
    )
    # The staff bell and the shop's email, in this same transaction (a refused decision has neither).
    who = contact.name or contact.email or "The client"
    did = {"approved": f"{who} approved {label}", "revisions": f"{who} requested revisions on {label}", "declined": f"{who} declined {label}"}
    notifications.notify(
        session, kind=decision, title=f"{did[decision]} of {job.title}", subject=f"{did[decision]} — {job.title}",
        body=notes, link=f"/jobs/{job.id}", job_id=job.id,
    )
    if decision == "approved":
        return f"Thank you — {label} is approved. We'll start production."
    if decision == "revisions":
        return "Thanks — we'll make the changes and send you a new version."
    return f"Your answer is recorded: {label} declined."
