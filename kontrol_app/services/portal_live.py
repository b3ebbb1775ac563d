"""What an open portal asks every few seconds: one stamp per part of the page (orders,
invoices, messages, quote requests), each changing whenever that part's data does. The portal
reloads only the parts whose stamp moved. The poll sends the stamps and the session re-check
as one statement (four indexed aggregates as scalar subqueries), so a poll that finds nothing
new is one trip to the database and sends nothing back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session

from kontrol_app.db import compiled_once
from kontrol_app.models import Customer, Invoice, Job, QuoteRequest
from kontrol_app.services import messages, portal_view
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.services.stamps import customer_rows_stamp

ORDERS, INVOICES, MESSAGES, QUOTES = "orders", "invoices", "messages", "quotes"
_PARTS = (ORDERS, INVOICES, MESSAGES, QUOTES)


def _stamp_columns(customer_id: Any) -> list:
    """Jobs, invoices and quote requests change their `updated_at` on every change (a request
    is made, quoted, converted or declined); a thread has its own stamp."""
    return [
        query.scalar_subquery()
        for query in (
            customer_rows_stamp(Job, customer_id),
            customer_rows_stamp(Invoice, customer_id),
            messages.client_stamp_query(customer_id),
            customer_rows_stamp(QuoteRequest, customer_id),
        )
    ]


# Built once: the stamps of one customer, and the re-check with the stamps of its link's customer.
_STAMPS = sa_select(*_stamp_columns(bindparam("customer_id")))
_POLL = compiled_once(portal_view.VIEWER_QUERY.add_columns(*_stamp_columns(Customer.id)))


def stamps(session: Session, viewer: PortalViewer) -> dict[str, str]:
    return dict(zip(_PARTS, session.connection().execute(_STAMPS, {"customer_id": viewer.customer_id}).one(), strict=True))


def poll_check(
    session: Session, link: str, client_token: str | None, staff_token: str | None, want_preview: bool
) -> tuple[PortalViewer | None, dict[str, str] | None]:
    """The poll's re-check (as `portal_view.viewer_for`) and, for a viewer, the stamps."""
    viewer, found = portal_view.viewer_with(session, _POLL, link, client_token, staff_token, want_preview)
    return viewer, (dict(zip(_PARTS, found, strict=True)) if viewer is not None else None)
