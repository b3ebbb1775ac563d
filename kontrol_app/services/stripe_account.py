"""Settings -> Payments: the shop's Stripe keys, the connection check, and the invoice defaults.

The secret key and the webhook signing secret are stored encrypted (services/secrets.py) and
never shown again in full (`masked`). `STRIPE_SECRET_KEY` / `STRIPE_WEBHOOK_SECRET` in the
environment override the stored ones. "Connected" means a successful **Test connection** with
the current key: saving another key, or removing it, clears the check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import stripe
from sqlmodel import Session, func, select

from kontrol_app.models import Invoice, Shop, utcnow
from kontrol_app.services import secrets
from kontrol_app.services.clock import shop_time
from kontrol_app.services.errors import Checks, InvalidInput, NotAllowed, ServiceError
from kontrol_app.services.money import format_percent, parse_percent
from kontrol_app.services.permissions import require_owner
from kontrol_app.services.shop import get_shop
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.validation import clean_text
from kontrol_app.settings import get_settings

SECRET_KEY_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")
WEBHOOK_SECRET_PREFIX = "whsec_"
MAX_KEY_LENGTH = 255
WEBHOOK_PATH = "/api/stripe/webhook"
WEBHOOK_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
)
PREFIX_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,12}")
MAX_INVOICE_NUMBER = 99_999_999
MAX_TERMS_DAYS = 365
_KEY_CHARS = re.compile(r"[A-Za-z0-9_]+")


class StripeUnavailable(ServiceError):
    """Stripe could not be reached or failed on its side (network, 429, 5xx): nothing changed."""


# --- the keys -----------------------------------------------------------------------------------


def masked(key: str | None) -> str:
    """ "sk_live_…4242": the kind of key and its last four characters, never more."""
    if not key:
        return ""
    prefix = next((p for p in (*SECRET_KEY_PREFIXES, WEBHOOK_SECRET_PREFIX, "pk_test_", "pk_live_") if key.startswith(p)), "")
    rest = key[len(prefix) :]
    # A short key would be half revealed by its last four: show only its kind.
    return f"{prefix}…{rest[-4:]}" if len(rest) >= 12 else f"{prefix}…"


def _env(value) -> str | None:
    text = value.get_secret_value().strip() if value is not None else ""
    return text or None


def _stored(token: str) -> str | None:
    if not token:
        return None
    try:
        return secrets.decrypt(token)
    except secrets.Unreadable:
        return None


def secret_key(session: Session) -> str | None:
    """The key to call Stripe with: the environment's, else the stored one (None: none)."""
    from_env = _env(get_settings().stripe_secret_key)
    if from_env:
        return from_env
    shop = get_shop(session)
    return _stored(shop.stripe_secret_key) if shop is not None else None


def webhook_secret(session: Session) -> str | None:
    """The signing secret webhooks are checked with: the environment's, else the stored one."""
    from_env = _env(get_settings().stripe_webhook_secret)
    if from_env:
        return from_env
    shop = get_shop(session)
    return _stored(shop.stripe_webhook_secret) if shop is not None else None


def client(session: Session) -> stripe.StripeClient | None:
    """A Stripe client with the current key, or None when there is no key."""
    key = secret_key(session)
    if key is None:
        return None
    return stripe.StripeClient(key, base_addresses={"api": get_settings().stripe_api_base}, max_network_retries=2)


def _clean_key(value: str, *, field: str, prefixes: tuple[str, ...], what: str, example: str) -> str:
    key = (value or "").strip()
    if key.startswith(("pk_test_", "pk_live_")):
        raise InvalidInput("That is the publishable key (pk_…). Paste the secret key (sk_…) or a restricted key (rk_…).", field)
    if not key.startswith(prefixes) or len(key) <= len(max(prefixes, key=len)) + 8 or not _KEY_CHARS.fullmatch(key):
        raise InvalidInput(f"That does not look like {what}: it starts with {example} and has no spaces.", field)
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"That is longer than any {what}: paste it again.", field)
    return key


def _shop(session: Session) -> Shop:
    shop = get_shop(session)
    if shop is None:
        raise NotAllowed("Set up the shop first (Settings → Shop Info).")
    return shop


def _forget_check(shop: Shop) -> None:
    shop.stripe_checked_at = None
    shop.stripe_account_name = ""
    shop.stripe_livemode = False


