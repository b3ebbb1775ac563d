"""The session cookies: set only by HTTP routes (HttpOnly), read by states from the handshake."""

from __future__ import annotations

import functools
from http.cookies import CookieError, SimpleCookie

STAFF_COOKIE = "kontrol_staff"
PORTAL_COOKIE = "kontrol_portal"
# Long-lived, HttpOnly: marks a browser where a staff member signed in before (see services/staff.py).
DEVICE_COOKIE = "kontrol_device"


def read_cookie(cookie_header: str, name: str) -> str | None:
    return _cookies(cookie_header).get(name) if cookie_header else None


@functools.lru_cache(maxsize=1024)
def _cookies(cookie_header: str) -> dict[str, str]:
    """Every event re-checks its session from the same handshake header: parsed once."""
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def safe_next(path: str | None, default: str = "/") -> str:
    """Only same-site paths: never let a link send someone to another site."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return default
    return path
