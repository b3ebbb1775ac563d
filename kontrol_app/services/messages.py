"""Messages: threaded conversations between the shop and a customer's contacts (issue 10).

A thread belongs to one customer and is about one of its jobs or general (a subject). Messages
are plain text, stored as typed (never HTML); `linkify` splits a text into plain and http(s)
link segments for the UI to render safely. Attachments go through the private files service.

Unread state: the staff share one read mark per thread (`staff_read_message_id`, with the
indexed `staff_unread` kept in step); each contact has their own (`ThreadRead`). Only the other
side's messages count as unread: the shop's for a contact, the client's for the staff. Writing
in a thread marks it read for the writer.

Email notices: a client's message notifies the shop (the bell and the shop's email, through
notifications.notify); a staff message emails each contact who has not read it. At most one
notice per thread per side every 10 minutes; a message that arrived inside that window and is
still unread when it ends gets its notice from `send_due_notices` (run by the background loop);
nothing is sent for a message already read.

Client-side functions take the viewer (customer_id and contact_id from the signed-in session,
never from the browser) and answer "not found" for any other customer's thread, message or file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import Row, Select, and_, bindparam, exists, or_, true, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, func, select

from kontrol_app.db import compiled_once
from kontrol_app.models import (
    Customer,
    CustomerContact,
    EmailKind,
    Job,
    Message,
    MessageAttachment,
    MessageThread,
    StoredFile,
    ThreadRead,
    utcnow,
)
from kontrol_app.services import files, mockups, notifications, outbox
from kontrol_app.services.clock import shop_time
from kontrol_app.services.errors import InvalidInput, NotAllowed, NotFound, ServiceError
from kontrol_app.services.paging import page_window
from kontrol_app.services.portal_links import portal_url
from kontrol_app.services.search import contains
from kontrol_app.services.shop import TIMEZONE_QUERY, shop_timezone
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.stamps import stamp
from kontrol_app.services.validation import browser_int, clean_text
from kontrol_app.settings import get_settings

SHOP, CLIENT = "shop", "client"
MAX_BODY = 10_000
MAX_SUBJECT = MessageThread.__table__.c.subject.type.length
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 25 * files.MB
ALLOWED = files.ARTWORK  # PNG, JPEG, WebP, PDF (previewed); AI, EPS, SVG, PSD, ZIP (download only)
PREVIEWABLE = files.IMAGES_AND_PDF
PROMOTABLE = files.IMAGES_AND_PDF  # what services/mockups accepts
NOTICE_EVERY = timedelta(minutes=10)
PAGE_SIZE = 25
MESSAGES_SHOWN = 50  # an open thread shows the newest 50; "Load earlier" pages back
SNIPPET = 140
FIELD_BODY, FIELD_SUBJECT, FIELD_FILES = "body", "subject", "attachments"
NOT_IN_PORTAL = "That conversation is not in your portal."
NO_THREAD = "That conversation does not exist."
JOB_NOT_IN_PORTAL = "That job is not in your portal."
STAFF_PATH = "/messages"


class Viewer(Protocol):
    """The signed-in portal viewer (portal_view.PortalViewer or portal_auth.PortalPrincipal):
    `contact_id` is None when staff preview the portal (read only, nothing marked read)."""

    customer_id: int
    contact_id: int | None
    name: str


# --- plain text and links ---------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A piece of a message: plain text (`url` == "") or an http(s) link whose text is `text`."""

    text: str
    url: str = ""


_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\")]}"


def _safe_url(candidate: str) -> bool:
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def linkify(text: str) -> list[Segment]:
    """Plain-text and link segments, in order; joined, their texts give `text` back. Only whole
    http(s) addresses become links: `javascript:`, `data:` and every other scheme stay text."""
    text = text or ""
    if "://" not in text:  # no address at all (most messages): skip the search
        return [Segment(text)] if text else []
    segments: list[Segment] = []
    plain_from = 0
    for match in _URL.finditer(text):
        url = match.group(0)
        # "see https://x.com/a." -> the full stop is the sentence's; a ")" only when unbalanced.
        while url and url[-1] in _TRAILING and not (url[-1] == ")" and url.count("(") >= url.count(")")):
            url = url[:-1]
        if not _safe_url(url):
            continue
        start = match.start()
        if start > plain_from:
            segments.append(Segment(text[plain_from:start]))
        segments.append(Segment(url, url))
        plain_from = start + len(url)
    if plain_from < len(text):
        segments.append(Segment(text[plain_from:]))
    return segments


