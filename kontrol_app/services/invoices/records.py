"""Finding what an invoice change works on: the shop, an invoice and its lines, the job's
title; the history line every change writes (`_event`); and the row lock every writer takes
first (`_lock`: drafting and sending, payments and refunds, services/payments.py and
services/invoice_reminders.py), so two changes of one invoice happen one after the other."""

from __future__ import annotations

from sqlmodel import Session, select

from kontrol_app.models import Invoice, InvoiceEvent, InvoiceLine, Job, Shop
from kontrol_app.services import outbox
from kontrol_app.services.errors import NotAllowed, find, found
from kontrol_app.services.shop import get_shop


def _shop(session: Session) -> Shop:
    shop = get_shop(session)
    if shop is None:
        raise NotAllowed("Set up the shop first (Settings → Shop Info).")
    return shop


NO_INVOICE = "That invoice does not exist."


def _get(session: Session, invoice_id: int) -> Invoice:
    return find(session, Invoice, invoice_id, NO_INVOICE)


def _lines(session: Session, invoice_id: int) -> list[InvoiceLine]:
    return list(session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id).order_by(InvoiceLine.position)).all())


def _lock(session: Session, invoice_id: int) -> Invoice:
    """The invoice's row, locked until the commit (PostgreSQL; SQLite writers take turns)."""
    return found(
        session.exec(select(Invoice).where(Invoice.id == invoice_id).with_for_update().execution_options(populate_existing=True)).first(),
        NO_INVOICE,
    )


def _event(session: Session, invoice: Invoice, kind: str, text: str, actor: str) -> None:
    session.add(InvoiceEvent(invoice_id=invoice.id, kind=kind, text=outbox.clip(text, 1000), actor=actor))


def _job_title(session: Session, invoice: Invoice) -> str:
    if invoice.job_id is None:
        return ""
    job = session.get(Job, invoice.job_id)
    return job.title if job is not None else ""
