"""A small stateful fake of the Stripe API (v1, form-encoded), served over real HTTP on 127.0.0.1.

The real `stripe` SDK talks to it: `stripe.StripeClient(key, base_addresses={"api": fake.url})`.
What it does, as Stripe documents it:

- checks the bearer key against `fake.valid_keys` (401 `invalid_request_error` otherwise); the
  key's prefix decides livemode (`sk_live_`/`rk_live_`), and objects of the other mode are 404;
- `GET /v1/account` (and `/v1/accounts/<own id>`): the account, named `account_name`;
- `POST /v1/checkout/sessions` with `price_data` line items: validates what Stripe validates
  (400 `parameter_missing`, `parameter_invalid_integer`, ...), totals the lines, answers an open,
  unpaid `checkout.session` whose `url` is this fake's hosted page; `GET` it back (with
  `expand[]=payment_intent`), its `/line_items`, and `POST .../expire`; `GET` payment intents and
  charges;
- honours `Idempotency-Key` on POSTs: the same key and body replays the first successful answer
  (header `Idempotent-Replayed: true`); another body gives 400 `idempotency_error`; a key whose
  first request is still running gives 409. Failed requests are not stored.

The hosted page `GET /checkout/<id>` shows the amount with a **Pay** button and a **Cancel** link.
Paying completes the session (`pi_...`, `ch_...`), sends a signed `checkout.session.completed`
(signed with `stripe.WebhookSignature.generate_signature_header` over the exact bytes posted) to
`fake.webhook_url`, then 303s to `success_url`. With `fake.async_payments` the session completes
unpaid and `fake.settle_async()` sends `..._async_payment_succeeded`/`_failed`. With
`fake.hold_webhooks` events wait in `fake.held` until `fake.flush_webhooks()` (a return page that
beats the webhook, events out of order). Tests drive the rest with `complete`, `expire`, `refund`,
`set_amount`, `event`, `signed` and `deliver`.

Unlike Stripe, a webhook the app refuses is not retried by itself: tests `deliver` it again.

Tests script the next API answers with `fake.script(...)`: `server_error()`, `rate_limited()`,
`card_declined()`, `unauthorized()`, `forbidden()`, `slow(s)` and `hang()` (held until
`fake.release()`), the last two then handled normally. Every request is recorded in
`fake.requests` (`api_requests`: only /v1), every webhook attempt in `fake.webhook_deliveries`,
every event made in `fake.events`.
"""

from __future__ import annotations

import copy
import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import stripe
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

API_KEY = "sk_test_fake_secret_key"
WEBHOOK_SECRET = "whsec_fake_signing_secret"
ACCOUNT_NAME = "Fake Print Shop"
HANG_LIMIT_SECONDS = 30.0  # a hung request never outlives a broken test by much
KEY_PREFIXES = ("sk_test_", "rk_test_", "sk_live_", "rk_live_")
ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
MINIMUM_AMOUNT = {"gbp": 30}  # Stripe's minimum charge in minor units; 50 for the rest we use


@dataclass(frozen=True)
class Answer:
    """One scripted answer. With `status` None the request is handled normally (after `delay`,
    or after `release()` when `hang`)."""

    status: int | None = None
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hang: bool = False


def server_error(status: int = 500) -> Answer:
    return Answer(status, {"error": {"type": "api_error", "message": "An unknown error occurred"}})


def rate_limited(should_retry: bool | None = None) -> Answer:
    """429; the SDK retries it only when Stripe sends `Stripe-Should-Retry: true`."""
    headers = {} if should_retry is None else {"Stripe-Should-Retry": str(should_retry).lower()}
    message = "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests."
    return Answer(429, {"error": {"type": "invalid_request_error", "code": "rate_limit", "message": message}}, headers)


