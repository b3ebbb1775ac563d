"""The staff guard: every handler of a staff screen knows who is acting, or does nothing.

A staff screen's state subclasses `StaffState` and marks every event handler with one of:

- `@staff_event`: needs a signed-in staff member; the handler gets the principal as its
  first argument. No session: this state's data is cleared, "Your session has ended"
  shows and the browser goes to Sign in. A `ServiceError` with a field becomes the
  message next to that field (`self.errors`); one without a field becomes a toast.
- `@owner_event`: the same, for owner-only work (the rule itself is `permissions.require_owner`).
- `@form_event`: only keeps what the person is typing in this tab (no database, no secrets).
- `@open_event`: works without a session on purpose (the page guard, Sign out).

A handler without one of them makes the class fail at import, so it cannot be forgotten.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

import reflex as rx

from kontrol_app import data_version
from kontrol_app.services.errors import ServiceError
from kontrol_app.services.permissions import require_owner
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.ui.marks import mark, require_marks, supply_first_arg
from kontrol_app.ui.services import read, scan, sign_in_redirect, staff_check

SESSION_ENDED = "Your session has ended. Sign in again."
REFUSAL_TOAST = "refusal"
# Shop-wide reads (lists, the board) this worker made, for every tab and staff member to share.
SHARED_READS = data_version.Remembered()
READING_AHEAD: dict[tuple, asyncio.Task] = {}
READ_AHEAD_AFTER = 0.02  # seconds
logger = logging.getLogger(__name__)
T = TypeVar("T")
GUARDS = "@staff_event, @owner_event, @form_event or @open_event"


def _refused(state: StaffState, error: ServiceError, field_toast: str = "") -> Any:
    """A service said no: next to the field it is about; else in a toast, and on forms
    that show one (`errors["form"]`) also above the form, so it stays until fixed."""
    if error.field:
        state.errors = dict(error.errors)
        return _refusal_toast(state, field_toast) if field_toast else None
    state.errors = {"form": error.message}
    return _refusal_toast(state, error.message)


def _refusal_toast(state: StaffState, message: str) -> Any:
    """One refusal toast at a time: a newer one takes its place (same id), and the next click
    that answers with something (a success toast) takes it away (`_answered`)."""
    state._refusal_shown = True
    return rx.toast.error(message, id=REFUSAL_TOAST)


def _answered(state: StaffState, result: Any) -> Any:
    if result is None or not state._refusal_shown:
        return result  # a poll or a load answers nothing: the refusal stays its time
    state._refusal_shown = False
    return [rx.toast.dismiss(REFUSAL_TOAST), *(result if isinstance(result, list | tuple) else [result])]


def _guarded(fn: Callable[..., Awaitable[Any]], *, owner: bool, quiet: bool, field_toast: str, poll: bool = False) -> Callable:
    @functools.wraps(fn)
    async def handler(self: StaffState, *args: Any, **kwargs: Any) -> Any:
        principal, version = await staff_check(self)
        if principal is None:
            self.reset()  # whatever this tab held, it no longer may
            # A page load is redirected by the page guard that runs before it.
            return None if quiet else [rx.toast.error(SESSION_ENDED), sign_in_redirect(self)]
        # Assigned even when already empty: so every click gets an answer, also one whose page
        # was unchanged and sends nothing else (the benchmarks time a click by its answer).
        # A poll keeps them: a message stays next to its field until a click clears it.
        if not poll:
            self.errors = {}
        seen = data_version.SEEN.set(version)
        try:
            if owner:
                require_owner(principal)
            return _answered(self, await fn(self, principal, *args, **kwargs))
        except ServiceError as error:
            return _refused(self, error, field_toast)
        finally:
            data_version.SEEN.reset(seen)

    supply_first_arg(handler, fn)  # the principal is ours to supply, not the browser's
    return mark(handler, "owner" if owner else "staff")


def staff_event(fn: Callable | None = None, *, quiet: bool = False, field_toast: str = "", poll: bool = False) -> Callable:
    """A handler that needs a signed-in staff member: `async def h(self, principal, ...)`.

    `quiet=True` for page loaders: the page guard already redirects a signed-out browser.
    `field_toast`: also say this in a toast when a field is refused (long forms).
    `poll=True` for a page's poll (every few seconds): it leaves the page's messages as they are."""
    if fn is None:
        return functools.partial(staff_event, quiet=quiet, field_toast=field_toast, poll=poll)
    return _guarded(fn, owner=False, quiet=quiet, field_toast=field_toast, poll=poll)


def owner_event(fn: Callable | None = None, *, field_toast: str = "") -> Callable:
    """A handler only the shop's owner may run: `async def h(self, principal, ...)`."""
    if fn is None:
        return functools.partial(owner_event, field_toast=field_toast)
    return _guarded(fn, owner=True, quiet=False, field_toast=field_toast)


def form_event(fn: Callable) -> Callable:
    """A handler that only keeps what is typed into this tab's form."""
    return mark(fn, "form")


def open_event(fn: Callable) -> Callable:
    """A handler that is safe without a session: it reveals and changes nothing that a
    stranger may not (sign-in, Create your shop, the page guard, Sign out)."""

    @functools.wraps(fn)
    async def handler(self: StaffState, *args: Any, **kwargs: Any) -> Any:
        self.errors = {}
        try:
            return await fn(self, *args, **kwargs)
        except ServiceError as error:
            return _refused(self, error)

    return mark(handler, "open")


