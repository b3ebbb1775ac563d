"""The shop's own details (Settings -> Shop Info) and its logo."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from kontrol_app.models import Shop, StoredFile, utcnow
from kontrol_app.services import files
from kontrol_app.services.errors import Checks, InvalidInput, found
from kontrol_app.services.money import CURRENCIES
from kontrol_app.services.permissions import require_owner
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.validation import clean_email, clean_text

MAX_LOGO_BYTES = 5 * 1024 * 1024
MAX_LOGO_PIXELS = 5000 * 5000  # decoding is checked, and memory grows with pixels
LOGO_REJECTED = "The logo must be a PNG, JPEG or WebP image."
LOGO_KIND = "logo"
# Public: the logo brands the portal's sign-in page and every email.
files.register_reader(LOGO_KIND, files.anyone, public=True)


@lru_cache
def timezone_names() -> list[str]:
    return sorted(available_timezones() - {"localtime", "Factory"})


@dataclass(frozen=True)
class ShopInfo:
    name: str
    email: str
    phone: str
    address: str
    currency: str
    timezone: str
    logo_file: str  # "<file id>/logo-<sha256 prefix>.<ext>"; empty when there is no logo
    # Business days from approved artwork to the due date (last, with a default: ShopInfo is
    # built positionally in places).
    production_days: int = 7

    @property
    def logo_path(self) -> str:
        """Where browsers fetch the logo (the files route); each new logo has a new id."""
        return f"/api/files/{self.logo_file}" if self.logo_file else ""


# The one name for a shop before Shop Info has one (emails, portal, staff header).
UNNAMED_SHOP = "Your shop"


def display_name(info: ShopInfo | None) -> str:
    return info.name if info is not None and info.name else UNNAMED_SHOP


# Built once (Core): most screens ask. Hot paths fold it into their own statement
# (`TIMEZONE_QUERY.scalar_subquery()`) instead of a trip of its own.
TIMEZONE_QUERY = sa_select(Shop.timezone).order_by(Shop.id).limit(1)


def shop_timezone(session: Session) -> str:
    """The zone staff and clients read times in (the database keeps UTC): one column, since
    nearly every portal and staff event asks for it."""
    return session.connection().execute(TIMEZONE_QUERY).scalar() or "UTC"


_CURRENCY_QUERY = sa_select(Shop.currency).order_by(Shop.id).limit(1)


def shop_currency(session: Session) -> str:
    """The currency money is shown in (one column, as `shop_timezone`)."""
    return session.connection().execute(_CURRENCY_QUERY).scalar() or "USD"


def get_shop(session: Session) -> Shop | None:
    return session.exec(select(Shop).order_by(Shop.id).limit(1)).first()


def shop_info(session: Session) -> ShopInfo | None:
    shop = get_shop(session)
    if shop is None:
        return None
    logo = session.get(StoredFile, shop.logo_file_id) if shop.logo_file_id else None
    logo_file = f"{logo.id}/{_logo_name(logo)}" if logo is not None else ""
    return ShopInfo(
        shop.name, shop.email, shop.phone, shop.address, shop.currency, shop.timezone, logo_file, shop.production_days
    )


def _logo_name(row: StoredFile) -> str:
    # The name logos had before the files service, so their old URLs still match.
    return f"logo-{row.sha256[:16]}.{files.TYPES[row.file_type].extension}"


MAX_PRODUCTION_DAYS = 60


def clean_production_days(value: int | str) -> int:
    """A whole number of business days, 0 to 60 (the form sends text)."""
    if isinstance(value, bool):
        value = None  # True is an int to Python, not a number of days
    elif isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,3}\s*", value):
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= MAX_PRODUCTION_DAYS:
        raise InvalidInput(
            f"Enter the production time as a whole number of business days, 0 to {MAX_PRODUCTION_DAYS}.", "production_days"
        )
    return value


def _shop_to_change(session: Session, actor: StaffPrincipal) -> Shop:
    """The shop's row, for the owner only."""
    require_owner(actor, "change shop settings")
    return found(get_shop(session), "The shop is not set up yet.")


