"""Settings -> Shop Info and the logo; how money and times are shown in the shop's terms."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session, select

from kontrol_app.models import Shop, StoredFile
from kontrol_app.services import files
from kontrol_app.services import shop as shop_service
from kontrol_app.services import staff
from kontrol_app.services.clock import shop_time
from kontrol_app.services.errors import InvalidInput, NotAllowed
from kontrol_app.services.money import format_money
from kontrol_app.settings import get_settings
from tests.factories import make_staff


@pytest.fixture
def member(session: Session, owner: staff.StaffPrincipal) -> staff.StaffPrincipal:
    return make_staff(session, owner)


@pytest.fixture
def files_dir(database) -> Path:
    return get_settings().files_dir


def stored(files_dir: Path) -> list[Path]:
    """Every file under the files folder (stored ones and any temp file left behind)."""
    return sorted(p for p in files_dir.rglob("*") if p.is_file()) if files_dir.exists() else []


def image_bytes(image_format: str, size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    for x in range(size[0]):
        image.putpixel((x, x % size[1]), (x % 256, 10, 200))
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def noisy_jpeg() -> bytes:
    """Big enough that half of it cuts into the pixel data, not the headers."""
    image = Image.effect_noise((300, 200), 90).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims to be width x height (a decompression bomb needs no more)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


SHOP_FORM = {
    "name": "Test Print Co.",
    "email": "Hello@Acme-Print.test",
    "phone": "+1 555 0100",
    "address": "1 Main St\nSpringfield",
    "currency": "EUR",
    "timezone": "Europe/Berlin",
}


def current(session: Session) -> tuple:
    """The shop row as the database has it (re-read, not the session's copy)."""
    session.expire_all()
    shop = shop_service.get_shop(session)
    return (shop.name, shop.email, shop.phone, shop.address, shop.currency, shop.timezone)


# --- update_shop_info --------------------------------------------------------------------------


def test_owner_updates_shop_info(session, owner):
    info = shop_service.update_shop_info(session, owner, **SHOP_FORM)
    session.commit()
    expected = ("Test Print Co.", "hello@acme-print.test", "+1 555 0100", "1 Main St\nSpringfield", "EUR", "Europe/Berlin")
    assert (info.name, info.email, info.phone, info.address, info.currency, info.timezone) == expected
    assert current(session) == expected
    assert shop_service.shop_info(session) == info


def test_shop_email_is_optional(session, owner):
    info = shop_service.update_shop_info(session, owner, **{**SHOP_FORM, "email": "  "})
    assert info.email == ""


def test_staff_cannot_change_shop_info(session, owner, member):
    before = current(session)
    with pytest.raises(NotAllowed):
        shop_service.update_shop_info(session, member, **SHOP_FORM)
    session.commit()
    assert current(session) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "1" * 41}, "phone"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "usd"}, "currency"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "localtime"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
    ],
)
def test_bad_shop_info_changes_nothing(session, owner, changes, field):
    before = current(session)
    with pytest.raises(InvalidInput) as refused:
        shop_service.update_shop_info(session, owner, **{**SHOP_FORM, **changes})
    assert refused.value.field == field
    # Even a caller that carries on with the same session must not save half a form.
    session.commit()
    assert current(session) == before


def test_bad_shop_info_names_every_bad_field_at_once(session, owner):
    before = current(session)
    with pytest.raises(InvalidInput) as refused:
        shop_service.update_shop_info(session, owner, **{**SHOP_FORM, "name": "", "email": "nope", "timezone": "Mars/Olympus_Mons"})
    assert list(refused.value.errors) == ["name", "email", "timezone"]
    session.commit()
    assert current(session) == before


# --- production time (business days; "Approve by" dates count back from the due date) ----------


def production_days(session: Session) -> int:
    session.expire_all()
    return shop_service.get_shop(session).production_days


def test_production_time_defaults_to_seven_business_days(session, owner):
    assert production_days(session) == 7
    assert shop_service.shop_info(session).production_days == 7
    # A form without the field keeps it.
    shop_service.update_shop_info(session, owner, **{**SHOP_FORM, "production_days": 12})
    session.commit()
    shop_service.update_shop_info(session, owner, **SHOP_FORM)
    session.commit()
    assert production_days(session) == 12


@pytest.mark.parametrize(("given", "saved"), [(0, 0), (60, 60), ("5", 5), (" 14 ", 14), ("0", 0)])
def test_owner_sets_the_production_time(session, owner, given, saved):
    info = shop_service.update_shop_info(session, owner, **{**SHOP_FORM, "production_days": given})
    session.commit()
    assert info.production_days == saved
    assert production_days(session) == saved


@pytest.mark.parametrize("given", [-1, 61, "61", "", "seven", "7.5", 7.0, "1e1", True, "٧", [7]])
def test_a_bad_production_time_is_refused_next_to_its_field_and_changes_nothing(session, owner, given):
    before = (current(session), production_days(session))
    with pytest.raises(InvalidInput) as refused:
        shop_service.update_shop_info(session, owner, **{**SHOP_FORM, "production_days": given})
    assert refused.value.field == "production_days"
    assert "whole number of business days, 0 to 60" in refused.value.message
    session.commit()
    assert (current(session), production_days(session)) == before


