"""The fake Stripe (tests/fakes/stripe_server.py), driven only by the real `stripe` SDK and real HTTP,
so the app's Stripe tests stand on something that behaves like Stripe."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import stripe
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.fakes.stripe_server import (
    API_KEY,
    WEBHOOK_SECRET,
    FakeStripe,
    card_declined,
    forbidden,
    hang,
    rate_limited,
    running_fake_stripe,
    server_error,
    slow,
    unauthorized,
)

LIVE_KEY = "rk_live_fake_restricted_key"


@dataclass
class Receiver:
    """The app's webhook endpoint, standing in: records what Stripe posts and answers `status`."""

    server: HTTPServer
    posts: list[tuple[bytes, str]] = field(default_factory=list)
    status: int = 200
    arrived: threading.Event = field(default_factory=threading.Event)

    def handle(self, request: Request) -> Response:
        self.posts.append((request.get_data(), request.headers.get("Stripe-Signature", "")))
        self.arrived.set()
        return Response("{}", status=self.status, content_type="application/json")

    def events(self) -> list[stripe.Event]:
        return [stripe.Webhook.construct_event(body, header, WEBHOOK_SECRET) for body, header in self.posts]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    receiver = Receiver(server)
    server.expect_request("/api/stripe/webhook", method="POST").respond_with_handler(receiver.handle)
    server.start()
    try:
        yield receiver
    finally:
        server.stop()


@pytest.fixture
def fake(receiver: Receiver) -> Iterator[FakeStripe]:
    with running_fake_stripe(webhook_url=receiver.server.url_for("/api/stripe/webhook")) as fake:
        yield fake


def client(fake: FakeStripe, key: str = API_KEY, retries: int = 0, timeout: float = 10) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": fake.url}, max_network_retries=retries, http_client=stripe.new_default_http_client(timeout=timeout))


def invoice_checkout(**changes) -> dict:
    params = {
        "mode": "payment",
        "line_items": [
            {"price_data": {"currency": "usd", "unit_amount": 1250, "product_data": {"name": "INV-0112"}}, "quantity": 2},
            {"price_data": {"currency": "usd", "unit_amount": 500, "product_data": {"name": "Rush fee"}}, "quantity": 1},
        ],
        "customer_email": "zoe@example.com",
        "metadata": {"invoice_ids": "7,9"},
        "client_reference_id": "inv-7",
        "success_url": "http://portal.test/invoices?paid={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://portal.test/invoices",
        "payment_method_types": ["card"],
    }
    return params | changes


# --- the API -------------------------------------------------------------------------------


def test_account_names_the_shop_and_the_key_decides_the_mode(fake):
    account = client(fake).v1.accounts.retrieve_current()
    assert account.id.startswith("acct_")
    assert account.settings.dashboard.display_name == "Fake Print Shop"
    assert account.business_profile.name == "Fake Print Shop"

    fake.valid_keys.add(LIVE_KEY)
    test_session = client(fake).v1.checkout.sessions.create(invoice_checkout())
    live_session = client(fake, LIVE_KEY).v1.checkout.sessions.create(invoice_checkout())
    assert (test_session.livemode, test_session.id[:8]) == (False, "cs_test_")
    assert (live_session.livemode, live_session.id[:8]) == (True, "cs_live_")
    with pytest.raises(stripe.InvalidRequestError) as missing:  # test objects are invisible to a live key
        client(fake, LIVE_KEY).v1.checkout.sessions.retrieve(test_session.id)
    assert missing.value.code == "resource_missing"


