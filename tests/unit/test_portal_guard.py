"""The portal's guard layer: every event handler of every portal state, called without a
session, reveals and changes nothing; in Preview, no handler changes anything; a session
that ends mid-page clears every part of the portal; the re-check is one query."""

from __future__ import annotations

import inspect
import io
import json
from datetime import timedelta
from typing import Any

import pytest
import reflex as rx
from PIL import Image
from reflex.state import State
from sqlalchemy import select
from sqlmodel import Session

import kontrol_app.kontrol_app  # noqa: F401  (registers the portal page and its `link` route arg)
from kontrol_app import db
from kontrol_app.api.cookies import PORTAL_COOKIE
from kontrol_app.models import Customer, CustomerContact, utcnow
from kontrol_app.models import PortalSession as PortalSessionRow
from kontrol_app.services import messages, mockups, portal_links, portal_view
from kontrol_app.services.tokens import new_token, token_hash
from kontrol_app.ui.marks import handler_kind as guard_kind
from kontrol_app.ui.portal.live import PortalLive
from kontrol_app.ui.portal.session import PREVIEW_READ_ONLY, PortalSession, portal_event
from kontrol_app.ui.portal.sign_in import SignInState
from kontrol_app.ui.portal.tabs.approval import ApprovalTab
from kontrol_app.ui.portal.tabs.branding import BrandingTab
from kontrol_app.ui.portal.tabs.orders import OrdersTab
from tests.factories import make_customer, make_invoice, make_job, make_owner
from tests.helpers.sql import statements
from tests.helpers.states import (
    browser_tab,
    database_rows,
    run_handler,
    screen,
    staff_cookie,
)

SECRETS = ["Zebra Secret Printing", "zebra.buyer@example.com", "Zara Zebra", "+1 555 0199", "7 Stripe Lane", "Zebra Secret Jersey"]
SHOP = "Guarded Print Co"


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    owner = make_owner(session, shop_name=SHOP)
    customer_id = make_customer(
        session, owner, SECRETS[0], email=SECRETS[1], contact_name=SECRETS[2], phone=SECRETS[3], address=SECRETS[4]
    )
    job_id = make_job(session, owner, customer_id, SECRETS[5], path=["artwork"])
    other_id = make_customer(session, owner, "Other Customer", email="other@example.com")
    other_job_id = make_job(session, owner, other_id, "Other Jersey", path=["artwork"])
    # Each job has a version sent for approval, so a decision handler has a real target.
    version_id, other_version_id = (_sent_version(session, owner, job) for job in (job_id, other_job_id))
    # A sent invoice, so Pay Now has a real target (no Stripe key here: it can never reach Stripe).
    invoice_id = make_invoice(session, owner, job_id, send=True)
    customer = session.get(Customer, customer_id)
    contact = session.exec(select(CustomerContact).where(CustomerContact.customer_id == customer_id)).first()[0]
    # A conversation about the job, so the Messages handlers have a real target.
    thread_id = messages.start_thread_staff(session, owner, customer_id, "Your proof is ready", job_id=job_id)
    client_token = new_token()
    session.add(
        PortalSessionRow(customer_id=customer_id, contact_id=contact.id, token_hash=token_hash(client_token), expires_at=utcnow() + timedelta(days=1))
    )
    session.commit()
    other_link = portal_links.portal_path(session.get(Customer, other_id)).rsplit("/", 1)[1]
    return {
        "link": portal_links.portal_path(customer).rsplit("/", 1)[1],
        "other_link": other_link,
        "job_id": job_id,
        "invoice_id": invoice_id,
        "thread_id": thread_id,
        "version_id": version_id,
        "other_version_id": other_version_id,
        "client_cookie": f"{PORTAL_COOKIE}={client_token}",
        "staff_cookie": staff_cookie(session),
        "owner": owner,
        "customer_id": customer_id,
    }


def _sent_version(session: Session, owner, job_id: int) -> int:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), (20, 90, 200)).save(buffer, format="PNG")
    version = mockups.upload_version(session, owner, job_id, buffer.getvalue(), name="front.png")
    mockups.send_for_approval(session, owner, version.id)
    session.commit()
    return version.id


def _root(link: str, *, cookie: str = "", preview: bool = False, job: int | None = None) -> State:
    """A browser tab's state tree on a portal link (`link` is the route arg)."""
    query = {**({"preview": "1"} if preview else {}), **({"job": str(job)} if job else {})}
    search = "&".join(f"{k}={v}" for k, v in query.items())
    return browser_tab(cookie=cookie, query={"link": link, **query}, path=f"/public/portal/{link}" + (f"?{search}" if search else ""))


