"""Reading a thread: its messages page by page (the newest first shown, "Load earlier" pages
back), for the staff and in the portal, and the read marks that showing them moves (the staff's
shared one, each contact's own)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, and_, bindparam, exists, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, func

from kontrol_app.db import compiled_once
from kontrol_app.models import Customer, Job, Message, MessageAttachment, MessageThread, ThreadRead
from kontrol_app.services.clock import shop_time
from kontrol_app.services.errors import ServiceError, found
from kontrol_app.services.messages.attachments import _attachment_views
from kontrol_app.services.messages.inbox import _client_unread_messages
from kontrol_app.services.messages.limits import CLIENT, MESSAGES_SHOWN, NO_THREAD, NOT_IN_PORTAL, SHOP
from kontrol_app.services.messages.text import linkify
from kontrol_app.services.messages.views import ClientOpening, MessageView, ThreadView, Viewer
from kontrol_app.services.shop import TIMEZONE_QUERY
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.validation import browser_int

# --- views ------------------------------------------------------------------------------------


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
    thread = found(_thread_row(session, thread_id), NO_THREAD)
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
    thread = found(_thread_row(session, thread_id, viewer.contact_id, query), NOT_IN_PORTAL, customer_id=viewer.customer_id)
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
