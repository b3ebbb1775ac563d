"""The HTTP routes as the browser meets them: build_api() behind the request size limit."""

from __future__ import annotations

import warnings

import pytest
from sqlmodel import Session

with warnings.catch_warnings():  # starlette's notice about httpx, once per process
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from kontrol_app.api.limits import RequestSizeLimit
from kontrol_app.api.routes import build_api
from kontrol_app.services import staff

OWNER_EMAIL = "owner@example.com"
OWNER_PASSWORD = "correct horse"


@pytest.fixture
def api_client(database) -> TestClient:
    """A browser that does not follow redirects, so each answer can be inspected."""
    with TestClient(RequestSizeLimit(build_api()), follow_redirects=False) as client:
        yield client


@pytest.fixture
def owner(session: Session) -> staff.StaffPrincipal:
    principal = staff.create_shop(
        session, shop_name="Test Print Co.", name="Olivia Owner", email=OWNER_EMAIL, password=OWNER_PASSWORD
    )
    session.commit()
    return principal


def set_cookie(response, name: str) -> dict[str, str]:
    """The one Set-Cookie header for `name` as {attribute (lower-case): value}, plus "value"."""
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    name_value, *attributes = [part.strip() for part in headers[0].split(";")]
    parsed = {"value": name_value.split("=", 1)[1]}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        parsed[key.lower()] = value
    return parsed