def _portal_states() -> list[type[rx.State]]:
    """The session state and every state under it, found by walking Reflex's tree."""
    found, todo = [], [PortalSession]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.get_substates())
    return found


def _handlers() -> list[tuple[type[rx.State], str]]:
    return [(cls, name) for cls in _portal_states() for name in cls.event_handlers]


def _sample_args(cls: type[rx.State], name: str, world: dict[str, Any], email: str = SECRETS[1]) -> list[Any]:
    """Plausible arguments, as a browser (or a script on the websocket) would send them."""
    if name == "setvar":
        settable = [var for var in cls.base_vars if f"set_{var}" in cls.event_handlers]
        return [settable[0] if settable else next(iter(cls.base_vars), "x"), "branding"]
    by_name = {
        "job_id": world["job_id"],
        "invoice_id": world["invoice_id"],
        "form": {"email": email, "code": "123456"},
        "tab": "branding",
        "_tick": "2026-01-01T00:00:00",
        "version_id": world["version_id"],
        "typed_name": "Typed Name",
        "agreed": True,
        "index": 0,
        "ticked": True,
        "notes": "Make the logo bigger",
        "reason": "Not what we ordered",
        "column": 3,
        "row": 4,
        "note": "Make the logo bigger",
        "thread_id": world["thread_id"],
        "page": 1,
        "body": "When will it ship?",
        "subject": "A question",
        "about": "general",
        "rejected": [],
        "uploads": [],
        "value": "#0A3D91",  # My Branding (a colour, a field typed)
        "quote_field": "garment",  # Request a Quote
        "quote_value": "Gildan 5000",
        "size": "M",
        "placement": "front",
        "checked": True,
        "file_id": 1,
        "step": 2,
    }
    fn = cls.event_handlers[name].fn
    params = list(inspect.signature(fn).parameters)[1:]
    missing = [p for p in params if p not in by_name]
    assert not missing, f"{fn.__qualname__}: add a sample for {missing}"
    return [by_name[p] for p in params]


def _call(root: State, cls: type[rx.State], name: str, args: list[Any]) -> Any:
    if name == "setvar" and f"set_{args[0]}" not in cls.event_handlers:
        return None  # setvar only reaches a state's own set_* handlers, walked here too
    return run_handler(screen(root, cls), name, *args)


def _shown(root: State) -> str:
    return json.dumps(root.dict(), default=str)


def _revealed(root: State) -> list[str]:
    shown = _shown(root)
    return [secret for secret in SECRETS if secret in shown]


def test_every_portal_handler_is_guarded():
    names = {cls.__name__ for cls in _portal_states()}
    assert {"PortalSession", "SignInState", "OrdersTab", "BrandingTab", "PortalTabs", "ApprovalTab", "InvoicesTab", "MessagesTab", "QuoteTab"} <= names
    for cls, name in _handlers():
        if name != "setvar":
            assert guard_kind(cls.event_handlers[name].fn) in {"read", "write", "sign_in", "load", "ui"}, (cls, name)


def test_a_handler_without_a_guard_fails_at_import():
    with pytest.raises(TypeError, match="mark leak with"):

        class LeakyTab(PortalSession):
            def leak(self):
                return None


def test_the_viewer_is_not_the_browsers_to_send():
    """The guard supplies the viewer; the signature Reflex exposes does not include it."""

    @portal_event
    async def handler(self, viewer, job_id: int):
        return viewer

    assert list(inspect.signature(handler).parameters) == ["self", "job_id"]
    assert "viewer" not in handler.__annotations__


def test_a_signed_in_client_sees_the_portal(world):
    """The control for the tests below: with the client's session the same calls reveal it all."""
    root = _root(world["link"], cookie=world["client_cookie"], job=world["job_id"])
    _call(root, PortalSession, "load", [])
    assert screen(root, PortalSession).signed_in and not screen(root, PortalSession).preview
    assert screen(root, OrdersTab).job_open and screen(root, OrdersTab).job.title == SECRETS[5]
    assert screen(root, BrandingTab).customer_phone == SECRETS[3]
    assert _revealed(root) == SECRETS
    _call(root, OrdersTab, "open_job", [world["job_id"]])
    assert screen(root, OrdersTab).job_open


