"""How Reflex states reach services: in a worker thread, inside one transaction."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from kontrol_app import data_version
from kontrol_app.api.addresses import client_address
from kontrol_app.api.cookies import PORTAL_COOKIE, STAFF_COOKIE, read_cookie
from kontrol_app.db import get_engine, read_scope, session_scope
from kontrol_app.services import staff as staff_service
from kontrol_app.services.staff import StaffPrincipal

T = TypeVar("T")


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `fn(session, *args, **kwargs)` off the event loop and commit."""

    def work() -> T:
        with session_scope() as session:
            return fn(session, *args, **kwargs)

    try:
        return await asyncio.to_thread(work)
    finally:
        # It may have written: the version this event's session check saw is no longer the
        # database's, so nothing this tab shows counts as unchanged (guard.py `_read_changed`).
        data_version.SEEN.set(None)


def _reading(fn: Callable[..., T], args: tuple, kwargs: dict) -> Callable[[], T]:
    def work() -> T:
        with read_scope() as session:
            return fn(session, *args, **kwargs)

    return work


async def read(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`call` for work that only reads: nothing is committed. On SQLite (a local file, where a
    reader never waits for a writer) it runs right here on the event loop: the hop to a thread
    and back would cost more than the indexed reads themselves."""
    work = _reading(fn, args, kwargs)
    return work() if get_engine().dialect.name == "sqlite" else await asyncio.to_thread(work)


async def scan(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`read` for a read that may scan (text searched in every row): always in a worker thread,
    so every other open page is served while it runs (SQLite lets go of the GIL as it works)."""
    return await asyncio.to_thread(_reading(fn, args, kwargs))


def staff_token(state: rx.State) -> str | None:
    return read_cookie(state.router.headers.cookie, STAFF_COOKIE)


async def staff_check(state: rx.State) -> tuple[StaffPrincipal | None, int]:
    """The signed-in staff member for this browser, checked against the server-side session,
    and the data version of that check (`data_version.SEEN`). While no sign-in changed since
    this worker last checked the cookie, only the versions are read (SQLite: `peek`, no session)."""
    token = staff_token(state)
    versions = data_version.peek()
    if versions is not None and (known := staff_service.remembered_session(token, versions.sign_in)) is not None:
        return known, versions.data
    return await read(staff_service.check_session, token)


async def current_staff(state: rx.State) -> StaffPrincipal | None:
    return (await staff_check(state))[0]


def portal_token(state: rx.State) -> str | None:
    return read_cookie(state.router.headers.cookie, PORTAL_COOKIE)


def client_ip(state: rx.State) -> str:
    """The real client behind KONTROL_TRUSTED_PROXIES proxies (one rule for routes and states)."""
    return client_address(state.router.session.client_ip, state.router.headers.raw_headers.get("x-forwarded-for"))


def visit(url: str) -> rx.event.EventSpec:
    """A full page load (not client-side routing), so HTTP routes can set or clear cookies."""
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


def sign_in_redirect(state: rx.State) -> rx.event.EventSpec:
    path = state.router.url.path or "/"
    return rx.redirect(f"/sign-in?next={path}" if path not in ("/", "/sign-in") else "/sign-in")
