"""`POST /api/stripe/webhook`: Stripe tells us a checkout was paid, failed, expired or refunded.

400 for anything not signed with our webhook secret within 5 minutes (Stripe does not retry
those); 500 when Stripe could not be reached to confirm a payment, or the same event is being
handled by a concurrent delivery, so Stripe delivers it again later; 200 otherwise, including
events we do not act on (an answer other than 2xx would make Stripe retry them for days).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kontrol_app.db import session_scope
from kontrol_app.services import payments

log = logging.getLogger(__name__)
MAX_PAYLOAD_BYTES = 512 * 1024  # Stripe's events are a few KB


async def stripe_webhook(request: Request) -> JSONResponse:
    payload = await request.body()
    if len(payload) > MAX_PAYLOAD_BYTES:
        return JSONResponse({"error": "payload too large"}, status_code=400)
    signature = request.headers.get("stripe-signature", "")

    def handle() -> str:
        with session_scope() as session:
            return payments.receive_webhook(session, payload, signature)

    try:
        outcome = await asyncio.to_thread(handle)
    except payments.WebhookRefused as refused:
        return JSONResponse({"error": str(refused)}, status_code=400)
    except payments.StripeUnreachable as error:
        log.warning("Stripe webhook: will be retried (%s)", error)
        return JSONResponse({"error": "try again later"}, status_code=500)
    except (IntegrityError, OperationalError) as error:
        log.warning("Stripe webhook: concurrent delivery, will be retried (%s)", error.__class__.__name__)
        return JSONResponse({"error": "try again later"}, status_code=500)
    return JSONResponse({"received": True, "outcome": outcome})


def routes() -> list[Route]:
    return [Route("/api/stripe/webhook", stripe_webhook, methods=["POST"])]
