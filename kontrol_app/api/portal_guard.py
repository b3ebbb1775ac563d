"""HTTP-level rules for portal pages: never indexed, never leak the link as a referrer,
and an unknown or regenerated link gets a plain 404 page."""

from __future__ import annotations

import asyncio
import html

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kontrol_app.db import session_scope
from kontrol_app.services.portal_auth import LINK_NOT_VALID
from kontrol_app.services.portal_links import PORTAL_PREFIX, customer_for_link
from kontrol_app.services.portal_view import PortalHeader, shop_header

PRIVATE_HEADERS = [
    (b"x-robots-tag", b"noindex, nofollow"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]

def invalid_page(shop: PortalHeader) -> bytes:
    """The dead link's page: it names the shop and how to reach it (an old email's link is
    often all a client has)."""
    ways = [html.escape(shop.shop_name)]
    if shop.shop_email:
        ways.append(f'<a href="mailto:{html.escape(shop.shop_email)}" style="color:#1d4ed8">{html.escape(shop.shop_email)}</a>')
    if shop.shop_phone:
        ways.append(f'<a href="tel:{html.escape(shop.shop_phone)}" style="color:#1d4ed8">{html.escape(shop.shop_phone)}</a>')
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="robots" content="noindex, nofollow"><meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Link not valid</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;display:flex;min-height:90vh;align-items:center;justify-content:center;color:#18181b">
<main style="padding:24px;text-align:center"><h1 style="font-size:18px;font-weight:400;margin:0 0 12px">{html.escape(LINK_NOT_VALID)}</h1>
<p id="dead-link-shop" style="margin:0;font-size:15px">{" · ".join(ways)}</p></main></body></html>""".encode()


def _dead_link_page(link: str) -> bytes | None:
    """None for a valid link; else the page that says so."""
    with session_scope() as session:
        if customer_for_link(session, link) is not None:
            return None
        return invalid_page(shop_header(session))


class PortalGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PORTAL_PREFIX):
            await self.app(scope, receive, send)
            return
        link = scope["path"][len(PORTAL_PREFIX) :].strip("/")
        if scope["method"] in ("GET", "HEAD") and (page := await asyncio.to_thread(_dead_link_page, link)) is not None:
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/html; charset=utf-8"), *PRIVATE_HEADERS]})
            await send({"type": "http.response.body", "body": page})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in {h for h, _ in PRIVATE_HEADERS}
                ] + PRIVATE_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)
