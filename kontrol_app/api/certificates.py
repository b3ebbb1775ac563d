"""`/api/approvals/{record_id}/certificate.pdf`: an approval record's certificate, made on
request (services/certificate.py). Staff (the staff session cookie) get any; a client (the
portal cookie) only their customer's. Everyone else, an unknown id and a record that is not
an approval get the same 404."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kontrol_app.api.cookies import PORTAL_COOKIE, STAFF_COOKIE
from kontrol_app.db import session_scope
from kontrol_app.services import certificate, portal_auth
from kontrol_app.services import files as files_service
from kontrol_app.services import staff as staff_service

_SANDBOX = "default-src 'none'; sandbox"


def _not_found() -> Response:
    return Response("Not found", status_code=404, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


async def approval_certificate(request: Request) -> Response:
    record_id: int = request.path_params["record_id"]
    staff_token = request.cookies.get(STAFF_COOKIE)
    portal_token = request.cookies.get(PORTAL_COOKIE)

    def render() -> tuple[bytes, str] | None:
        with session_scope() as session:
            staff = staff_service.principal_for_token(session, staff_token) if staff_token else None
            portal = portal_auth.principal_for_token(session, portal_token) if portal_token else None
            record = certificate.readable_record(session, record_id, staff=staff, portal=portal)
            if record is None:
                return None
            return certificate.certificate_pdf(session, record.id), certificate.certificate_name(session, record)

    made = await asyncio.to_thread(render)  # fpdf and the database stay off the event loop
    if made is None:
        return _not_found()
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


def routes() -> list[Route]:
    return [Route("/api/approvals/{record_id:int}/certificate.pdf", approval_certificate, methods=["GET"])]