def test_every_portal_handler_without_a_session_changes_and_reveals_nothing(world):
    called = 0
    for cookie in ("", f"{PORTAL_COOKIE}=forged-not-a-session"):
        for cls, name in _handlers():
            before = database_rows()
            root = _root(world["link"], cookie=cookie, job=world["job_id"])
            # (a typed email is echoed back on the code step: not one the database gave away)
            _call(root, cls, name, _sample_args(cls, name, world, email="typed@example.com"))
            called += 1
            assert _revealed(root) == [], f"{cls.__name__}.{name} revealed data"
            assert not screen(root, PortalSession).signed_in
            if guard_kind(cls.event_handlers[name].fn) != "sign_in":
                # Asking for a code records a row (the throttle counts it): that is sign-in itself.
                assert database_rows() == before, f"{cls.__name__}.{name} changed the database"
    assert called >= 2 * 12


def test_a_session_that_ends_mid_page_clears_every_part_of_the_portal(world, session):
    for cls, name in _handlers():
        if guard_kind(cls.event_handlers[name].fn) not in {"read", "write", "load"}:
            continue
        root = _root(world["link"], cookie=world["client_cookie"])
        _call(root, PortalSession, "load", [])
        _call(root, OrdersTab, "show_past", [])
        assert _revealed(root) == SECRETS  # control: everything is there
        # The browser's cookie no longer opens a session (signed out elsewhere, revoked).
        root.router_data = root._update_router_vars({**root.router_data, "headers": {"cookie": ""}}, root.router_data)
        _call(root, cls, name, _sample_args(cls, name, world))
        assert _revealed(root) == [], f"{cls.__name__}.{name} left customer data behind"
        assert screen(root, PortalSession).shop_name == SHOP  # the link's public header stays
        assert screen(root, PortalSession).loaded and not screen(root, PortalSession).signed_in


def test_an_event_for_another_link_starts_over(world):
    root = _root(world["link"], cookie=world["staff_cookie"], preview=True)
    _call(root, PortalSession, "load", [])
    assert _revealed(root) == SECRETS
    other = _root(world["other_link"], cookie=world["staff_cookie"], preview=True)
    root.router_data = root._update_router_vars(other.router_data, root.router_data)
    _call(root, PortalLive, "poll", ["tick"])
    assert _revealed(root) == []


def test_preview_shows_everything_and_changes_nothing(world):
    root = _root(world["link"], cookie=world["staff_cookie"], preview=True)
    _call(root, PortalSession, "load", [])
    assert screen(root, PortalSession).preview and _revealed(root) == SECRETS  # control
    before = database_rows()
    writes = 0
    for cls, name in _handlers():
        if guard_kind(cls.event_handlers[name].fn) not in {"write", "sign_in"}:
            continue
        root = _root(world["link"], cookie=f"{world['staff_cookie']}; {world['client_cookie']}", preview=True)
        _call(root, PortalSession, "load", [])
        result = _call(root, cls, name, _sample_args(cls, name, world))
        writes += 1
        assert PREVIEW_READ_ONLY in repr(result), f"{cls.__name__}.{name} was not refused"
        assert database_rows() == before, f"{cls.__name__}.{name} changed the database in Preview"
        assert screen(root, PortalSession).preview and screen(root, SignInState).step == "email"
    assert writes >= 3  # sign out, request a code, check a code


def test_without_preview_a_staff_cookie_opens_nothing(world):
    root = _root(world["link"], cookie=world["staff_cookie"])
    _call(root, PortalSession, "load", [])
    assert not screen(root, PortalSession).signed_in and _revealed(root) == []


def test_the_session_recheck_is_one_query(world):
    with Session(db.get_engine()) as session:
        for cookie, preview in ((world["client_cookie"], False), (world["staff_cookie"], True), ("", False)):
            token = cookie.split("=", 1)[1] if cookie else None
            with statements() as sent:
                viewer = portal_view.viewer_for(
                    session, world["link"], None if preview else token, token if preview else None, preview
                )
            assert len(sent) == 1, sent
            assert (viewer is not None) == bool(cookie)
            assert viewer is None or (viewer.preview == preview and viewer.customer_name == SECRETS[0])


def test_a_tab_event_loads_only_its_own_tab():
    """What Reflex's Redis state manager fetches for an event of each part of the portal:
    that part, the session state and the root, never another tab's data."""
    from reflex.istate.manager.redis import StateManagerRedis

    manager = StateManagerRedis.__new__(StateManagerRedis)  # only its tree walk is used
    parts = [cls for cls in _portal_states() if cls is not PortalSession]
    assert {OrdersTab, BrandingTab, SignInState} <= set(parts)
    for part in parts:
        assert part.get_parent_state() is PortalSession  # a shallow tree
        assert manager._get_required_state_classes(part, subclasses=True) == {part, PortalSession, State}