def test_staff_cannot_change_the_production_time(session, owner, member):
    with pytest.raises(NotAllowed):
        shop_service.update_shop_info(session, member, **{**SHOP_FORM, "production_days": 3})
    session.commit()
    assert production_days(session) == 7


def test_timezone_list_is_real_zones():
    names = shop_service.timezone_names()
    assert "UTC" in names and "America/New_York" in names
    assert "localtime" not in names
    assert names == sorted(names)


# --- the logo's bytes ----------------------------------------------------------------------------


def logo_row(session: Session) -> StoredFile:
    session.expire_all()
    return session.get(StoredFile, shop_service.get_shop(session).logo_file_id)


@pytest.mark.parametrize(
    ("image_format", "content_type", "extension"),
    [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"), ("WEBP", "image/webp", "webp")],
)
def test_real_images_are_accepted(session, owner, files_dir, image_format, content_type, extension):
    info = shop_service.save_logo(session, owner, image_bytes(image_format))
    session.commit()
    assert info.logo_file.endswith(f".{extension}")
    assert logo_row(session).content_type == content_type


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"this is a text file named logo.png\n", id="text"),
        pytest.param(b"", id="empty"),
        pytest.param(image_bytes("GIF"), id="gif"),
        pytest.param(image_bytes("BMP"), id="bmp"),
        pytest.param(image_bytes("PNG")[:-20], id="truncated-png"),
        pytest.param(image_bytes("WEBP")[:-20], id="truncated-webp"),
        pytest.param(noisy_jpeg()[: len(noisy_jpeg()) // 2], id="truncated-jpeg"),
        pytest.param(image_bytes("PNG")[:40], id="header-only"),
        pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", id="svg"),
    ],
)
def test_anything_but_a_whole_png_jpeg_or_webp_is_refused(session, owner, files_dir, data):
    with pytest.raises(InvalidInput) as refused:
        shop_service.save_logo(session, owner, data)
    assert refused.value.field == "logo"
    session.commit()
    assert stored(files_dir) == []
    assert shop_service.shop_info(session).logo_file == ""


def test_a_logo_over_5_mb_is_refused(session, owner, files_dir):
    data = image_bytes("PNG")
    too_big = data + b"\0" * (shop_service.MAX_LOGO_BYTES - len(data) + 1)
    with pytest.raises(InvalidInput) as refused:
        shop_service.save_logo(session, owner, too_big)
    assert refused.value.field == "logo"
    assert "5 MB" in refused.value.message
    assert stored(files_dir) == []


@pytest.mark.parametrize("size", [(100_000, 100_000), (20_000, 20_000), (10_000, 8_000)])
def test_huge_dimensions_are_refused(session, owner, files_dir, size):
    with pytest.raises(InvalidInput) as refused:
        shop_service.save_logo(session, owner, png_header_only(*size))
    assert refused.value.field == "logo"


# --- save_logo / remove_logo / legacy_logo -------------------------------------------------------------


def test_save_logo_stores_the_file_and_replaces_the_old_one(session, owner, files_dir):
    first = image_bytes("PNG")
    info = shop_service.save_logo(session, owner, first)
    session.commit()
    old = logo_row(session)
    assert info.logo_file == f"{old.id}/logo-{old.sha256[:16]}.png"
    assert info.logo_path == f"/api/files/{info.logo_file}"
    assert files.blob_path(old.sha256).read_bytes() == first
    assert (old.kind, old.content_type) == ("logo", "image/png")

    second = image_bytes("WEBP")
    newer = shop_service.save_logo(session, owner, second)
    assert files.blob_path(old.sha256).exists()  # the old file goes only after the commit
    session.commit()
    row = logo_row(session)
    assert newer.logo_file != info.logo_file and newer.logo_file.endswith(".webp")
    assert stored(files_dir) == [files.blob_path(row.sha256)]
    assert files.blob_path(row.sha256).read_bytes() == second
    assert session.get(StoredFile, old.id) is None
    assert row.content_type == "image/webp"


def test_saving_the_same_logo_twice_keeps_the_file(session, owner, files_dir):
    data = image_bytes("JPEG")
    first = shop_service.save_logo(session, owner, data)
    session.commit()
    again = shop_service.save_logo(session, owner, data)
    session.commit()
    assert first.logo_file == again.logo_file
    assert files.blob_path(logo_row(session).sha256).read_bytes() == data


def test_a_rolled_back_logo_change_keeps_the_old_logo_file(session, owner, files_dir):
    kept = shop_service.save_logo(session, owner, image_bytes("PNG"))
    session.commit()
    old = logo_row(session)
    shop_service.save_logo(session, owner, image_bytes("WEBP"))
    session.rollback()
    assert shop_service.shop_info(session).logo_file == kept.logo_file
    assert stored(files_dir) == [files.blob_path(old.sha256)]


