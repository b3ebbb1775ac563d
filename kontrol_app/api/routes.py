"""Plain HTTP routes that Reflex pages cannot serve: session cookies and private files."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from kontrol_app.api.cookies import PORTAL_COOKIE, STAFF_COOKIE, safe_next
from kontrol_app.db import session_scope
from kontrol_app.services import portal_auth
from kontrol_app.services import shop as shop_service
from kontrol_app.services import staff as staff_service
from kontrol_app.settings import get_settings


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _secure() -> bool:
    return get_settings().base_url.startswith("https://")


def _with_session_cookie(response: Response, name: str, token: str, lifetime_seconds: float) -> Response:
    """Session cookies are HttpOnly (no script can read them) and SameSite=Lax."""
    response.set_cookie(
        name, token, max_age=int(lifetime_seconds), path="/", httponly=True, samesite="lax", secure=_secure()
    )
    return response


def _without_cookie(response: Response, name: str) -> Response:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=_secure())
    return response


async def start_staff_session(request: Request) -> Response:
    """Trade a one-time sign-in ticket for the HttpOnly session cookie."""
    ticket = request.query_params.get("ticket", "")
    next_path = safe_next(request.query_params.get("next"))

    def redeem() -> str | None:
        with session_scope() as session:
            return staff_service.redeem_ticket(
                session, ticket, ip=_client_ip(request), user_agent=request.headers.get("user-agent", "")
            )

    token = await asyncio.to_thread(redeem)
    if token is None:
        return RedirectResponse("/sign-in", status_code=303)
    return _with_session_cookie(
        RedirectResponse(next_path, status_code=303), STAFF_COOKIE, token, staff_service.SESSION_LIFETIME.total_seconds()
    )


async def end_staff_session(request: Request) -> Response:
    """Clear the cookie (the session itself was revoked by the Sign out handler)."""
    return _without_cookie(RedirectResponse("/sign-in", status_code=303), STAFF_COOKIE)


async def start_portal_session(request: Request) -> Response:
    """Trade a client's one-time ticket (from a correct code) for the 30-day portal cookie."""
    ticket = request.query_params.get("ticket", "")

    def redeem() -> tuple[str, str] | None:
        with session_scope() as session:
            return portal_auth.redeem_ticket(session, ticket)

    redeemed = await asyncio.to_thread(redeem)
    if redeemed is None:
        return Response("This sign-in link has expired. Go back and request a new code.", status_code=400)
    token, portal_path = redeemed
    return _with_session_cookie(
        RedirectResponse(portal_path, status_code=303), PORTAL_COOKIE, token, portal_auth.SESSION_LIFETIME.total_seconds()
    )


async def end_portal_session(request: Request) -> Response:
    """Clear the portal cookie (the Sign out handler revoked the session) and go back."""
    back = safe_next(request.query_params.get("next"), default="/")
    if not back.startswith("/public/portal/"):
        back = "/"
    return _without_cookie(RedirectResponse(back, status_code=303), PORTAL_COOKIE)


async def shop_logo(request: Request) -> Response:
    """The shop's logo, public because it brands the portal's sign-in page and emails."""
    name = request.path_params["name"]

    def find() -> tuple[str, str] | None:
        with session_scope() as session:
            return shop_service.logo_file(session, name)

    found = await asyncio.to_thread(find)
    path = get_settings().files_dir / name
    if found is None or not path.is_file():
        return Response("Not found", status_code=404)
    return FileResponse(
        path,
        media_type=found[1],
        headers={"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"},
    )


def build_api() -> Starlette:
    return Starlette(
        routes=[
            Route("/api/staff/session", start_staff_session, methods=["GET"]),
            Route("/api/staff/signed-out", end_staff_session, methods=["GET"]),
            Route("/api/portal/session", start_portal_session, methods=["GET"]),
            Route("/api/portal/signed-out", end_portal_session, methods=["GET"]),
            Route("/api/files/logo/{name}", shop_logo, methods=["GET"]),
        ]
    )
