"""HTTP-level rules for portal pages: never indexed, never leak the link as a referrer,
and an unknown or regenerated link gets a plain 404 page."""

from __future__ import annotations

import asyncio
import html

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kontrol_app.db import session_scope
from kontrol_app.services.portal_auth import LINK_NOT_VALID
from kontrol_app.services.portal_links import PORTAL_PREFIX, customer_for_link

PRIVATE_HEADERS = [
    (b"x-robots-tag", b"noindex, nofollow"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]

INVALID_PAGE = f"""<!doctype html><html><head><meta charset="utf-8">
<meta name="robots" content="noindex, nofollow"><meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Link not valid</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;display:flex;min-height:90vh;align-items:center;justify-content:center;color:#18181b">
<p style="font-size:18px;padding:24px;text-align:center">{html.escape(LINK_NOT_VALID)}</p></body></html>""".encode()


def _link_is_valid(link: str) -> bool:
    with session_scope() as session:
        return customer_for_link(session, link) is not None


class PortalGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PORTAL_PREFIX):
            await self.app(scope, receive, send)
            return
        link = scope["path"][len(PORTAL_PREFIX) :].strip("/")
        if scope["method"] in ("GET", "HEAD") and not await asyncio.to_thread(_link_is_valid, link):
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/html; charset=utf-8"), *PRIVATE_HEADERS]})
            await send({"type": "http.response.body", "body": INVALID_PAGE})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in {h for h, _ in PRIVATE_HEADERS}
                ] + PRIVATE_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)
