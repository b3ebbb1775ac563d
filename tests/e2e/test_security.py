"""The staff session, attacked from the browser and from a raw websocket client."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import expect
from reflex.event import EventHandler
from sqlmodel import select

from kontrol_app.models import Shop, StaffSession
from kontrol_app.services import staff as staff_service
from kontrol_app.services.tokens import token_hash
from kontrol_app.ui.staff.settings_shop import ShopInfoState

from .conftest import ROOT, WEB_WORKDIR
from .pages import at, sign_in_with_form, sign_out, user_menu
from .sockets import EventSocket, event_name

COOKIE = "kontrol_staff"


def test_session_cookie_is_httponly_and_never_reaches_page_script(shop, page, context, db_session):
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(str(data))))

    sign_in_with_form(page, shop.email, shop.password)
    expect(page).to_have_url(at("/"))
    expect(user_menu(page, shop.name)).to_be_visible()

    [cookie] = [c for c in context.cookies() if c["name"] == COOKIE]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"
    token = cookie["value"]
    script_view = page.evaluate("document.cookie")
    assert COOKIE not in script_view and token not in script_view
    # Nor does Reflex hand it to the page in state (the websocket handshake carries it).
    assert frames, "no websocket frames were captured"
    assert not [f for f in frames if token in f]
    # The server keeps only a hash of it.
    with db_session() as session:
        hashes = [s.token_hash for s in session.exec(select(StaffSession)).all()]
    assert token_hash(token) in hashes and token not in hashes


def test_a_stolen_session_stops_working_once_signed_out(shop, new_context, sign_in_as):
    owner_context = new_context()
    owner = owner_context.new_page()
    sign_in_as(owner, shop, "/settings/shop")
    expect(user_menu(owner, shop.name)).to_be_visible()
    [stolen] = [c for c in owner_context.cookies() if c["name"] == COOKIE]

    thief_context = new_context()
    thief_context.add_cookies([stolen])
    thief = thief_context.new_page()
    thief.goto("/settings/shop")
    expect(thief).to_have_url(at("/settings/shop"))
    expect(thief.locator("input[name=name]")).to_have_value(shop.shop_name)

    sign_out(owner, shop.name)

    thief.reload()
    expect(thief).to_have_url(at("/sign-in", query="next="))
    thief.goto("/settings/team")
    expect(thief).to_have_url(at("/sign-in", query="next="))


# --------------------------------------------------------------------------- websocket

REFUSED = "Your session has ended. Sign in again."
SAVED = "Shop info saved."
# A complete, valid form: with a session, saving it changes every one of these.
HIJACK = {
    "name": "Hijacked Shop 7f3a",
    "email": "attacker-7f3a@example.com",
    "phone": "+44 7700 900123",
    "address": "1 Attacker Lane",
    "currency": "EUR",
    "timezone": "Europe/Paris",
}
# The rest of the form (not text columns, so compared apart).
NUMBERS = {"production_days": "5"}


class ShopInfoSocket(EventSocket):
    """A script on Settings -> Shop Info's websocket."""

    def call(self, handler: EventHandler, payload: dict, *, until: Callable[[str], bool]) -> str:
        """Send one event; return the first update that `until` accepts."""
        self.emit(handler, payload, {"pathname": "/settings/shop", "asPath": "/settings/shop"})
        return self.wait_for(until)

    def fill_and_save(self) -> str:
        """Type a complete, valid form into Shop Info's state, then press Save."""
        for name, value in (HIJACK | NUMBERS).items():
            self.call(ShopInfoState.set_field, {"name": name, "value": value}, until=lambda u, v=value: v in u)
        return self.call(ShopInfoState.save, {}, until=lambda u: REFUSED in u or SAVED in u or "not saved" in u)


def _shop_snapshot(db_session) -> dict:
    with db_session() as session:
        return session.exec(select(Shop)).one().model_dump()


def test_the_save_handler_name_is_the_one_the_build_uses(e2e_server):
    """The names below are the ones the compiled front end sends (so the tests call real handlers)."""
    bundle = ROOT / WEB_WORKDIR / "build" / "client"
    names = {event_name(ShopInfoState.set_field), event_name(ShopInfoState.save)}
    found = {n for path in bundle.rglob("*.js") for n in names if n in path.read_text(errors="ignore")}
    assert found == names


@pytest.mark.parametrize("credential", ["no cookie", "forged cookie", "revoked cookie"])
def test_websocket_save_without_a_session_changes_nothing(credential, shop, e2e_server, db_session, session_token):
    if credential == "no cookie":
        cookie = None
    elif credential == "forged cookie":
        cookie = f"{COOKIE}=forged-{uuid.uuid4().hex}"
    else:
        token = session_token(shop)
        with db_session() as session:
            staff_service.sign_out(session, token)
        cookie = f"{COOKIE}={token}"
    before = _shop_snapshot(db_session)

    socket = ShopInfoSocket(e2e_server.base_url, cookie)
    try:
        answer = socket.fill_and_save()
    finally:
        socket.close()

    assert REFUSED in answer  # the handler ran, and refused
    assert _shop_snapshot(db_session) == before

    # Control: the very same events with a live session do change the shop, so the
    # refusal above is the session check at work, not a malformed call.
    socket = ShopInfoSocket(e2e_server.base_url, f"{COOKIE}={session_token(shop)}")
    try:
        answer = socket.fill_and_save()
    finally:
        socket.close()
    assert SAVED in answer
    after = _shop_snapshot(db_session)
    assert {k: after[k] for k in HIJACK} == HIJACK
    assert after["production_days"] == 5