def card_declined() -> Answer:
    body = {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline", "message": "Your card was declined."}
    return Answer(402, {"error": body})


def unauthorized() -> Answer:
    return Answer(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided: sk_test_****oked"}})


def forbidden() -> Answer:
    """403: a restricted key without the permission the request needs."""
    message = "The provided key 'rk_test_****' does not have the required permissions for this endpoint."
    return Answer(403, {"error": {"type": "invalid_request_error", "code": "secret_key_required", "message": message}})


def slow(seconds: float) -> Answer:
    """Handled normally, but answered only after `seconds` (past a short client timeout)."""
    return Answer(delay=seconds)


def hang() -> Answer:
    """Held until `release()`, then handled normally."""
    return Answer(hang=True)


@dataclass
class ReceivedRequest:
    method: str
    path: str
    params: dict[str, Any]  # form body or query string, nested keys decoded
    headers: dict[str, str]
    api_key: str | None
    idempotency_key: str | None
    status: int | None = None  # filled in once answered


@dataclass(frozen=True)
class WebhookDelivery:
    event_id: str
    type: str
    status: int | None  # the app's answer; None when it could not be reached
    error: str | None = None


class StripeFault(Exception):
    def __init__(self, status: int, type_: str, message: str, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.body = status, {"type": type_, "message": message}
        self.body |= {k: v for k, v in (("code", code), ("param", param)) if v}


def _invalid(param: str, code: str, message: str) -> StripeFault:
    return StripeFault(400, "invalid_request_error", message, code, param)


def _required(param: str) -> StripeFault:
    return _invalid(param, "parameter_missing", f"Missing required param: {param}.")


def _missing(kind: str, object_id: str, param: str) -> StripeFault:
    return StripeFault(404, "invalid_request_error", f"No such {kind}: '{object_id}'", "resource_missing", param)


class FakeStripe:
    def __init__(
        self, secret_key: str = API_KEY, webhook_secret: str = WEBHOOK_SECRET, account_name: str = ACCOUNT_NAME, webhook_url: str | None = None
    ) -> None:
        self.valid_keys: set[str] = {secret_key}
        self.webhook_secret = webhook_secret
        self.account_name = account_name
        self.account_id = "acct_" + secrets.token_hex(8)
        self.webhook_url = webhook_url
        self.async_payments = False
        self.hold_webhooks = False
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._handle)
        self.requests: list[ReceivedRequest] = []
        self.sessions: dict[str, dict[str, Any]] = {}  # id -> the checkout.session object
        self.line_items: dict[str, list[dict[str, Any]]] = {}
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.held: list[dict[str, Any]] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self._script: list[Answer] = []
        self._replays: dict[str, tuple[str, dict[str, Any]]] = {}  # key -> (request fingerprint, answer)
        self._running: set[str] = set()
        self._lock = threading.RLock()
        self._released = threading.Event()

    # --- lifecycle and inspection ----------------------------------------------------------

    def start(self) -> FakeStripe:
        self.server.start()
        return self

    def stop(self) -> None:
        self.release()
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def checkout_url(self, session_id: str) -> str:
        return f"{self.url}/checkout/{session_id}"

    @property
    def api_requests(self) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.path.startswith("/v1/")]

    def script(self, *answers: Answer) -> None:
        """The next API requests get these answers, in order; later ones are handled normally."""
        with self._lock:
            self._script.extend(answers)

    def release(self) -> None:
        self._released.set()

    def session(self, session_id: str) -> dict[str, Any]:
        """A copy of the session as Stripe holds it now."""
        with self._lock:
            return copy.deepcopy(self._session(session_id))

    # --- test helpers: what happens on Stripe's side ---------------------------------------

    def complete(self, session_id: str) -> dict[str, Any]:
        """The customer pays (as the hosted Pay button); returns the `checkout.session.completed` event."""
        with self._lock:
            cs = self._session(session_id)
            if cs["status"] != "open":
                raise ValueError(f"{session_id} is {cs['status']}, not open")
            pi = self._new_payment_intent(cs)
            cs.update(
                status="complete",
                payment_intent=pi["id"],
                url=None,
                customer_details={"email": cs["customer_email"] or "payer@example.com", "name": "Fake Payer"},
            )
            cs["payment_status"] = "unpaid" if self.async_payments else "paid"
            event = self.event("checkout.session.completed", cs)
        self._emit(event)
        return event

    def settle_async(self, session_id: str, succeed: bool = True) -> dict[str, Any]:
        """A delayed payment method (bank debit) settles or fails after the session completed unpaid."""
        with self._lock:
            cs = self._session(session_id)
            if cs["status"] != "complete" or cs["payment_status"] != "unpaid":
                raise ValueError(f"{session_id} has no pending payment")
            pi = self.payment_intents[cs["payment_intent"]]
            charge = self.charges[pi["latest_charge"]]
            if succeed:
                cs["payment_status"] = "paid"
                pi["status"], charge["status"], charge["paid"] = "succeeded", "succeeded", True
            else:  # Stripe leaves payment_status "unpaid" on failure
                pi["status"], charge["status"] = "requires_payment_method", "failed"
            event = self.event("checkout.session.async_payment_" + ("succeeded" if succeed else "failed"), cs)
        self._emit(event)
        return event

    def expire(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            cs = self._session(session_id)
            if cs["status"] != "open":
                raise ValueError(f"{session_id} is {cs['status']}, not open")
            cs.update(status="expired", url=None)
            event = self.event("checkout.session.expired", cs)
        self._emit(event)
        return event

    def refund(self, session_id: str, amount: int | None = None) -> dict[str, Any]:
        """Refunds `amount` (default: all that is left) of the session's charge; returns `charge.refunded`."""
        with self._lock:
            cs = self._session(session_id)
            if cs["payment_status"] != "paid":
                raise ValueError(f"{session_id} is not paid")
            charge = self.charges[self.payment_intents[cs["payment_intent"]]["latest_charge"]]
            left = charge["amount"] - charge["amount_refunded"]
            amount = left if amount is None else amount
            if not 0 < amount <= left:
                raise ValueError(f"cannot refund {amount}: {left} left on {charge['id']}")
            refund = {
                "id": _id("re"),
                "object": "refund",
                "amount": amount,
                "charge": charge["id"],
                "currency": charge["currency"],
                "payment_intent": charge["payment_intent"],
                "status": "succeeded",
                "created": int(time.time()),
            }
            charge["refunds"]["data"].insert(0, refund)
            charge["refunds"]["total_count"] += 1
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            event = self.event("charge.refunded", charge)
        self._emit(event)
        return event

    def set_amount(self, session_id: str, amount_total: int | None = None, currency: str | None = None) -> None:
        """Tampers with what Stripe reports (for "wrong amount or currency" tests)."""
        with self._lock:
            cs = self._session(session_id)
            targets = [cs] + ([self.payment_intents[cs["payment_intent"]]] if cs["payment_intent"] else [])
            for target in targets:
                key = "amount_total" if target is cs else "amount"
                if amount_total is not None:
                    target[key] = amount_total
                if currency is not None:
                    target["currency"] = currency

    # --- events and webhooks ---------------------------------------------------------------

    def event(self, type: str, data_object: dict[str, Any]) -> dict[str, Any]:
        """An event as Stripe sends it, with a snapshot of `data_object`."""
        event = {
            "id": _id("evt"),
            "object": "event",
            "api_version": stripe.api_version,
            "created": int(time.time()),
            "livemode": bool(data_object.get("livemode", False)),
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type,
            "data": {"object": copy.deepcopy(data_object)},
        }
        with self._lock:
            self.events.append(event)
        return event

    def signed(self, event: dict[str, Any], timestamp: int | None = None, secret: str | None = None) -> tuple[bytes, str]:
        """The exact body Stripe would post and its `Stripe-Signature` header."""
        payload = json.dumps(event, indent=2)
        header = stripe.WebhookSignature.generate_signature_header(payload, secret or self.webhook_secret, timestamp=timestamp)
        return payload.encode(), header

    def deliver(self, event: dict[str, Any], times: int = 1, timestamp: int | None = None, secret: str | None = None) -> list[int | None]:
        """Posts the event to `webhook_url` `times` times; the app's answers (None: unreachable)."""
        if not self.webhook_url:
            raise RuntimeError("set fake.webhook_url first")
        statuses = []
        for _ in range(times):
            body, header = self.signed(event, timestamp, secret)
            status, error = _post(self.webhook_url, body, header)
            with self._lock:
                self.webhook_deliveries.append(WebhookDelivery(event["id"], event["type"], status, error))
            statuses.append(status)
        return statuses

    def flush_webhooks(self) -> list[int | None]:
        """Delivers the held events, in order, once each."""
        with self._lock:
            held, self.held = self.held, []
        return [status for event in held for status in self.deliver(event)]

    def _emit(self, event: dict[str, Any]) -> None:
        # Never called under the lock: the app may call back into the fake while handling the event.
        if self.hold_webhooks:
            with self._lock:
                self.held.append(event)
        elif self.webhook_url:
            self.deliver(event)

    # --- the HTTP side ---------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        pairs = list((request.form if request.method == "POST" else request.args).items(multi=True))
        authorization = request.headers.get("Authorization", "")
        received = ReceivedRequest(
            method=request.method,
            path=request.path,
            params=decode_params(pairs),
            headers=dict(request.headers),
            api_key=authorization[7:] if authorization.startswith("Bearer ") else None,
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        with self._lock:
            self.requests.append(received)
            is_api = request.path.startswith("/v1/")
            answer = self._script.pop(0) if is_api and self._script else Answer()
        if not is_api:
            response = self._page(request)
        elif answer.status is not None:
            time.sleep(answer.delay)
            response = _json(answer.status, answer.body or {}, answer.headers)
        else:
            response = self._api(received, pairs, answer)
        received.status = response.status_code
        return response

    def _api(self, received: ReceivedRequest, pairs: list[tuple[str, str]], answer: Answer) -> Response:
        key = received.api_key
        if not key:
            return _json(401, {"error": {"type": "invalid_request_error", "message": "You did not provide an API key."}})
        if not key.startswith(KEY_PREFIXES) or key not in self.valid_keys:
            return _json(401, {"error": {"type": "invalid_request_error", "message": f"Invalid API Key provided: {key[:8]}{'*' * 8}{key[-4:]}"}})
        livemode = key.startswith(("sk_live_", "rk_live_"))
        idem = received.idempotency_key if received.method == "POST" else None
        fingerprint = json.dumps([received.method, received.path, sorted(pairs)])
        if idem is not None:
            with self._lock:
                if idem in self._replays:
                    first, body = self._replays[idem]
                    if first != fingerprint:
                        message = f"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{idem}' if you meant to execute a different request."
                        return _json(400, {"error": {"type": "idempotency_error", "message": message}})
                    return _json(200, body, {"Idempotent-Replayed": "true"})
                if idem in self._running:
                    message = f"There is currently another in-progress request using this Stripe-Idempotency-Key (that is, with the same value '{idem}')."
                    return _json(409, {"error": {"type": "idempotency_error", "message": message}})
                self._running.add(idem)
        try:
            if answer.hang:  # after taking the key, so a retry meanwhile sees it in progress
                self._released.wait(HANG_LIMIT_SECONDS)
            time.sleep(answer.delay)
            with self._lock:
                body = self._route(received.method, received.path, received.params, livemode)
                if idem is not None:
                    self._replays[idem] = (fingerprint, body)
            return _json(200, body)
        except StripeFault as fault:
            return _json(fault.status, {"error": fault.body})
        finally:
            if idem is not None:
                with self._lock:
                    self._running.discard(idem)

    def _route(self, method: str, path: str, params: dict[str, Any], livemode: bool) -> dict[str, Any]:
        parts = path.strip("/").split("/")[1:]  # without "v1"
        if method == "GET" and (parts == ["account"] or parts == ["accounts", self.account_id]):
            return self._account()
        if parts[:2] == ["checkout", "sessions"]:
            if method == "POST" and len(parts) == 2:
                return self._create_session(params, livemode)
            cs = self._session(parts[2], livemode) if len(parts) > 2 else None
            if cs is not None and method == "GET" and len(parts) == 3:
                return self._expanded(cs, params.get("expand") or [])
            if cs is not None and method == "GET" and parts[3:] == ["line_items"]:
                return {"object": "list", "data": copy.deepcopy(self.line_items[cs["id"]]), "has_more": False, "url": path}
            if cs is not None and method == "POST" and parts[3:] == ["expire"]:
                if cs["status"] != "open":
                    raise StripeFault(
                        400,
                        "invalid_request_error",
                        f'Only Checkout Sessions with a status in ["open"] can be expired. This session has a status of "{cs["status"]}".',
                    )
                cs.update(status="expired", url=None)
                self._emit_later(self.event("checkout.session.expired", cs))
                return copy.deepcopy(cs)
        for kind, store, prefix in (("payment_intent", self.payment_intents, "payment_intents"), ("charge", self.charges, "charges")):
            if method == "GET" and len(parts) == 2 and parts[0] == prefix:
                found = store.get(parts[1])
                if found is None or found["livemode"] != livemode:
                    raise _missing(kind, parts[1], "id")
                return copy.deepcopy(found)
        raise StripeFault(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    def _emit_later(self, event: dict[str, Any]) -> None:
        # Stripe sends webhooks after answering; a thread keeps the lock out of the delivery.
        threading.Thread(target=self._emit, args=(event,), daemon=True).start()

    def _account(self) -> dict[str, Any]:
        return {
            "id": self.account_id,
            "object": "account",
            "business_profile": {"name": self.account_name},
            "settings": {"dashboard": {"display_name": self.account_name, "timezone": "Etc/UTC"}},
            "charges_enabled": True,
            "country": "US",
            "default_currency": "usd",
            "details_submitted": True,
            "email": "owner@fake-print-shop.test",
            "type": "standard",
        }

    def _create_session(self, params: dict[str, Any], livemode: bool) -> dict[str, Any]:
        for name in ("mode", "success_url", "line_items"):
            if not params.get(name):
                raise _required(name)
        if params["mode"] != "payment":
            raise _invalid("mode", "parameter_invalid_string", "This fake only supports mode=payment.")
        lines, currencies = [], set()
        for index, line in enumerate(params["line_items"] if isinstance(params["line_items"], list) else []):
            where = f"line_items[{index}]"
            price = line.get("price_data") if isinstance(line, dict) else None
            if not isinstance(price, dict):
                raise _required(f"{where}[price_data]")
            currency = str(price.get("currency", "")).lower()
            if not re.fullmatch(r"[a-z]{3}", currency):
                raise _invalid(f"{where}[price_data][currency]", "parameter_invalid_string", f"Invalid currency: {currency}.")
            name = (price.get("product_data") or {}).get("name") if isinstance(price.get("product_data"), dict) else None
            if not name:
                raise _required(f"{where}[price_data][product_data][name]")
            unit_amount = _integer(price.get("unit_amount"), f"{where}[price_data][unit_amount]", minimum=0)
            quantity = _integer(line.get("quantity", "1"), f"{where}[quantity]", minimum=1)
            currencies.add(currency)
            lines.append(
                {
                    "id": _id("li"),
                    "object": "item",
                    "amount_subtotal": unit_amount * quantity,
                    "amount_total": unit_amount * quantity,
                    "currency": currency,
                    "description": name,
                    "quantity": quantity,
                    "price": {"object": "price", "currency": currency, "unit_amount": unit_amount, "product_data": {"name": name}},
                }
            )
        if not lines:
            raise _required("line_items")
        if len(currencies) > 1:
            raise _invalid("line_items", "parameter_invalid_string", "All line items must use the same currency.")
        [currency] = currencies
        total = sum(line["amount_total"] for line in lines)
        minimum = MINIMUM_AMOUNT.get(currency, 50)
        if total < minimum:
            raise _invalid(
                "line_items", "amount_too_small", f"The Checkout Session's total amount due must add up to at least {minimum} {currency} (smallest unit)."
            )
        session_id = _id("cs_live" if livemode else "cs_test", 24)
        cs = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": int(time.time()),
            "currency": currency,
            "customer_details": None,
            "customer_email": params.get("customer_email"),
            "expires_at": int(time.time()) + 24 * 3600,
            "livemode": livemode,
            "metadata": params.get("metadata") or {},
            "mode": "payment",
            "payment_intent": None,
            "payment_method_types": params.get("payment_method_types") or ["card"],
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"],
            "url": self.checkout_url(session_id),
        }
        self.sessions[session_id], self.line_items[session_id] = cs, lines
        return copy.deepcopy(cs)

    def _expanded(self, cs: dict[str, Any], expand: list[str] | dict[str, str]) -> dict[str, Any]:
        answer = copy.deepcopy(cs)
        if "payment_intent" in (expand.values() if isinstance(expand, dict) else expand) and cs["payment_intent"]:
            answer["payment_intent"] = copy.deepcopy(self.payment_intents[cs["payment_intent"]])
        return answer

    def _session(self, session_id: str, livemode: bool | None = None) -> dict[str, Any]:
        cs = self.sessions.get(session_id)
        if cs is None or (livemode is not None and cs["livemode"] != livemode):
            raise _missing("checkout.session", session_id, "session")
        return cs

    def _new_payment_intent(self, cs: dict[str, Any]) -> dict[str, Any]:
        pending = self.async_payments
        pi = {
            "id": _id("pi"),
            "object": "payment_intent",
            "amount": cs["amount_total"],
            "currency": cs["currency"],
            "livemode": cs["livemode"],
            "metadata": {},
            "status": "processing" if pending else "succeeded",
        }
        charge = {
            "id": _id("ch"),
            "object": "charge",
            "amount": cs["amount_total"],
            "amount_refunded": 0,
            "currency": cs["currency"],
            "livemode": cs["livemode"],
            "paid": not pending,
            "payment_intent": pi["id"],
            "refunded": False,
            "refunds": {"object": "list", "data": [], "has_more": False, "total_count": 0},
            "status": "pending" if pending else "succeeded",
        }
        pi["latest_charge"] = charge["id"]
        self.payment_intents[pi["id"]], self.charges[charge["id"]] = pi, charge
        return pi

    # --- the hosted checkout page ----------------------------------------------------------

    def _page(self, request: Request) -> Response:
        match = re.fullmatch(r"/checkout/([A-Za-z0-9_]+)(/pay)?", request.path)
        with self._lock:
            cs = self.sessions.get(match.group(1)) if match else None
            cs = copy.deepcopy(cs) if cs else None
        if cs is None:
            return _html(404, "Not found", "<p>This checkout page does not exist.</p>")
        if request.method == "POST" and match and match.group(2):
            try:
                self.complete(cs["id"])
            except ValueError:  # paid already (a double click) or expired: never a second payment
                if self.session(cs["id"])["status"] != "complete":
                    return _html(410, "Expired", "<p>This checkout session has expired.</p>")
            return Response(status=303, headers={"Location": cs["success_url"].replace("{CHECKOUT_SESSION_ID}", cs["id"])})
        if request.method != "GET" or (match and match.group(2)):
            return _html(405, "Not allowed", "<p>Method not allowed.</p>")
        if cs["status"] != "open":
            return _html(410, "Unavailable", f"<p>This checkout session is {html.escape(cs['status'])}.</p>")
        with self._lock:
            lines = "".join(
                f"<li>{html.escape(li['description'])} × {li['quantity']}: {_money(li['amount_total'], li['currency'])}</li>"
                for li in self.line_items[cs["id"]]
            )
        cancel = f'<p><a href="{html.escape(cs["cancel_url"])}">Cancel</a></p>' if cs["cancel_url"] else ""
        body = (
            f"<h1>{html.escape(self.account_name)}</h1><ul>{lines}</ul>"
            f'<p>Total: <strong data-testid="amount">{_money(cs["amount_total"], cs["currency"])}</strong></p>'
            f'<form method="post" action="/checkout/{cs["id"]}/pay"><button type="submit">Pay</button></form>{cancel}'
        )
        return _html(200, f"Pay {self.account_name}", body)


def decode_params(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding back to nested data: `a[b][0][c]=v` -> {"a": {"b": [{"c": "v"}]}}."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        path = [key.split("[", 1)[0], *re.findall(r"\[([^\]]*)\]", key)]
        node = root
        for i, part in enumerate(path):
            part = part or str(len(node))  # `expand[]=x` appends
            if i == len(path) - 1:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(k.isdigit() for k in node):
        return [_listify(node[k]) for k in sorted(node, key=int)]
    return {k: _listify(v) for k, v in node.items()}


def _integer(value: Any, param: str, minimum: int) -> int:
    if value is None:
        raise _required(param)
    if not re.fullmatch(r"-?\d+", str(value)):
        raise _invalid(param, "parameter_invalid_integer", f"Invalid integer: {value}")
    if int(value) < minimum:
        raise _invalid(param, "parameter_invalid_integer", f"This value must be greater than or equal to {minimum}.")
    return int(value)


def _money(cents: int, currency: str) -> str:
    amount = str(cents) if currency in ZERO_DECIMAL else f"{cents // 100}.{cents % 100:02d}"
    return f"{currency.upper()} {amount}"


def _id(prefix: str, length: int = 14) -> str:
    return f"{prefix}_{secrets.token_hex(length)[:length]}"


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    headers = {"Request-Id": _id("req"), **(headers or {})}
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def _html(status: int, title: str, body: str) -> Response:
    page = f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title></head><body><main>{body}</main></body></html>'
    return Response(page, status=status, content_type="text/html; charset=utf-8")


_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never send 127.0.0.1 through a proxy


def _post(url: str, body: bytes, signature: str) -> tuple[int | None, str | None]:
    headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": signature, "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
    try:
        with _direct.open(urllib.request.Request(url, data=body, headers=headers, method="POST"), timeout=30) as answer:
            return answer.status, None
    except urllib.error.HTTPError as error:
        return error.code, None
    except (urllib.error.URLError, OSError) as error:
        return None, str(error)


@contextmanager
def running_fake_stripe(
    secret_key: str = API_KEY, webhook_secret: str = WEBHOOK_SECRET, account_name: str = ACCOUNT_NAME, webhook_url: str | None = None
) -> Iterator[FakeStripe]:
    """A started fake for as long as the block runs (for fixtures of any scope, or no pytest at all)."""
    fake = FakeStripe(secret_key, webhook_secret, account_name, webhook_url).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    """A running fake Stripe; `fake_stripe.url` is its API base, `API_KEY` and `WEBHOOK_SECRET` its secrets."""
    with running_fake_stripe() as fake:
        yield fake
