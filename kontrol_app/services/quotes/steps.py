"""The form's three steps and their checks: 1 what and how many, 2 artwork and decoration,
3 timing and delivery. A check (`StepCheck`) says what is wrong with what was typed: errors stop
the step, warnings do not, and only a valid step has its clean answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, select

from kontrol_app.models import StoredFile
from kontrol_app.services.approve_by import DEFAULT_PRODUCTION_DAYS, business_days_before
from kontrol_app.services.clock import shop_today
from kontrol_app.services.errors import InvalidInput
from kontrol_app.services.money import parse_amount
from kontrol_app.services.quotes.choices import DECORATIONS, DELIVERY, ITEM_TYPES, PLACEMENTS, SIZE_MODES
from kontrol_app.services.shop import get_shop

MAX_QUANTITY = 100_000  # per size and in total
MAX_COLOURS = 12
MAX_FILES = 20
STEPS = ("what", "artwork", "timing")  # the draft's keys for steps 1-3
REVIEW_STEP = 4


@dataclass
class StepCheck:
    """One step's verdict: `errors` (field -> message) stop it; `warnings` do not; `clean` is
    the cleaned answers when there are no errors."""

    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)
    clean: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(data: dict, key: str) -> str:
    value = data.get(key, "")
    return value.strip() if isinstance(value, str) else ""


def _short(check: StepCheck, data: dict, key: str, label: str, max_length: int, *, multiline: bool = False) -> str:
    text = _text(data, key)
    if not multiline and ("\n" in text or "\r" in text):
        check.errors[key] = f"Keep {label} on one line."
    elif len(text) > max_length:
        check.errors[key] = f"Keep {label} under {max_length:,} characters."
    return text


def _count(value: Any) -> int | None:
    """A whole number of pieces from what was typed ("" is 0); None when it is not one."""
    text = str(value if value is not None else "").strip().replace(",", "")
    if text == "":
        return 0
    if not (text.isascii() and text.isdigit()) or len(text) > 7:
        return None
    return int(text)


# --- the three steps --------------------------------------------------------------------------------


def validate_what(data: dict) -> StepCheck:
    """Step 1, what and how many: item type, garment, colour, quantities by size. Errors are
    keyed `item_type`, `garment`, `colour`, `size_mode`, `qty_<size>` and `quantities` (the total)."""
    check = StepCheck()
    data = data if isinstance(data, dict) else {}
    item_type = _text(data, "item_type")
    if item_type not in ITEM_TYPES:
        check.errors["item_type"] = "Choose what you need from the list."
    garment = _short(check, data, "garment", "the brand and style", 200)
    colour = _short(check, data, "colour", "the colour", 100)
    mode = _text(data, "size_mode") or "adult"
    if mode not in SIZE_MODES:
        check.errors["size_mode"] = "Choose adult sizes, youth sizes or one size."
        return check
    typed = data.get("quantities") if isinstance(data.get("quantities"), dict) else {}
    quantities: dict[str, int] = {}
    for size in SIZE_MODES[mode]:
        count = _count(typed.get(size, ""))
        if count is None or count > MAX_QUANTITY:
            check.errors[f"qty_{size}"] = f"Enter a whole number from 0 to {MAX_QUANTITY:,}."
        elif count:
            quantities[size] = count
    total = sum(quantities.values())
    if not any(key.startswith("qty_") for key in check.errors):
        if total < 1:
            check.errors["quantities"] = "Enter how many you need of at least one size."
        elif total > MAX_QUANTITY:
            check.errors["quantities"] = f"That is {total:,} pieces — we take requests of up to {MAX_QUANTITY:,}."
    if check.ok:
        check.clean = {
            "item_type": item_type,
            "garment": garment,
            "colour": colour,
            "size_mode": mode,
            "quantities": quantities,
            "total": total,
        }
        reorder_of = " ".join(_text(data, "reorder_of").split())[:200]  # set by start_reorder only
        if reorder_of:
            check.clean["reorder_of"] = reorder_of
    return check


def total_quantity(data: dict) -> int:
    """The total as the form shows it while typing: the sizes that are whole numbers, summed."""
    data = data if isinstance(data, dict) else {}
    sizes = SIZE_MODES.get(_text(data, "size_mode") or "adult", ())
    typed = data.get("quantities") if isinstance(data.get("quantities"), dict) else {}
    return sum(count for size in sizes if (count := _count(typed.get(size, ""))))


def _file_ids(value: Any) -> list[int] | None:
    if not isinstance(value, list):
        return [] if value in (None, "") else None
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | str) or not str(item).isdigit():
            return None
        if int(item) not in ids:
            ids.append(int(item))
    return ids


def validate_artwork(session: Session, customer_id: int, data: dict) -> StepCheck:
    """Step 2, artwork and decoration: decoration, placements with their number of colours
    (`colours_<placement>`, 1-12), notes, the draft's files (this customer's only)."""
    check = StepCheck()
    data = data if isinstance(data, dict) else {}
    decoration = _text(data, "decoration")
    if decoration not in DECORATIONS:
        check.errors["decoration"] = "Choose a decoration, or Not sure."
    typed = data.get("placements") if isinstance(data.get("placements"), dict) else {}
    placements: dict[str, int] = {}
    for key in typed:
        if key not in PLACEMENTS:
            check.errors["placements"] = "Choose placements from the list."
            continue
        count = _count(typed[key])
        if count is None or not 1 <= count <= MAX_COLOURS:
            check.errors[f"colours_{key}"] = f"Enter the number of colours, 1 to {MAX_COLOURS}."
        else:
            placements[key] = count
    if not typed and "placements" not in check.errors:
        check.errors["placements"] = "Choose where the decoration goes (at least one placement)."
    notes = _short(check, data, "notes", "the notes", 5000, multiline=True)
    use_logo = data.get("use_logo") is True
    ids = _file_ids(data.get("file_ids"))
    if ids is None or len(ids) > MAX_FILES:
        check.errors["files"] = f"Attach up to {MAX_FILES} files."
        ids = []
    if ids:
        owned = set(session.exec(select(StoredFile.id).where(StoredFile.id.in_(ids), StoredFile.customer_id == customer_id)).all())
        if owned != set(ids):
            check.errors["files"] = "One of the files is no longer available — remove it and upload it again."
    if check.ok:
        check.clean = {
            "decoration": decoration,
            "placements": {key: placements[key] for key in PLACEMENTS if key in placements},
            "notes": notes,
            "use_logo": use_logo,
            "file_ids": ids,
        }
    return check


def validate_timing(session: Session, data: dict, today: date | None = None) -> StepCheck:
    """Step 3, timing and delivery: in-hands date (not in the past; a warning when sooner than
    the shop's production time), pickup or shipping (an address for shipping), optional budget."""
    check = StepCheck()
    data = data if isinstance(data, dict) else {}
    shop = get_shop(session)
    production_days = shop.production_days if shop else DEFAULT_PRODUCTION_DAYS
    currency = shop.currency if shop else "USD"
    today = today or shop_today(shop.timezone if shop else "UTC")
    raw_date = _text(data, "in_hands_date")
    in_hands: date | None = None
    if not raw_date:
        check.errors["in_hands_date"] = "Enter the date you need them in hand."
    else:
        try:
            in_hands = date.fromisoformat(raw_date)
        except ValueError:
            check.errors["in_hands_date"] = "Enter the date as a date, like 2026-04-12."
        else:
            if in_hands < today:
                check.errors["in_hands_date"] = "That date has passed — choose a date from today on."
            elif business_days_before(in_hands, production_days) < today:
                check.warnings["in_hands_date"] = (
                    f"That is sooner than our usual production time of {production_days} business days — we'll tell you if we can make it."
                )
    delivery = _text(data, "delivery")
    if delivery not in DELIVERY:
        check.errors["delivery"] = "Choose pickup or shipping."
    address = _short(check, data, "address", "the address", 500, multiline=True)
    if delivery == "shipping" and not address and "address" not in check.errors:
        check.errors["address"] = "Enter the shipping address."
    raw_budget = _text(data, "budget")
    budget: int | None = None
    if raw_budget:
        budget = parse_amount(raw_budget, currency)
        if budget is None:
            check.errors["budget"] = "Enter the budget as an amount, like 450 or 450.00 — or leave it empty."
    if check.ok:
        check.clean = {
            "in_hands_date": in_hands.isoformat() if in_hands else "",
            "delivery": delivery,
            "address": address if delivery == "shipping" else "",
            "budget_cents": budget,
        }
    return check


def check_step(session: Session, customer_id: int, step: int, data: dict) -> StepCheck:
    if step == 1:
        return validate_what(data)
    if step == 2:
        return validate_artwork(session, customer_id, data)
    if step == 3:
        return validate_timing(session, data)
    raise InvalidInput("There is no such step.", "step")
