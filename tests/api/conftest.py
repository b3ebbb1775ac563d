"""The HTTP routes as the browser meets them: build_api() behind the request size limit."""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():  # starlette's notice about httpx, once per process
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from kontrol_app.api.limits import RequestSizeLimit
from kontrol_app.api.routes import build_api

@pytest.fixture
def api_client(database) -> TestClient:
    """A browser that does not follow redirects, so each answer can be inspected."""
    with TestClient(RequestSizeLimit(build_api()), follow_redirects=False) as client:
        yield client
