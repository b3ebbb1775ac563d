"""The portal's session state and its guard: who is looking, re-checked on every event.

`PortalSession` holds the link's shop header and who is signed in. Each tab (and the
sign-in card) is a substate of it under `ui/portal/tabs/`, so a tab's event loads only
that tab, this state and the root. Every event handler of these states is marked with
one of:

- `@portal_event`: needs a client of this link's customer (or staff in Preview); the
  handler gets the `PortalViewer` as its first argument. The re-check is one indexed
  query. No viewer: every part of the portal is cleared (`forget_portal`).
- `@portal_event(write=True)`: the same, and it changes something: Preview refuses it
  with "Preview is read-only", whoever sends it.
- `@portal_event(reads=fn)`: the same, with `fn(session, viewer, *args)` run in the re-check's
  own trip to the database; the handler gets the viewer, then what `fn` returned, then its
  own args. For the busiest reads (open a job, open a thread); `fn` must only read (it may
  run on the event loop, see `ui.services.read`) and check the args it gets from the browser.
- `@portal_poll(check)`: the open portal's poll: `check` does the same re-check and reads the
  stamps in one statement; the handler gets the viewer and the stamps.
- `@sign_in_event`: works before anyone signs in (request a code, check it); still
  refused in Preview, since it writes.
- `@portal_loader`: the page's on_load, which does the same re-check itself.
- `@ui_event`: only changes what this browser shows (no database, no customer data).

A handler without one of them makes its class fail at import, so it cannot be forgotten.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import quote

import reflex as rx

from kontrol_app import data_version
from kontrol_app.api.cookies import PORTAL_COOKIE, STAFF_COOKIE, read_cookie
from kontrol_app.models import utcnow
from kontrol_app.services import portal_auth, portal_view
from kontrol_app.services.errors import NotFound
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.ui.marks import mark, require_marks, supply_first_arg
from kontrol_app.ui.services import call, portal_token, read, visit

PREVIEW_READ_ONLY = "Preview is read-only"
GUARDS = "@portal_event, @portal_poll, @sign_in_event, @portal_loader or @ui_event"


def _is_preview(router: Any) -> bool:
    return router.url.query_parameters.get("preview") == "1"


def _wants_preview(state: rx.State) -> bool:
    return _is_preview(state.router)


def _recheck_args(state: rx.State) -> tuple[str, str | None, str | None, bool]:
    """The link (a route arg), the client's cookie, in Preview the staff cookie, and whether
    this is Preview: what the re-check takes. The router is read once (each read builds it)."""
    router = state.router
    preview = _is_preview(router)
    cookie = router.headers.cookie
    return state.link, read_cookie(cookie, PORTAL_COOKIE), read_cookie(cookie, STAFF_COOKIE) if preview else None, preview


async def check_viewer(state: rx.State) -> PortalViewer | None:
    """Who may see this link right now: link and cookies checked together in one query."""
    return await read(portal_view.viewer_for, *_recheck_args(state))


def _session_of(state: rx.State) -> PortalSession:
    while type(state) is not PortalSession:
        state = state.parent_state
    return state


async def forget_portal(state: rx.State) -> None:
    """Clear every part of the portal (every tab, the sign-in card, who is signed in), keeping
    only the link's public shop header. Parts a tab event did not load are loaded first."""
    session = _session_of(state)
    for part in PortalSession.parts:
        await session.get_state(part)
    kept = {name: getattr(session, name) for name in PortalSession.public_vars}
    session.reset()  # this state and, recursively, every substate back to its defaults
    for name, value in kept.items():
        setattr(session, name, value)
    session.loaded = True


def _viewer_alone(session: Any, *recheck: Any) -> tuple[PortalViewer | None, None]:
    return portal_view.viewer_for(session, *recheck), None


# Re-checks with what came with them (a poll's stamps, an opened job), remembered by this worker
# at the data version they were read at: while nothing is written anywhere, an event's check
# reads only the version. At most 30 s (a job's "due in 3 days" moves with the clock), and never
# past the session's own expiry.
_REMEMBERED = data_version.Remembered(size=4096, seconds=30.0)


async def _recheck(check: Callable, recheck: tuple, args: tuple) -> tuple[PortalViewer | None, Any]:
    versions = data_version.peek()
    if versions is None:  # not known without a read (PostgreSQL, just after this worker wrote)
        return await read(check, *recheck, *args)
    version = versions.data
    # Each argument with its type: the browser's `true` equals the job id 1 in a plain tuple.
    key: tuple | None = (check, *recheck, *((type(arg), arg) for arg in args))
    try:
        hit = _REMEMBERED.get(key, version)
    except TypeError:  # an argument that cannot be a key (the browser may send any JSON)
        hit, key = None, None
    if hit is not None and hit.result[0].until is not None and utcnow() < hit.result[0].until:
        return hit.result
    result = await read(check, *recheck, *args)  # read after the version: it can only understate
    if key is not None and result[0] is not None:
        _REMEMBERED.put(key, version, result)
    return result


async def _checked(state: rx.State, check: Callable = _viewer_alone, *args: Any) -> tuple[PortalViewer | None, Any]:
    """`check(session, *re-check args, *args)`: the re-check and what comes with it for a
    viewer, one trip, one transaction. No viewer for this page (the page was opened for one
    customer: an event for another link starts over): the portal is cleared."""
    recheck = _recheck_args(state)
    viewer, found = await _recheck(check, recheck, args)
    if viewer is None or viewer.customer_id != _session_of(state)._customer_id:
        await forget_portal(state)
        # The link itself regenerated while the page was open: say so, not "Sign in".
        if viewer is None and not await read(portal_view.link_alive, recheck[0]):
            _session_of(state).link_valid = False
        return None, None
    return viewer, found


