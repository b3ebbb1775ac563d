"""Settings: the database URL, the data dir, the signing secret, secrets kept out of logs, base_url."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from kontrol_app.api.addresses import client_address
from kontrol_app.settings import Settings, get_settings

VARIABLES = (
    "HOST",
    "PORT",
    "KONTROL_PUBLIC_URL",
    "KONTROL_DATA_DIR",
    "DATABASE_URL",
    "REDIS_URL",
    "KONTROL_MAIL_DIR",
    "KONTROL_MAIL_FROM",
    "RESEND_API_KEY",
    "RESEND_API_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "KONTROL_SECRET_KEY",
    "KONTROL_TRUSTED_PROXIES",
)


@pytest.fixture(autouse=True)
def clean_environment(tmp_path, monkeypatch):
    """No Kontrol variable from the outside, no .env file, and a fresh get_settings()."""
    for variable in VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def settings_with(monkeypatch, **environment: str) -> Settings:
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    return get_settings()


# --- the database ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://kontrol:pw@db.example:5432/shop", "postgresql+psycopg://kontrol:pw@db.example:5432/shop"),
        ("postgresql://kontrol:pw@db.example/shop?sslmode=require", "postgresql+psycopg://kontrol:pw@db.example/shop?sslmode=require"),
        ("postgresql+psycopg://kontrol@127.0.0.1/shop", "postgresql+psycopg://kontrol@127.0.0.1/shop"),
        ("sqlite:////srv/kontrol/kontrol.db", "sqlite:////srv/kontrol/kontrol.db"),
    ],
)
def test_database_url_is_normalised_for_psycopg(monkeypatch, given, used):
    assert settings_with(monkeypatch, DATABASE_URL=given).db_url == used


def test_default_database_is_sqlite_under_the_data_dir(monkeypatch, tmp_path):
    settings = settings_with(monkeypatch, KONTROL_DATA_DIR=str(tmp_path / "shop-data"))
    assert settings.db_url == f"sqlite:///{tmp_path / 'shop-data' / 'kontrol.db'}"
    assert settings.files_dir == tmp_path / "shop-data" / "files"


def test_relative_data_dir_gives_an_absolute_sqlite_path(tmp_path):
    settings = get_settings()
    assert settings.data_dir == Path("data")
    assert settings.db_url == f"sqlite:///{tmp_path.resolve() / 'data' / 'kontrol.db'}"


def test_dot_env_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("PORT=4100\nKONTROL_PUBLIC_URL=https://from-dotenv.example\n")
    settings = get_settings()
    assert settings.port == 4100
    assert settings.base_url == "https://from-dotenv.example"


def test_get_settings_is_read_once_until_cleared(monkeypatch):
    first = get_settings()
    monkeypatch.setenv("PORT", "4200")
    assert get_settings() is first and first.port == 3000
    get_settings.cache_clear()
    assert get_settings().port == 4200


# --- the signing secret ------------------------------------------------------------------------


def test_secret_is_generated_once_and_kept_private(monkeypatch, tmp_path):
    data_dir = tmp_path / "new-data"
    settings = settings_with(monkeypatch, KONTROL_DATA_DIR=str(data_dir))
    secret = settings.secret()
    assert len(secret) >= 40
    path = data_dir / "secret_key"
    assert path.read_text().strip() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings.secret() == secret
    # A restart (new settings object) keeps the same secret.
    get_settings.cache_clear()
    assert get_settings().secret() == secret


def test_the_key_file_is_read_once_per_process(monkeypatch, tmp_path):
    """Portal links are signed with it on every page: the file is not read again each time."""
    data_dir = tmp_path / "read-once"
    settings = settings_with(monkeypatch, KONTROL_DATA_DIR=str(data_dir))
    secret = settings.secret()
    (data_dir / "secret_key").unlink()
    assert settings.secret() == secret and not (data_dir / "secret_key").exists()


def test_each_data_dir_gets_its_own_secret(monkeypatch, tmp_path):
    one = settings_with(monkeypatch, KONTROL_DATA_DIR=str(tmp_path / "one")).secret()
    two = settings_with(monkeypatch, KONTROL_DATA_DIR=str(tmp_path / "two")).secret()
    assert one != two


def test_secret_from_the_environment_wins(monkeypatch, tmp_path):
    settings = settings_with(monkeypatch, KONTROL_DATA_DIR=str(tmp_path / "d"), KONTROL_SECRET_KEY="s3cret-from-env")
    assert settings.secret() == "s3cret-from-env"
    assert not (tmp_path / "d" / "secret_key").exists()


def test_secrets_do_not_show_in_repr(monkeypatch):
    values = {
        "RESEND_API_KEY": "re_live_key_123456",
        "STRIPE_SECRET_KEY": "sk_live_abcdef123456",
        "STRIPE_WEBHOOK_SECRET": "whsec_abcdef123456",
        "KONTROL_SECRET_KEY": "kontrol-signing-secret-987",
    }
    settings = settings_with(monkeypatch, **values)
    for field in ("resend_api_key", "stripe_secret_key", "stripe_webhook_secret", "secret_key"):
        assert isinstance(getattr(settings, field), SecretStr)
    shown = repr(settings) + str(settings) + str(settings.model_dump())
    for value in values.values():
        assert value not in shown
    assert settings.stripe_secret_key.get_secret_value() == "sk_live_abcdef123456"
    assert settings.email_provider_configured


def test_email_provider_needs_a_key(monkeypatch):
    assert not get_settings().email_provider_configured
    assert not settings_with(monkeypatch, RESEND_API_KEY="").email_provider_configured


# --- base_url ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "base_url"),
    [
        ({}, "http://127.0.0.1:3000"),
        ({"HOST": "0.0.0.0", "PORT": "8000"}, "http://127.0.0.1:8000"),
        ({"HOST": "::"}, "http://127.0.0.1:3000"),
        ({"HOST": "shop.lan", "PORT": "3001"}, "http://shop.lan:3001"),
        ({"KONTROL_PUBLIC_URL": "https://shop.example.com/"}, "https://shop.example.com"),
        ({"KONTROL_PUBLIC_URL": "https://shop.example.com", "HOST": "0.0.0.0", "PORT": "9"}, "https://shop.example.com"),
    ],
)
def test_base_url(monkeypatch, environment, base_url):
    assert settings_with(monkeypatch, **environment).base_url == base_url


def test_origins_follow_the_public_url(monkeypatch):
    local = get_settings()
    assert local.allowed_origins == ["http://127.0.0.1:3000", "http://localhost:3000"]
    public = settings_with(monkeypatch, KONTROL_PUBLIC_URL="https://shop.example.com/")
    assert public.allowed_origins == ["https://shop.example.com"]
    assert public.browser_api_url == "https://shop.example.com"


# --- the secret key file: a worker never uses an empty or partial key ---------------------------


def test_a_key_file_still_being_written_is_waited_for_not_used_empty(monkeypatch, tmp_path):
    """The loser of the race finds the winner's file before its key is in it."""
    data_dir = tmp_path / "racing"
    data_dir.mkdir()
    path = data_dir / "secret_key"
    path.write_text("")  # created by the winner, not yet written
    settings = settings_with(monkeypatch, KONTROL_DATA_DIR=str(data_dir))
    writer = threading.Timer(0.3, lambda: path.write_text("the-winners-key-" + "w" * 48))
    writer.start()
    try:
        assert settings.secret() == "the-winners-key-" + "w" * 48
    finally:
        writer.join()