def test_a_session_is_created_from_form_encoded_line_items_and_read_back(fake):
    created = client(fake).v1.checkout.sessions.create(invoice_checkout())

    assert created.object == "checkout.session"
    assert (created.amount_total, created.currency) == (3000, "usd")
    assert (created.status, created.payment_status, created.payment_intent) == ("open", "unpaid", None)
    assert created.url == f"{fake.url}/checkout/{created.id}"
    assert created.metadata["invoice_ids"] == "7,9"
    assert (created.customer_email, created.client_reference_id) == ("zoe@example.com", "inv-7")
    [request] = fake.api_requests
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.params["line_items"][0]["price_data"]["unit_amount"] == "1250"
    assert request.params["line_items"][1]["price_data"]["product_data"]["name"] == "Rush fee"

    fetched = client(fake).v1.checkout.sessions.retrieve(created.id)
    assert fetched.to_dict() == created.to_dict()
    items = client(fake).v1.checkout.sessions.line_items.list(created.id)
    assert [(i.description, i.quantity, i.amount_total) for i in items.data] == [("INV-0112", 2, 2500), ("Rush fee", 1, 500)]


def test_an_unknown_session_is_missing(fake):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client(fake).v1.checkout.sessions.retrieve("cs_test_nope")
    assert (error.value.http_status, error.value.code, error.value.param) == (404, "resource_missing", "session")


@pytest.mark.parametrize(
    ("changes", "param", "code"),
    [
        ({"success_url": None}, "success_url", "parameter_missing"),
        ({"mode": None}, "mode", "parameter_missing"),
        ({"line_items": None}, "line_items", "parameter_missing"),
        (
            {"line_items": [{"price_data": {"currency": "usd", "unit_amount": "12.50", "product_data": {"name": "x"}}}]},
            "line_items[0][price_data][unit_amount]",
            "parameter_invalid_integer",
        ),
        ({"line_items": [{"price_data": {"currency": "usd", "unit_amount": 10, "product_data": {"name": "x"}}}]}, "line_items", "amount_too_small"),
    ],
)
def test_what_stripe_refuses_is_refused_and_creates_nothing(fake, changes, param, code):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client(fake).v1.checkout.sessions.create(invoice_checkout(**changes))
    assert (error.value.http_status, error.value.param, error.value.code) == (400, param, code)
    assert fake.sessions == {}


def test_the_same_idempotency_key_replays_the_first_answer(fake):
    first = client(fake).v1.checkout.sessions.create(invoice_checkout(), {"idempotency_key": "invoice-7-pay-1"})
    again = client(fake).v1.checkout.sessions.create(invoice_checkout(), {"idempotency_key": "invoice-7-pay-1"})

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert len(fake.sessions) == 1


def test_the_same_key_with_another_body_is_an_idempotency_error(fake):
    client(fake).v1.checkout.sessions.create(invoice_checkout(), {"idempotency_key": "invoice-7-pay-1"})
    with pytest.raises(stripe.IdempotencyError):
        client(fake).v1.checkout.sessions.create(invoice_checkout(customer_email="else@example.com"), {"idempotency_key": "invoice-7-pay-1"})
    assert len(fake.sessions) == 1


def test_a_wrong_or_revoked_key_is_refused(fake):
    with pytest.raises(stripe.AuthenticationError) as error:
        client(fake, "sk_test_someone_elses").v1.accounts.retrieve_current()
    assert error.value.http_status == 401
    assert "Invalid API Key provided" in error.value.user_message

    fake.valid_keys.clear()  # the shop revoked it in the dashboard
    with pytest.raises(stripe.AuthenticationError):
        client(fake).v1.checkout.sessions.create(invoice_checkout())
    assert fake.sessions == {}


def test_a_server_error_is_retried_by_the_sdk_with_the_same_key(fake):
    fake.script(server_error(500))
    created = client(fake, retries=2).v1.checkout.sessions.create(invoice_checkout())

    first, retry = fake.api_requests
    assert (first.status, retry.status) == (500, 200)
    assert first.idempotency_key == retry.idempotency_key is not None
    assert list(fake.sessions) == [created.id]


@pytest.mark.parametrize(
    ("answer", "error_class", "status"),
    [
        (server_error(503), stripe.APIError, 503),
        (rate_limited(), stripe.RateLimitError, 429),
        (card_declined(), stripe.CardError, 402),
        (unauthorized(), stripe.AuthenticationError, 401),
        (forbidden(), stripe.PermissionError, 403),
    ],
)
def test_scripted_faults_reach_the_sdk_as_stripe_errors(fake, answer, error_class, status):
    fake.script(answer)
    with pytest.raises(error_class) as error:
        client(fake).v1.checkout.sessions.create(invoice_checkout())
    assert error.value.http_status == status
    assert fake.sessions == {}
    assert client(fake).v1.checkout.sessions.create(invoice_checkout()).status == "open"  # only the next request