def save_keys(session: Session, actor: StaffPrincipal, *, secret_key: str, webhook_secret: str) -> PaymentSettingsView:
    """Save Keys: an empty box keeps the key saved before. Another secret key than the saved
    one clears the connection check (Test connection again)."""
    require_owner(actor, "change payments")
    shop = _shop(session)
    new_key = new_secret = None
    if (secret_key or "").strip():
        new_key = _clean_key(
            secret_key,
            field="secret_key",
            prefixes=SECRET_KEY_PREFIXES,
            what="a Stripe secret key",
            example="sk_live_, sk_test_, rk_live_ or rk_test_",
        )
    if (webhook_secret or "").strip():
        new_secret = _clean_key(
            webhook_secret,
            field="webhook_secret",
            prefixes=(WEBHOOK_SECRET_PREFIX,),
            what="a webhook signing secret",
            example="whsec_",
        )
    if new_key is None and new_secret is None:
        raise InvalidInput("Paste your Stripe secret key (or the webhook signing secret) to save it.", "secret_key")
    if new_key is not None:
        if new_key != _stored(shop.stripe_secret_key):
            _forget_check(shop)
        shop.stripe_secret_key = secrets.encrypt(new_key)
    if new_secret is not None:
        shop.stripe_webhook_secret = secrets.encrypt(new_secret)
    shop.updated_at = utcnow()
    session.add(shop)
    session.flush()
    return payment_settings(session, actor)


def remove_keys(session: Session, actor: StaffPrincipal) -> PaymentSettingsView:
    """Remove Keys: both stored keys and the connection check (the environment's stay)."""
    require_owner(actor, "change payments")
    shop = _shop(session)
    shop.stripe_secret_key = ""
    shop.stripe_webhook_secret = ""
    _forget_check(shop)
    shop.updated_at = utcnow()
    session.add(shop)
    session.flush()
    return payment_settings(session, actor)


# --- the connection check ------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionResult:
    account_name: str
    livemode: bool


def _account_name(account: stripe.Account) -> str:
    account = account.to_dict()
    profile = account.get("business_profile") or {}
    dashboard = (account.get("settings") or {}).get("dashboard") or {}
    return (profile.get("name") or dashboard.get("display_name") or account.get("email") or account.get("id") or "").strip()


def _is_live(key: str) -> bool:
    return key.startswith(("sk_live_", "rk_live_"))


def test_connection(session: Session, actor: StaffPrincipal) -> ConnectionResult:
    """Test Connection: ask Stripe who this key belongs to. Only a success changes anything."""
    require_owner(actor, "change payments")
    shop = _shop(session)
    key = secret_key(session)
    if key is None:
        raise InvalidInput("Save a Stripe secret key first, then test it.", "secret_key")
    stripe_client = client(session)
    try:
        account = stripe_client.v1.accounts.retrieve_current()
    except (stripe.AuthenticationError, stripe.PermissionError) as error:
        reason = error.user_message or "the key is not valid"
        raise InvalidInput(f"Stripe refused this key: {reason}", "secret_key") from None
    except stripe.APIConnectionError:
        raise StripeUnavailable("Could not reach Stripe. Check this server's internet connection and try again in a minute.") from None
    except stripe.RateLimitError:
        raise StripeUnavailable("Could not reach Stripe: it is busy right now. Try again in a minute.") from None
    except stripe.StripeError as error:
        if (error.http_status or 500) >= 500:
            raise StripeUnavailable(f"Could not reach Stripe: it answered with an error ({error.http_status or 'no answer'}). Try again in a minute.") from None
        raise InvalidInput(f"Stripe refused this key: {error.user_message or error}", "secret_key") from None
    name = _account_name(account) or "your Stripe account"
    shop.stripe_account_name = name[:200]
    shop.stripe_livemode = _is_live(key)
    shop.stripe_checked_at = utcnow()
    shop.updated_at = utcnow()
    session.add(shop)
    session.flush()
    return ConnectionResult(shop.stripe_account_name, shop.stripe_livemode)


test_connection.__test__ = False  # a service, not a test, wherever pytest meets the name


def is_connected(session: Session) -> bool:
    """A successful Test connection with the current key (saving another key clears it)."""
    shop = get_shop(session)
    return shop is not None and shop.stripe_checked_at is not None and secret_key(session) is not None


def connection_label(account_name: str, livemode: bool) -> str:
    return f"Connected to {account_name} — {'live' if livemode else 'test'} mode"


# --- the page ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentSettingsView:
    secret_key: str  # masked, "" when none
    webhook_secret: str  # masked, "" when none
    secret_key_from_env: bool
    webhook_secret_from_env: bool
    # A stored key encrypted under another KONTROL_SECRET_KEY: it must be pasted again.
    unreadable: bool
    connected: bool
    connection: str  # "Connected to Fake Print Shop — test mode", or ""
    checked_at: str
    webhook_url: str
    webhook_events: list[str]
    currency: str
    tax_rate: str  # "8.875", "" for none
    invoice_prefix: str
    invoice_next_number: str
    next_invoice: str  # "INV-0007"
    payment_terms_days: str
    payment_instructions: str


def invoice_number(prefix: str, number: int) -> str:
    """How numbers are written (services/invoices/drafting.py allocates them the same way)."""
    return f"{prefix}{number:04d}"


