"""Portal handlers called by a script over the websocket without a signed-in client
reveal nothing and change nothing."""

from __future__ import annotations

import queue

from sqlmodel import select

from kontrol_app.models import Job, OutboxEmail, PortalSession

from .test_jobs import PortalSocket


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
            socket.send("load", {})
            socket.wait_for(lambda update: "Acme Uniforms" in update)  # the page's branding loaded
            for handler, payload in (
                ("open_job", {"job_id": job_id}),
                ("poll", {}),
                ("show_past", {}),
                ("sign_out", {}),
                ("verify_code", {"form": {"code": "123456"}}),
            ):
                socket.send(handler, payload)
            seen = _drain(socket)
        finally:
            socket.close()
        assert not [update for update in seen if "Secret Prototype Jerseys" in update or "12 pcs" in update]

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
        socket.send("load", {})
        socket.wait_for(lambda update: "Secret Prototype Jerseys" in update)  # control: signed in, it shows
        _drain(socket, 1.5)  # let the rest of load's answers arrive before the session goes
        with db_session() as session:
            for row in session.exec(select(PortalSession)).all():
                session.delete(row)  # as good as revoked: the token no longer matches anything
            session.commit()
        socket.seen.clear()
        socket.send("open_job", {"job_id": job_id})
        socket.send("poll", {})
        seen = _drain(socket)
    finally:
        socket.close()
    assert seen, "the server answered nothing at all"
    assert not [update for update in seen if "Secret Prototype Jerseys" in update]
    assert [update for update in seen if '"signed_in_rx_state_": false' in update]
