"""Times are UTC in the database and shown in the shop's timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def shop_zone(timezone: str | None) -> ZoneInfo:
    """The shop's timezone: UTC while none is set (or one this machine does not know)."""
    try:
        return ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def shop_time(moment: datetime | None, timezone: str | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(shop_zone(timezone)).strftime("%b %-d, %Y %-I:%M %p")


def shop_today(timezone: str | None, now: datetime | None = None) -> date:
    """Today's date where the shop is (at 23:30 in New York it is already tomorrow in UTC)."""
    return (now or datetime.now(UTC)).astimezone(shop_zone(timezone)).date()
