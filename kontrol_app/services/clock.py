"""Times are UTC in the database and shown in the shop's timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def shop_time(moment: datetime | None, timezone: str) -> str:
    if moment is None:
        return ""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except ZoneInfoNotFoundError:
        zone = ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return local.strftime("%b %-d, %Y %-I:%M %p")


def shop_today(timezone: str, now: datetime | None = None) -> date:
    """Today's date where the shop is (at 23:30 in New York it is already tomorrow in UTC)."""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except ZoneInfoNotFoundError:
        zone = ZoneInfo("UTC")
    return (now or datetime.now(UTC)).astimezone(zone).date()
