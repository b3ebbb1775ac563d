"""The shop's own details (Settings -> Shop Info) and its logo."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from PIL import Image, UnidentifiedImageError
from sqlmodel import Session, select

from kontrol_app.models import Shop, utcnow
from kontrol_app.services.errors import InvalidInput, NotAllowed, NotFound
from kontrol_app.services.money import CURRENCIES
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.validation import clean_email, clean_text

MAX_LOGO_BYTES = 5 * 1024 * 1024
MAX_LOGO_PIXELS = 5000 * 5000  # decoding is checked, and memory grows with pixels
# Pillow's format name -> (content type, file extension)
LOGO_FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "WEBP": ("image/webp", "webp")}
LOGO_REJECTED = "The logo must be a PNG, JPEG or WebP image."


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
    logo_file: str  # empty when there is no logo; changes with each new logo

    @property
    def logo_path(self) -> str:
        """Where browsers fetch the logo; the file name busts caches on change."""
        return f"/api/files/logo/{self.logo_file}" if self.logo_file else ""


def get_shop(session: Session) -> Shop | None:
    return session.exec(select(Shop).order_by(Shop.id).limit(1)).first()


def shop_info(session: Session) -> ShopInfo | None:
    shop = get_shop(session)
    if shop is None:
        return None
    return ShopInfo(shop.name, shop.email, shop.phone, shop.address, shop.currency, shop.timezone, shop.logo_file)


def _require_owner(actor: StaffPrincipal) -> None:
    if not actor.is_owner:
        raise NotAllowed("Only the shop owner can change shop settings.")


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
) -> ShopInfo:
    _require_owner(actor)
    shop = get_shop(session)
    if shop is None:
        raise NotFound("The shop is not set up yet.")
    # Check every field before changing any, so a refused form leaves the row untouched.
    name = clean_text(name, field="name", label="the shop's name", max_length=120, required=True)
    email = clean_email(email, required=False)
    phone = clean_text(phone, field="phone", label="the phone number", max_length=40)
    address = clean_text(address, field="address", label="the address", max_length=500)
    if currency not in CURRENCIES:
        raise InvalidInput("Choose a currency from the list.", "currency")
    if timezone not in timezone_names():
        raise InvalidInput("Choose a timezone from the list.", "timezone")
    ZoneInfo(timezone)
    shop.name, shop.email, shop.phone, shop.address = name, email, phone, address
    shop.currency = currency
    shop.timezone = timezone
    shop.updated_at = utcnow()
    session.add(shop)
    return shop_info(session)


def check_logo(data: bytes) -> tuple[str, str]:
    """(content type, extension) of an acceptable logo, judged by its bytes alone."""
    if not data:
        raise InvalidInput("Choose an image file to upload.", "logo")
    if len(data) > MAX_LOGO_BYTES:
        raise InvalidInput("The logo is larger than 5 MB. Choose a smaller image.", "logo")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            width, height = image.size
            image.verify()  # chunk checksums; JPEG has none, so decode below too
        if image_format not in LOGO_FORMATS:
            raise InvalidInput(LOGO_REJECTED, "logo")
        if width * height > MAX_LOGO_PIXELS:
            raise InvalidInput("The logo is too large. Use an image under 5000 by 5000 pixels.", "logo")
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # a truncated file fails here
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as error:
        raise InvalidInput(LOGO_REJECTED, "logo") from error
    return LOGO_FORMATS[image_format]


def save_logo(session: Session, actor: StaffPrincipal, data: bytes, files_dir: Path) -> ShopInfo:
    _require_owner(actor)
    content_type, extension = check_logo(data)
    shop = get_shop(session)
    if shop is None:
        raise NotFound("The shop is not set up yet.")
    files_dir.mkdir(parents=True, exist_ok=True)
    file_name = f"logo-{hashlib.sha256(data).hexdigest()[:16]}.{extension}"
    (files_dir / file_name).write_bytes(data)
    old = shop.logo_file
    shop.logo_file = file_name
    shop.logo_content_type = content_type
    shop.updated_at = utcnow()
    session.add(shop)
    if old and old != file_name:
        (files_dir / old).unlink(missing_ok=True)
    return shop_info(session)


def remove_logo(session: Session, actor: StaffPrincipal, files_dir: Path) -> ShopInfo:
    _require_owner(actor)
    shop = get_shop(session)
    if shop is None:
        raise NotFound("The shop is not set up yet.")
    if shop.logo_file:
        (files_dir / shop.logo_file).unlink(missing_ok=True)
    shop.logo_file = ""
    shop.logo_content_type = ""
    session.add(shop)
    return shop_info(session)


def logo_file(session: Session, requested_name: str) -> tuple[str, str] | None:
    """(file name, content type) when `requested_name` is the shop's current logo."""
    shop = get_shop(session)
    if shop is None or not shop.logo_file or shop.logo_file != requested_name:
        return None
    return shop.logo_file, shop.logo_content_type