def update_shop_info(
    session: Session,
    actor: StaffPrincipal,
    *,
    name: str,
    email: str,
    phone: str,
    address: str,
    currency: str,
    timezone: str,
    production_days: int | str | None = None,
) -> ShopInfo:
    """Save the form; `production_days` None keeps the current production time."""
    shop = _shop_to_change(session, actor)
    # Check every field before changing any (and say all that is wrong at once), so a refused
    # form leaves the row untouched.
    checks = Checks()
    name = checks(clean_text, name, field="name", label="the shop's name", max_length=120, required=True)
    email = checks(clean_email, email, required=False)
    phone = checks(clean_text, phone, field="phone", label="the phone number", max_length=40)
    address = checks(clean_text, address, field="address", label="the address", max_length=500, multiline=True)
    if currency not in CURRENCIES:
        checks.refuse("Choose a currency from the list.", "currency")
    if timezone not in timezone_names():
        checks.refuse("Choose a timezone from the list.", "timezone")
    days = shop.production_days if production_days is None else checks(clean_production_days, production_days)
    checks.done()
    ZoneInfo(timezone)
    shop.name, shop.email, shop.phone, shop.address = name, email, phone, address
    shop.currency = currency
    shop.timezone = timezone
    shop.production_days = days
    shop.updated_at = utcnow()
    session.add(shop)
    return shop_info(session)


def save_logo(
    session: Session, actor: StaffPrincipal, upload: files.Received | bytes, files_dir: Path | None = None
) -> ShopInfo:
    """Store a new logo (judged by its bytes) and retire the old one; its file goes after the commit."""
    try:
        shop = _shop_to_change(session, actor)
        old = session.get(StoredFile, shop.logo_file_id) if shop.logo_file_id else None
        sha256 = upload.sha256 if isinstance(upload, files.Received) else hashlib.sha256(upload).hexdigest()
        if old is not None and old.sha256 == sha256:
            return shop_info(session)  # the same image again: nothing changes
        logo = files.store(
            session,
            upload,
            kind=LOGO_KIND,
            allowed=files.IMAGES,
            created_by_staff_id=actor.id,
            max_bytes=MAX_LOGO_BYTES,
            max_pixels=MAX_LOGO_PIXELS,
            field="logo",
            rejected_message=LOGO_REJECTED,
            files_dir=files_dir,
        )
    finally:
        if isinstance(upload, files.Received):
            upload.discard()
    shop.logo_file_id = logo.id
    shop.updated_at = utcnow()
    session.add(shop)
    session.flush()
    if old is not None:
        files.delete(session, old, files_dir)
    return shop_info(session)


def remove_logo(session: Session, actor: StaffPrincipal, files_dir: Path | None = None) -> ShopInfo:
    shop = _shop_to_change(session, actor)
    old = session.get(StoredFile, shop.logo_file_id) if shop.logo_file_id else None
    shop.logo_file_id = None
    session.add(shop)
    session.flush()
    if old is not None:
        files.delete(session, old, files_dir)  # the file itself goes after the commit
    return shop_info(session)


def legacy_logo(session: Session, requested_name: str) -> StoredFile | None:
    """The current logo when `requested_name` is its pre-files-service name
    (`logo-<sha256 prefix>.<ext>`, still in emails sent before the move)."""
    if not re.fullmatch(r"logo-[0-9a-f]{16}\.(png|jpg|webp)", requested_name):
        return None
    shop = get_shop(session)
    logo = session.get(StoredFile, shop.logo_file_id) if shop is not None and shop.logo_file_id else None
    if logo is None or logo.kind != LOGO_KIND or _logo_name(logo) != requested_name:
        return None
    return logo
