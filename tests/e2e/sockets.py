"""Raw Socket.IO clients speaking Reflex's event protocol, as a script (not the page) would:
they prove that a handler refuses what the page never offers."""

from __future__ import annotations

import json
import queue
import time
import uuid
from collections.abc import Callable

import socketio
from reflex.event import EventHandler

NAMESPACE = "/_event"  # the Socket.IO namespace and path Reflex's state.js connects to


def event_name(handler: EventHandler) -> str:
    """What the front end sends for `handler` (e.g. `OrdersTab.open_job`): never hard-coded."""
    return f"{handler.state_full_name}.{handler.fn.__name__}"


class EventSocket:
    """One websocket connection, with the given Cookie header (or none)."""

    def __init__(self, base_url: str, cookie: str | None = None) -> None:
        self.updates: queue.Queue[dict] = queue.Queue()
        self.seen: list[str] = []
        self.client = socketio.Client(reconnection=False)
        self.client.on("event", self.updates.put, namespace=NAMESPACE)
        self.client.connect(
            f"{base_url}?token={uuid.uuid4()}",
            socketio_path=NAMESPACE,
            namespaces=[NAMESPACE],
            transports=["websocket"],
            headers={"Cookie": cookie} if cookie else {},
            wait_timeout=15,
        )

    def emit(self, handler: EventHandler, payload: dict, router_data: dict) -> None:
        self.client.emit(
            "event",
            {"name": event_name(handler), "payload": payload, "router_data": router_data},
            namespace=NAMESPACE,
        )

    def wait_for(self, accept: Callable[[str], bool], timeout: float = 20) -> str:
        """Every update is kept in `seen`; returns the first new one `accept` likes."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                update = json.dumps(self.updates.get(timeout=left), ensure_ascii=False)
            except queue.Empty:
                break
            self.seen.append(update)
            if accept(update):
                return update
        raise AssertionError(f"no matching update within {timeout} s; got {[u[:300] for u in self.seen]}")

    def close(self) -> None:
        self.client.disconnect()


class PortalSocket(EventSocket):
    """A script on the portal's websocket, with a client's portal cookie, on `path`
    (with `?preview=1` when `preview`)."""

    def __init__(self, base_url: str, cookie: str, path: str, *, preview: bool = False) -> None:
        super().__init__(base_url, cookie)
        self.path = path
        self.preview = preview

    def send(self, handler: EventHandler, payload: dict) -> None:
        # As the browser sends it: the route arg `link` and the query string in `query`.
        query = {"link": self.path.rstrip("/").rsplit("/", 1)[1], **({"preview": "1"} if self.preview else {})}
        self.emit(
            handler,
            payload,
            {"pathname": self.path, "asPath": self.path + ("?preview=1" if self.preview else ""), "query": query},
        )