def payment_settings(session: Session, actor: StaffPrincipal) -> PaymentSettingsView:
    require_owner(actor, "see or change payments")
    shop = _shop(session)
    settings = get_settings()
    env_key, env_secret = _env(settings.stripe_secret_key), _env(settings.stripe_webhook_secret)
    stored_key, stored_secret = _stored(shop.stripe_secret_key), _stored(shop.stripe_webhook_secret)
    unreadable = bool(shop.stripe_secret_key and stored_key is None) or bool(shop.stripe_webhook_secret and stored_secret is None)
    connected = is_connected(session)
    return PaymentSettingsView(
        secret_key=masked(env_key or stored_key),
        webhook_secret=masked(env_secret or stored_secret),
        secret_key_from_env=env_key is not None,
        webhook_secret_from_env=env_secret is not None,
        unreadable=unreadable,
        connected=connected,
        connection=connection_label(shop.stripe_account_name, shop.stripe_livemode) if connected else "",
        checked_at=shop_time(shop.stripe_checked_at, shop.timezone) if connected else "",
        webhook_url=settings.base_url + WEBHOOK_PATH,
        webhook_events=list(WEBHOOK_EVENTS),
        currency=shop.currency,
        tax_rate=format_percent(shop.tax_rate) if shop.tax_rate else "",
        invoice_prefix=shop.invoice_prefix,
        invoice_next_number=str(shop.invoice_next_number),
        next_invoice=invoice_number(shop.invoice_prefix, shop.invoice_next_number),
        payment_terms_days=str(shop.payment_terms_days),
        payment_instructions=shop.payment_instructions,
    )


def _whole(value: object, *, low: int, high: int, field: str, message: str) -> int:
    text = str(value if value is not None else "").strip().replace(",", "")
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or len(text) > 9 or not low <= int(text) <= high:
        raise InvalidInput(message, field)
    return int(text)


def highest_used_number(session: Session, prefix: str) -> int:
    """The highest number already given to an invoice under `prefix` (0: none). Only numbers
    that are the prefix followed by digits count ("INV-0007" under "INV-", not under "INV")."""
    rows = session.exec(
        select(Invoice.number)
        .where(func.substr(Invoice.number, 1, len(prefix)) == prefix)
        .order_by(func.length(Invoice.number).desc(), Invoice.number.desc())
        .execution_options(yield_per=200)
    )
    for number in rows:
        rest = number[len(prefix) :]
        if rest.isascii() and rest.isdigit():
            return int(rest)  # the longest, then greatest, run of digits is the highest number
    return 0


def _tax_rate(text: object) -> int:
    tax_text = str(text or "").strip()
    rate = parse_percent(tax_text) if tax_text else 0
    if rate is None:
        raise InvalidInput("Enter the tax rate as a percentage from 0 to 100, like 8.875 (or leave it empty).", "tax_rate")
    return rate


def _prefix(text: object) -> str:
    prefix = str(text or "").strip()
    if not PREFIX_PATTERN.fullmatch(prefix):
        raise InvalidInput("Use 1 to 12 letters, digits, - or _ for the prefix, like INV-.", "invoice_prefix")
    return prefix


def update_payment_settings(
    session: Session,
    actor: StaffPrincipal,
    *,
    tax_rate: str,
    invoice_prefix: str,
    invoice_next_number: str | int,
    payment_terms_days: str | int,
    payment_instructions: str,
) -> PaymentSettingsView:
    """Save the Invoices card. Every value is checked before anything changes."""
    require_owner(actor, "change payments")
    checks = Checks()  # one Save names every wrong box
    rate = checks(_tax_rate, tax_rate)
    prefix = checks(_prefix, invoice_prefix)
    number = checks(
        _whole, invoice_next_number, low=1, high=MAX_INVOICE_NUMBER, field="invoice_next_number",
        message=f"Enter the next number as a whole number from 1 to {MAX_INVOICE_NUMBER:,}.",
    )
    terms = checks(
        _whole, payment_terms_days, low=0, high=MAX_TERMS_DAYS, field="payment_terms_days",
        message=f"Enter the payment terms as a whole number of days from 0 to {MAX_TERMS_DAYS}.",
    )
    instructions = checks(
        clean_text, payment_instructions, field="payment_instructions", label="the payment instructions", max_length=2000, multiline=True
    )
    checks.done()
    # Locked, so a send allocating a number meanwhile is seen by the check below (PostgreSQL;
    # SQLite writers take turns). Sending skips numbers already used in any case.
    shop = session.exec(select(Shop).where(Shop.id == _shop(session).id).with_for_update().execution_options(populate_existing=True)).one()
    used = highest_used_number(session, prefix)
    if number <= used:
        raise InvalidInput(
            f"{invoice_number(prefix, used)} is already used: the next number must be {used + 1} or more.",
            "invoice_next_number",
        )
    shop.tax_rate, shop.invoice_prefix, shop.invoice_next_number = rate, prefix, number
    shop.payment_terms_days, shop.payment_instructions = terms, instructions
    shop.updated_at = utcnow()
    session.add(shop)
    session.flush()
    return payment_settings(session, actor)
