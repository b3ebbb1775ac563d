"""The Dashboard's getting-started checklist, each item ticked from real data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from kontrol_app.models import StaffUser
from kontrol_app.services.shop import get_shop


@dataclass(frozen=True)
class ChecklistItem:
    label: str
    done: bool
    href: str
    action: str


def getting_started(session: Session) -> list[ChecklistItem]:
    shop = get_shop(session)
    shop_ready = bool(shop and shop.name and shop.email and shop.logo_file)
    team_size = session.exec(select(func.count(StaffUser.id))).one()
    return [
        ChecklistItem("Shop name, email, and logo saved in Settings → Shop Info", shop_ready, "/settings/shop", "Go to Settings →"),
        ChecklistItem("Your team added in Settings → Team", team_size > 1, "/settings/team", "Add staff →"),
    ]
