"""Email notices: at most one per thread per side every 10 minutes, about the other side's newest
unread message; `notice_batch` and `send_due_notices` send those the window held back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, true
from sqlmodel import Session, func, select

from kontrol_app.models import Customer, CustomerContact, EmailKind, Job, Message, MessageThread, ThreadRead
from kontrol_app.services import notifications, outbox
from kontrol_app.services.messages.limits import CLIENT, NOTICE_EVERY, SHOP, STAFF_PATH
from kontrol_app.services.messages.locking import _lock_thread
from kontrol_app.services.portal_links import portal_url
from kontrol_app.settings import get_settings


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
