"""The one route that serves stored files: `/api/files/{id}/{name}`.

Who may read a file is decided by the reader registered for its kind (services/files.py);
an unknown id and a refusal get the same 404. The name in the URL is only for people: the
stored (sanitized) name is what the browser is told."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from kontrol_app.api.cookies import PORTAL_COOKIE, STAFF_COOKIE
from kontrol_app.db import session_scope
from kontrol_app.services import branding as _branding  # noqa: F401  (registers the brand kit's readers)
from kontrol_app.services import files as files_service
from kontrol_app.services import mockups as _mockups  # noqa: F401  (registers the mockups' readers)
from kontrol_app.services import portal_auth
from kontrol_app.services import shop as shop_service  # also registers the logo's reader
from kontrol_app.services import staff as staff_service

# Shown in the browser, a file still runs nothing: no script, no plugin, no form.
_SANDBOX = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _not_found() -> Response:
    return Response("Not found", status_code=404, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def file_response(request: Request, found: files_service.Readable) -> Response:
    download = request.query_params.get("download") == "1"
    inline = found.inline and not download
    etag = f'"{found.sha256}"'
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": files_service.content_disposition(found.name, inline=inline),
        # Public files (the logo) never change at a URL; private ones are re-checked every time
        # (a signed-out browser gets a 404, not its cache), cheaply thanks to the ETag.
        "Cache-Control": "public, max-age=31536000, immutable" if found.public else "private, no-cache",
        "ETag": etag,
    }
    if not found.public:
        headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if found.content_type != "application/pdf" or not inline:
        # Chrome will not show a PDF in a sandbox; images and downloads do not need one.
        headers["Content-Security-Policy"] = _SANDBOX
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers={k: v for k, v in headers.items() if k != "Content-Disposition"})
    # What may not be shown is only bytes to the browser (an SVG never renders).
    media_type = found.content_type if inline else "application/octet-stream"
    return FileResponse(found.path, media_type=media_type, headers=headers)


async def serve_file(request: Request) -> Response:
    file_id: int = request.path_params["file_id"]
    if file_id > 2**31 - 1:  # past an INTEGER column: no such file (and no database error)
        return _not_found()
    staff_token = request.cookies.get(STAFF_COOKIE)
    portal_token = request.cookies.get(PORTAL_COOKIE)

    def find() -> files_service.Readable | None:
        with session_scope() as session:
            staff = staff_service.principal_for_token(session, staff_token) if staff_token else None
            portal = portal_auth.principal_for_token(session, portal_token) if portal_token else None
            return files_service.readable(session, file_id, staff=staff, portal=portal)

    found = await asyncio.to_thread(find)
    if found is None:
        return _not_found()
    return file_response(request, found)


async def legacy_logo(request: Request) -> Response:
    """`/api/files/logo/<name>`: the logo's URL before the files service, still in sent emails."""
    name = request.path_params["name"]

    def find() -> files_service.Readable | None:
        with session_scope() as session:
            row = shop_service.legacy_logo(session, name)
            return files_service.readable_row(row) if row is not None else None

    found = await asyncio.to_thread(find)
    if found is None:
        return _not_found()
    return file_response(request, found)


def routes() -> list[Route]:
    return [
        Route("/api/files/logo/{name}", legacy_logo, methods=["GET"]),
        Route("/api/files/{file_id:int}/{name}", serve_file, methods=["GET"]),
    ]
