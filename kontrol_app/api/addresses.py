"""The client's address, as the per-address sign-in limits count it.

Used by the HTTP routes and by the Reflex states alike. Behind reverse proxies every
connection comes from the nearest proxy, so with `KONTROL_TRUSTED_PROXIES=N` the address
is the N-th entry from the right of X-Forwarded-For (each proxy appends the address it
saw). With 0 (the default) the header is ignored: anyone can send it.

Reflex's own `trusted_proxy_hops` stays 0 (rxconfig.py does not set it), so a state's
`router.session.client_ip` is the websocket's peer and this is the only place that reads
the header.
"""

from __future__ import annotations

from kontrol_app.settings import get_settings


def client_address(peer: str | None, forwarded_for: str | None) -> str:
    """`peer`: the socket's remote address; `forwarded_for`: the X-Forwarded-For header
    (repeated headers joined with ", "), or None."""
    hops = get_settings().trusted_proxies
    if hops and forwarded_for:
        entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
        # Fewer entries than proxies: the request did not come through them all; use the peer.
        if len(entries) >= hops:
            return entries[-hops][:64]
    return (peer or "")[:64]
