"""The inbox: the thread lists (the staff's, filtered and searched, and a customer's in the
portal), the unread counts behind the badges, and the stamps that open pages poll to see that
something changed."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, or_, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, func

from kontrol_app.db import compiled_once
from kontrol_app.models import Customer, Job, Message, MessageThread, ThreadRead
from kontrol_app.services import outbox
from kontrol_app.services.clock import shop_time
from kontrol_app.services.errors import InvalidInput
from kontrol_app.services.messages.limits import PAGE_SIZE, SHOP, SNIPPET
from kontrol_app.services.messages.views import ThreadPage, ThreadSummary, Viewer
from kontrol_app.services.paging import page_window
from kontrol_app.services.search import contains
from kontrol_app.services.shop import TIMEZONE_QUERY
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.stamps import stamp


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
