"""Portal handlers called by a script over the websocket without a signed-in client
reveal nothing and change nothing; staff Preview changes nothing either."""

from __future__ import annotations

import queue

from playwright.sync_api import expect
from sqlmodel import select

from kontrol_app.api.cookies import PORTAL_COOKIE, STAFF_COOKIE
from kontrol_app.models import (
    Job,
    OutboxEmail,
    PortalSession,
    PortalSignInCode,
    SignInTicket,
)
from kontrol_app.ui.portal.live import PortalLive
from kontrol_app.ui.portal.session import PREVIEW_READ_ONLY
from kontrol_app.ui.portal.session import PortalSession as PortalSessionState
from kontrol_app.ui.portal.sign_in import SignInState
from kontrol_app.ui.portal.tabs.orders import OrdersTab

from .pages import at, expect_portal_tabs
from .sockets import PortalSocket


def _drain(socket: PortalSocket, seconds: float = 3.0) -> list[str]:
    """Everything the server sent within `seconds` (it answers every event it handles)."""
    try:
        socket.wait_for(lambda _update: False, timeout=seconds)
    except AssertionError:
        pass
    while True:
        try:
            socket.seen.append(str(socket.updates.get_nowait()))
        except queue.Empty:
            return socket.seen


def test_portal_handlers_without_a_session_reveal_and_change_nothing(
    shop, make_customer, make_job, e2e_server, db_session
):
    acme = make_customer("Acme Uniforms", email="buyer@acme.example")
    job_id = make_job(acme.id, "Secret Prototype Jerseys", quantity=12, status="in_production")
    with db_session() as session:
        jobs_before = [(j.id, j.status, j.title) for j in session.exec(select(Job)).all()]
        emails_before = len(session.exec(select(OutboxEmail)).all())

    for cookie in (None, "kontrol_portal=forged-not-a-session"):
        socket = PortalSocket(e2e_server.base_url, cookie, acme.portal_path)
        try:
            socket.send(PortalSessionState.load, {})
            socket.wait_for(lambda update: shop.shop_name in update)  # the page's branding loaded
            for handler, payload in (
                (OrdersTab.open_job, {"job_id": job_id}),
                (PortalLive.poll, {}),
                (OrdersTab.show_past, {}),
                (PortalSessionState.sign_out, {}),
                (SignInState.verify_code, {"form": {"code": "123456"}}),
            ):
                socket.send(handler, payload)
            seen = _drain(socket)
        finally:
            socket.close()
        assert not [update for update in seen if "Secret Prototype Jerseys" in update or "12 pcs" in update]
        assert not [update for update in seen if "Acme Uniforms" in update or "buyer@acme.example" in update]

    with db_session() as session:
        assert [(j.id, j.status, j.title) for j in session.exec(select(Job)).all()] == jobs_before
        assert len(session.exec(select(OutboxEmail)).all()) == emails_before
        assert session.exec(select(PortalSession)).all() == []


def test_a_revoked_portal_session_stops_working_mid_page(
    shop, make_customer, make_job, new_context, portal_sign_in, e2e_server, db_session
):
    """The portal re-checks the session on every event, not only when the page loads."""
    acme = make_customer("Acme Uniforms", email="buyer@acme.example")
    job_id = make_job(acme.id, "Secret Prototype Jerseys", quantity=12, status="in_production")
    context = new_context()
    portal_sign_in(context.new_page(), acme.portal_url, acme.email)
    [cookie] = [c for c in context.cookies() if c["name"] == "kontrol_portal"]

    socket = PortalSocket(e2e_server.base_url, f"kontrol_portal={cookie['value']}", acme.portal_path)
    try:
        socket.send(PortalSessionState.load, {})
        socket.wait_for(lambda update: "Secret Prototype Jerseys" in update)  # control: signed in, it shows
        _drain(socket, 1.5)  # let the rest of load's answers arrive before the session goes
        with db_session() as session:
            for row in session.exec(select(PortalSession)).all():
                session.delete(row)  # as good as revoked: the token no longer matches anything
            session.commit()
        socket.seen.clear()
        socket.send(OrdersTab.open_job, {"job_id": job_id})
        socket.send(PortalLive.poll, {})
        seen = _drain(socket)
    finally:
        socket.close()
    assert seen, "the server answered nothing at all"
    assert not [update for update in seen if "Secret Prototype Jerseys" in update]
    assert [update for update in seen if '"signed_in_rx_state_": false' in update]


