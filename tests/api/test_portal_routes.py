"""The portal's HTTP side: the session cookie routes and PortalGuard in front of the pages."""

from __future__ import annotations

import re
import warnings

import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

with warnings.catch_warnings():  # starlette's notice about httpx, once per process
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from kontrol_app.api.cookies import PORTAL_COOKIE
from kontrol_app.api.portal_guard import PortalGuard
from kontrol_app.api.routes import build_api
from kontrol_app.models import EmailKind, OutboxEmail, Shop
from kontrol_app.services import customers, portal_auth, portal_links, staff
from kontrol_app.services.customers import CustomerInput
from tests.helpers.http import set_cookie

NOT_VALID = "This link is not valid — ask your shop for a new one"
THIRTY_DAYS = 30 * 24 * 3600

# --- the app under test ----------------------------------------------------------------------


async def front_end(request: Request) -> PlainTextResponse:
    """Stands in for the Reflex pages; claims to be indexable, which the guard must override."""
    return PlainTextResponse(
        f"page {request.url.path}", headers={"X-Robots-Tag": "all", "Referrer-Policy": "unsafe-url"}
    )


def build_app():
    api = build_api()
    pages = Starlette(routes=[Route("/{path:path}", front_end, methods=["GET", "HEAD", "POST"])])

    async def dispatch(scope, receive, send):
        target = api if scope["type"] == "http" and scope["path"].startswith("/api/") else pages
        await target(scope, receive, send)

    return PortalGuard(dispatch)


