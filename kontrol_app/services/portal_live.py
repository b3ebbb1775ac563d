"""What an open portal asks every few seconds: one stamp per part of the page (orders,
invoices, messages, quote requests), each changing whenever that part's data does. The portal reloads only
the parts whose stamp moved, so a poll that finds nothing new reads four indexed aggregates
and sends nothing back."""

from __future__ import annotations

from sqlmodel import Session

from kontrol_app.services import invoices, messages, portal_orders, quotes
from kontrol_app.services.portal_view import PortalViewer

ORDERS, INVOICES, MESSAGES, QUOTES = "orders", "invoices", "messages", "quotes"


def stamps(session: Session, viewer: PortalViewer) -> dict[str, str]:
    return {
        ORDERS: portal_orders.orders_stamp(session, viewer.customer_id),
        INVOICES: invoices.portal_stamp(session, viewer.customer_id),
        MESSAGES: messages.client_stamp(session, viewer),
        QUOTES: quotes.portal_stamp(session, viewer.customer_id),
    }