def test_a_slow_answer_times_out_the_client_though_the_session_exists(fake):
    fake.script(slow(1.0))
    with pytest.raises(stripe.APIConnectionError):
        client(fake, timeout=0.3).v1.checkout.sessions.create(invoice_checkout(), {"idempotency_key": "k-slow"})
    deadline = time.monotonic() + 5
    while not fake.sessions and time.monotonic() < deadline:
        time.sleep(0.02)
    [session_id] = fake.sessions
    assert client(fake).v1.checkout.sessions.create(invoice_checkout(), {"idempotency_key": "k-slow"}).id == session_id


def test_a_hung_request_blocks_a_retry_with_its_key_until_released(fake):
    fake.script(hang())
    thread = threading.Thread(target=lambda: client(fake).v1.checkout.sessions.create(invoice_checkout(), {"idempotency_key": "k-hang"}))
    thread.start()
    while not fake.api_requests:
        time.sleep(0.01)
    with pytest.raises(stripe.APIError) as error:  # 409: the first request is still running
        client(fake).v1.checkout.sessions.create(invoice_checkout(), {"idempotency_key": "k-hang"})
    assert error.value.http_status == 409
    fake.release()
    thread.join(5)
    assert len(fake.sessions) == 1


# --- the hosted page and the webhooks ------------------------------------------------------


def test_paying_on_the_hosted_page_completes_the_session_signs_the_webhook_and_returns(fake, receiver):
    created = client(fake).v1.checkout.sessions.create(invoice_checkout())

    page = httpx.get(created.url)
    assert page.status_code == 200
    assert "USD 30.00" in page.text and ">Pay</button>" in page.text
    assert 'href="http://portal.test/invoices">Cancel</a>' in page.text
    paid = httpx.post(f"{created.url}/pay")

    assert paid.status_code == 303
    assert paid.headers["Location"] == f"http://portal.test/invoices?paid={created.id}"
    [event] = receiver.events()  # construct_event checked the signature over the exact bytes
    assert (event.type, event.data.object.id, event.data.object.payment_status) == ("checkout.session.completed", created.id, "paid")
    assert event.data.object.metadata["invoice_ids"] == "7,9"
    assert [d.status for d in fake.webhook_deliveries] == [200]
    session = client(fake).v1.checkout.sessions.retrieve(created.id, {"expand": ["payment_intent"]})
    assert (session.status, session.payment_status, session.url) == ("complete", "paid", None)
    assert session.payment_intent.id.startswith("pi_") and session.payment_intent.amount == 3000
    assert session.payment_intent.latest_charge.startswith("ch_")

    assert httpx.post(f"{created.url}/pay").status_code == 303  # a second click pays nothing more
    assert len(receiver.posts) == 1 and len(fake.payment_intents) == 1
    assert httpx.get(created.url).status_code == 410


def test_an_unreachable_app_is_recorded_not_raised(fake):
    fake.webhook_url = "http://127.0.0.1:9/api/stripe/webhook"
    session_id = client(fake).v1.checkout.sessions.create(invoice_checkout()).id
    fake.complete(session_id)
    [delivery] = fake.webhook_deliveries
    assert delivery.status is None and delivery.error


def test_async_payments_complete_unpaid_then_settle(fake, receiver):
    fake.async_payments = True
    ok = client(fake).v1.checkout.sessions.create(invoice_checkout()).id
    failing = client(fake).v1.checkout.sessions.create(invoice_checkout()).id
    fake.complete(ok)
    fake.complete(failing)
    assert client(fake).v1.checkout.sessions.retrieve(ok).payment_status == "unpaid"

    fake.settle_async(ok, succeed=True)
    fake.settle_async(failing, succeed=False)

    assert [(e.type, e.data.object.payment_status) for e in receiver.events()] == [
        ("checkout.session.completed", "unpaid"),
        ("checkout.session.completed", "unpaid"),
        ("checkout.session.async_payment_succeeded", "paid"),
        ("checkout.session.async_payment_failed", "unpaid"),
    ]
    assert client(fake).v1.checkout.sessions.retrieve(ok).payment_status == "paid"


