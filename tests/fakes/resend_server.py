"""A small stateful fake of Resend's `POST /emails`, served over real HTTP on 127.0.0.1.

The real `resend` SDK talks to it (set `resend.api_url`, or RESEND_API_URL, to `fake.url`).
What it does, as Resend documents it:

- checks the bearer key (401 `missing_api_key`, 403 `invalid_api_key`) and the required
  fields (422 `missing_required_field`), and answers `{"id": ...}` on success;
- checks `attachments` as Resend documents them: a list of objects with a `filename` and a
  `content` that is a Base64 string or a list of byte values (422 `validation_error` otherwise);
  `Delivery.attachments()` gives back (filename, bytes, content type) of each;
- honours `Idempotency-Key`: a retry with the same key replays the first successful answer
  (same id, header `idempotent-replayed: true`) without a second delivery; a failed request
  is not stored; the same key with another body, or while the first request with that key is
  still running, answers 409.

Tests script the next answers with `fake.script(...)`: `rate_limited()`, `server_error()`,
`validation_error()`, `slow()` (answers after a delay, e.g. past the client's timeout) and
`hang()` (holds the request until `fake.release()`). Unscripted requests are handled normally.
Every request is recorded (body, headers, key, status answered) in `fake.requests`, and every
email actually accepted in `fake.deliveries`.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

API_KEY = "re_test_fake_key"
HANG_LIMIT_SECONDS = 30.0  # a hung request never outlives a broken test by much


@dataclass(frozen=True)
class Answer:
    """One scripted answer. With `status` None the request is handled normally (after
    `delay`, or after `release()` when `hang`), so the email *is* delivered."""

    status: int | None = None
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hang: bool = False


def rate_limited(retry_after: str | None = "0") -> Answer:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = {"statusCode": 429, "name": "rate_limit_exceeded", "message": "Too many requests. Please slow down."}
    return Answer(429, body, headers)


def server_error(status: int = 500) -> Answer:
    body = {"statusCode": status, "name": "application_error", "message": "An unexpected error occurred."}
    return Answer(status, body)


def validation_error(message: str = "Invalid `to` field. The email address needs to follow the `email@example.com` format.") -> Answer:
    return Answer(422, {"statusCode": 422, "name": "validation_error", "message": message})


def slow(seconds: float) -> Answer:
    """Accepts the email, but only answers after `seconds` (past a short client timeout,
    the client gives up while the email still goes out)."""
    return Answer(delay=seconds)


def hang() -> Answer:
    """Holds the request until `release()`, then accepts the email."""
    return Answer(hang=True)


@dataclass
class ReceivedRequest:
    json: Any
    headers: dict[str, str]
    idempotency_key: str | None
    authorization: str | None
    status: int | None = None  # filled in once answered


@dataclass(frozen=True)
class Delivery:
    id: str
    idempotency_key: str | None
    email: dict[str, Any]

    def attachments(self) -> list[tuple[str, bytes, str | None]]:
        """(filename, the decoded bytes, content_type) of each attachment of the email."""
        return [
            (item["filename"], _attachment_bytes(item["content"]), item.get("content_type"))
            for item in self.email.get("attachments") or []
        ]


def _attachment_bytes(content: Any) -> bytes:
    if isinstance(content, list):
        return bytes(content)
    return base64.b64decode(content, validate=True)


def _attachments_problem(attachments: Any) -> str | None:
    """What Resend would refuse in `attachments`, or None."""
    if attachments is None:
        return None
    if not isinstance(attachments, list):
        return "The `attachments` field must be an array."
    for item in attachments:
        if not isinstance(item, dict) or not isinstance(item.get("filename"), str) or not item["filename"]:
            return "Each attachment needs a `filename`."
        content = item.get("content")
        if isinstance(content, list):
            if not all(isinstance(b, int) and 0 <= b <= 255 for b in content):
                return "Attachment `content` must be a list of byte values or a Base64 string."
        elif isinstance(content, str):
            try:
                base64.b64decode(content, validate=True)
            except (binascii.Error, ValueError):
                return "Attachment `content` must be a list of byte values or a Base64 string."
        else:
            return "Each attachment needs a `content` (or a `path`)."
    return None


class FakeResend:
    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request("/emails", method="POST").respond_with_handler(self._handle)
        self.requests: list[ReceivedRequest] = []
        self.deliveries: list[Delivery] = []
        self._script: list[Answer] = []
        self._replays: dict[str, tuple[str, dict[str, Any]]] = {}  # key -> (body fingerprint, answer)
        self._running: set[str] = set()  # keys whose first request is still being handled
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._released = threading.Event()

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeResend:
        self.server.start()
        return self

    def stop(self) -> None:
        self.release()
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    # --- scripting and inspection ----------------------------------------------------------

    def script(self, *answers: Answer) -> None:
        """The next requests get these answers, in order; later ones are handled normally."""
        with self._lock:
            self._script.extend(answers)

    def release(self) -> None:
        """Let hung requests finish."""
        self._released.set()

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> None:
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"the fake got {len(self.requests)} requests, expected {count}")

    def wait_until_idle(self, timeout: float = 10.0) -> None:
        """Until every request received so far has been answered."""
        deadline = time.monotonic() + timeout
        while any(r.status is None for r in self.requests):
            if time.monotonic() > deadline:
                raise AssertionError("the fake is still answering")
            time.sleep(0.01)

    def requests_for(self, idempotency_key: str) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.idempotency_key == idempotency_key]

    def delivery_counts(self) -> Counter[str | None]:
        return Counter(d.idempotency_key for d in self.deliveries)

    def delivered_id(self, idempotency_key: str) -> str:
        [delivery] = [d for d in self.deliveries if d.idempotency_key == idempotency_key]
        return delivery.id

    # --- the endpoint --------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        try:
            body = request.get_json(force=True, silent=True)
        except Exception:
            body = None
        received = ReceivedRequest(
            json=body,
            headers=dict(request.headers),
            idempotency_key=request.headers.get("Idempotency-Key"),
            authorization=request.headers.get("Authorization"),
        )
        with self._arrived:
            self.requests.append(received)
            answer = self._script.pop(0) if self._script else Answer()
            self._arrived.notify_all()
        status, payload, headers = self._answer(received, answer)
        received.status = status
        return Response(json.dumps(payload), status=status, headers=headers, content_type="application/json")

    def _answer(self, received: ReceivedRequest, answer: Answer) -> tuple[int, dict[str, Any], dict[str, str]]:
        if answer.status is not None:
            time.sleep(answer.delay)
            return answer.status, answer.body or {}, answer.headers
        authorization = received.authorization or ""
        if not authorization.startswith("Bearer ") or not authorization[7:]:
            return _error(401, "missing_api_key", "Missing API key in the authorization header.")
        if authorization[7:] != self.api_key:
            return _error(403, "invalid_api_key", "API key is invalid.")
        body = received.json
        if not isinstance(body, dict):
            return _error(422, "validation_error", "The request body must be a JSON object.")
        for name in ("from", "to", "subject"):
            if not body.get(name):
                return _error(422, "missing_required_field", f"Missing `{name}` field.")
        problem = _attachments_problem(body.get("attachments"))
        if problem is not None:
            return _error(422, "validation_error", problem)
        key = received.idempotency_key
        fingerprint = json.dumps(body, sort_keys=True)
        if key is not None:
            with self._lock:
                if key in self._replays:
                    first_fingerprint, first_answer = self._replays[key]
                    if first_fingerprint != fingerprint:
                        return _error(
                            409, "invalid_idempotent_request",
                            "Same idempotency key used with a different request payload.",
                        )
                    return 200, first_answer, {"idempotent-replayed": "true"}
                if key in self._running:
                    return _error(
                        409, "concurrent_idempotent_requests",
                        "Same idempotency key used while original request is still in progress.",
                    )
                self._running.add(key)
        try:
            if answer.hang:
                self._released.wait(HANG_LIMIT_SECONDS)
            time.sleep(answer.delay)
            email_id = str(uuid.uuid4())
            with self._lock:
                self.deliveries.append(Delivery(email_id, key, body))
                if key is not None:
                    self._replays[key] = (fingerprint, {"id": email_id})
            return 200, {"id": email_id}, {}
        finally:
            if key is not None:
                with self._lock:
                    self._running.discard(key)


def _error(status: int, name: str, message: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return status, {"statusCode": status, "name": name, "message": message}, {}


@pytest.fixture
def fake_resend() -> Iterator[FakeResend]:
    """A running fake Resend; `fake_resend.url` is its base URL, `API_KEY` its key."""
    fake = FakeResend().start()
    try:
        yield fake
    finally:
        fake.stop()
        fake.server.check_assertions()  # e.g. a request to an endpoint the fake does not know