def clean_body(body: str) -> str:
    """The message as typed, trimmed; required, at most 10,000 characters. Never HTML: the
    text is stored and shown as text. (NUL is dropped: PostgreSQL text cannot hold it.)"""
    text = (body or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if not text:
        raise InvalidInput("Write a message.", FIELD_BODY)
    if len(text) > MAX_BODY:
        raise InvalidInput(f"Keep the message under {MAX_BODY:,} characters (it has {len(text):,}).", FIELD_BODY)
    return text


def _clean_subject(subject: str, *, required: bool) -> str:
    return clean_text(subject, field=FIELD_SUBJECT, label="a subject", max_length=MAX_SUBJECT, required=required)


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


@dataclass(frozen=True)
class AttachmentView:
    id: int  # the MessageAttachment id (promote_to_mockup takes it)
    file_id: int
    name: str
    file_type: str  # png, jpeg, webp, pdf, ai, eps, svg, psd, zip
    label: str  # "PNG", "PDF", ...
    size: int
    url: str  # the private files route
    download_url: str
    previewable: bool  # PNG, JPEG, WebP, PDF: may show inline; everything else only downloads
    image: bool  # PNG, JPEG, WebP: an <img> may show it
    promotable: bool  # may become a mockup version (staff, a thread about a job)


@dataclass(frozen=True)
class MessageView:
    id: int
    side: str  # shop, client
    sender_name: str
    body: str  # as typed: render as text, never as HTML
    segments: tuple[Segment, ...]  # linkify(body)
    when: str  # shop time, e.g. "Apr 3, 2026 10:14 AM"
    attachments: tuple[AttachmentView, ...]
    mine: bool  # written by the viewer's side


@dataclass(frozen=True)
class ThreadSummary:
    id: int
    customer_id: int
    customer_name: str
    job_id: int | None
    job_title: str
    subject: str
    closed: bool
    last_when: str  # shop time of the newest message
    last_sender: str
    snippet: str  # the newest message, clipped, one line
    unread: int  # messages from the other side not yet read (by the staff, or by this contact)


@dataclass(frozen=True)
class ThreadPage:
    threads: list[ThreadSummary]
    total: int
    page: int
    pages: int
    unread_total: int  # the badge: unread messages over every thread this reader sees
    stamp: str = ""  # the staff's list: `staff_stamp` as it was read with the page


@dataclass(frozen=True)
class ThreadView:
    id: int
    customer_id: int
    customer_name: str
    job_id: int | None
    job_title: str
    subject: str
    closed: bool
    closed_when: str
    messages: list[MessageView]  # oldest first
    has_earlier: bool  # older messages exist before messages[0] ("Load earlier")
    newest_id: int


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
        file_type = files.TYPES.get(row.file_type)
        previewable = bool(row.inline and file_type is not None and file_type.inline and row.file_type in PREVIEWABLE)
        views.setdefault(row.message_id, []).append(
            AttachmentView(
                id=row.attachment_id,
                file_id=row.id,
                name=row.original_name,
                file_type=row.file_type,
                label=file_type.label if file_type else row.file_type.upper(),
                size=row.size,
                url=files.url_for(row),
                download_url=files.url_for(row, download=True),
                previewable=previewable,
                image=previewable and row.file_type in files.IMAGES,
                promotable=promotable and row.file_type in PROMOTABLE,
            )
        )
    return views


def _message_views(session: Session, messages: Sequence[tuple], side: str, timezone: str, *, promotable: bool) -> list[MessageView]:
    """`messages`: `_MESSAGE_COLUMNS` rows (or `_columns` of a Message), unpacked once each: a
    Row's attribute costs about a microsecond, and a thread shows 50 messages. Attachments are
    read for the messages that have files, or whose `has_files` is not known (None)."""
    with_files = [m[0] for m in messages if m[5] is None or m[5]]
    attachments = _attachment_views(session, with_files, promotable=promotable)
    views = []
    for message_id, sent_by, sender_name, body, created_at, _has_files in messages:
        views.append(MessageView(
            id=message_id,
            side=sent_by,
            sender_name=sender_name,
            body=body,
            segments=tuple(linkify(body)),
            when=shop_time(created_at, timezone),
            attachments=tuple(attachments.get(message_id, ())),
            mine=sent_by == side,
        ))
    return views


def _columns(message: Message) -> tuple:
    """A Message as a `_MESSAGE_COLUMNS` row (whether it has files: not known)."""
    return message.id, message.side, message.sender_name, message.body, message.created_at, None


def _snippet(body: str) -> str:
    return outbox.clip(" ".join(body.split()), SNIPPET)


# What a thread list shows of each thread, in the order of `_summary`.
_LISTED = (
    MessageThread.id, MessageThread.customer_id, MessageThread.job_id, MessageThread.subject, MessageThread.closed_at,
    MessageThread.last_message_at, MessageThread.staff_unread, MessageThread.staff_unread_count,
)


def _thread_list(conditions: Sequence[Any], newest_first: Sequence[str]) -> Select:
    """A page of threads (bind `offset` and `limit`) in one Core statement, each with its
    customer, job and newest message. The page is ordered and cut first, in a subquery, so the
    joins and the newest message are read for its rows only; `newest_first`: the columns it is
    sorted by, descending (the outer query sorts the page's rows again: SQL keeps no order
    through a subquery)."""
    listed = (
        sa_select(*_LISTED)
        .where(*conditions)
        .order_by(*(getattr(MessageThread, name).desc() for name in newest_first))
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
        .subquery("listed")
    )
    newest = sa_select(func.max(Message.id)).where(Message.thread_id == listed.c.id).correlate(listed).scalar_subquery()
    return (
        sa_select(listed, Customer.name, Job.title, Message.sender_name, Message.body)
        .join(Customer, Customer.id == listed.c.customer_id)
        .outerjoin(Job, Job.id == listed.c.job_id)
        .outerjoin(Message, Message.id == newest)
        .order_by(*(listed.c[name].desc() for name in newest_first))
    )


def _summary(row: Sequence[Any], unread: int, timezone: str | None) -> ThreadSummary:
    id_, customer_id, job_id, subject, closed_at, last_message_at, _, _, customer_name, job_title, sender, body = row
    return ThreadSummary(
        id=id_,
        customer_id=customer_id,
        customer_name=customer_name,
        job_id=job_id,
        job_title=job_title or "",
        subject=subject,
        closed=closed_at is not None,
        last_when=shop_time(last_message_at, timezone),
        last_sender=sender or "",
        snippet=_snippet(body) if body is not None else "",
        unread=unread,
    )


# Built once (Core): the thread with what its page shows beside the messages (customer, job,
# the shop's timezone) and one contact's read mark (contact 0: none), in one statement.
_THREAD_QUERY = compiled_once(
    sa_select(
        MessageThread.id, MessageThread.customer_id, MessageThread.job_id, MessageThread.subject, MessageThread.closed_at,
        MessageThread.staff_unread, MessageThread.staff_read_message_id, Customer.name.label("customer_name"), Job.title.label("job_title"),
        func.coalesce(ThreadRead.last_read_message_id, 0).label("read_mark"),
        TIMEZONE_QUERY.scalar_subquery().label("timezone"),
    )
    .join(Customer, Customer.id == MessageThread.customer_id)
    .outerjoin(Job, Job.id == MessageThread.job_id)
    .outerjoin(ThreadRead, and_(ThreadRead.thread_id == MessageThread.id, ThreadRead.contact_id == bindparam("contact_id")))
    .where(MessageThread.id == bindparam("thread_id"))
)
# Whether a message has files comes with it: most have none, and then no attachments query runs.
_HAS_FILES = exists().where(MessageAttachment.message_id == Message.id).label("has_files")
_MESSAGE_COLUMNS = (Message.id, Message.side, Message.sender_name, Message.body, Message.created_at, _HAS_FILES)
_NEWEST_MESSAGES = compiled_once(
    sa_select(*_MESSAGE_COLUMNS).where(Message.thread_id == bindparam("thread_id")).order_by(Message.id.desc()).limit(bindparam("limit"))
)
_EARLIER_MESSAGES = (
    sa_select(*_MESSAGE_COLUMNS)
    .where(Message.thread_id == bindparam("thread_id"), Message.id < bindparam("before_id"))
    .order_by(Message.id.desc())
    .limit(bindparam("limit"))
)
_NEWEST_ID = sa_select(func.max(Message.id)).where(Message.thread_id == bindparam("thread_id"))


def _thread_row(session: Session, thread_id: Any, contact_id: int | None = None, query: Select = _THREAD_QUERY) -> Row | None:
    if not isinstance(thread_id, int) or isinstance(thread_id, bool):
        return None
    return session.connection().execute(query, {"thread_id": thread_id, "contact_id": contact_id or 0}).first()


def _thread_view(session: Session, thread: Row, side: str, *, before_id: int | None, limit: int, promotable: bool) -> ThreadView:
    """`thread` is a `_THREAD_QUERY` row."""
    limit = max(1, min(int(limit), 200))
    connection = session.connection()
    if before_id is None:
        newest_first = connection.execute(_NEWEST_MESSAGES, {"thread_id": thread.id, "limit": limit + 1}).all()
    else:
        params = {"thread_id": thread.id, "before_id": int(before_id), "limit": limit + 1}
        newest_first = connection.execute(_EARLIER_MESSAGES, params).all()
    has_earlier = len(newest_first) > limit
    messages = [tuple(row) for row in reversed(newest_first[:limit])]  # _MESSAGE_COLUMNS, unpacked
    timezone = thread.timezone
    if before_id is None:  # the newest page: its last message is the newest
        newest_id = messages[-1][0] if messages else 0
    else:
        newest_id = connection.execute(_NEWEST_ID, {"thread_id": thread.id}).scalar() or 0
    return ThreadView(
        id=thread.id,
        customer_id=thread.customer_id,
        customer_name=thread.customer_name or "",
        job_id=thread.job_id,
        job_title=thread.job_title or "",
        subject=thread.subject,
        closed=thread.closed_at is not None,
        closed_when=shop_time(thread.closed_at, timezone),
        messages=_message_views(session, messages, side, timezone, promotable=promotable and thread.job_id is not None),
        has_earlier=has_earlier,
        newest_id=newest_id,
    )


# --- looking rows up --------------------------------------------------------------------------


def _lock_thread(session: Session, thread_id: int) -> MessageThread | None:
    """The thread's row, locked until the commit (PostgreSQL; SQLite's writers take turns), so
    posts, read marks and notices of one thread happen one after the other."""
    if not isinstance(thread_id, int) or isinstance(thread_id, bool):
        return None
    return session.exec(select(MessageThread).where(MessageThread.id == thread_id).with_for_update().execution_options(populate_existing=True)).first()


def _staff_thread(session: Session, thread_id: int) -> MessageThread:
    """The thread, locked for a change."""
    thread = _lock_thread(session, thread_id)
    if thread is None:
        raise NotFound(NO_THREAD)
    return thread


def _client_thread(session: Session, viewer: Viewer, thread_id: int) -> MessageThread:
    """One of the viewer's customer's threads, locked for a change."""
    thread = _lock_thread(session, thread_id)
    if thread is None or thread.customer_id != viewer.customer_id:
        raise NotFound(NOT_IN_PORTAL)
    return thread


def _writing_contact(session: Session, viewer: Viewer) -> CustomerContact:
    if viewer.contact_id is None:
        raise NotAllowed("Preview can read messages, not write them.")
    contact = session.get(CustomerContact, viewer.contact_id)
    if contact is None or contact.customer_id != viewer.customer_id:
        raise NotFound(NOT_IN_PORTAL)
    return contact


def _contact_name(contact: CustomerContact, customer: Customer) -> str:
    return outbox.clip(contact.name or contact.email or customer.name, 120)


# --- writing ----------------------------------------------------------------------------------


def _post(
    session: Session,
    thread: MessageThread,
    side: str,
    body: str,
    uploads: Sequence[Upload],
    now: datetime,
    *,
    staff: StaffPrincipal | None = None,
    contact: CustomerContact | None = None,
    sender_name: str,
) -> Message:
    """Add a message to a locked thread. The body and every file are checked before anything
    is written; a refusal raises (the caller rolls back)."""
    try:
        body = clean_body(body)
    except InvalidInput:
        _discard(uploads)
        raise
    stored = _store_attachments(
        session,
        list(uploads),
        thread.customer_id,
        staff_id=staff.id if staff else None,
        contact_id=contact.id if contact else None,
    )
    message = Message(
        thread_id=thread.id,
        side=side,
        staff_user_id=staff.id if staff else None,
        contact_id=contact.id if contact else None,
        sender_name=sender_name,
        body=body,
        created_at=now,
    )
    session.add(message)
    session.flush()
    for position, row in enumerate(stored):
        session.add(MessageAttachment(message_id=message.id, file_id=row.id, position=position))
    thread.last_message_at = now
    if side == CLIENT:
        thread.last_client_message_id = message.id
        thread.closed_at = None  # a client writing reopens a closed thread
        thread.staff_unread = message.id > thread.staff_read_message_id
        thread.staff_unread_count = thread.staff_unread_count + 1 if thread.staff_unread else 0
    else:
        thread.last_shop_message_id = message.id
        # Replying is reading: the staff have the thread in front of them.
        thread.staff_read_message_id = message.id
        thread.staff_unread, thread.staff_unread_count = False, 0
    session.add(thread)
    session.flush()
    if contact is not None:
        _mark_contact_read(session, thread.id, contact.id, message.id)
    _notice(session, thread, SHOP if side == CLIENT else CLIENT, now)
    return message


def _new_thread(session: Session, customer_id: int, job: Job | None, subject: str, side: str, now: datetime) -> MessageThread:
    thread = MessageThread(
        customer_id=customer_id,
        job_id=job.id if job else None,
        subject=subject or (job.title if job else ""),
        created_by_side=side,
        created_at=now,
        last_message_at=now,
    )
    session.add(thread)
    session.flush()
    return thread


def start_thread_staff(
    session: Session,
    actor: StaffPrincipal,
    customer_id: int,
    body: str,
    *,
    job_id: int | None = None,
    subject: str = "",
    attachments: Sequence[Upload] = (),
    now: datetime | None = None,
) -> int:
    """A new thread with a customer (about one of its jobs, or general with a subject) and its
    first message; the customer's contacts are emailed. Returns the thread's id."""
    try:
        customer = session.get(Customer, customer_id) if isinstance(customer_id, int) else None
        if customer is None:
            raise NotFound("That customer does not exist.")
        job = None
        if job_id is not None:
            job = session.get(Job, job_id) if isinstance(job_id, int) else None
            if job is None or job.customer_id != customer.id:
                raise NotFound("That job is not one of this customer's.")
        subject = _clean_subject(subject, required=job is None)
        clean_body(body)  # refuse a bad body before the thread exists
    except Exception:
        _discard(attachments)
        raise
    now = now or utcnow()
    thread = _new_thread(session, customer.id, job, subject, SHOP, now)
    _post(session, thread, SHOP, body, attachments, now, staff=actor, sender_name=actor.name)
    return thread.id


def post_staff(
    session: Session,
    actor: StaffPrincipal,
    thread_id: int,
    body: str,
    *,
    attachments: Sequence[Upload] = (),
    now: datetime | None = None,
) -> MessageView:
    """A staff reply (also in a closed thread, which stays closed)."""
    try:
        thread = _staff_thread(session, thread_id)
    except NotFound:
        _discard(attachments)
        raise
    message = _post(session, thread, SHOP, body, attachments, now or utcnow(), staff=actor, sender_name=actor.name)
    return _message_views(session, [_columns(message)], SHOP, shop_timezone(session), promotable=thread.job_id is not None)[0]


def start_thread_client(
    session: Session,
    viewer: Viewer,
    body: str,
    *,
    job_id: int | None = None,
    subject: str = "",
    attachments: Sequence[Upload] = (),
    now: datetime | None = None,
) -> int:
    """A client's new thread: about one of their own jobs, or general with a subject. The shop
    is notified. Returns the thread's id."""
    try:
        contact = _writing_contact(session, viewer)
        customer = session.get(Customer, viewer.customer_id)
        job = None
        if job_id is not None:
            job = session.get(Job, job_id) if isinstance(job_id, int) else None
            if job is None or job.customer_id != viewer.customer_id:
                raise NotFound(JOB_NOT_IN_PORTAL)
        subject = _clean_subject(subject, required=job is None)
        clean_body(body)
    except Exception:
        _discard(attachments)
        raise
    now = now or utcnow()
    thread = _new_thread(session, viewer.customer_id, job, subject, CLIENT, now)
    _post(session, thread, CLIENT, body, attachments, now, contact=contact, sender_name=_contact_name(contact, customer))
    return thread.id


def post_client(
    session: Session,
    viewer: Viewer,
    thread_id: int,
    body: str,
    *,
    attachments: Sequence[Upload] = (),
    now: datetime | None = None,
) -> MessageView:
    """A client's message in one of their customer's threads; reopens a closed thread."""
    try:
        contact = _writing_contact(session, viewer)
        thread = _client_thread(session, viewer, thread_id)
    except Exception:
        _discard(attachments)
        raise
    customer = session.get(Customer, viewer.customer_id)
    message = _post(session, thread, CLIENT, body, attachments, now or utcnow(), contact=contact, sender_name=_contact_name(contact, customer))
    return _message_views(session, [_columns(message)], CLIENT, shop_timezone(session), promotable=False)[0]


def close_thread(session: Session, actor: StaffPrincipal, thread_id: int, *, now: datetime | None = None) -> None:
    """Staff close a thread; the client reopens it by writing (staff by `reopen_thread`)."""
    thread = _staff_thread(session, thread_id)
    if thread.closed_at is None:
        thread.closed_at = now or utcnow()
        session.add(thread)
        session.flush()


def reopen_thread(session: Session, actor: StaffPrincipal, thread_id: int) -> None:
    thread = _staff_thread(session, thread_id)
    if thread.closed_at is not None:
        thread.closed_at = None
        session.add(thread)
        session.flush()


# --- read marks -------------------------------------------------------------------------------


def _mark_staff_read(session: Session, thread_id: int, up_to: int) -> bool:
    """The shared staff mark moves forward only (one conditional UPDATE: two tabs can't move it
    back); whether it moved."""
    moved = session.exec(
        update(MessageThread)
        .where(MessageThread.id == thread_id, MessageThread.staff_read_message_id < up_to)
        .values(
            staff_read_message_id=up_to,
            staff_unread=MessageThread.last_client_message_id > up_to,
            staff_unread_count=sa_select(func.count(Message.id))
            .where(Message.thread_id == MessageThread.id, Message.side == CLIENT, Message.id > up_to)
            .scalar_subquery(),
        )
    )
    return moved.rowcount > 0


def _contact_mark_upsert(dialect: str):
    """INSERT ... ON CONFLICT that keeps the higher mark, built once per dialect."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = ThreadRead.__table__
    statement = insert(table).values(
        thread_id=bindparam("thread_id"), contact_id=bindparam("contact_id"), last_read_message_id=bindparam("up_to")
    )
    return statement.on_conflict_do_update(
        index_elements=[table.c.thread_id, table.c.contact_id],
        set_={"last_read_message_id": statement.excluded.last_read_message_id},
        where=table.c.last_read_message_id < statement.excluded.last_read_message_id,
    )


_CONTACT_MARK = {dialect: _contact_mark_upsert(dialect) for dialect in ("postgresql", "sqlite")}


def _mark_contact_read(session: Session, thread_id: int, contact_id: int, up_to: int) -> None:
    """This contact's mark moves forward only: one INSERT ... ON CONFLICT keeps the higher one."""
    statement = _CONTACT_MARK[session.get_bind().dialect.name]
    session.connection().execute(statement, {"thread_id": thread_id, "contact_id": contact_id, "up_to": up_to})


# --- reading ----------------------------------------------------------------------------------


def _staff_view(session: Session, thread_id: int, before_id: int | None, limit: int) -> tuple[ThreadView, Row | None]:
    """A thread's messages for the staff, and its row when showing them moves the staff's read
    mark (messages the staff have not read; else None: opening it only reads)."""
    thread = _thread_row(session, thread_id)
    if thread is None:
        raise NotFound(NO_THREAD)
    view = _thread_view(session, thread, SHOP, before_id=before_id, limit=limit, promotable=True)
    moves = before_id is None and view.messages and view.messages[-1].id > thread.staff_read_message_id
    return view, thread if moves else None


def open_thread_staff(
    session: Session,
    actor: StaffPrincipal,
    thread_id: int,
    *,
    before_id: int | None = None,
    limit: int = MESSAGES_SHOWN,
) -> ThreadView:
    """The newest `limit` messages (oldest first), or those before `before_id` ("Load earlier").
    Opening the newest page marks the thread read for the whole team."""
    view, to_mark = _staff_view(session, thread_id, before_id, limit)
    if to_mark is not None:
        _mark_staff_read(session, view.id, view.newest_id)
    return view


def peek_thread_staff(session: Session, actor: StaffPrincipal, thread_id: int) -> tuple[ThreadView, bool]:
    """`open_thread_staff` in two steps, for a page that shares reads between its tabs: this one
    only reads (the same for every staff member) and says whether the view holds messages the
    staff have not read; then `mark_read_staff(view.id, view.newest_id)` marks them."""
    view, to_mark = _staff_view(session, thread_id, None, MESSAGES_SHOWN)
    return view, to_mark is not None


def mark_read_staff(session: Session, actor: StaffPrincipal, thread_id: int, up_to: int) -> bool:
    """Mark a thread read for the whole team up to message `up_to` (the newest one a peek
    showed: one written since stays unread); whether that changed anything (the list, the badge)."""
    return _mark_staff_read(session, thread_id, up_to)


def _client_view(
    session: Session, viewer: Viewer, thread_id: int, *, before_id: int | None, limit: int, query: Select = _THREAD_QUERY
) -> tuple[ThreadView, int, Row]:
    """One of the viewer's customer's threads, how far showing it moves this contact's read
    mark (0: nothing new, an earlier page, or a staff Preview, which marks nothing), and the
    thread's `query` row."""
    thread = _thread_row(session, thread_id, viewer.contact_id, query)
    if thread is None or thread.customer_id != viewer.customer_id:
        raise NotFound(NOT_IN_PORTAL)
    view = _thread_view(session, thread, CLIENT, before_id=before_id, limit=limit, promotable=False)
    newest = view.messages[-1].id if before_id is None and view.messages else 0
    # The viewer's contact was checked with its session (the guard's one query).
    return view, newest if viewer.contact_id is not None and newest > thread.read_mark else 0, thread


def open_thread_client(session: Session, viewer: Viewer, thread_id: int, *, before_id: int | None = None, limit: int = MESSAGES_SHOWN) -> ThreadView:
    """As `open_thread_staff`, for one of the viewer's customer's threads; marks it read for this
    contact only (a staff Preview marks nothing)."""
    view, read_up_to, _ = _client_view(session, viewer, thread_id, before_id=before_id, limit=limit)
    mark_read_client(session, viewer, view.id, read_up_to)
    return view


def mark_read_client(session: Session, viewer: Viewer, thread_id: int, up_to: int) -> None:
    """Move this contact's mark in a thread `_client_view` showed (0: nothing to move)."""
    if up_to and viewer.contact_id is not None:
        _mark_contact_read(session, thread_id, viewer.contact_id, up_to)


@dataclass(frozen=True)
class ClientOpening:
    """A thread opened in the portal, with the contact's unread total once it is marked read
    (the badge) and the mark to write (`read_up_to`, 0: none); or why it did not open
    (`refusal`; both empty for an id that is not a number)."""

    view: ThreadView | None
    unread_total: int
    refusal: str
    read_up_to: int = 0


def client_opening(session: Session, viewer: Viewer, thread_id: Any) -> ClientOpening:
    """Open one of the viewer's threads, read in the same trip as the session re-check: it only
    reads, and the caller marks it read afterwards (`mark_read_client`) when `read_up_to` says
    so. `thread_id` is whatever the browser sent."""
    thread_id = browser_int(thread_id)
    if thread_id is None:
        return ClientOpening(None, 0, "")
    try:
        view, read_up_to, thread = _client_view(session, viewer, thread_id, before_id=None, limit=MESSAGES_SHOWN, query=_OPENING_QUERY)
    except ServiceError as error:
        return ClientOpening(None, 0, error.message)
    # This thread is marked up to its newest message: what stays unread is in the others.
    return ClientOpening(view, thread.others_unread if viewer.contact_id is not None else 0, "", read_up_to)


# Built once: the badge on every staff page, a sum over an index (the count is kept per thread).
_STAFF_UNREAD_TOTAL = compiled_once(
    sa_select(func.coalesce(func.sum(MessageThread.staff_unread_count), 0)).where(MessageThread.staff_unread == true())
)


def staff_unread_total(session: Session) -> int:
    """Unread client messages over every thread, shared by the staff (the Messages badge)."""
    return session.connection().execute(_STAFF_UNREAD_TOTAL).scalar_one()


FILTERS = ("all", "unread")
_STAFF_ORDER = ("staff_unread", "last_message_at", "id")  # unread first, then newest first


def _staff_filters(unread_only: bool, by_customer: bool, by_job: bool) -> list[Any]:
    """The list's filters (binds `customer_id`, `job_id`)."""
    return (
        ([MessageThread.staff_unread == true()] if unread_only else [])
        + ([MessageThread.customer_id == bindparam("customer_id")] if by_customer else [])
        + ([MessageThread.job_id == bindparam("job_id")] if by_job else [])
    )


@cache
def _staff_list(unread_only: bool, by_customer: bool, by_job: bool) -> tuple[Select, Select]:
    """`_staff_list_of` for one set of filters without a search, built once."""
    sizes, listing = _staff_list_of(_staff_filters(unread_only, by_customer, by_job))
    return compiled_once(sizes), compiled_once(listing)


def _staff_list_of(conditions: Sequence[Any]) -> tuple[Select, Select]:
    """The staff list's two statements: the page's size with the badge, the shop's timezone
    and the stamp (one snapshot: a message written meanwhile shows at the next poll), then
    `_thread_list`."""
    # count(*), not count(id): with no filter SQLite counts the table's pages, not its rows.
    sizes = sa_select(
        sa_select(func.count()).select_from(MessageThread).where(*conditions).scalar_subquery(),
        _STAFF_UNREAD_TOTAL.scalar_subquery(),
        TIMEZONE_QUERY.scalar_subquery(),
        *_STAFF_STAMP.selected_columns,
    )
    return sizes, _thread_list(conditions, _STAFF_ORDER)


def staff_threads(
    session: Session,
    actor: StaffPrincipal,
    *,
    show: str = "all",
    customer_id: int | None = None,
    job_id: int | None = None,
    search: str = "",
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> ThreadPage:
    """Every thread, unread first then newest first; `show` "unread" or "all", one customer's
    or one job's, searched in subjects and message text; paged in SQL."""
    if show not in FILTERS:
        raise InvalidInput("Show all or unread conversations.", "show")
    filters = (show == "unread", customer_id is not None, job_id is not None)
    if search.strip():  # a text search is never the same twice: built per call
        sizes, listing = _staff_list_of(
            _staff_filters(*filters)
            + [
                or_(
                    contains(MessageThread.subject, search),
                    exists().where(Message.thread_id == MessageThread.id, contains(Message.body, search)),
                )
            ]
        )
    else:
        sizes, listing = _staff_list(*filters)
    connection = session.connection()
    params = {"customer_id": customer_id, "job_id": job_id}
    total, unread_total, timezone, *stamp = connection.execute(sizes, params).one()
    window = page_window(total, page, max(1, min(int(page_size), 100)))
    rows = connection.execute(listing, {**params, "offset": window.offset, "limit": window.limit}).all()
    return ThreadPage(
        [_summary(row, row.staff_unread_count if row.staff_unread else 0, timezone) for row in rows],
        total,
        window.page,
        window.pages,
        unread_total,
        _stamp_text(*stamp),
    )


def _client_unread_messages(thread: Any, read: Any, message: Any) -> Select:
    """The one rule for what a contact (bind `contact_id`) has not read: shop messages past
    their mark in a thread. Rows of `message` joined to `thread` and this contact's `read` mark
    (the entities, or aliases of them); the caller picks the columns and the threads."""
    mark = func.coalesce(read.last_read_message_id, 0)
    return (
        sa_select(message.id)
        .join(thread, thread.id == message.thread_id)
        .outerjoin(read, and_(read.thread_id == thread.id, read.contact_id == bindparam("contact_id")))
        .where(thread.last_shop_message_id > mark, message.side == SHOP, message.id > mark)
    )


# Built once (Core): unread shop messages per thread of one customer, for one contact.
_CLIENT_UNREAD = (
    _client_unread_messages(MessageThread, ThreadRead, Message)
    .with_only_columns(Message.thread_id, func.count(Message.id))
    .where(MessageThread.customer_id == bindparam("customer_id"))
    .group_by(Message.thread_id)
)
_other, _other_message = aliased(MessageThread), aliased(Message)
# Opening a thread in the portal: `_THREAD_QUERY` with the contact's unread shop messages in the
# customer's other threads (the badge once this one is read).
_OPENING_QUERY = compiled_once(
    _THREAD_QUERY.add_columns(
        _client_unread_messages(_other, aliased(ThreadRead), _other_message)
        .with_only_columns(func.count(_other_message.id))
        .where(_other.customer_id == MessageThread.customer_id, _other.id != MessageThread.id)
        .scalar_subquery()
        .label("others_unread")
    )
)


def _client_unread(session: Session, viewer: Viewer) -> dict[int, int]:
    """thread id -> unread shop messages, for this contact (none in a staff Preview)."""
    if viewer.contact_id is None:
        return {}
    params = {"customer_id": viewer.customer_id, "contact_id": viewer.contact_id}
    return dict(session.connection().execute(_CLIENT_UNREAD, params).all())


def client_unread_total(session: Session, viewer: Viewer) -> int:
    """Unread shop messages over the customer's threads, for this contact (the portal's badge)."""
    return sum(_client_unread(session, viewer).values())


_CLIENT_SIZE = compiled_once(
    sa_select(func.count(MessageThread.id)).where(MessageThread.customer_id == bindparam("customer_id")).add_columns(
        TIMEZONE_QUERY.scalar_subquery()
    )
)
_CLIENT_LIST = compiled_once(_thread_list([MessageThread.customer_id == bindparam("customer_id")], ("last_message_at", "id")))


def client_threads(session: Session, viewer: Viewer, *, page: int = 1, page_size: int = PAGE_SIZE) -> ThreadPage:
    """The customer's threads, newest first, each with this contact's unread count."""
    connection = session.connection()
    total, timezone = connection.execute(_CLIENT_SIZE, {"customer_id": viewer.customer_id}).one()
    window = page_window(total, page, max(1, min(int(page_size), 100)))
    rows = connection.execute(
        _CLIENT_LIST, {"customer_id": viewer.customer_id, "offset": window.offset, "limit": window.limit}
    ).all()
    unread = _client_unread(session, viewer)  # the customer's threads with something unread
    return ThreadPage(
        [_summary(row, unread.get(row.id, 0), timezone) for row in rows],
        total,
        window.page,
        window.pages,
        sum(unread.values()),
    )


# Built once: open pages ask every few seconds (Core, no ORM objects).
_STAFF_STAMP = sa_select(
    sa_select(func.max(Message.id)).scalar_subquery(),
    sa_select(func.count(MessageThread.id)).where(MessageThread.staff_unread == true()).scalar_subquery(),
)


def _stamp_text(newest: int | None, unread_threads: int) -> str:
    return f"{newest or 0}:{unread_threads}"


def staff_stamp(session: Session) -> str:
    """Changes when a message is added or a colleague reads a thread (both indexed look-ups)."""
    return _stamp_text(*session.connection().execute(_STAFF_STAMP).one())


def client_stamp_query(customer_id: Any) -> Select:
    """Changes when a message is added to one of the customer's threads, or one is started,
    closed or reopened (one table: every open portal asks every few seconds)."""
    return sa_select(
        stamp(
            func.max(MessageThread.last_client_message_id),
            func.max(MessageThread.last_shop_message_id),
            func.count(MessageThread.id),
            func.count(MessageThread.closed_at),
        )
    ).where(MessageThread.customer_id == customer_id)


_CLIENT_STAMP = client_stamp_query(bindparam("customer_id"))


def client_stamp(session: Session, viewer: Viewer) -> str:
    return session.connection().execute(_CLIENT_STAMP, {"customer_id": viewer.customer_id}).scalar_one()


# --- email notices ----------------------------------------------------------------------------


def _topic(session: Session, thread: MessageThread) -> str:
    job = session.get(Job, thread.job_id) if thread.job_id is not None else None
    return job.title if job is not None else thread.subject


def _notice(session: Session, thread: MessageThread, to_side: str, now: datetime) -> bool:
    """Email `to_side` about the newest unread message of the other side in this (locked)
    thread, unless a notice went to that side in the last 10 minutes or it has all been read."""
    last = thread.last_notice_at_shop if to_side == SHOP else thread.last_notice_at_client
    if last is not None and now - last < NOTICE_EVERY:
        return False  # send_due_notices sends it when the window ends, if still unread
    if to_side == SHOP:
        newest_id = thread.last_client_message_id
        if newest_id <= max(thread.staff_read_message_id, thread.shop_noticed_message_id):
            return False
        sent = _notice_shop(session, thread, newest_id)
        thread.last_notice_at_shop, thread.shop_noticed_message_id = now, newest_id
    else:
        newest_id = thread.last_shop_message_id
        if newest_id <= thread.client_noticed_message_id:
            return False
        sent = _notice_contacts(session, thread, newest_id)
        thread.client_noticed_message_id = newest_id
        if sent:  # a round that emailed nobody (all read, no addresses) starts no 10-minute window
            thread.last_notice_at_client = now
    session.add(thread)
    session.flush()
    return sent


def _notice_shop(session: Session, thread: MessageThread, message_id: int) -> bool:
    message = session.get(Message, message_id)
    customer = session.get(Customer, thread.customer_id)
    topic = _topic(session, thread)
    link = f"{STAFF_PATH}?thread={thread.id}"
    notifications.notify(
        session,
        kind="message",
        title=f"{message.sender_name} ({customer.name}) wrote about {topic}",
        body=message.body,
        link=link,
        job_id=thread.job_id,
        subject=f"{message.sender_name} wrote about {topic}",
        email_data={"thread_url": get_settings().base_url.rstrip("/") + link},
    )
    return True


def _notice_contacts(session: Session, thread: MessageThread, message_id: int) -> bool:
    """One email per contact with an address who has not read the message yet."""
    message = session.get(Message, message_id)
    customer = session.get(Customer, thread.customer_id)
    contacts = session.exec(
        select(CustomerContact)
        .outerjoin(ThreadRead, and_(ThreadRead.contact_id == CustomerContact.id, ThreadRead.thread_id == thread.id))
        .where(
            CustomerContact.customer_id == thread.customer_id,
            CustomerContact.email.is_not(None),
            CustomerContact.email != "",
            func.coalesce(ThreadRead.last_read_message_id, 0) < message_id,
        )
        .order_by(CustomerContact.id)
    ).all()
    data = {
        "sender_name": message.sender_name,
        "topic": _topic(session, thread),
        "message": message.body,
        "thread_url": f"{portal_url(customer)}?thread={thread.id}",
    }
    for contact in contacts:
        outbox.queue_email(session, kind=EmailKind.MESSAGE_TO_CLIENT, to=contact.email, data=data, dedupe_key=f"message:{message_id}:contact:{contact.id}")
    return bool(contacts)


NOTICE_BATCH = 100  # threads per transaction in the background loop


def notice_batch(session: Session, now: datetime, *, after_id: int = 0, limit: int | None = None) -> tuple[int, int | None]:
    """Notices held back by the 10-minute rule, for messages still unread now the window has
    passed, in up to `limit` threads with ids above `after_id`. Returns how many threads were
    noticed and the last id looked at (None: no more are due)."""
    limit = limit or NOTICE_BATCH
    due = now - NOTICE_EVERY
    shop_due = and_(
        MessageThread.staff_unread == true(),
        MessageThread.last_client_message_id > MessageThread.shop_noticed_message_id,
        or_(MessageThread.last_notice_at_shop.is_(None), MessageThread.last_notice_at_shop <= due),
    )
    client_due = and_(
        MessageThread.last_shop_message_id > MessageThread.client_noticed_message_id,
        or_(MessageThread.last_notice_at_client.is_(None), MessageThread.last_notice_at_client <= due),
    )
    query = select(MessageThread.id).where(MessageThread.id > after_id, or_(shop_due, client_due))
    ids = session.exec(query.order_by(MessageThread.id).limit(limit)).all()
    noticed = 0
    for thread_id in ids:
        thread = _lock_thread(session, thread_id)
        if thread is None:
            continue
        sent_shop = _notice(session, thread, SHOP, now)
        sent_client = _notice(session, thread, CLIENT, now)
        noticed += bool(sent_shop or sent_client)
    return noticed, ids[-1] if len(ids) == limit else None


def send_due_notices(session: Session, now: datetime) -> int:
    """Every notice due now, in this one transaction; returns how many threads were noticed.
    The background loop goes batch by batch instead (kontrol_app/background.py)."""
    noticed, after = 0, 0
    while after is not None:
        count, after = notice_batch(session, now, after_id=after)
        noticed += count
    return noticed


# --- attachments to mockups -------------------------------------------------------------------


def promote_to_mockup(session: Session, actor: StaffPrincipal, attachment_id: int, *, note: str = ""):
    """Make an attachment (PNG, JPEG, WebP or PDF) a new mockup version of the thread's job,
    through services/mockups (its preview made there). Returns the mockups.VersionView."""
    attachment = session.get(MessageAttachment, attachment_id) if isinstance(attachment_id, int) else None
    if attachment is None:
        raise NotFound("That attachment does not exist.")
    message = session.get(Message, attachment.message_id)
    thread = session.get(MessageThread, message.thread_id)
    if thread.job_id is None:
        raise NotAllowed("This conversation is not about a job: start one from the job to make a mockup from a file.")
    row = session.get(StoredFile, attachment.file_id)
    note = note.strip() or f"From the conversation “{outbox.clip(thread.subject, 400)}”"
    return mockups.version_from_file(session, actor, thread.job_id, row, note, field="attachment")


__all__ = [
    "ALLOWED",
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_BODY",
    "NOTICE_EVERY",
    "NOT_IN_PORTAL",
    "AttachmentView",
    "ClientOpening",
    "MessageView",
    "Segment",
    "ThreadPage",
    "ThreadSummary",
    "ThreadView",
    "clean_body",
    "client_stamp",
    "client_threads",
    "client_unread_total",
    "close_thread",
    "linkify",
    "open_thread_client",
    "client_opening",
    "mark_read_client",
    "mark_read_staff",
    "open_thread_staff",
    "post_client",
    "post_staff",
    "promote_to_mockup",
    "receive_attachment",
    "reopen_thread",
    "send_due_notices",
    "notice_batch",
    "staff_stamp",
    "staff_threads",
    "staff_unread_total",
    "start_thread_client",
    "start_thread_staff",
]
