"""Plain HTTP routes that Reflex pages cannot serve: session cookies and private files."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kontrol_app.api import certificates as certificates_api
from kontrol_app.api import files as files_api
from kontrol_app.api import invoices as invoices_api
from kontrol_app.api import stripe_webhook
from kontrol_app.api.addresses import client_address
from kontrol_app.api.cookies import DEVICE_COOKIE, PORTAL_COOKIE, STAFF_COOKIE, safe_next
from kontrol_app.db import session_scope
from kontrol_app.services import portal_auth, portal_links
from kontrol_app.services import staff as staff_service
from kontrol_app.settings import get_settings


def _client_ip(request: Request) -> str:
    forwarded_for = ", ".join(request.headers.getlist("x-forwarded-for")) or None
    return client_address(request.client.host if request.client else "", forwarded_for)


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

    def redeem() -> tuple[str, str] | None:
        with session_scope() as session:
            token = staff_service.redeem_ticket(
                session, ticket, ip=_client_ip(request), user_agent=request.headers.get("user-agent", "")
            )
            if token is None:
                return None
            principal = staff_service.principal_for_token(session, token)
            if principal is None:
                return None
            # This browser is now known for this person: strangers' failures no longer lock them out.
            return token, staff_service.remember_device(request.cookies.get(DEVICE_COOKIE), principal.email)

    redeemed = await asyncio.to_thread(redeem)
    if redeemed is None:
        return RedirectResponse("/sign-in", status_code=303)
    token, device = redeemed
    response = _with_session_cookie(
        RedirectResponse(next_path, status_code=303), STAFF_COOKIE, token, staff_service.SESSION_LIFETIME.total_seconds()
    )
    return _with_session_cookie(response, DEVICE_COOKIE, device, staff_service.DEVICE_LIFETIME.total_seconds())


async def end_staff_session(request: Request) -> Response:
    """Revoke the session of the cookie it clears, then clear it. A GET, as the Sign out
    button's page load is: a cross-site request can at worst sign you out (it carries the
    SameSite=Lax cookie only on a top-level visit), which reveals and changes nothing else.
    The device cookie stays: this browser remains a known one."""
    token = request.cookies.get(STAFF_COOKIE)

    def revoke() -> None:
        with session_scope() as session:
            staff_service.sign_out(session, token)

    if token:
        await asyncio.to_thread(revoke)
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
    landing = portal_links.landing_query(request.query_params)
    if landing:  # the emailed link to one job or invoice: land on it (the page checks it is theirs)
        portal_path += f"?{landing}"
    return _with_session_cookie(
        RedirectResponse(portal_path, status_code=303), PORTAL_COOKIE, token, portal_auth.SESSION_LIFETIME.total_seconds()
    )


async def end_portal_session(request: Request) -> Response:
    """Revoke the portal session of the cookie it clears, clear it, and go back (a GET: see
    end_staff_session)."""
    back = safe_next(request.query_params.get("next"), default="/")
    if not back.startswith("/public/portal/"):
        back = "/"
    token = request.cookies.get(PORTAL_COOKIE)

    def revoke() -> None:
        with session_scope() as session:
            portal_auth.sign_out(session, token)

    if token:
        await asyncio.to_thread(revoke)
    return _without_cookie(RedirectResponse(back, status_code=303), PORTAL_COOKIE)


def build_api() -> Starlette:
    return Starlette(
        routes=[
            Route("/api/staff/session", start_staff_session, methods=["GET"]),
            Route("/api/staff/signed-out", end_staff_session, methods=["GET"]),
            Route("/api/portal/session", start_portal_session, methods=["GET"]),
            Route("/api/portal/signed-out", end_portal_session, methods=["GET"]),
            *files_api.routes(),  # /api/files/{id}/{name}, and the logo's old URL
            *certificates_api.routes(),  # /api/approvals/{record id}/certificate.pdf
            *invoices_api.routes(),  # /api/invoices/{invoice id}/pdf
            *stripe_webhook.routes(),  # /api/stripe/webhook
        ]
    )
