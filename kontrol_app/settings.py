"""Every setting Kontrol reads, in one place.

Values come from the environment, then an optional `.env` file in the working
directory. The README's configuration table lists each of them.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    host: str = Field("127.0.0.1", validation_alias="HOST")
    port: int = Field(3000, validation_alias="PORT")
    public_url: str = Field("", validation_alias="KONTROL_PUBLIC_URL")
    data_dir: Path = Field(Path("data"), validation_alias="KONTROL_DATA_DIR")
    database_url: str = Field("", validation_alias="DATABASE_URL")
    redis_url: str = Field("", validation_alias="REDIS_URL")
    mail_dir: Path | None = Field(None, validation_alias="KONTROL_MAIL_DIR")
    mail_from: str = Field("", validation_alias="KONTROL_MAIL_FROM")
    resend_api_key: SecretStr | None = Field(None, validation_alias="RESEND_API_KEY")
    resend_api_url: str = Field("https://api.resend.com", validation_alias="RESEND_API_URL")
    stripe_secret_key: SecretStr | None = Field(None, validation_alias="STRIPE_SECRET_KEY")
    stripe_webhook_secret: SecretStr | None = Field(None, validation_alias="STRIPE_WEBHOOK_SECRET")
    stripe_api_base: str = Field("https://api.stripe.com", validation_alias="STRIPE_API_BASE")
    secret_key: SecretStr | None = Field(None, validation_alias="KONTROL_SECRET_KEY")
    # How many reverse proxies stand in front of the app, each appending to X-Forwarded-For.
    # 0: the header is ignored (anyone can send it) and the socket's peer is the client.
    trusted_proxies: int = Field(0, ge=0, le=10, validation_alias="KONTROL_TRUSTED_PROXIES")

    @property
    def base_url(self) -> str:
        """The address clients and emails use to reach this shop (no trailing slash)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:  # an IPv6 address needs brackets in a URL
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def browser_api_url(self) -> str:
        """Where the browser's websocket goes. Without a public URL, "localhost" tells
        Reflex's front end to use whatever host name the page was opened with."""
        return self.base_url if self.public_url else f"http://localhost:{self.port}"

    @property
    def allowed_origins(self) -> list[str]:
        """Origins the websocket accepts: the public URL, plus both loopback names locally."""
        if self.public_url:
            return [self.base_url]
        return sorted({self.base_url, f"http://127.0.0.1:{self.port}", f"http://localhost:{self.port}"})

    @property
    def db_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Accept the URL forms people paste from hosting dashboards.
            if url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url[len("postgres://") :]
            elif url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.data_dir / 'kontrol.db').resolve()}"

    @property
    def files_dir(self) -> Path:
        """Uploaded files (logos, later mockups and attachments), never under /_upload."""
        return self.data_dir / "files"

    @property
    def email_provider_configured(self) -> bool:
        return bool(self.resend_api_key and self.resend_api_key.get_secret_value())

    def secret(self) -> str:
        """The signing secret: from the environment, else generated once under the data dir."""
        if self.secret_key and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if (known := _FILE_SECRETS.get(path)) is not None:
            return known  # read once per process: portal links are signed with it on every page
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            _create_complete(path, secrets.token_urlsafe(48))
        # The file only ever appears complete (see below); an empty one is waited for a
        # moment (an older version's writer may be mid-write), then refused, never used.
        for _ in range(20):
            key = path.read_text().strip()
            if key:
                _FILE_SECRETS[path] = key
                return key
            time.sleep(0.1)
        raise RuntimeError(f"{path} is empty: delete it and start again (a new key is generated).")


# The generated key of each data dir, once read. It never changes while Kontrol runs
# (`restore` needs Kontrol stopped).
_FILE_SECRETS: dict[Path, str] = {}


def _create_complete(path: Path, content: str) -> None:
    """Create `path` with `content` unless it exists, so that no reader ever sees it half
    written: the key goes to a private temporary file first, which is then hard-linked to
    the final name (link refuses to replace an existing file, so of two workers one wins)."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")  # mode 0600
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another worker won: its complete key is read back by the caller
        except OSError:  # a file system without hard links: create exclusively (readers wait)
            try:
                exclusive = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(exclusive, "w") as file:
                    file.write(content)
    finally:
        os.unlink(temporary)


@lru_cache
def get_settings() -> Settings:
    return Settings()
