"""Loops that run beside the web app (no reflex import, so scripts and tests reuse them)."""

from __future__ import annotations

import asyncio
import gc
import logging
import time

from kontrol_app.db import session_scope
from kontrol_app.models import utcnow
from kontrol_app.services.outbox import deliver_due, purge_sign_in_codes, transport_for
from kontrol_app.services import messages, pdf_fonts
from kontrol_app.services.invoice_reminders import send_due_invoice_reminders
from kontrol_app.services.reminders import send_due_reminders
from kontrol_app.settings import get_settings

log = logging.getLogger("kontrol.outbox")
IDLE_SECONDS = 1.0
PURGE_EVERY_SECONDS = 3600.0
REMIND_EVERY_SECONDS = 300.0  # approval reminders are counted in days: a few minutes late is fine
NOTICE_EVERY_SECONDS = 60.0  # a held-back message notice goes out within a minute of its 10 minutes


def purge_old_secrets() -> int:
    """Empty delivered sign-in code emails older than a day (see outbox.purge_sign_in_codes)."""
    with session_scope() as session:
        return purge_sign_in_codes(session)


def queue_approval_reminders() -> int:
    """Queue the approval reminders due now (safe in every worker: see services/reminders)."""
    with session_scope() as session:
        return send_due_reminders(session, utcnow())


def queue_invoice_reminders() -> int:
    """Queue the unpaid-invoice reminders due now (safe in every worker: see services/invoice_reminders)."""
    with session_scope() as session:
        return send_due_invoice_reminders(session, utcnow())


def queue_message_notices() -> int:
    """Email the message notices held back by the 10-minute rule, if still unread (services/messages/notices.py),
    a batch of threads per transaction: a long backlog (after downtime, an import) never holds
    the database's write lock for long, so the pages' own writes go on meanwhile."""
    noticed, after = 0, 0
    while after is not None:
        with session_scope() as session:
            count, after = messages.notice_batch(session, utcnow(), after_id=after)
        noticed += count
    return noticed


# The collector's first threshold (allocations of objects that can form cycles, net of those
# freed): Python's default of 700 ran a collection every few events, and every collection of
# the oldest generation walked the whole app (about 600,000 objects of pages and states).
GC_THRESHOLDS = (20_000, 10, 10)


def settle_heap() -> None:
    """Move what the app built at start (pages, state classes, fonts: alive for as long as the
    process) out of the garbage collector's sight, and collect less often. An event's own
    objects are freed when it ends; only the few that form cycles wait for a collection.
    Measured on the portal's busiest events at 50 clients: about a third more events a second,
    and no more 150 ms pauses for every client at once."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def warm_up() -> None:
    """At start, in every worker: prepare the invoice and certificate fonts (1-2 s of parsing,
    so the first invoice a worker sends does not wait for it), then settle the heap."""
    try:
        await asyncio.to_thread(pdf_fonts.warm)
    except Exception:  # a missing font only means the core-font fallback later
        log.exception("preparing the PDF fonts failed")
    settle_heap()


async def outbox_sender() -> None:
    """Deliver queued emails for as long as the app runs; every few minutes, queue the approval
    and unpaid-invoice reminders due; once an hour, drop old sign-in codes."""
    settings = get_settings()
    transport = transport_for(settings)
    last_purge: float | None = None
    last_remind: float | None = None
    last_notice: float | None = None
    while True:
        if last_purge is None or time.monotonic() - last_purge >= PURGE_EVERY_SECONDS:
            last_purge = time.monotonic()
            try:
                await asyncio.to_thread(purge_old_secrets)
            except Exception:  # housekeeping must never stop delivery
                log.exception("purging old sign-in codes failed")
        if last_remind is None or time.monotonic() - last_remind >= REMIND_EVERY_SECONDS:
            last_remind = time.monotonic()
            try:
                await asyncio.to_thread(queue_approval_reminders)
            except Exception:  # a failed round is retried at the next one; delivery goes on
                log.exception("queueing approval reminders failed")
            try:
                await asyncio.to_thread(queue_invoice_reminders)
            except Exception:  # in its own transaction: one kind failing never holds up the other
                log.exception("queueing invoice reminders failed")
        if last_notice is None or time.monotonic() - last_notice >= NOTICE_EVERY_SECONDS:
            last_notice = time.monotonic()
            try:
                await asyncio.to_thread(queue_message_notices)
            except Exception:  # retried at the next round
                log.exception("queueing message notices failed")
        try:
            sent = await asyncio.to_thread(deliver_due, transport, settings=settings)
        except Exception:  # a broken row or a database hiccup must not stop the loop
            log.exception("outbox sender failed; retrying")
            sent = 0
        if not sent:
            await asyncio.sleep(IDLE_SECONDS)