@pytest.fixture
def client(database) -> TestClient:
    with TestClient(build_app(), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def acme(session: Session) -> dict:
    owner = staff.create_shop(
        session, shop_name="Acme Print Co", name="Olivia Owner", email="olivia@acme-print.test", password="correct horse"
    )
    customer_id = customers.create_customer(session, owner, CustomerInput(name="Acme Apparel", email="ann@acme.test"))
    session.commit()
    customer = portal_links._customer(session, customer_id)
    path = portal_links.portal_path(customer)
    return {"owner": owner, "id": customer_id, "path": path, "link": path[len(portal_links.PORTAL_PREFIX) :]}


def ticket_for(session: Session, link: str, email: str) -> str:
    portal_auth.request_code(session, link=link, email=email)
    session.commit()
    body = session.exec(
        select(OutboxEmail.text_body).where(OutboxEmail.kind == EmailKind.SIGN_IN_CODE).order_by(OutboxEmail.id.desc())
    ).first()
    code = re.search(r"^(\d{6})$", body, re.M).group(1)
    ticket = portal_auth.verify_code(session, link=link, email=email, code=code)
    session.commit()
    return ticket


def cookie_attributes(response) -> dict[str, str]:
    """The kontrol_portal Set-Cookie header as {attribute (lower-case): value}."""
    return set_cookie(response, PORTAL_COOKIE)


# --- /api/portal/session ---------------------------------------------------------------------


def test_ticket_sets_the_portal_cookie_and_redirects_to_the_portal(client, session, acme):
    ticket = ticket_for(session, acme["link"], "ann@acme.test")
    response = client.get("/api/portal/session", params={"ticket": ticket})
    assert response.status_code == 303
    assert response.headers["location"] == acme["path"]
    cookie = cookie_attributes(response)
    assert cookie["httponly"] == ""
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert cookie["max-age"] == str(THIRTY_DAYS)
    assert "secure" not in cookie  # plain http in tests
    token = cookie["value"]
    session.expire_all()
    principal = portal_auth.principal_for_token(session, token)
    assert principal is not None and principal.customer_id == acme["id"] and principal.email == "ann@acme.test"


@pytest.mark.parametrize(("job", "query"), [("42", "?job=42"), ("", ""), ("4x2", ""), ("²", ""), ("/evil", ""), ("1" * 13, "")])
def test_an_emailed_link_to_a_job_lands_on_that_job(client, session, acme, job, query):
    """The artwork email links to `<portal>?job=<id>`: after the code sign-in the client lands
    on that job (only a plain number is carried; the page checks the job is theirs)."""
    ticket = ticket_for(session, acme["link"], "ann@acme.test")
    response = client.get("/api/portal/session", params={"ticket": ticket, "job": job})
    assert response.status_code == 303
    assert response.headers["location"] == acme["path"] + query


@pytest.mark.parametrize(
    ("params", "query"),
    [({"invoice": "7"}, "?invoice=7"), ({"tab": "invoices"}, "?tab=invoices"), ({"tab": "admin"}, ""), ({"invoice": "7;x"}, "")],
)
def test_an_emailed_link_to_an_invoice_lands_on_the_invoices(client, session, acme, params, query):
    """"Invoice INV-0001 from ..." links to `<portal>?invoice=<id>`; Stripe's cancel page to `?tab=invoices`."""
    ticket = ticket_for(session, acme["link"], "ann@acme.test")
    response = client.get("/api/portal/session", params={"ticket": ticket, **params})
    assert response.headers["location"] == acme["path"] + query


def test_cookie_is_secure_behind_https(client, session, acme, monkeypatch):
    from kontrol_app.settings import get_settings

    monkeypatch.setenv("KONTROL_PUBLIC_URL", "https://shop.example.test")
    get_settings.cache_clear()
    ticket = ticket_for(session, acme["link"], "ann@acme.test")
    response = client.get("/api/portal/session", params={"ticket": ticket})
    assert response.status_code == 303
    assert "secure" in cookie_attributes(response)


@pytest.mark.parametrize("ticket", ["", "not-a-ticket"])
def test_bad_ticket_is_refused_without_a_cookie(client, acme, ticket):
    response = client.get("/api/portal/session", params={"ticket": ticket})
    assert response.status_code == 400
    assert "set-cookie" not in response.headers
    assert "expired" in response.text


def test_ticket_works_once(client, session, acme):
    ticket = ticket_for(session, acme["link"], "ann@acme.test")
    assert client.get("/api/portal/session", params={"ticket": ticket}).status_code == 303
    again = client.get("/api/portal/session", params={"ticket": ticket})
    assert again.status_code == 400
    assert "set-cookie" not in again.headers


def test_staff_ticket_does_not_open_the_portal(client, session, acme):
    ticket = staff.issue_ticket(session, acme["owner"].id)
    session.commit()
    response = client.get("/api/portal/session", params={"ticket": ticket})
    assert response.status_code == 400
    assert "set-cookie" not in response.headers


# --- /api/portal/signed-out ------------------------------------------------------------------


def test_signed_out_clears_the_cookie_and_returns_to_the_portal(client, acme):
    response = client.get("/api/portal/signed-out", params={"next": acme["path"]})
    assert response.status_code == 303
    assert response.headers["location"] == acme["path"]
    cookie = cookie_attributes(response)
    assert cookie["value"] in ("", '""')
    assert cookie["max-age"] == "0"
    assert cookie["path"] == "/"


@pytest.mark.parametrize(
    "next_path",
    ["https://evil.test/public/portal/x", "//evil.test/public/portal/x", "/dashboard", "/public/portalx", "/\\evil.test", None],
)
def test_signed_out_only_redirects_to_portal_pages(client, next_path):
    params = {"next": next_path} if next_path is not None else {}
    response = client.get("/api/portal/signed-out", params=params)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert cookie_attributes(response)["max-age"] == "0"


# --- PortalGuard -----------------------------------------------------------------------------


def assert_private(response) -> None:
    assert "noindex" in response.headers["x-robots-tag"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert len(response.headers.get_list("x-robots-tag")) == 1
    assert len(response.headers.get_list("referrer-policy")) == 1


def test_a_valid_link_reaches_the_page_with_private_headers(client, acme):
    response = client.get(acme["path"])
    assert response.status_code == 200
    assert response.text == f"page {acme['path']}"
    assert_private(response)
    # With a trailing slash or a query (staff Preview) too.
    for url in (acme["path"] + "/", acme["path"] + "?preview=1"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_private(response)


@pytest.mark.parametrize(
    "path",
    [
        "/public/portal/acme-apparel-" + "a" * 26,
        "/public/portal/acme-apparel",
        "/public/portal/",
        "/public/portal/x/orders",
    ],
)
def test_unknown_links_get_a_plain_404(client, acme, path):
    response = client.get(path)
    assert response.status_code == 404
    assert NOT_VALID in response.text
    assert "page " not in response.text  # the front end was never asked
    assert response.headers["content-type"].startswith("text/html")
    assert_private(response)


def test_head_of_an_unknown_link_is_404(client, acme):
    response = client.head("/public/portal/acme-apparel-" + "b" * 26)
    assert response.status_code == 404
    assert_private(response)


def test_regenerated_link_gets_a_404_and_the_new_one_works(client, session, acme):
    shop = session.exec(select(Shop)).one()
    shop.email, shop.phone = "hello@acme-print.test", "555-0100 <ext 2>"
    session.add(shop)
    portal_links.regenerate_link(session, acme["owner"], acme["id"])
    session.commit()
    old = client.get(acme["path"])
    assert old.status_code == 404
    assert NOT_VALID in old.text
    # An old email's link is often all a client has: the page says whom to ask.
    assert 'Acme Print Co · <a href="mailto:hello@acme-print.test"' in old.text
    assert 'href="tel:555-0100 &lt;ext 2&gt;"' in old.text and "<ext 2>" not in old.text
    assert_private(old)
    new_path = portal_links.portal_path(portal_links._customer(session, acme["id"]))
    new = client.get(new_path)
    assert new.status_code == 200
    assert_private(new)


def test_other_methods_pass_through_with_private_headers(client, acme):
    response = client.post("/public/portal/acme-apparel-" + "c" * 26)
    assert response.status_code == 200
    assert_private(response)


def test_other_pages_are_left_alone(client, acme):
    response = client.get("/customers")
    assert response.status_code == 200
    assert response.headers["x-robots-tag"] == "all"
    assert response.headers["referrer-policy"] == "unsafe-url"


def test_full_sign_in_through_http(client, session, acme):
    """Ticket -> cookie -> the browser is on its portal; signing out clears it."""
    ticket = ticket_for(session, acme["link"], "ann@acme.test")
    response = client.get("/api/portal/session", params={"ticket": ticket})
    assert client.cookies.get(PORTAL_COOKIE)
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert_private(page)
    token = client.cookies.get(PORTAL_COOKIE)
    portal_auth.sign_out(session, token)
    session.commit()
    out = client.get("/api/portal/signed-out", params={"next": acme["path"]})
    assert out.headers["location"] == acme["path"]
    assert not client.cookies.get(PORTAL_COOKIE)
    assert portal_auth.principal_for_token(session, token) is None


def test_signed_out_revokes_the_portal_session_of_the_cookie(client, session, acme):
    client.get("/api/portal/session", params={"ticket": ticket_for(session, acme["link"], "ann@acme.test")})
    token = client.cookies.get(PORTAL_COOKIE)
    assert portal_auth.principal_for_token(session, token) is not None
    out = client.get("/api/portal/signed-out", params={"next": acme["path"]})
    assert out.status_code == 303 and not client.cookies.get(PORTAL_COOKIE)
    session.expire_all()
    assert portal_auth.principal_for_token(session, token) is None
    # A cookie that is no session (or a second visit) is only cleared.
    client.cookies.set(PORTAL_COOKIE, "not-a-session")
    assert client.get("/api/portal/signed-out").status_code == 303