def test_staff_cannot_change_the_logo(session, owner, member, files_dir):
    with pytest.raises(NotAllowed):
        shop_service.save_logo(session, member, image_bytes("PNG"))
    assert stored(files_dir) == []
    assert shop_service.shop_info(session).logo_file == ""


def test_a_refused_logo_writes_nothing(session, owner, files_dir):
    kept = shop_service.save_logo(session, owner, image_bytes("PNG"))
    session.commit()
    with pytest.raises(InvalidInput):
        shop_service.save_logo(session, owner, image_bytes("GIF"))
    session.commit()
    assert stored(files_dir) == [files.blob_path(logo_row(session).sha256)]
    assert shop_service.shop_info(session).logo_file == kept.logo_file


def test_remove_logo(session, owner, member, files_dir):
    shop_service.save_logo(session, owner, image_bytes("PNG"))
    session.commit()
    path = files.blob_path(logo_row(session).sha256)
    with pytest.raises(NotAllowed):
        shop_service.remove_logo(session, member)
    assert path.exists()
    info = shop_service.remove_logo(session, owner)
    assert path.exists()  # removed from disk only once the change is committed
    session.commit()
    assert info.logo_file == "" and info.logo_path == ""
    assert not path.exists()
    assert session.exec(select(StoredFile)).all() == []


def test_legacy_logo_matches_only_the_current_logos_old_name(session, owner, files_dir):
    assert shop_service.legacy_logo(session, "") is None
    shop_service.save_logo(session, owner, image_bytes("PNG"))
    session.commit()
    row = logo_row(session)
    name = f"logo-{row.sha256[:16]}.png"
    assert shop_service.legacy_logo(session, name).id == row.id
    for other in ("", "logo.png", f"../{name}", name.upper(), name + "x", name.replace(".png", ".jpg"), "logo-0000000000000000.png"):
        assert shop_service.legacy_logo(session, other) is None, other


def test_legacy_logo_without_a_shop(session):
    assert session.get(Shop, 1) is None
    assert shop_service.legacy_logo(session, "logo-0000000000000000.png") is None


# --- money and time ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "currency", "shown"),
    [
        (0, "USD", "$0.00"),
        (5, "USD", "$0.05"),
        (123456, "USD", "$1,234.56"),
        (100000000, "USD", "$1,000,000.00"),
        (-5, "USD", "-$0.05"),
        (-123456, "USD", "-$1,234.56"),
        (1234, "JPY", "¥1,234"),
        (-1234, "JPY", "-¥1,234"),
        (0, "JPY", "¥0"),
        (99950, "EUR", "€999.50"),
        (1000, "CHF", "CHF 10.00"),
        (1000, "XYZ", "XYZ 10.00"),
    ],
)
def test_format_money(cents, currency, shown):
    assert format_money(cents, currency) == shown


@pytest.mark.parametrize(
    ("timezone", "shown"),
    [
        ("UTC", "Jan 15, 2026 5:30 PM"),
        ("America/New_York", "Jan 15, 2026 12:30 PM"),
        ("Asia/Tokyo", "Jan 16, 2026 2:30 AM"),
        ("Asia/Kolkata", "Jan 15, 2026 11:00 PM"),
        ("", "Jan 15, 2026 5:30 PM"),
        ("Not/A_Zone", "Jan 15, 2026 5:30 PM"),
        ("../../etc/passwd", "Jan 15, 2026 5:30 PM"),  # not even a zone's name
    ],
)
def test_shop_time_shows_utc_in_the_shops_timezone(timezone, shown):
    assert shop_time(datetime(2026, 1, 15, 17, 30, tzinfo=UTC), timezone) == shown


def test_shop_time_follows_daylight_saving():
    summer = datetime(2026, 7, 1, 16, 5, tzinfo=UTC)
    assert shop_time(summer, "America/New_York") == "Jul 1, 2026 12:05 PM"
    assert shop_time(summer, "Europe/London") == "Jul 1, 2026 5:05 PM"
    assert shop_time(None, "UTC") == ""


def test_an_unnamed_shop_has_one_name_everywhere(session: Session):
    """Before Shop Info exists (or with an empty name) every screen and email says the same."""
    from kontrol_app.models import EmailKind, OutboxEmail
    from kontrol_app.services import outbox

    assert shop_service.display_name(None) == shop_service.UNNAMED_SHOP == "Your shop"
    nameless = shop_service.ShopInfo("", "", "", "", "USD", "UTC", "")
    assert shop_service.display_name(nameless) == "Your shop"
    assert shop_service.shop_timezone(session) == "UTC"
    # No shop row at all: the email is still signed, with the same words.
    data = {"code": "123456", "portal_url": "http://127.0.0.1:3000/public/portal/acme-x"}
    outbox.queue_email(session, kind=EmailKind.SIGN_IN_CODE, to="ann@example.com", data=data)
    session.commit()
    email = session.exec(select(OutboxEmail)).one()
    assert "Your shop" in email.subject and "Your shop" in email.text_body
    assert outbox.sender_address(session, get_settings()).startswith("Your shop <")