def _write_rows(db_session) -> dict[str, list]:
    """Everything a portal write leaves behind: sessions (and their revocation), codes,
    tickets, emails (which ones: the sender may deliver a queued one meanwhile)."""
    with db_session() as session:
        rows = {
            model.__name__: sorted(repr(row) for row in session.exec(select(model)).all())
            for model in (PortalSession, PortalSignInCode, SignInTicket)
        }
        emails = session.exec(select(OutboxEmail)).all()
        rows["OutboxEmail"] = sorted(repr((e.id, e.kind, e.to_email, e.subject)) for e in emails)
        return rows


def test_staff_preview_changes_nothing_even_over_the_websocket(
    shop, make_customer, make_job, new_context, sign_in_as, portal_sign_in, session_token, e2e_server, db_session
):
    """Preview shows the portal as the client sees it, and every write is refused: the page
    offers none, and a script sending them by hand gets "Preview is read-only"."""
    acme = make_customer("Acme Uniforms", email="buyer@acme.example")
    make_job(acme.id, "Secret Prototype Jerseys", quantity=12, status="in_production")
    # The same browser also holds a client session of this customer: Preview must not touch it.
    context = new_context()
    portal_sign_in(context.new_page(), acme.portal_url, acme.email)
    [client_cookie] = [c for c in context.cookies() if c["name"] == PORTAL_COOKIE]
    staff_page = context.new_page()
    sign_in_as(staff_page, shop, "/")
    staff_page.goto(f"{acme.portal_path}?preview=1")
    expect(staff_page).to_have_url(at(acme.portal_path, query=r"preview=1"))
    expect(staff_page.locator("#preview-banner")).to_contain_text("Preview — viewing as Acme Uniforms")
    expect_portal_tabs(staff_page)
    expect(staff_page.locator(".order-card").filter(has_text="Secret Prototype Jerseys")).to_have_count(1)
    expect(staff_page.get_by_role("button", name="Sign out")).to_have_count(0)
    cookie = f"{STAFF_COOKIE}={session_token(shop)}; {PORTAL_COOKIE}={client_cookie['value']}"
    before = _write_rows(db_session)
    assert len(before["PortalSession"]) == 1  # the client's

    socket = PortalSocket(e2e_server.base_url, cookie, acme.portal_path, preview=True)
    try:
        socket.send(PortalSessionState.load, {})
        socket.wait_for(lambda update: "Secret Prototype Jerseys" in update)  # control: Preview shows it
        _drain(socket, 1.5)
        socket.seen.clear()
        for handler, payload in (
            (PortalSessionState.sign_out, {}),
            (SignInState.request_code, {"form": {"email": acme.email}}),
            (SignInState.verify_code, {"form": {"code": "123456"}}),
        ):
            socket.send(handler, payload)
        refusals = [update for update in _drain(socket) if PREVIEW_READ_ONLY in update]
    finally:
        socket.close()
    assert len(refusals) == 3, socket.seen
    assert not [update for update in socket.seen if "/api/portal/" in update]  # no sign-out or sign-in visit
    assert _write_rows(db_session) == before

    # The client's own session still works in this browser (Preview did not sign it out).
    client = context.new_page()
    client.goto(acme.portal_url)
    expect_portal_tabs(client)
    expect(client.locator(".order-card").filter(has_text="Secret Prototype Jerseys")).to_have_count(1)
