"""Settings -> Payments: the Stripe keys encrypted at rest, the environment's override, the
connection check against a fake Stripe over real HTTP, and the invoice defaults."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import text
from sqlmodel import select

from kontrol_app.models import Invoice, InvoiceStatus, Shop
from kontrol_app.services import dashboard, secrets, stripe_account
from kontrol_app.services.errors import InvalidInput, NotAllowed
from kontrol_app.settings import get_settings
from tests.factories import make_customer, make_staff
from tests.fakes.stripe_server import ACCOUNT_NAME, API_KEY, WEBHOOK_SECRET, fake_stripe, rate_limited, server_error  # noqa: F401

LIVE_KEY = "sk_live_51HqLiveKeyForTests0000004242"


@pytest.fixture
def stripe_env(database, fake_stripe, monkeypatch):  # noqa: F811
    """No Stripe keys in the environment; the API at the fake."""
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    monkeypatch.setenv("STRIPE_API_BASE", fake_stripe.url)
    get_settings.cache_clear()
    return fake_stripe


def shop_row(session) -> Shop:
    session.expire_all()
    return session.exec(select(Shop)).one()


def raw_columns(session) -> tuple[str, str]:
    return tuple(session.execute(text("SELECT stripe_secret_key, stripe_webhook_secret FROM shop")).one())


def save(session, owner, key: str = API_KEY, secret: str = WEBHOOK_SECRET):
    view = stripe_account.save_keys(session, owner, secret_key=key, webhook_secret=secret)
    session.commit()
    return view


# --- encryption ------------------------------------------------------------------------------------


def test_encryption_round_trips_and_never_repeats(database):
    token = secrets.encrypt(API_KEY)
    assert token != API_KEY and API_KEY not in token
    assert secrets.decrypt(token) == API_KEY
    assert secrets.encrypt(API_KEY) != token  # a random IV each time


def test_a_token_from_another_secret_key_is_unreadable(database, monkeypatch):
    token = secrets.encrypt(API_KEY)
    monkeypatch.setenv("KONTROL_SECRET_KEY", "another installation's secret, long enough to count")
    get_settings.cache_clear()
    with pytest.raises(secrets.Unreadable):
        secrets.decrypt(token)
    with pytest.raises(secrets.Unreadable):
        secrets.decrypt("not a token at all")


def test_the_stored_columns_never_hold_the_plain_keys(session, owner, stripe_env):
    view = save(session, owner)
    stored_key, stored_secret = raw_columns(session)
    assert stored_key and stored_secret
    for column in (stored_key, stored_secret):
        assert API_KEY not in column and WEBHOOK_SECRET not in column
    assert stripe_account.secret_key(session) == API_KEY
    assert stripe_account.webhook_secret(session) == WEBHOOK_SECRET
    # What the page gets is masked, never the key.
    assert view.secret_key == "sk_test_…_key" and view.webhook_secret == "whsec_…cret"
    assert API_KEY not in repr(view) and WEBHOOK_SECRET not in repr(view)


def test_keys_saved_under_another_secret_key_read_as_missing(session, owner, stripe_env, monkeypatch):
    save(session, owner)
    monkeypatch.setenv("KONTROL_SECRET_KEY", "a different secret after a careless migration")
    get_settings.cache_clear()
    assert stripe_account.secret_key(session) is None
    assert stripe_account.client(session) is None
    assert stripe_account.payment_settings(session, owner).unreadable


# --- masked, the environment ------------------------------------------------------------------------


def test_masked_shows_the_kind_and_last_four_only():
    assert stripe_account.masked(LIVE_KEY) == "sk_live_…4242"
    assert stripe_account.masked("rk_test_" + "a" * 20 + "9876") == "rk_test_…9876"
    assert stripe_account.masked("whsec_" + "b" * 28 + "cdef") == "whsec_…cdef"
    assert stripe_account.masked("sk_test_short") == "sk_test_…"  # too short to show any of it
    assert stripe_account.masked("") == "" and stripe_account.masked(None) == ""


def test_the_environment_overrides_the_stored_keys(session, owner, stripe_env, monkeypatch):
    save(session, owner)
    monkeypatch.setenv("STRIPE_SECRET_KEY", LIVE_KEY)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_fromtheenvironment0000wxyz")
    get_settings.cache_clear()
    assert stripe_account.secret_key(session) == LIVE_KEY
    assert stripe_account.webhook_secret(session) == "whsec_fromtheenvironment0000wxyz"
    view = stripe_account.payment_settings(session, owner)
    assert view.secret_key_from_env and view.webhook_secret_from_env
    assert view.secret_key == "sk_live_…4242" and view.webhook_secret == "whsec_…wxyz"
    monkeypatch.setenv("STRIPE_SECRET_KEY", "")  # empty means not set
    get_settings.cache_clear()
    assert stripe_account.secret_key(session) == API_KEY


def test_no_key_no_client(session, owner, stripe_env):
    assert stripe_account.secret_key(session) is None and stripe_account.webhook_secret(session) is None
    assert stripe_account.client(session) is None
    save(session, owner)
    assert stripe_account.client(session) is not None


# --- saving and removing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "secret", "field", "message"),
    [
        ("pk_live_51HqPublishableKey000000", "", "secret_key", "publishable key"),
        ("hello there", "", "secret_key", "starts with sk_live_"),
        ("sk_test_ab", "", "secret_key", "starts with sk_live_"),
        ("sk_test_" + "x" * 300, "", "secret_key", "longer than any"),
        ("sk_test_has space in it 1234", "", "secret_key", "no spaces"),
        ("", "sk_test_notasigningsecret000", "webhook_secret", "starts with whsec_"),
        ("", "", "secret_key", "Paste your Stripe secret key"),
    ],
)
def test_refused_keys_change_nothing(session, owner, stripe_env, key, secret, field, message):
    save(session, owner)
    before = raw_columns(session)
    with pytest.raises(InvalidInput) as refused:
        stripe_account.save_keys(session, owner, secret_key=key, webhook_secret=secret)
    assert refused.value.field == field and message in refused.value.message
    session.rollback()
    assert raw_columns(session) == before


def test_only_the_owner_saves_tests_or_removes_keys(session, owner, stripe_env):
    member = make_staff(session, owner)
    for call in (
        lambda: stripe_account.save_keys(session, member, secret_key=API_KEY, webhook_secret=""),
        lambda: stripe_account.remove_keys(session, member),
        lambda: stripe_account.test_connection(session, member),
        lambda: stripe_account.payment_settings(session, member),
        lambda: stripe_account.update_payment_settings(
            session, member, tax_rate="5", invoice_prefix="X-", invoice_next_number="1", payment_terms_days="7", payment_instructions=""
        ),
    ):
        with pytest.raises(NotAllowed, match="Only the shop owner"):
            call()
    assert raw_columns(session) == ("", "")


def test_an_empty_box_keeps_the_saved_key(session, owner, stripe_env):
    save(session, owner)
    stripe_account.test_connection(session, owner)
    session.commit()
    stripe_account.save_keys(session, owner, secret_key="", webhook_secret="whsec_rotatedsigningsecret0001")
    session.commit()
    assert stripe_account.secret_key(session) == API_KEY
    assert stripe_account.webhook_secret(session) == "whsec_rotatedsigningsecret0001"
    assert stripe_account.is_connected(session)  # the key did not change: the check stands
    save(session, owner, key=API_KEY, secret="")  # the same key pasted again
    assert stripe_account.is_connected(session)


def test_another_key_clears_the_check_and_remove_clears_everything(session, owner, stripe_env):
    save(session, owner)
    stripe_account.test_connection(session, owner)
    session.commit()
    assert stripe_account.is_connected(session)
    save(session, owner, key="rk_test_anotherrestrictedkey0001", secret="")
    shop = shop_row(session)
    assert not stripe_account.is_connected(session)
    assert shop.stripe_checked_at is None and shop.stripe_account_name == ""
    stripe_env.valid_keys.add("rk_test_anotherrestrictedkey0001")
    stripe_account.test_connection(session, owner)
    session.commit()
    assert stripe_account.is_connected(session)
    view = stripe_account.remove_keys(session, owner)
    session.commit()
    assert raw_columns(session) == ("", "")
    assert view.secret_key == "" and view.webhook_secret == "" and not view.connected
    assert not stripe_account.is_connected(session) and stripe_account.secret_key(session) is None


# --- Test connection ---------------------------------------------------------------------------------------


def test_test_connection_names_the_account_and_its_mode(session, owner, stripe_env):
    save(session, owner)
    assert not stripe_account.is_connected(session)
    result = stripe_account.test_connection(session, owner)
    session.commit()
    assert result == stripe_account.ConnectionResult(ACCOUNT_NAME, False)
    shop = shop_row(session)
    assert shop.stripe_checked_at is not None and shop.stripe_account_name == ACCOUNT_NAME and not shop.stripe_livemode
    assert stripe_account.is_connected(session)
    view = stripe_account.payment_settings(session, owner)
    assert view.connected and view.connection == f"Connected to {ACCOUNT_NAME} — test mode" and view.checked_at
    request = stripe_env.api_requests[-1]
    assert (request.method, request.path, request.api_key) == ("GET", "/v1/account", API_KEY)


def test_a_live_key_is_live_mode(session, owner, stripe_env):
    stripe_env.valid_keys.add(LIVE_KEY)
    save(session, owner, key=LIVE_KEY)
    result = stripe_account.test_connection(session, owner)
    assert result.livemode
    assert stripe_account.payment_settings(session, owner).connection == f"Connected to {ACCOUNT_NAME} — live mode"


def test_a_refused_key_says_so_next_to_the_key_and_changes_nothing(session, owner, stripe_env):
    save(session, owner, key="sk_test_revokedkeyrevoked0000oked")
    with pytest.raises(InvalidInput) as refused:
        stripe_account.test_connection(session, owner)
    assert refused.value.field == "secret_key"
    assert refused.value.message.startswith("Stripe refused this key: Invalid API Key provided")
    session.rollback()
    shop = shop_row(session)
    assert shop.stripe_checked_at is None and shop.stripe_account_name == ""
    assert not stripe_account.is_connected(session)


def test_stripe_failing_says_it_could_not_be_reached_and_changes_nothing(session, owner, stripe_env):
    save(session, owner)
    stripe_account.test_connection(session, owner)
    session.commit()
    checked = shop_row(session).stripe_checked_at
    stripe_env.script(server_error(), server_error(), server_error())  # the first try and both retries
    with pytest.raises(stripe_account.StripeUnavailable, match="Could not reach Stripe"):
        stripe_account.test_connection(session, owner)
    session.rollback()
    assert shop_row(session).stripe_checked_at == checked  # a success before stays a success
    stripe_env.script(rate_limited(should_retry=False))
    with pytest.raises(stripe_account.StripeUnavailable, match="Could not reach Stripe: it is busy"):
        stripe_account.test_connection(session, owner)


def test_stripe_unreachable_says_so(session, owner, stripe_env, monkeypatch):
    save(session, owner)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("STRIPE_API_BASE", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    with pytest.raises(stripe_account.StripeUnavailable, match="Could not reach Stripe"):
        stripe_account.test_connection(session, owner)
    session.rollback()
    assert shop_row(session).stripe_checked_at is None


def test_test_connection_needs_a_key(session, owner, stripe_env):
    with pytest.raises(InvalidInput, match="Save a Stripe secret key first") as refused:
        stripe_account.test_connection(session, owner)
    assert refused.value.field == "secret_key"
    assert stripe_env.api_requests == []


def test_the_dashboard_ticks_stripe_only_after_a_successful_test(session, owner, stripe_env):
    def stripe_item():
        return next(i for i in dashboard.getting_started(session) if i.label == "Stripe connected so clients can pay online")

    assert not stripe_item().done and stripe_item().href == "/settings/payments"
    save(session, owner)
    assert not stripe_item().done  # a pasted key is not a connection
    stripe_env.valid_keys.clear()
    with pytest.raises(InvalidInput):
        stripe_account.test_connection(session, owner)
    session.rollback()
    assert not stripe_item().done
    stripe_env.valid_keys.add(API_KEY)
    stripe_account.test_connection(session, owner)
    session.commit()
    assert stripe_item().done
    stripe_account.remove_keys(session, owner)
    session.commit()
    assert not stripe_item().done


# --- the page and the invoice defaults ------------------------------------------------------------------


def test_the_page_shows_the_webhook_to_set_up(session, owner, stripe_env):
    view = stripe_account.payment_settings(session, owner)
    assert view.webhook_url == get_settings().base_url + "/api/stripe/webhook"
    assert view.webhook_events == [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
        "charge.refunded",
    ]
    assert (view.currency, view.tax_rate, view.invoice_prefix, view.invoice_next_number) == ("USD", "", "INV-", "1")
    assert (view.next_invoice, view.payment_terms_days, view.payment_instructions) == ("INV-0001", "14", "")
    assert not view.connected and view.secret_key == "" and not view.secret_key_from_env


def update(session, owner, **changes):
    values = dict(tax_rate="", invoice_prefix="INV-", invoice_next_number="1", payment_terms_days="14", payment_instructions="")
    view = stripe_account.update_payment_settings(session, owner, **(values | changes))
    session.commit()
    return view


def test_invoice_defaults_are_saved(session, owner, stripe_env):
    view = update(
        session,
        owner,
        tax_rate="8.875",
        invoice_prefix="SE-",
        invoice_next_number="42",
        payment_terms_days="30",
        payment_instructions="Checks to Smith Embroidery.\nBank: 000-111",
    )
    assert (view.tax_rate, view.invoice_prefix, view.invoice_next_number, view.next_invoice) == ("8.875", "SE-", "42", "SE-0042")
    assert view.payment_terms_days == "30" and view.payment_instructions == "Checks to Smith Embroidery.\nBank: 000-111"
    shop = shop_row(session)
    assert (shop.tax_rate, shop.invoice_prefix, shop.invoice_next_number, shop.payment_terms_days) == (8875, "SE-", 42, 30)
    assert update(session, owner, tax_rate="").tax_rate == ""
    assert shop_row(session).tax_rate == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tax_rate": "100.5"}, "tax_rate"),
        ({"tax_rate": "eight"}, "tax_rate"),
        ({"tax_rate": "8.8755"}, "tax_rate"),
        ({"invoice_prefix": ""}, "invoice_prefix"),
        ({"invoice_prefix": "INVOICE-2026-"}, "invoice_prefix"),  # 13 characters
        ({"invoice_prefix": "IN V"}, "invoice_prefix"),
        ({"invoice_prefix": "INV/"}, "invoice_prefix"),
        ({"invoice_prefix": "Ä-"}, "invoice_prefix"),
        ({"invoice_next_number": "0"}, "invoice_next_number"),
        ({"invoice_next_number": "1.5"}, "invoice_next_number"),
        ({"invoice_next_number": "-3"}, "invoice_next_number"),
        ({"invoice_next_number": "100000000"}, "invoice_next_number"),
        ({"payment_terms_days": "366"}, "payment_terms_days"),
        ({"payment_terms_days": "two weeks"}, "payment_terms_days"),
        ({"payment_instructions": "x" * 2001}, "payment_instructions"),
    ],
)
def test_refused_invoice_defaults_change_nothing(session, owner, stripe_env, changes, field):
    before = stripe_account.payment_settings(session, owner)
    values = dict(tax_rate="5", invoice_prefix="NEW-", invoice_next_number="9", payment_terms_days="7", payment_instructions="x")
    with pytest.raises(InvalidInput) as refused:
        stripe_account.update_payment_settings(session, owner, **(values | changes))
    assert refused.value.field == field and refused.value.message
    session.rollback()
    assert stripe_account.payment_settings(session, owner) == before


def test_one_save_names_every_wrong_invoice_default(session, owner, stripe_env):
    with pytest.raises(InvalidInput) as refused:
        stripe_account.update_payment_settings(
            session, owner, tax_rate="eight", invoice_prefix="IN V", invoice_next_number="0", payment_terms_days="366",
            payment_instructions="x" * 2001,
        )
    assert list(refused.value.errors) == ["tax_rate", "invoice_prefix", "invoice_next_number", "payment_terms_days", "payment_instructions"]


def used(session, owner, *numbers: str) -> None:
    """Invoices that were given these numbers (how they got them is the invoices' business)."""
    customer_id = make_customer(session, owner, "Numbered Co", "ann@numbered.example")
    for number in numbers:
        session.add(Invoice(customer_id=customer_id, number=number, status=InvoiceStatus.SENT, total_cents=100))
    session.commit()


def test_the_next_number_cannot_go_back_onto_used_numbers(session, owner, stripe_env):
    used(session, owner, "INV-0001", "INV-0006", "INV-0002", "INVX0099", "A-0003", "INV-12A")
    for number in ("6", "1", "3"):
        with pytest.raises(InvalidInput) as refused:
            update(session, owner, invoice_next_number=number)
        assert refused.value.field == "invoice_next_number"
        assert refused.value.message == "INV-0006 is already used: the next number must be 7 or more."
        session.rollback()
    assert update(session, owner, invoice_next_number="7").next_invoice == "INV-0007"
    # Another prefix has its own numbers; "_" is no wildcard ("INVX0099" is not under "INV_").
    assert update(session, owner, invoice_prefix="A-", invoice_next_number="4").next_invoice == "A-0004"
    assert update(session, owner, invoice_prefix="INV_", invoice_next_number="1").next_invoice == "INV_0001"
    assert update(session, owner, invoice_prefix="INV", invoice_next_number="1").next_invoice == "INV0001"
    with pytest.raises(InvalidInput, match="A-0003 is already used"):
        update(session, owner, invoice_prefix="A-", invoice_next_number="3")


def test_past_four_digits_the_highest_number_is_still_found(session, owner, stripe_env):
    used(session, owner, "INV-9999", "INV-10000", "INV-0042")
    with pytest.raises(InvalidInput, match="INV-10000 is already used: the next number must be 10001 or more"):
        update(session, owner, invoice_next_number="9999")
    session.rollback()
    assert update(session, owner, invoice_next_number="10001").next_invoice == "INV-10001"