def portal_event(fn: Callable | None = None, *, write: bool = False, reads: Callable | None = None) -> Callable:
    """A handler for a signed-in viewer: `async def h(self, viewer, ...)`; with `reads`,
    `async def h(self, viewer, found, ...)`."""
    if write and reads is not None:
        raise TypeError("reads run before Preview's refusal: only read-only events take them")
    if fn is None:
        return functools.partial(portal_event, write=write, reads=reads)

    @functools.wraps(fn)
    async def handler(self: rx.State, *args: Any, **kwargs: Any) -> Any:
        if reads is None:
            (viewer, _), supplied = await _checked(self), ()
        else:
            viewer, found = await _checked(self, portal_view.viewer_then, reads, *args, *kwargs.values())
            supplied = (found,)
        if viewer is None:
            return None
        if write and viewer.preview:
            return rx.toast.error(PREVIEW_READ_ONLY)
        return await fn(self, viewer, *supplied, *args, **kwargs)

    supply_first_arg(handler, fn, count=1 if reads is None else 2)
    return mark(handler, "write" if write else "read")


def portal_poll(check: Callable[..., tuple[PortalViewer | None, Any]]) -> Callable:
    """A poll (`async def h(self, viewer, stamps, ...)`): every open portal sends it every few
    seconds, so `check(session, link, client cookie, staff cookie, preview)` does the re-check
    and reads the stamps at once (`portal_live.poll_check`: one statement)."""

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        async def handler(self: rx.State, *args: Any, **kwargs: Any) -> Any:
            viewer, found = await _checked(self, check)
            if viewer is None:
                return None
            return await fn(self, viewer, found, *args, **kwargs)

        supply_first_arg(handler, fn, count=2)
        return mark(handler, "read")

    return wrap


def sign_in_event(fn: Callable) -> Callable:
    """A handler that works before sign-in (`async def h(self, ...)`); refused in Preview."""

    @functools.wraps(fn)
    async def handler(self: rx.State, *args: Any, **kwargs: Any) -> Any:
        if _wants_preview(self):
            viewer = await check_viewer(self)
            if viewer is not None and viewer.preview:
                return rx.toast.error(PREVIEW_READ_ONLY)
        return await fn(self, *args, **kwargs)

    return mark(handler, "sign_in")


def portal_loader(fn: Callable) -> Callable:
    """The page's loader: it runs the re-check itself (one query with the shop header)."""
    return mark(fn, "load")


def ui_event(fn: Callable) -> Callable:
    """A handler that only changes what this browser shows (no database, no customer data)."""
    return mark(fn, "ui")


class PortalSession(rx.State):
    """Who is looking at `/public/portal/[link]` (the link is `self.link`, a route arg)."""

    link_valid: bool = True
    loaded: bool = False
    signed_in: bool = False
    preview: bool = False
    # The link's shop header: public, shown before sign-in (kept by `forget_portal`).
    shop_name: str = ""
    shop_email: str = ""
    shop_logo: str = ""
    shop_phone: str = ""
    customer_name: str = ""
    viewer_name: str = ""
    viewer_email: str = ""
    _customer_id: int | None = None

    public_vars: ClassVar[tuple[str, ...]] = ("link_valid", "shop_name", "shop_email", "shop_logo", "shop_phone")
    # Every substate (tabs, sign-in), so clearing never misses one a feature adds.
    parts: ClassVar[list[type[rx.State]]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        require_marks(cls, GUARDS)
        super().__init_subclass__(**kwargs)
        PortalSession.parts.append(cls)

    @portal_loader
    async def load(self):
        """The page's loader: the header, who is looking, then each tab fills itself."""
        try:
            opening = await call(portal_view.open_portal, *_recheck_args(self))
        except NotFound:
            self.link_valid = False
            await forget_portal(self)
            self._show_shop(await call(portal_view.shop_header))  # whom to ask for a new link
            return
        self.link_valid = True
        self._show_shop(opening.header)
        viewer = opening.viewer
        if viewer is None or viewer.customer_id != self._customer_id:
            await forget_portal(self)  # nothing from before (another link, a signed-out tab) stays
        if viewer is None:
            return
        self._customer_id = viewer.customer_id
        self.signed_in, self.preview = True, viewer.preview
        self.customer_name, self.viewer_name, self.viewer_email = viewer.customer_name, viewer.name, viewer.email
        for part in PortalSession.parts:
            state = await self.get_state(part)
            if hasattr(state, "_fill"):
                await state._fill(viewer)
        self.loaded = True

    def _show_shop(self, header: portal_view.PortalHeader) -> None:
        self.shop_name, self.shop_email, self.shop_logo, self.shop_phone = (
            header.shop_name, header.shop_email, header.shop_logo, header.shop_phone
        )

    @portal_event(write=True)
    async def sign_out(self, viewer: PortalViewer):
        path = self.router.url.path
        await call(portal_auth.sign_out, portal_token(self))
        await forget_portal(self)
        return visit(f"/api/portal/signed-out?next={quote(path)}")


require_marks(PortalSession, GUARDS)
