"""Loops that run beside the web app (no reflex import, so scripts and tests reuse them)."""

from __future__ import annotations

import asyncio
import logging

from kontrol_app.services.outbox import deliver_due, transport_for
from kontrol_app.settings import get_settings

log = logging.getLogger("kontrol.outbox")
IDLE_SECONDS = 1.0


async def outbox_sender() -> None:
    """Deliver queued emails for as long as the app runs."""
    settings = get_settings()
    transport = transport_for(settings)
    while True:
        try:
            sent = await asyncio.to_thread(deliver_due, transport, settings=settings)
        except Exception:  # a broken row or a database hiccup must not stop the loop
            log.exception("outbox sender failed; retrying")
            sent = 0
        if not sent:
            await asyncio.sleep(IDLE_SECONDS)
