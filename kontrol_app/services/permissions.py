"""The one owner check every service uses (no inline role tests elsewhere)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kontrol_app.services.errors import NotAllowed

if TYPE_CHECKING:  # staff.py imports this module: no runtime import back
    from kontrol_app.services.staff import StaffPrincipal


def is_owner(actor: StaffPrincipal | None) -> bool:
    """For what the owner sees differently (not for refusing: use require_owner)."""
    return actor is not None and actor.is_owner


def require_owner(actor: StaffPrincipal | None, action: str = "do this") -> None:
    """Refuse unless `actor` is the shop owner; `action` completes "Only the shop owner can …"."""
    if not is_owner(actor):
        raise NotAllowed(f"Only the shop owner can {action}.")