def test_refunds_are_cumulative_on_the_charge(fake, receiver):
    session_id = client(fake).v1.checkout.sessions.create(invoice_checkout()).id
    fake.complete(session_id)
    fake.refund(session_id, 1000)
    fake.refund(session_id)  # the rest
    with pytest.raises(ValueError):
        fake.refund(session_id, 1)

    partial, full = receiver.events()[1:]
    assert (partial.type, partial.data.object.amount_refunded, partial.data.object.refunded) == ("charge.refunded", 1000, False)
    assert (full.data.object.amount_refunded, full.data.object.refunded, full.data.object.amount) == (3000, True, 3000)
    assert [r.amount for r in full.data.object.refunds.data] == [2000, 1000]
    charge = client(fake).v1.charges.retrieve(full.data.object.id)
    assert (charge.amount_refunded, charge.payment_intent) == (3000, client(fake).v1.checkout.sessions.retrieve(session_id).payment_intent)


def test_expiring_sends_an_event_and_closes_the_page(fake, receiver):
    session_id = client(fake).v1.checkout.sessions.create(invoice_checkout()).id
    fake.expire(session_id)

    [event] = receiver.events()
    assert (event.type, event.data.object.status) == ("checkout.session.expired", "expired")
    assert httpx.post(f"{fake.url}/checkout/{session_id}/pay").status_code == 410
    with pytest.raises(ValueError):
        fake.complete(session_id)
    assert fake.payment_intents == {}


def test_the_app_can_expire_a_session_through_the_api(fake, receiver):
    session_id = client(fake).v1.checkout.sessions.create(invoice_checkout()).id
    assert client(fake).v1.checkout.sessions.expire(session_id).status == "expired"
    assert receiver.arrived.wait(5)
    assert receiver.events()[0].type == "checkout.session.expired"
    with pytest.raises(stripe.InvalidRequestError):
        client(fake).v1.checkout.sessions.expire(session_id)


def test_signed_events_can_be_replayed_made_stale_or_signed_wrongly(fake, receiver):
    session_id = client(fake).v1.checkout.sessions.create(invoice_checkout()).id
    event = fake.complete(session_id)

    assert fake.deliver(event, times=8) == [200] * 8
    assert {e.id for e in receiver.events()} == {event["id"]}
    stale_body, stale_header = fake.signed(event, timestamp=int(time.time()) - 600)
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(stale_body, stale_header, WEBHOOK_SECRET)
    wrong_body, wrong_header = fake.signed(event, secret="whsec_someone_else")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(wrong_body, wrong_header, WEBHOOK_SECRET)
    assert json.loads(wrong_body)["id"] == event["id"]


def test_held_webhooks_let_the_return_page_win_and_arrive_in_any_order(fake, receiver):
    fake.hold_webhooks = True
    session_id = client(fake).v1.checkout.sessions.create(invoice_checkout()).id
    assert httpx.post(f"{fake.url}/checkout/{session_id}/pay").status_code == 303
    fake.refund(session_id, 500)
    assert receiver.posts == []

    fake.held.reverse()
    assert fake.flush_webhooks() == [200, 200]
    assert [e.type for e in receiver.events()] == ["charge.refunded", "checkout.session.completed"]


def test_tampered_amounts_are_what_stripe_reports(fake):
    session_id = client(fake).v1.checkout.sessions.create(invoice_checkout()).id
    fake.complete(session_id)
    fake.set_amount(session_id, amount_total=1, currency="eur")
    session = client(fake).v1.checkout.sessions.retrieve(session_id)
    assert (session.amount_total, session.currency) == (1, "eur")
