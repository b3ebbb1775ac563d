"""Writing: starting a thread and posting in one, for the staff and for a client (the body and
files checked first, the writer's read mark moved, the other side noticed); closing and
reopening a thread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from kontrol_app.models import Customer, CustomerContact, Job, Message, MessageAttachment, MessageThread, utcnow
from kontrol_app.services import outbox
from kontrol_app.services.errors import Checks, find
from kontrol_app.services.messages.attachments import Upload, _discarded_if_refused, _store_attachments
from kontrol_app.services.messages.limits import CLIENT, JOB_NOT_IN_PORTAL, SHOP
from kontrol_app.services.messages.locking import _client_thread, _staff_thread
from kontrol_app.services.messages.notices import _notice
from kontrol_app.services.messages.reading import _columns, _mark_contact_read, _message_views
from kontrol_app.services.messages.text import _clean_subject, clean_body
from kontrol_app.services.messages.views import MessageView, Viewer
from kontrol_app.services.portal_view import writing_contact
from kontrol_app.services.shop import shop_timezone
from kontrol_app.services.staff import StaffPrincipal


def _writing_contact(session: Session, viewer: Viewer) -> CustomerContact:
    return writing_contact(session, viewer, "Preview can read messages, not write them.")


def _subject_and_body(subject: str, body: str, *, required: bool) -> str:
    """A new thread's subject (cleaned) and body, both judged before either is refused."""
    checks = Checks()
    subject = checks(_clean_subject, subject, required=required)
    checks(clean_body, body)
    checks.done()
    return subject


def _contact_name(contact: CustomerContact, customer: Customer) -> str:
    return outbox.clip(contact.name or contact.email or customer.name, 120)


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
    with _discarded_if_refused(uploads):
        body = clean_body(body)
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
    with _discarded_if_refused(attachments):
        customer = find(session, Customer, customer_id, "That customer does not exist.")
        job = None
        if job_id is not None:
            job = find(session, Job, job_id, "That job is not one of this customer's.", customer_id=customer.id)
        subject = _subject_and_body(subject, body, required=job is None)  # before the thread exists
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
    with _discarded_if_refused(attachments):
        thread = _staff_thread(session, thread_id)
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
    with _discarded_if_refused(attachments):
        contact = _writing_contact(session, viewer)
        customer = session.get(Customer, viewer.customer_id)
        job = None
        if job_id is not None:
            job = find(session, Job, job_id, JOB_NOT_IN_PORTAL, customer_id=viewer.customer_id)
        subject = _subject_and_body(subject, body, required=job is None)
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
    with _discarded_if_refused(attachments):
        contact = _writing_contact(session, viewer)
        thread = _client_thread(session, viewer, thread_id)
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
