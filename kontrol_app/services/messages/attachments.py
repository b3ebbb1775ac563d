"""Attachments: the files a message carries, received and kept through the private files
service (read by the staff, or by the customer's own contacts only), shown in a thread, and
made a mockup version of the thread's job."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session

from kontrol_app.models import Message, MessageAttachment, MessageThread, StoredFile
from kontrol_app.services import files, mockups, outbox
from kontrol_app.services.errors import InvalidInput, NotAllowed, find
from kontrol_app.services.messages.limits import (
    ALLOWED,
    FIELD_FILES,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    PREVIEWABLE,
    PROMOTABLE,
)
from kontrol_app.services.messages.views import AttachmentView
from kontrol_app.services.staff import StaffPrincipal

# --- files ------------------------------------------------------------------------------------


def _attachment_reader(session: Session, row: StoredFile, staff: Any, portal: Any) -> bool:
    """Staff: any attachment. A client: only their own customer's."""
    return files.staff_or_own_customer(session, row, staff, portal)


files.register_reader("message_attachment", _attachment_reader)


async def receive_attachment(source: Any) -> files.Received:
    """Copy one upload to a temp file, refused (nothing kept) past 25 MB."""
    return await files.receive(source, max_bytes=MAX_ATTACHMENT_BYTES, field=FIELD_FILES)


Upload = files.Received | tuple[str, bytes]  # a received upload, or (file name, bytes)


def _discard(uploads: Sequence[Upload]) -> None:
    for upload in uploads:
        if isinstance(upload, files.Received):
            upload.discard()


@contextmanager
def _discarded_if_refused(uploads: Sequence[Upload]) -> Iterator[None]:
    """Files received for a message go (their temp files) when the message is refused before
    they are kept."""
    try:
        yield
    except Exception:
        _discard(uploads)
        raise


def _store_attachments(session: Session, uploads: Sequence[Upload], customer_id: int, *, staff_id: int | None, contact_id: int | None) -> list[StoredFile]:
    """Judge and keep each file; one refused file refuses them all (the caller's rollback
    removes the rows, and the bytes go with it). Every temp file is gone afterwards."""
    try:
        if len(uploads) > MAX_ATTACHMENTS:
            raise InvalidInput(f"Attach at most {MAX_ATTACHMENTS} files to one message.", FIELD_FILES)
        stored = []
        for upload in uploads:
            name = upload.name if isinstance(upload, files.Received) else upload[0]
            source = upload if isinstance(upload, files.Received) else upload[1]
            try:
                stored.append(
                    files.store(
                        session,
                        source,
                        kind="message_attachment",
                        allowed=ALLOWED,
                        customer_id=customer_id,
                        created_by_staff_id=staff_id,
                        created_by_contact_id=contact_id,
                        original_name=name,
                        max_bytes=MAX_ATTACHMENT_BYTES,
                        field=FIELD_FILES,
                    )
                )
            except InvalidInput as error:
                shown = files.clean_name(name) if name else "A file"
                raise InvalidInput(f"{shown}: {error.message}", FIELD_FILES) from error
        return stored
    finally:
        _discard(uploads)


# --- views ------------------------------------------------------------------------------------


# Built once (Core, no ORM objects): opening a thread is among the portal's busiest reads.
_ATTACHMENTS_QUERY = (
    sa_select(
        StoredFile.id, StoredFile.original_name, StoredFile.file_type, StoredFile.inline, StoredFile.size,
        MessageAttachment.id.label("attachment_id"), MessageAttachment.message_id,
    )
    .join(StoredFile, StoredFile.id == MessageAttachment.file_id)
    .where(MessageAttachment.message_id.in_(bindparam("message_ids", expanding=True)))
    .order_by(MessageAttachment.message_id, MessageAttachment.position, MessageAttachment.id)
)


def _attachment_views(session: Session, message_ids: list[int], *, promotable: bool) -> dict[int, list[AttachmentView]]:
    if not message_ids:
        return {}
    rows = session.connection().execute(_ATTACHMENTS_QUERY, {"message_ids": message_ids}).all()
    views: dict[int, list[AttachmentView]] = {}
    for row in rows:  # a StoredFile's columns (as files.url_for reads them) and its attachment's
        previewable = files.shown_inline(row) and row.file_type in PREVIEWABLE
        views.setdefault(row.message_id, []).append(
            AttachmentView(
                id=row.attachment_id,
                file_id=row.id,
                name=row.original_name,
                file_type=row.file_type,
                label=files.type_label(row.file_type),
                size=row.size,
                url=files.url_for(row),
                download_url=files.url_for(row, download=True),
                previewable=previewable,
                image=previewable and row.file_type in files.IMAGES,
                promotable=promotable and row.file_type in PROMOTABLE,
            )
        )
    return views


# --- attachments to mockups -------------------------------------------------------------------


def promote_to_mockup(session: Session, actor: StaffPrincipal, attachment_id: int, *, note: str = ""):
    """Make an attachment (PNG, JPEG, WebP or PDF) a new mockup version of the thread's job,
    through services/mockups (its preview made there). Returns the mockups.VersionView."""
    attachment = find(session, MessageAttachment, attachment_id, "That attachment does not exist.")
    message = session.get(Message, attachment.message_id)
    thread = session.get(MessageThread, message.thread_id)
    if thread.job_id is None:
        raise NotAllowed("This conversation is not about a job: start one from the job to make a mockup from a file.")
    row = session.get(StoredFile, attachment.file_id)
    note = note.strip() or f"From the conversation “{outbox.clip(thread.subject, 400)}”"
    return mockups.version_from_file(session, actor, thread.job_id, row, note, field="attachment")
