"""A submitted quote request read back: its one-line summary ("48 T-shirts · Screen print"), its
row in a list (status, shop time, unread by the staff), its files, and its detail with every
answer in words and the conversation the staff started with Reply."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from kontrol_app.models import QuoteRequest, QuoteRequestFile, StoredFile
from kontrol_app.services import files
from kontrol_app.services.clock import shop_time
from kontrol_app.services.quotes.choices import DECORATIONS, ITEM_TYPES, STATUS_LABELS
from kontrol_app.services.quotes.submitting import summary_lines
from kontrol_app.services.shop import get_shop

REPLY_THREAD = "reply_thread_id"  # the answers JSON's key for the staff's conversation (quotes.reply)


@dataclass(frozen=True)
class QuoteRequestRow:
    id: int
    number: str
    customer_id: int
    customer_name: str
    contact_name: str
    summary: str  # "48 T-shirts · Screen print"
    status: str
    status_label: str
    created: str  # shop time
    unread: bool  # staff have not opened it yet


def _summary(request: QuoteRequest) -> str:
    return f"{request.total_quantity} {ITEM_TYPES.get(request.item_type, 'items')} · {DECORATIONS.get(request.decoration, '')}"


def _row(request: QuoteRequest, customer_name: str, timezone: str) -> QuoteRequestRow:
    return QuoteRequestRow(
        request.id,
        request.number,
        request.customer_id,
        customer_name,
        request.contact_name,
        _summary(request),
        request.status,
        STATUS_LABELS.get(request.status, request.status),
        shop_time(request.created_at, timezone),
        request.read_by_staff_at is None,
    )


def _timezone(session: Session) -> str:
    shop = get_shop(session)
    return shop.timezone if shop else "UTC"


@dataclass(frozen=True)
class QuoteFile:
    id: int
    name: str
    file_type: str
    inline: bool
    label: str = ""  # "PNG", "PDF", ...
    size: int = 0
    url: str = ""  # the private files route
    download_url: str = ""


@dataclass(frozen=True)
class QuoteRequestDetail:
    row: QuoteRequestRow
    answers: dict[str, Any]
    lines: list[str]  # summary_lines
    files: list[QuoteFile]
    job_id: int | None
    decline_message: str
    thread_id: int | None = None  # the conversation staff started with Reply (answers["reply_thread_id"])


def _file(row: StoredFile) -> QuoteFile:
    return QuoteFile(
        row.id,
        row.original_name,
        row.file_type,
        files.shown_inline(row),
        files.type_label(row.file_type),
        row.size,
        files.url_for(row),
        files.url_for(row, download=True),
    )


def _detail(session: Session, request: QuoteRequest, customer_name: str) -> QuoteRequestDetail:
    answers = json.loads(request.answers)
    shop = get_shop(session)
    files = session.exec(
        select(StoredFile)
        .join(QuoteRequestFile, QuoteRequestFile.file_id == StoredFile.id)
        .where(QuoteRequestFile.quote_request_id == request.id)
        .order_by(QuoteRequestFile.id)
    ).all()
    return QuoteRequestDetail(
        _row(request, customer_name, shop.timezone if shop else "UTC"),
        answers,
        summary_lines(answers, shop.currency if shop else "USD"),
        [_file(f) for f in files],
        request.job_id,
        request.decline_message,
        answers.get(REPLY_THREAD) if isinstance(answers.get(REPLY_THREAD), int) else None,
    )