def test_deciding_another_customers_version_changes_nothing(world):
    """A script names the version to decide; the viewer (never the browser) names the
    customer and contact, so another customer's version id is refused and nothing changes."""
    root = _root(world["link"], cookie=world["client_cookie"], job=world["job_id"])
    _call(root, PortalSession, "load", [])
    approval = screen(root, ApprovalTab)
    # Control: the client sees their own version, may decide it, and the banner counts it.
    assert approval.version_id == world["version_id"] and approval.can_decide
    assert approval.banner == "1 job awaiting your approval — click to review"
    approval.typed_name, approval.agreed = SECRETS[2], True
    approval.revision_notes = approval.decline_reason = "Change the colours"
    before = database_rows()
    for name in ("approve", "request_revisions", "decline"):
        _call(root, ApprovalTab, name, [world["other_version_id"]])
        assert database_rows() == before, f"ApprovalTab.{name} changed another customer's version"
        assert "not in your portal" in screen(root, ApprovalTab).refusal
        assert screen(root, ApprovalTab).answer == "" and screen(root, ApprovalTab).can_decide
    # Control: the same handler with the client's own version decides, and the page moves on.
    _call(root, ApprovalTab, "approve", [world["version_id"]])
    assert database_rows() != before
    assert screen(root, OrdersTab).job.status == "art_approved"
    assert screen(root, ApprovalTab).answer != "" and not screen(root, ApprovalTab).can_decide
    assert screen(root, ApprovalTab).banner == "" and screen(root, ApprovalTab).refusal == ""


def test_the_banner_counts_jobs_awaiting_an_answer():
    from kontrol_app.ui.portal.tabs.approval import banner_text

    assert banner_text(0) == ""
    assert banner_text(1) == "1 job awaiting your approval — click to review"
    assert banner_text(2) == "2 jobs awaiting your approval — click to review"


def test_a_second_answer_from_a_stale_page_is_refused_and_shows_the_first(world):
    """Two open pages (two people at the customer): the first answer wins, the second page
    is told who answered and shows the version as it is now."""
    first, second = (_root(world["link"], cookie=world["client_cookie"], job=world["job_id"]) for _ in range(2))
    for root in (first, second):
        _call(root, PortalSession, "load", [])
        assert screen(root, ApprovalTab).can_decide  # control: both may decide
    screen(first, ApprovalTab).revision_notes = "Make the logo bigger"
    _call(first, ApprovalTab, "request_revisions", [world["version_id"]])
    assert screen(first, OrdersTab).job.status == "revisions_requested"
    rows = database_rows()
    approval = screen(second, ApprovalTab)
    approval.typed_name, approval.agreed = SECRETS[2], True
    _call(second, ApprovalTab, "approve", [world["version_id"]])
    assert database_rows() == rows
    assert screen(second, ApprovalTab).refusal.startswith("Revisions were already requested by")
    assert not screen(second, ApprovalTab).can_decide and screen(second, ApprovalTab).answer == ""
    assert screen(second, OrdersTab).job.status == "revisions_requested"


@pytest.mark.parametrize("job", ["²", "-1", "99999999"])
def test_a_job_link_that_is_not_a_job_of_theirs_opens_the_cards(world, job):
    root = _root(world["link"], cookie=world["client_cookie"], job=job)
    _call(root, PortalSession, "load", [])
    assert screen(root, PortalSession).signed_in and screen(root, OrdersTab).orders  # control: signed in
    assert not screen(root, OrdersTab).job_open and screen(root, ApprovalTab).version_id == 0


def test_a_dead_link_says_so_and_names_the_shop_and_nothing_of_the_customer(world):
    """A link regenerated while its page was open (or mistyped): whom to ask for a new one."""
    root = _root(world["link"][:-3] + "aaa", cookie=world["client_cookie"], job=world["job_id"])
    _call(root, PortalSession, "load", [])
    page = screen(root, PortalSession)
    assert not page.link_valid and not page.signed_in and page.shop_name == SHOP
    assert _revealed(root) == []


def test_a_link_regenerated_while_its_page_is_open_says_so_at_the_next_event(world, session):
    root = _root(world["link"], cookie=world["client_cookie"])
    _call(root, PortalSession, "load", [])
    assert _revealed(root) == SECRETS
    portal_links.regenerate_link(session, world["owner"], world["customer_id"])
    session.commit()
    _call(root, OrdersTab, "show_past", [])
    page = screen(root, PortalSession)
    assert not page.link_valid and page.shop_name == SHOP  # the dead link's page, not "Sign in"
    assert _revealed(root) == []