class StaffState(rx.State, mixin=True):
    """Base of every staff screen's state: `class JobPageState(StaffState, rx.State)`.

    A mixin (so the state tree stays flat and each screen has its own `errors`)."""

    # Messages next to the fields they are about, keyed by the service's field name.
    errors: dict[str, str] = {}
    # What this tab's page shows: (its key, the `Read.origin` of what it shows).
    _shown: tuple = ()
    # The data version at this state's last poll that read (`_written_since_last_poll`).
    _polled: int | None = None
    _refusal_shown: bool = False  # a refusal toast of this screen may still show (`_answered`)

    screens: ClassVar[list[type[rx.State]]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Every public function of a state is an event any browser may call by name.
        require_marks(cls, GUARDS)
        super().__init_subclass__(**kwargs)
        if not cls._mixin:
            StaffState.screens.append(cls)

    def _set_changed(self, **values: Any) -> None:
        """Assign only the values that differ: Reflex sends every assigned var to the browser
        again, equal or not (opening a read thread would send the whole thread list again)."""
        for name, value in values.items():
            if self.get_value(name) != value:
                setattr(self, name, value)

    def _still_shown(self, key: tuple, fn: Callable[..., Any]) -> bool:
        """This tab already shows `key` as the database holds it: what this worker read for it
        at the data version this event's session check saw, recently enough (the page moves
        with the clock too), is what this tab shows (`data_version.Read.origin`)."""
        known = SHARED_READS.get((fn, key), data_version.SEEN.get())
        return known is not None and self._shown == (key, known.origin)

    def _written_since_last_poll(self) -> bool:
        """For a poll (every open page sends one every few seconds): False when nothing was
        written anywhere since this state's last poll that got past this, so there is nothing
        new to read; else True, and this version is remembered for the next one."""
        seen = data_version.SEEN.get()
        if seen is not None and seen == self._polled:
            return False
        self._polled = seen
        return True

    async def _read_changed(self, key: tuple, fn: Callable[..., T], *args: Any, reader: Callable = read, **kwargs: Any) -> T | None:
        """`_read_shown`, or None when this tab already shows `key` unchanged: then a page's
        loader has nothing to send."""
        if self._still_shown(key, fn):
            self._read_ahead(key, fn, *args, **kwargs)  # if it is getting old
            return None
        shown = self._shown
        result = await self._read_shown(key, fn, *args, reader=reader, **kwargs)
        return None if self._shown == shown else result  # None: read again, and the same

    async def _read_shown(self, key: tuple, fn: Callable[..., T], *args: Any, reader: Callable = read, **kwargs: Any) -> T:
        """`reader(fn, *args, **kwargs)`, a shop-wide read (the same for every staff member: never
        "mine"), identified by `key` (hashable). What this worker read for it at the version this
        event saw is used instead when it is fresh; either way it is what this tab now shows."""
        seen = data_version.SEEN.get()
        known = SHARED_READS.get((fn, key), seen)
        if known is not None:
            self._read_ahead(key, fn, *args, **kwargs)  # if it is getting old
        elif seen is not None:  # the session check read it before this read: it can only understate
            known = SHARED_READS.put((fn, key), seen, await reader(fn, *args, **kwargs))
        else:  # this event wrote (`call`): read the version with the data
            known = SHARED_READS.put((fn, key), *await reader(data_version.read_at_version(fn), *args, **kwargs))
        self._shown = (key, known.origin)
        return known.result

    def _read_ahead(self, key: tuple, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Read what `_read_shown(key, fn, ...)` will likely be asked next (the page Next shows, or
        a page shown now whose read is getting old) into the worker's shared reads once this event
        has answered, unless it is there young at this event's version: then that click answers
        from memory, and no click ever waits for a page's read only because the clock ran out."""
        seen, task_key = data_version.SEEN.get(), (fn, key)
        known = SHARED_READS.get(task_key, seen)
        if seen is None or (known is not None and not SHARED_READS.ageing(known)) or task_key in READING_AHEAD:
            return

        async def read_ahead() -> None:
            await asyncio.sleep(READ_AHEAD_AFTER)  # this event's answer goes out first
            try:  # in a thread: a click that arrives meanwhile is answered between its steps
                version, result = await scan(data_version.read_at_version(fn), *args, **kwargs)
            except Exception:  # only a guess at the next click; that click reads it for itself
                logger.warning("reading ahead %s failed", fn.__name__, exc_info=True)
            else:
                SHARED_READS.put(task_key, version, result)

        # Held until done (the loop keeps only weak references); one read per key at a time.
        READING_AHEAD[task_key] = task = asyncio.get_running_loop().create_task(read_ahead())
        task.add_done_callback(lambda _: READING_AHEAD.pop(task_key))  # also if cancelled before it ran

    def _route_id(self, name: str) -> int | None:
        """A record id from the page's route (`/jobs/[job_id]` -> `self._route_id("job_id")`)."""
        value = getattr(self, name, "")
        return int(value) if isinstance(value, str) and value.isdigit() else None


async def forget_staff_screens(state: rx.State) -> None:
    """On sign-out, every staff screen of this tab drops what it held."""
    for screen in StaffState.screens:
        (await state.get_state(screen)).reset()


__all__ = [
    "SESSION_ENDED",
    "StaffPrincipal",
    "StaffState",
    "forget_staff_screens",
    "form_event",
    "open_event",
    "owner_event",
    "staff_event",
]
