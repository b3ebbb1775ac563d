"""Staff session cookie routes, the logo route and the request size limit, over HTTP."""

from __future__ import annotations

import io
import warnings
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from kontrol_app.api.cookies import STAFF_COOKIE
from kontrol_app.api.limits import OTHER_LIMIT, UPLOAD_LIMIT, RequestSizeLimit
from kontrol_app.models import StaffSession
from kontrol_app.services import shop as shop_service
from kontrol_app.services import staff
from kontrol_app.settings import get_settings
from tests.api.conftest import OWNER_EMAIL, OWNER_PASSWORD, set_cookie

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


# --- /api/files/logo ---------------------------------------------------------------------------


@pytest.fixture
def logo(session, owner) -> shop_service.ShopInfo:
    info = shop_service.save_logo(session, owner, image_bytes("PNG"), get_settings().files_dir)
    session.commit()
    return info


def test_current_logo_is_served_with_its_type(api_client, logo):
    response = api_client.get(logo.logo_path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "immutable" in response.headers["cache-control"]
    assert response.content == (get_settings().files_dir / logo.logo_file).read_bytes()


def test_jpeg_logo_is_served_as_jpeg(api_client, session, owner):
    info = shop_service.save_logo(session, owner, image_bytes("JPEG"), get_settings().files_dir)
    session.commit()
    response = api_client.get(info.logo_path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"


def test_replaced_logo_is_gone(api_client, session, owner, logo):
    newer = shop_service.save_logo(session, owner, image_bytes("WEBP", (1, 2, 3)), get_settings().files_dir)
    session.commit()
    assert api_client.get(logo.logo_path).status_code == 404
    response = api_client.get(newer.logo_path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"


def test_no_logo_is_a_404(api_client, owner):
    assert api_client.get("/api/files/logo/logo.png").status_code == 404


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
    response = api_client.get(f"/api/files/logo/{name}")
    assert response.status_code == 404
    assert b"do-not-serve" not in response.content and b"customer artwork" not in response.content


def test_logo_whose_file_is_missing_is_a_404(api_client, logo):
    (get_settings().files_dir / logo.logo_file).unlink()
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

    def chunks(count: int):  # noqa: ANN202
        for _ in range(count):
            yield b"x" * (1024 * 1024)

    with TestClient(app) as client:
        response = client.post("/_upload", content=chunks(7))
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
