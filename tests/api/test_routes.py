"""Staff session cookie routes, the logo route and the request size limit, over HTTP."""

from __future__ import annotations

import io
import warnings
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from PIL import Image
from reflex.istate.data import RouterData
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import kontrol_app.kontrol_app  # noqa: F401  (registers every page and state)
from kontrol_app.api.cookies import DEVICE_COOKIE, STAFF_COOKIE
from kontrol_app.api.limits import OTHER_LIMIT, UPLOAD_LIMIT, RequestSizeLimit
from kontrol_app import db
from kontrol_app.models import StaffSession, StoredFile
from kontrol_app.services import files
from kontrol_app.services import shop as shop_service
from kontrol_app.services import staff
from kontrol_app.settings import get_settings
from kontrol_app.ui.services import client_ip
from kontrol_app.ui.staff.auth import SignInState
from tests.factories import OWNER_EMAIL, OWNER_PASSWORD
from tests.helpers.http import set_cookie
from tests.helpers.states import browser_tab, run_handler, screen

FOURTEEN_DAYS = 14 * 24 * 3600


def ticket(session: Session) -> str:
    issued = staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD)
    session.commit()
    return issued


def image_bytes(image_format: str, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(buffer, image_format)
    return buffer.getvalue()


# --- /api/staff/session ------------------------------------------------------------------------


def test_ticket_sets_the_session_cookie_and_redirects_to_next(api_client, session, owner):
    response = api_client.get("/api/staff/session", params={"ticket": ticket(session), "next": "/jobs/42?tab=files"})
    assert response.status_code == 303
    assert response.headers["location"] == "/jobs/42?tab=files"
    cookie = set_cookie(response, STAFF_COOKIE)
    assert cookie["httponly"] == ""
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert cookie["max-age"] == str(FOURTEEN_DAYS)
    assert "secure" not in cookie  # plain http here
    session.expire_all()
    assert staff.principal_for_token(session, cookie["value"]) == owner
    stored = session.exec(select(StaffSession)).one()
    assert stored.user_agent.startswith("testclient") and stored.ip == "testclient"


def test_without_next_the_browser_goes_home(api_client, session, owner):
    response = api_client.get("/api/staff/session", params={"ticket": ticket(session)})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert set_cookie(response, STAFF_COOKIE)["value"]


def test_cookie_is_secure_behind_https(api_client, session, owner, monkeypatch):
    monkeypatch.setenv("KONTROL_PUBLIC_URL", "https://shop.example.test")
    get_settings.cache_clear()
    response = api_client.get("/api/staff/session", params={"ticket": ticket(session)})
    assert "secure" in set_cookie(response, STAFF_COOKIE)


def test_reused_ticket_goes_to_sign_in_without_a_cookie(api_client, session, owner):
    issued = ticket(session)
    assert api_client.get("/api/staff/session", params={"ticket": issued}).status_code == 303
    api_client.cookies.clear()
    again = api_client.get("/api/staff/session", params={"ticket": issued, "next": "/jobs"})
    assert again.status_code == 303
    assert again.headers["location"] == "/sign-in"
    assert "set-cookie" not in again.headers
    session.expire_all()
    assert len(session.exec(select(StaffSession)).all()) == 1


@pytest.mark.parametrize("params", [{}, {"ticket": ""}, {"ticket": "bogus"}, {"ticket": "x" * 5000}])
def test_bogus_ticket_goes_to_sign_in_without_a_cookie(api_client, owner, params):
    response = api_client.get("/api/staff/session", params=params)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "next_path",
    [
        "//evil.example",
        "//evil.example/jobs",
        "https://evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
def test_next_never_leaves_the_site(api_client, session, owner, next_path):
    response = api_client.get("/api/staff/session", params={"ticket": ticket(session), "next": next_path})
    assert response.status_code == 303
    assert response.headers["location"] == "/"


@pytest.mark.parametrize("next_path", ["/\t/evil.example", "/\n/evil.example", "/ /evil.example"])
def test_next_with_characters_browsers_strip_stays_on_the_site(api_client, session, owner, next_path):
    """Browsers drop tabs and newlines from URLs: "/\\t/evil" must not become "//evil"."""
    response = api_client.get("/api/staff/session", params={"ticket": ticket(session), "next": next_path})
    location = response.headers["location"]
    assert location.startswith("/") and not location.startswith("//")
    assert not any(character in location for character in "\t\n\r ")
    assert urlsplit(location).netloc == ""


# --- /api/staff/signed-out ---------------------------------------------------------------------


def test_signed_out_clears_the_cookie(api_client, session, owner):
    api_client.get("/api/staff/session", params={"ticket": ticket(session)})
    assert api_client.cookies.get(STAFF_COOKIE)
    response = api_client.get("/api/staff/signed-out")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    cookie = set_cookie(response, STAFF_COOKIE)
    assert cookie["value"] in ("", '""')
    assert cookie["max-age"] == "0"
    assert cookie["path"] == "/"
    assert cookie["httponly"] == ""
    assert not api_client.cookies.get(STAFF_COOKIE)


def test_signed_out_accepts_only_get(api_client):
    assert api_client.post("/api/staff/signed-out").status_code == 405


# --- the logo through /api/files ---------------------------------------------------------------


def logo_blob(info: shop_service.ShopInfo) -> bytes:
    with Session(db.get_engine()) as session:
        row = session.get(StoredFile, int(info.logo_file.split("/")[0]))
        return files.blob_path(row.sha256).read_bytes()


@pytest.fixture
def logo(session, owner) -> shop_service.ShopInfo:
    info = shop_service.save_logo(session, owner, image_bytes("PNG"))
    session.commit()
    return info


def test_current_logo_is_served_to_anyone_with_its_type(api_client, logo):
    response = api_client.get(logo.logo_path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "immutable" in response.headers["cache-control"]
    assert response.content == logo_blob(logo) == image_bytes("PNG")


def test_jpeg_logo_is_served_as_jpeg(api_client, session, owner):
    info = shop_service.save_logo(session, owner, image_bytes("JPEG"))
    session.commit()
    response = api_client.get(info.logo_path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"


def test_replaced_logo_is_gone(api_client, session, owner, logo):
    newer = shop_service.save_logo(session, owner, image_bytes("WEBP", (1, 2, 3)))
    session.commit()
    assert api_client.get(logo.logo_path).status_code == 404
    response = api_client.get(newer.logo_path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"


def test_old_logo_urls_keep_working_for_the_current_logo(api_client, session, owner, logo):
    """Emails sent before the files service link to /api/files/logo/logo-<hash>.png."""
    old_url = "/api/files/logo/" + logo.logo_file.split("/")[1]
    response = api_client.get(old_url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == image_bytes("PNG")
    shop_service.save_logo(session, owner, image_bytes("WEBP", (1, 2, 3)))
    session.commit()
    assert api_client.get(old_url).status_code == 404  # only the current logo answers


def test_no_logo_is_a_404(api_client, owner):
    assert api_client.get("/api/files/logo/logo.png").status_code == 404
    assert api_client.get("/api/files/1/logo.png").status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "other.png",
        "private.txt",
        "..%2fsecret_key",
        "..%2F..%2Fkontrol-test.db",
        "%2e%2e%2fsecret_key",
        "%2e%2e",
        "..%5csecret_key",
        "%2fetc%2fpasswd",
    ],
)
def test_any_other_name_is_a_404(api_client, logo, name):
    files_dir = get_settings().files_dir
    (files_dir / "other.png").write_bytes(image_bytes("PNG"))
    (files_dir / "private.txt").write_text("customer artwork")
    (files_dir.parent / "secret_key").write_text("do-not-serve")
    for url in (f"/api/files/logo/{name}", f"/api/files/{name}", f"/api/files/{name}/x.png"):
        response = api_client.get(url)
        assert response.status_code == 404, url
        assert b"do-not-serve" not in response.content and b"customer artwork" not in response.content


def test_logo_whose_file_is_missing_is_a_404(api_client, logo):
    with Session(db.get_engine()) as session:
        row = session.get(StoredFile, int(logo.logo_file.split("/")[0]))
        files.blob_path(row.sha256).unlink()
    assert api_client.get(logo.logo_path).status_code == 404


# --- request size limit ------------------------------------------------------------------------


def test_upload_over_the_limit_gets_413(api_client):
    response = api_client.post("/_upload/logo", content=b"x" * (UPLOAD_LIMIT + 1))
    assert response.status_code == 413
    assert "too large" in response.text


def test_upload_at_the_limit_passes_through(api_client):
    response = api_client.post("/_upload/logo", content=b"x" * UPLOAD_LIMIT)
    assert response.status_code == 404  # reached the app (which has no such route here)


def test_other_paths_have_a_smaller_limit(api_client):
    assert api_client.post("/api/staff/session", content=b"x" * (OTHER_LIMIT + 1)).status_code == 413
    assert api_client.post("/api/staff/session", content=b"x" * OTHER_LIMIT).status_code == 405


async def _receive_upload(request: Request) -> PlainTextResponse:
    body = await request.body()
    return PlainTextResponse(f"received {len(body)} bytes")


def test_streamed_upload_without_content_length_is_cut_off_with_413():
    """Chunked bodies carry no Content-Length: the limit counts bytes as the app reads them."""
    received = []

    async def upload(request: Request) -> PlainTextResponse:
        response = await _receive_upload(request)
        received.append(response.body)
        return response

    app = RequestSizeLimit(Starlette(routes=[Route("/_upload", upload, methods=["POST"])]))

    def chunks(count: int):
        for _ in range(count):
            yield b"x" * (1024 * 1024)

    with TestClient(app) as client:
        response = client.post("/_upload", content=chunks(UPLOAD_LIMIT // (1024 * 1024) + 1))
        assert response.status_code == 413
        assert "too large" in response.text
        assert received == []  # the handler never got the body
        small = client.post("/_upload", content=chunks(2))
        assert small.status_code == 200
        assert small.text == f"received {2 * 1024 * 1024} bytes"


def test_websockets_pass_through_the_limit():
    """The limit wraps the whole app, Reflex's event websocket included."""

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    app = RequestSizeLimit(Starlette(routes=[WebSocketRoute("/_event", echo)]))
    with TestClient(app) as client, client.websocket_connect("/_event") as websocket:
        websocket.send_text("x" * (OTHER_LIMIT + 1))
        assert len(websocket.receive_text()) == OTHER_LIMIT + 1


# --- the device cookie: a browser that signed in before is not locked out by strangers ---------

ONE_YEAR = 365 * 24 * 3600


def test_a_sign_in_gives_the_browser_a_long_lived_device_cookie(api_client, session, owner):
    response = api_client.get("/api/staff/session", params={"ticket": ticket(session)})
    cookie = set_cookie(response, DEVICE_COOKIE)
    assert cookie["httponly"] == "" and cookie["samesite"].lower() == "lax" and cookie["path"] == "/"
    assert cookie["max-age"] == str(ONE_YEAR)
    assert staff.trusted_device(cookie["value"], OWNER_EMAIL)
    assert OWNER_EMAIL not in cookie["value"]
    # Signing in again on this browser keeps its identity.
    again = api_client.get("/api/staff/session", params={"ticket": ticket(session)})
    assert set_cookie(again, DEVICE_COOKIE)["value"] == cookie["value"]


def test_no_device_cookie_without_a_valid_ticket(api_client, owner):
    response = api_client.get("/api/staff/session", params={"ticket": "bogus"})
    assert "set-cookie" not in response.headers


def sign_in_on_the_page(cookie_header: str, email: str, password: str) -> dict[str, str]:
    """Submit the Sign in form of a tab whose browser sends `cookie_header`; the form's errors."""
    root = browser_tab(cookie=cookie_header, path="/sign-in")
    state = screen(root, SignInState)
    run_handler(state, "sign_in", {"email": email, "password": password})
    return dict(state.errors)


def test_strangers_cannot_lock_the_owner_out_of_their_browser(api_client, session, owner):
    api_client.get("/api/staff/session", params={"ticket": ticket(session)})
    device = api_client.cookies.get(DEVICE_COOKIE)
    for _ in range(staff.MAX_FAILURES_PER_EMAIL + 2):  # someone who read the email off a portal page
        sign_in_on_the_page("", OWNER_EMAIL, "guess guess")
    assert sign_in_on_the_page("", OWNER_EMAIL, OWNER_PASSWORD) == {"password": staff.TOO_MANY_ATTEMPTS}
    # The owner's own browser still signs in (the sign-in page reads its device cookie).
    assert sign_in_on_the_page(f"{DEVICE_COOKIE}={device}", OWNER_EMAIL, OWNER_PASSWORD) == {}


# --- /api/staff/signed-out revokes what it clears ----------------------------------------------


def test_signed_out_revokes_the_session_of_the_cookie(api_client, session, owner):
    api_client.get("/api/staff/session", params={"ticket": ticket(session)})
    token = api_client.cookies.get(STAFF_COOKIE)
    assert staff.principal_for_token(session, token) == owner
    response = api_client.get("/api/staff/signed-out")
    assert response.status_code == 303
    session.expire_all()
    assert staff.principal_for_token(session, token) is None
    # The browser stays a known one.
    assert DEVICE_COOKIE not in " ".join(response.headers.get_list("set-cookie"))
    assert api_client.cookies.get(DEVICE_COOKIE)


def test_signed_out_without_a_session_only_clears(api_client, session, owner):
    other = staff.redeem_ticket(session, ticket(session))
    session.commit()
    api_client.cookies.set(STAFF_COOKIE, "not-a-session")
    assert api_client.get("/api/staff/signed-out").status_code == 303
    assert api_client.get("/api/staff/signed-out").status_code == 303  # twice is fine
    assert staff.principal_for_token(session, other) == owner  # another browser's session is untouched


# --- the client's address behind a reverse proxy -----------------------------------------------


def session_ip(api_client, session, headers: dict[str, str]) -> str:
    api_client.get("/api/staff/session", params={"ticket": ticket(session)}, headers=headers)
    session.expire_all()
    return session.exec(select(StaffSession).order_by(StaffSession.id.desc())).first().ip


def test_forwarded_for_is_ignored_without_trusted_proxies(api_client, session, owner):
    assert session_ip(api_client, session, {"X-Forwarded-For": "198.51.100.1"}) == "testclient"


def test_forwarded_for_gives_the_client_behind_trusted_proxies(api_client, session, owner, monkeypatch):
    monkeypatch.setenv("KONTROL_TRUSTED_PROXIES", "1")
    get_settings.cache_clear()
    assert session_ip(api_client, session, {"X-Forwarded-For": "6.6.6.6, 198.51.100.1"}) == "198.51.100.1"
    assert session_ip(api_client, session, {}) == "testclient"


@pytest.mark.parametrize(("proxies", "address"), [(None, "10.0.0.2"), ("1", "198.51.100.1")])
def test_states_read_the_address_the_same_way(monkeypatch, proxies, address):
    """The Reflex side: the websocket's peer and headers, as Reflex hands them to a state."""
    if proxies:
        monkeypatch.setenv("KONTROL_TRUSTED_PROXIES", proxies)
    get_settings.cache_clear()
    router = RouterData.from_router_data(
        {"headers": {"x-forwarded-for": "6.6.6.6, 198.51.100.1"}, "ip": "10.0.0.2"}
    )
    assert client_ip(SimpleNamespace(router=router)) == address
    get_settings.cache_clear()