def test_a_key_file_left_empty_is_refused_not_used(monkeypatch, tmp_path):
    data_dir = tmp_path / "broken"
    data_dir.mkdir()
    (data_dir / "secret_key").write_text("\n")
    settings = settings_with(monkeypatch, KONTROL_DATA_DIR=str(data_dir))
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="secret_key is empty"):
        settings.secret()
    assert time.monotonic() - started < 10


def test_workers_starting_together_agree_on_one_complete_key(monkeypatch, tmp_path):
    data_dir = tmp_path / "fresh"
    settings = settings_with(monkeypatch, KONTROL_DATA_DIR=str(data_dir))
    barrier = threading.Barrier(16)
    keys: list[str] = []

    def worker() -> None:
        barrier.wait()
        keys.append(settings.secret())

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 16 and len(set(keys)) == 1 and len(keys[0]) >= 40
    # Only the key file is left (no temporary files), private.
    assert [p.name for p in data_dir.iterdir()] == ["secret_key"]
    assert stat.S_IMODE((data_dir / "secret_key").stat().st_mode) == 0o600


# --- KONTROL_TRUSTED_PROXIES: the client's address behind reverse proxies ----------------------


def test_trusted_proxies_default_to_none(monkeypatch):
    assert get_settings().trusted_proxies == 0
    assert settings_with(monkeypatch, KONTROL_TRUSTED_PROXIES="2").trusted_proxies == 2


@pytest.mark.parametrize("value", ["-1", "two", "99"])
def test_trusted_proxies_must_be_a_small_count(monkeypatch, value):
    monkeypatch.setenv("KONTROL_TRUSTED_PROXIES", value)
    get_settings.cache_clear()
    with pytest.raises(ValueError):
        get_settings()


@pytest.mark.parametrize(
    ("proxies", "peer", "forwarded_for", "address"),
    [
        # Not set: X-Forwarded-For is ignored (anyone can send it).
        (None, "203.0.113.5", "198.51.100.1", "203.0.113.5"),
        (None, "203.0.113.5", None, "203.0.113.5"),
        # One proxy: the entry it appended, not the one the client made up before it.
        ("1", "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("1", "10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        ("1", "10.0.0.2", " 6.6.6.6 ,198.51.100.1 ", "198.51.100.1"),
        ("2", "10.0.0.2", "6.6.6.6, 198.51.100.1, 172.16.0.9", "198.51.100.1"),
        ("1", "10.0.0.2", "2001:db8::7", "2001:db8::7"),
        # Set, but the request did not come through the proxies: the peer.
        ("1", "10.0.0.2", None, "10.0.0.2"),
        ("1", "10.0.0.2", " , ", "10.0.0.2"),
        ("2", "10.0.0.2", "198.51.100.1", "10.0.0.2"),
        ("1", None, None, ""),
    ],
)
def test_client_address(monkeypatch, proxies, peer, forwarded_for, address):
    if proxies is not None:
        settings_with(monkeypatch, KONTROL_TRUSTED_PROXIES=proxies)
    assert client_address(peer, forwarded_for) == address
