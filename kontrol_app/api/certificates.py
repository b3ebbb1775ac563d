"""`/api/approvals/{record_id}/certificate.pdf`: an approval record's certificate, made on
request (services/certificate.py). Staff (the staff session cookie) get any; a client (the
portal cookie) only their customer's. Everyone else, an unknown id and a record that is not
an approval get the same 404."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kontrol_app.api.private_pdf import serve_private_pdf
from kontrol_app.services import certificate


async def approval_certificate(request: Request) -> Response:
    record_id: int = request.path_params["record_id"]

    def make(session, staff, portal) -> tuple[bytes, str] | None:
        record = certificate.readable_record(session, record_id, staff=staff, portal=portal)
        if record is None:
            return None
        return certificate.certificate_pdf(session, record.id), certificate.certificate_name(session, record)

    return await serve_private_pdf(request, make)


def routes() -> list[Route]:
    return [Route("/api/approvals/{record_id:int}/certificate.pdf", approval_certificate, methods=["GET"])]
