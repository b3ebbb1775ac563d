"""The staff side: the Quote Requests list (unread first, searchable, paged), opening one (which
marks it read for the team), and converting it to a job, replying to the client, or declining."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, or_, update
from sqlmodel import Session, func, select

from kontrol_app.models import Customer, CustomerContact, Decoration, EmailKind, MessageThread, QuoteRequest, QuoteRequestFile, utcnow
from kontrol_app.services import job_files, messages, outbox
from kontrol_app.services.errors import Conflict, InvalidInput, NotFound, find
from kontrol_app.services.jobs import JobInput, create_job
from kontrol_app.services.paging import page_window
from kontrol_app.services.portal_links import portal_url
from kontrol_app.services.quotes.choices import ITEM_TYPES, JOB_DECORATION
from kontrol_app.services.quotes.submitted import REPLY_THREAD, QuoteRequestDetail, QuoteRequestRow, _detail, _row, _timezone
from kontrol_app.services.quotes.submitting import summary_lines
from kontrol_app.services.search import contains
from kontrol_app.services.shop import get_shop
from kontrol_app.services.staff import StaffPrincipal

PAGE_SIZE = 25
NOT_FOUND = "That quote request does not exist."


@dataclass(frozen=True)
class QuoteRequestPage:
    rows: list[QuoteRequestRow]
    total: int
    page: int
    pages: int


def _search(statement, search: str):
    text = (search or "").strip()
    if not text:
        return statement
    return statement.where(
        or_(
            contains(QuoteRequest.number, text),
            contains(Customer.name, text),
            contains(QuoteRequest.contact_name, text),
            contains(QuoteRequest.garment, text),
        )
    )


def list_requests(session: Session, actor: StaffPrincipal, search: str = "", page: int = 1, *, page_size: int = PAGE_SIZE) -> QuoteRequestPage:
    """Unread first (not yet opened by staff), then the ones still New, then newest first;
    searchable by number, customer, contact or garment; paged in SQL."""
    base = select(QuoteRequest.id).join(Customer, Customer.id == QuoteRequest.customer_id)
    total = session.exec(select(func.count()).select_from(_search(base, search).subquery())).one()
    window = page_window(total, page, page_size)
    rows = session.exec(
        _search(select(QuoteRequest, Customer.name).join(Customer, Customer.id == QuoteRequest.customer_id), search)
        .order_by(
            case((QuoteRequest.read_by_staff_at.is_(None), 0), else_=1),
            case((QuoteRequest.status == "new", 0), else_=1),
            QuoteRequest.id.desc(),
        )
        .offset(window.offset)
        .limit(window.limit)
    ).all()
    timezone = _timezone(session)
    return QuoteRequestPage([_row(r, name, timezone) for r, name in rows], total, window.page, window.pages)


def _request(session: Session, request_id: int) -> QuoteRequest:
    return find(session, QuoteRequest, request_id, NOT_FOUND)


def request_detail(session: Session, actor: StaffPrincipal, request_id: int) -> QuoteRequestDetail:
    """Every answer and the files; opening it marks it read for the team."""
    request = _request(session, request_id)
    if request.read_by_staff_at is None:
        request.read_by_staff_at = utcnow()
        session.add(request)
        session.flush()
    customer = session.get(Customer, request.customer_id)
    return _detail(session, request, customer.name if customer else "")


def unread_count(session: Session, actor: StaffPrincipal) -> int:
    return session.exec(select(func.count()).select_from(QuoteRequest).where(QuoteRequest.read_by_staff_at.is_(None))).one()


def _claim(session: Session, request_id: int, to_status: str, **values: Any) -> None:
    """Move a new or quoted request on, once: a second click (or a colleague) finds it moved."""
    moved = session.exec(
        update(QuoteRequest)
        .where(QuoteRequest.id == request_id, QuoteRequest.status.in_(("new", "quoted")))
        .values(status=to_status, updated_at=utcnow(), **values)
    ).rowcount
    if moved != 1:
        raise Conflict("This request was already converted or declined — reload to see it.")


def convert_to_job(session: Session, actor: StaffPrincipal, request_id: int) -> int:
    """A job in Quote status for the request's customer, pre-filled from the answers; the
    request is marked converted. Returns the job id."""
    request = _request(session, request_id)
    if request.status not in ("new", "quoted"):
        raise Conflict("This request was already converted or declined — reload to see it.")
    answers = json.loads(request.answers)
    shop = get_shop(session)
    notes = [f"From quote request {request.number}."] + summary_lines(answers, shop.currency if shop else "USD")
    title = f"{request.total_quantity} {ITEM_TYPES.get(request.item_type, 'items')} ({request.number})"
    job_id = create_job(
        session,
        actor,
        JobInput(
            title=title[:200],
            customer_id=request.customer_id,
            quantity=str(request.total_quantity),
            due_date=request.in_hands_date.isoformat() if request.in_hands_date else "",
            decoration=JOB_DECORATION.get(request.decoration, Decoration.OTHER),
            garment=request.garment,
            colour=request.colour,
            notes="\n".join(notes)[:5000],
        ),
    )
    _claim(session, request.id, "converted", job_id=job_id, read_by_staff_at=request.read_by_staff_at or utcnow())
    file_ids = session.exec(select(QuoteRequestFile.file_id).where(QuoteRequestFile.quote_request_id == request.id).order_by(QuoteRequestFile.id)).all()
    job_files.attach(session, job_id, file_ids, f"Quote request {request.number}")
    session.expire(request)
    return job_id


def reply(session: Session, actor: StaffPrincipal, request_id: int, body: str) -> int:
    """Write to the client about a New or Quoted request: the first reply starts a conversation
    "Quote request QR-0001" with the customer (its contacts get the usual notice and see it in
    the portal's Messages), later replies go to the same one (its id is kept in the answers
    JSON as `reply_thread_id`). A New request becomes Quoted. Returns the thread id."""
    if not isinstance(request_id, int):
        raise NotFound(NOT_FOUND)
    # Take the request's row first (an UPDATE: PostgreSQL's row lock, SQLite's write lock), so
    # two replies at the same moment queue here and the second finds the first one's thread.
    taken = session.exec(
        update(QuoteRequest)
        .where(QuoteRequest.id == request_id)
        .values(status=case((QuoteRequest.status == "new", "quoted"), else_=QuoteRequest.status))
    ).rowcount
    if taken != 1:
        raise NotFound(NOT_FOUND)
    request = session.exec(select(QuoteRequest).where(QuoteRequest.id == request_id).execution_options(populate_existing=True)).one()
    if request.status not in ("quoted",):
        raise Conflict("This request was already converted or declined — write to the client from Messages.")
    answers = json.loads(request.answers)
    thread_id = answers.get(REPLY_THREAD)
    thread = session.get(MessageThread, thread_id) if isinstance(thread_id, int) else None
    if thread is not None and thread.customer_id == request.customer_id:
        messages.post_staff(session, actor, thread.id, body)
    else:
        thread_id = messages.start_thread_staff(session, actor, request.customer_id, body, subject=f"Quote request {request.number}")
        answers[REPLY_THREAD] = thread_id
        request.answers = json.dumps(answers, separators=(",", ":"))
    request.updated_at = utcnow()
    request.read_by_staff_at = request.read_by_staff_at or utcnow()
    session.add(request)
    session.flush()
    return thread_id


def decline(session: Session, actor: StaffPrincipal, request_id: int, message: str = "") -> None:
    """Decline the request and email the contact who sent it (with the staff's message)."""
    request = _request(session, request_id)
    message = (message or "").strip()
    if len(message) > 5000:
        raise InvalidInput("Keep the message under 5,000 characters.", "message")
    _claim(session, request.id, "declined", decline_message=message, read_by_staff_at=request.read_by_staff_at or utcnow())
    session.expire(request)
    contact = session.get(CustomerContact, request.contact_id) if request.contact_id else None
    customer = session.get(Customer, request.customer_id)
    if contact is not None and contact.email and customer is not None:
        outbox.queue_email(
            session,
            kind=EmailKind.QUOTE_REQUEST_DECLINED,
            to=contact.email,
            data={
                "number": request.number,
                "contact_name": contact.name or "there",
                "message": message,
                "portal_url": portal_url(customer),
            },
            dedupe_key=f"quote_request:{request.id}:declined",
        )
