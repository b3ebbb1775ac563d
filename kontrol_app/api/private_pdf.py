"""One way to serve a PDF made on request for whoever the cookies say is asking (an approval
certificate, an invoice): staff by the staff session cookie, a client by the portal cookie.
Who may read what is the caller's `make`; everyone it refuses gets the same 404."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from kontrol_app.api.cookies import PORTAL_COOKIE, STAFF_COOKIE
from kontrol_app.db import session_scope
from kontrol_app.services import files as files_service
from kontrol_app.services import portal_auth
from kontrol_app.services import staff as staff_service

_SANDBOX = "default-src 'none'; sandbox"
# make(session, staff principal or None, portal principal or None) -> (bytes, file name), or None: 404
Maker = Callable[[Session, object, object], "tuple[bytes, str] | None"]


def not_found() -> Response:
    return Response("Not found", status_code=404, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


async def serve_private_pdf(request: Request, make: Maker) -> Response:
    staff_token = request.cookies.get(STAFF_COOKIE)
    portal_token = request.cookies.get(PORTAL_COOKIE)

    def render() -> tuple[bytes, str] | None:
        with session_scope() as session:
            staff = staff_service.principal_for_token(session, staff_token) if staff_token else None
            portal = portal_auth.principal_for_token(session, portal_token) if portal_token and staff is None else None
            return make(session, staff, portal)

    made = await asyncio.to_thread(render)  # fpdf and the database stay off the event loop
    if made is None:
        return not_found()
    data, name = made
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": files_service.content_disposition(name, inline=False),
            # Made for this reader: never kept by a shared cache, nor by the browser once signed out.
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "same-origin",
            "Content-Security-Policy": _SANDBOX,
        },
    )
