"""Staff notifications: the bell in the staff header, and the email to the shop.

`notify` runs inside the transaction of the change it is about (a client's decision), so a
notification and its email exist exactly when that change was committed.

The events are shared by the whole team. Who has read what is one row per staff member, a
high-water mark: every notification with an id up to `last_read_id` is read. Opening the bell
moves the mark to the newest event shown, so reading never writes one row per event.
`stamp` (the newest id) lets an open page ask "anything new?" with one cheap query.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, func, select

from kontrol_app.models import EmailKind, Notification, NotificationRead
from kontrol_app.services import outbox
from kontrol_app.services.clock import shop_time
from kontrol_app.services.shop import shop_info, shop_timezone
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.settings import get_settings

KINDS = ("approved", "revisions", "declined", "payment", "payment_problem", "message", "quote_request")
BODY_MAX = Notification.__table__.c.body.type.length
TITLE_MAX = Notification.__table__.c.title.type.length
# Which email tells the shop about an event of each kind (a kind without one emails nobody).
EMAILS = {
    "approved": EmailKind.APPROVAL_DECISION,
    "revisions": EmailKind.APPROVAL_DECISION,
    "declined": EmailKind.APPROVAL_DECISION,
    "payment": EmailKind.PAYMENT_RECEIVED,
    "message": EmailKind.MESSAGE_TO_SHOP,
    "quote_request": EmailKind.QUOTE_REQUEST_RECEIVED,
}


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    title: str
    body: str
    link: str  # a staff path, e.g. "/jobs/12" ("" when there is nothing to open)
    when: str  # shop time, e.g. "Apr 3, 2026 10:14 AM"
    unread: bool


def notify(
    session: Session,
    *,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    job_id: int | None = None,
    subject: str = "",
    email_data: dict | None = None,
) -> Notification:
    """Tell the staff, in the caller's transaction: one notification for the bell and, for a
    kind that has one, an email to the shop's address (Settings -> Shop Info). `body` is
    clipped on the bell; the email carries it whole. `subject` defaults to the title;
    `email_data` adds what the kind's own template needs."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}: add it to KINDS")  # a bug, not input
    row = Notification(
        kind=kind, job_id=job_id, title=outbox.clip(title, TITLE_MAX), body=outbox.clip(body, BODY_MAX), link=link
    )
    session.add(row)
    session.flush()
    shop = shop_info(session)
    email_kind = EMAILS.get(kind)
    if email_kind is not None and shop is not None and shop.email:
        data = {"subject": subject or title, "title": title, "notes": body}
        if link:
            data["job_url"] = get_settings().base_url.rstrip("/") + link
        data.update(email_data or {})
        outbox.queue_email(session, kind=email_kind, to=shop.email, data=data, dedupe_key=f"notification:{row.id}")
    return row


def stamp(session: Session) -> int:
    """The newest notification's id (0 when there is none): changes exactly when one is added."""
    return session.exec(select(func.max(Notification.id))).one() or 0


def _last_read(session: Session, actor: StaffPrincipal) -> int:
    row = session.get(NotificationRead, actor.id)
    return row.last_read_id if row is not None else 0


def unread_count(session: Session, actor: StaffPrincipal) -> int:
    return session.exec(
        select(func.count()).select_from(Notification).where(Notification.id > _last_read(session, actor))
    ).one()


def latest(session: Session, actor: StaffPrincipal, limit: int = 8) -> list[NotificationView]:
    """The newest events, newest first, each saying whether this staff member has read it."""
    read_up_to = _last_read(session, actor)
    timezone = shop_timezone(session)
    rows = session.exec(select(Notification).order_by(Notification.id.desc()).limit(max(1, min(int(limit), 50)))).all()
    return [
        NotificationView(row.id, row.kind, row.title, row.body, row.link, shop_time(row.created_at, timezone), row.id > read_up_to)
        for row in rows
    ]


@dataclass(frozen=True)
class Bell:
    """What the bell shows, read at one moment."""

    stamp: int
    unread: int
    latest: list[NotificationView]


def bell(session: Session, actor: StaffPrincipal, limit: int = 8) -> Bell:
    return Bell(stamp(session), unread_count(session, actor), latest(session, actor, limit))


def mark_read(session: Session, actor: StaffPrincipal, up_to: int | None = None) -> int:
    """Everything up to `up_to` (the newest event shown; default: the newest there is) is read
    by `actor`. The mark only moves forward, also when two tabs of the same person race: one
    INSERT ... ON CONFLICT keeps the higher mark. Returns the mark."""
    newest = stamp(session)
    mark = newest if up_to is None else max(0, min(int(up_to), newest))
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = NotificationRead.__table__
    statement = insert(table).values(staff_user_id=actor.id, last_read_id=mark)
    session.exec(
        statement.on_conflict_do_update(
            index_elements=[table.c.staff_user_id],
            set_={"last_read_id": statement.excluded.last_read_id},
            where=table.c.last_read_id < statement.excluded.last_read_id,
        )
    )
    session.expire_all()
    return _last_read(session, actor)
