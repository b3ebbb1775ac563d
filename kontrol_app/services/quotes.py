"""Quote requests: the portal's 3-step Request a Quote form (a server-side draft per contact,
validated step by step), submitting it as QR-0001..., and the staff's Quote Requests list
(read, convert to a job, decline).

Numbers are sequential like invoices: `Shop.quote_next_number` is taken with one
`UPDATE ... RETURNING` in the submit's own transaction, so two submits at the same moment
queue on the shop row and never share a number; a rolled-back submit gives its number back.

The draft keeps what was typed as strings, valid or not ("Back keeps what was typed"); only
`submit` turns it into clean answers. Client functions take the viewer built from the
signed-in session and see only its customer's requests: anything else is "not found".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, func, select

from kontrol_app.models import (
    Customer,
    CustomerContact,
    Decoration,
    EmailKind,
    QuoteDraft,
    QuoteRequest,
    QuoteRequestFile,
    Shop,
    StoredFile,
    utcnow,
)
from kontrol_app.services import files, notifications, outbox
from kontrol_app.services.approve_by import DEFAULT_PRODUCTION_DAYS, business_days_before
from kontrol_app.services.clock import shop_time, shop_today
from kontrol_app.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kontrol_app.services.jobs import JobInput, create_job
from kontrol_app.services.money import format_money, parse_amount
from kontrol_app.services.paging import page_window
from kontrol_app.services.portal_links import portal_url
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.services.search import contains
from kontrol_app.services.shop import get_shop
from kontrol_app.services.staff import StaffPrincipal

PAGE_SIZE = 25
MAX_QUANTITY = 100_000  # per size and in total
MAX_COLOURS = 12
MAX_FILES = 20
MAX_DRAFT_CHARS = 50_000  # the JSON of one draft: far above anything typed, far below abuse

ITEM_TYPES = {
    "tshirts": "T-shirts",
    "hoodies": "Hoodies",
    "polos": "Polos",
    "hats": "Hats",
    "bags": "Bags",
    "other": "Other",
}
ADULT_SIZES = ("XS", "S", "M", "L", "XL", "2XL", "3XL", "4XL", "5XL")
YOUTH_SIZES = ("YXS", "YS", "YM", "YL", "YXL")
ONE_SIZE = ("One size",)
SIZE_MODES = {"adult": ADULT_SIZES, "youth": YOUTH_SIZES, "one": ONE_SIZE}
DECORATIONS = {
    "screen_print": "Screen print",
    "embroidery": "Embroidery",
    "dtg": "DTG",
    "heat_transfer": "Heat transfer",
    "not_sure": "Not sure",
}
# The job's decoration for each answer: "not sure" becomes Other (the notes say so).
JOB_DECORATION = {
    "screen_print": Decoration.SCREEN_PRINT,
    "embroidery": Decoration.EMBROIDERY,
    "dtg": Decoration.DTG,
    "heat_transfer": Decoration.HEAT_TRANSFER,
    "not_sure": Decoration.OTHER,
}
PLACEMENTS = {"front": "Front", "back": "Back", "left_chest": "Left chest", "sleeve": "Sleeve", "other": "Other"}
DELIVERY = {"pickup": "Pickup", "shipping": "Shipping"}
STATUS_LABELS = {"new": "New", "quoted": "Quoted", "converted": "Converted to order", "declined": "Declined"}
STEPS = ("what", "artwork", "timing")  # the draft's keys for steps 1-3
REVIEW_STEP = 4

ARTWORK_KIND = "quote_artwork"
files.register_reader(ARTWORK_KIND, files.staff_or_own_customer)  # the customer's clients and the staff

NO_DRAFT = "There is nothing to submit — fill in the form first."
NOT_FOUND = "That quote request does not exist."
PREVIEW = "Preview is read-only: sign in as the client to request a quote."


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


# --- the draft --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    step: int  # 1-3, or 4 for the review
    data: dict[str, dict]  # "what", "artwork", "timing": as typed


def _client(viewer: PortalViewer) -> int:
    if viewer.preview or viewer.contact_id is None:
        raise NotAllowed(PREVIEW)
    return viewer.contact_id


def _decode(text: str) -> dict[str, dict]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        value = {}
    value = value if isinstance(value, dict) else {}
    return {key: value[key] if isinstance(value.get(key), dict) else {} for key in STEPS}


def _draft_row(session: Session, viewer: PortalViewer) -> QuoteDraft | None:
    return session.exec(select(QuoteDraft).where(QuoteDraft.contact_id == viewer.contact_id, QuoteDraft.customer_id == viewer.customer_id)).first()


def load_draft(session: Session, viewer: PortalViewer) -> Draft:
    """The contact's draft; an empty one at step 1 when there is none (nothing is written)."""
    row = _draft_row(session, viewer) if viewer.contact_id is not None else None
    if row is None:
        return Draft(1, {key: {} for key in STEPS})
    return Draft(min(max(row.step, 1), REVIEW_STEP), _decode(row.data))


def save_draft(session: Session, viewer: PortalViewer, step: int, data: dict, *, go_to: int | None = None) -> StepCheck:
    """Keep what was typed on `step` (valid or not) and say what is wrong with it. With
    `go_to`, the draft moves there: backwards always, forwards only when this step is valid."""
    _client(viewer)
    if step not in (1, 2, 3):
        raise InvalidInput("There is no such step.", "step")
    if not isinstance(data, dict):
        raise InvalidInput("The form could not be read — reload the page.", "step")
    contact = session.get(CustomerContact, viewer.contact_id)
    if contact is None or contact.customer_id != viewer.customer_id:  # never write across customers
        raise NotFound("That contact does not exist.")
    check = check_step(session, viewer.customer_id, step, data)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # Two tabs may start the same contact's draft at once: the unique contact makes one row.
    session.exec(
        insert(QuoteDraft)
        .values(customer_id=viewer.customer_id, contact_id=viewer.contact_id, step=1, data="{}", updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["contact_id"])
    )
    row = _draft_row(session, viewer)
    stored = _decode(row.data)
    stored[STEPS[step - 1]] = data
    text = json.dumps(stored, separators=(",", ":"))
    if len(text) > MAX_DRAFT_CHARS:
        raise InvalidInput("That is more than the form can keep — shorten the notes.", "notes")
    row.data = text
    if go_to is not None and 1 <= go_to <= REVIEW_STEP and (go_to <= step or check.ok):
        row.step = go_to
    else:
        row.step = row.step or step
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return check


def upload_artwork(session: Session, viewer: PortalViewer, source: Any, name: str = "") -> StoredFile:
    """Keep one artwork file for the contact's request (images, PDF, AI, EPS, SVG, PSD, ZIP);
    its id goes into the draft's `file_ids`. A refused file raises InvalidInput (field "files")."""
    contact_id = _client(viewer)
    return files.store(
        session,
        source,
        kind=ARTWORK_KIND,
        allowed=files.ARTWORK,
        customer_id=viewer.customer_id,
        created_by_contact_id=contact_id,
        original_name=name or None,
        field="files",
    )


def start_over(session: Session, viewer: PortalViewer) -> None:
    """Clear the contact's draft (the one at a time)."""
    contact_id = _client(viewer)
    session.exec(delete(QuoteDraft).where(QuoteDraft.contact_id == contact_id))


# --- submitting ---------------------------------------------------------------------------------------


def _allocate_number(session: Session) -> str:
    """The next quote request number, taken in the caller's transaction (module docstring)."""
    shop = get_shop(session)
    if shop is None:
        raise NotAllowed("The shop is not set up yet.")
    while True:
        taken = session.exec(
            update(Shop).where(Shop.id == shop.id).values(quote_next_number=Shop.quote_next_number + 1).returning(Shop.quote_next_number - 1)
        ).scalar_one()
        number = f"QR-{taken:04d}"
        if session.exec(select(QuoteRequest.id).where(QuoteRequest.number == number)).first() is None:
            return number


def _sizes_line(answers: dict) -> str:
    return " · ".join(f"{size} {count}" for size, count in answers["quantities"].items())


def summary_lines(answers: dict, currency: str) -> list[str]:
    """The request in words, one "Label: value" line each (emails, the staff notice)."""
    what = ITEM_TYPES[answers["item_type"]]
    details = ", ".join(part for part in (answers["garment"], answers["colour"]) if part)
    lines = [f"What: {answers['total']} {what}" + (f" ({details})" if details else ""), f"Sizes: {_sizes_line(answers)}"]
    lines.append(f"Decoration: {DECORATIONS[answers['decoration']]}")
    placements = ", ".join(f"{PLACEMENTS[key]} ({count} colour{'s' if count != 1 else ''})" for key, count in answers["placements"].items())
    lines.append(f"Placements: {placements}")
    files = len(answers["file_ids"])
    if files or answers["use_logo"]:
        parts = [f"{files} file{'s' if files != 1 else ''}"] if files else []
        lines.append("Artwork: " + ", ".join(parts + (["use my logo from My Branding"] if answers["use_logo"] else [])))
    day = date.fromisoformat(answers["in_hands_date"])
    lines.append(f"In hands: {day:%b} {day.day}, {day.year}")
    delivery = DELIVERY[answers["delivery"]]
    lines.append(f"Delivery: {delivery}" + (f" to {' '.join(answers['address'].split())}" if answers["address"] else ""))
    if answers["budget_cents"] is not None:
        lines.append(f"Budget: {format_money(answers['budget_cents'], currency)}")
    if answers["notes"]:
        lines.append(f"Notes: {answers['notes']}")
    return lines


def submit(session: Session, viewer: PortalViewer) -> str:
    """Turn the contact's draft into a quote request; returns its number (QR-0001). The draft
    goes in the same transaction, so a double click submits once (the second finds no draft).
    Raises InvalidInput (field = the first wrong field) when a step is not valid; nothing changes."""
    contact_id = _client(viewer)
    row = _draft_row(session, viewer)
    if row is None:
        raise Conflict(NO_DRAFT)
    data = _decode(row.data)
    answers: dict[str, Any] = {}
    for step, key in enumerate(STEPS, start=1):
        check = check_step(session, viewer.customer_id, step, data[key])
        if not check.ok:
            name, message = next(iter(check.errors.items()))
            raise InvalidInput(f"Step {step}: {message}", name)
        answers.update(check.clean)
    # Claim the draft first: a second submit of the same draft waits here, then finds it gone.
    if session.exec(delete(QuoteDraft).where(QuoteDraft.id == row.id)).rowcount != 1:
        raise Conflict(NO_DRAFT)
    contact = session.get(CustomerContact, contact_id)
    customer = session.get(Customer, viewer.customer_id)
    if contact is None or customer is None or contact.customer_id != customer.id:
        raise NotFound("That contact does not exist.")
    number = _allocate_number(session)
    request = QuoteRequest(
        number=number,
        customer_id=customer.id,
        contact_id=contact.id,
        contact_name=contact.name or contact.email or "",
        item_type=answers["item_type"],
        garment=answers["garment"],
        colour=answers["colour"],
        total_quantity=answers["total"],
        decoration=answers["decoration"],
        in_hands_date=date.fromisoformat(answers["in_hands_date"]),
        answers=json.dumps(answers, separators=(",", ":")),
    )
    session.add(request)
    session.flush()
    for file_id in answers["file_ids"]:
        session.add(QuoteRequestFile(quote_request_id=request.id, file_id=file_id))
    shop = get_shop(session)
    lines = summary_lines(answers, shop.currency if shop else "USD")
    if contact.email:
        outbox.queue_email(
            session,
            kind=EmailKind.QUOTE_REQUEST_CONFIRMATION,
            to=contact.email,
            data={
                "number": number,
                "contact_name": contact.name or "there",
                "summary": "\n".join(lines),
                "portal_url": portal_url(customer),
            },
            dedupe_key=f"quote_request:{request.id}:confirmation",
        )
    who = f"{request.contact_name} ({customer.name})" if request.contact_name else customer.name
    notifications.notify(
        session,
        kind="quote_request",
        title=f"{who} asked for a quote: {number}",
        body="\n".join(lines),
        link=f"/quotes?request={request.id}",
        subject=f"New quote request {number} from {customer.name}",
    )
    session.flush()
    return number


# --- what the client sees -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteRequestRow:
    id: int
    number: str
    customer_id: int
    customer_name: str
    contact_name: str
    summary: str  # "48 T-shirts · Screen print"
    status: str
    status_label: str
    created: str  # shop time
    unread: bool  # staff have not opened it yet


def _summary(request: QuoteRequest) -> str:
    return f"{request.total_quantity} {ITEM_TYPES.get(request.item_type, 'items')} · {DECORATIONS.get(request.decoration, '')}"


def _row(request: QuoteRequest, customer_name: str, timezone: str) -> QuoteRequestRow:
    return QuoteRequestRow(
        request.id,
        request.number,
        request.customer_id,
        customer_name,
        request.contact_name,
        _summary(request),
        request.status,
        STATUS_LABELS.get(request.status, request.status),
        shop_time(request.created_at, timezone),
        request.read_by_staff_at is None,
    )


def _timezone(session: Session) -> str:
    shop = get_shop(session)
    return shop.timezone if shop else "UTC"


def client_requests(session: Session, viewer: PortalViewer) -> list[QuoteRequestRow]:
    """ "Your quote requests": the customer's, newest first."""
    timezone = _timezone(session)
    rows = session.exec(select(QuoteRequest).where(QuoteRequest.customer_id == viewer.customer_id).order_by(QuoteRequest.id.desc()).limit(200)).all()
    return [_row(r, viewer.customer_name, timezone) for r in rows]


@dataclass(frozen=True)
class QuoteFile:
    id: int
    name: str
    file_type: str
    inline: bool


@dataclass(frozen=True)
class QuoteRequestDetail:
    row: QuoteRequestRow
    answers: dict[str, Any]
    lines: list[str]  # summary_lines
    files: list[QuoteFile]
    job_id: int | None
    decline_message: str


def _detail(session: Session, request: QuoteRequest, customer_name: str) -> QuoteRequestDetail:
    answers = json.loads(request.answers)
    shop = get_shop(session)
    files = session.exec(
        select(StoredFile)
        .join(QuoteRequestFile, QuoteRequestFile.file_id == StoredFile.id)
        .where(QuoteRequestFile.quote_request_id == request.id)
        .order_by(QuoteRequestFile.id)
    ).all()
    return QuoteRequestDetail(
        _row(request, customer_name, shop.timezone if shop else "UTC"),
        answers,
        summary_lines(answers, shop.currency if shop else "USD"),
        [QuoteFile(f.id, f.original_name, f.file_type, f.inline) for f in files],
        request.job_id,
        request.decline_message,
    )


def client_request(session: Session, viewer: PortalViewer, request_id: int) -> QuoteRequestDetail:
    request = session.get(QuoteRequest, request_id) if isinstance(request_id, int) else None
    if request is None or request.customer_id != viewer.customer_id:
        raise NotFound(NOT_FOUND)
    return _detail(session, request, viewer.customer_name)


# --- the staff side --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteRequestPage:
    rows: list[QuoteRequestRow]
    total: int
    page: int
    pages: int


def _search(statement, search: str):
    text = (search or "").strip()
    if not text:
        return statement
    return statement.where(
        or_(
            contains(QuoteRequest.number, text),
            contains(Customer.name, text),
            contains(QuoteRequest.contact_name, text),
            contains(QuoteRequest.garment, text),
        )
    )


def list_requests(session: Session, actor: StaffPrincipal, search: str = "", page: int = 1, *, page_size: int = PAGE_SIZE) -> QuoteRequestPage:
    """Newest first, searchable by number, customer, contact or garment; paged in SQL."""
    base = select(QuoteRequest.id).join(Customer, Customer.id == QuoteRequest.customer_id)
    total = session.exec(select(func.count()).select_from(_search(base, search).subquery())).one()
    window = page_window(total, page, page_size)
    rows = session.exec(
        _search(select(QuoteRequest, Customer.name).join(Customer, Customer.id == QuoteRequest.customer_id), search)
        .order_by(QuoteRequest.id.desc())
        .offset(window.offset)
        .limit(window.limit)
    ).all()
    timezone = _timezone(session)
    return QuoteRequestPage([_row(r, name, timezone) for r, name in rows], total, window.page, window.pages)


def _request(session: Session, request_id: int) -> QuoteRequest:
    request = session.get(QuoteRequest, request_id) if isinstance(request_id, int) else None
    if request is None:
        raise NotFound(NOT_FOUND)
    return request


def request_detail(session: Session, actor: StaffPrincipal, request_id: int) -> QuoteRequestDetail:
    """Every answer and the files; opening it marks it read for the team."""
    request = _request(session, request_id)
    if request.read_by_staff_at is None:
        request.read_by_staff_at = utcnow()
        session.add(request)
        session.flush()
    customer = session.get(Customer, request.customer_id)
    return _detail(session, request, customer.name if customer else "")


def unread_count(session: Session, actor: StaffPrincipal) -> int:
    return session.exec(select(func.count()).select_from(QuoteRequest).where(QuoteRequest.read_by_staff_at.is_(None))).one()


def _claim(session: Session, request_id: int, to_status: str, **values: Any) -> None:
    """Move a new or quoted request on, once: a second click (or a colleague) finds it moved."""
    moved = session.exec(
        update(QuoteRequest)
        .where(QuoteRequest.id == request_id, QuoteRequest.status.in_(("new", "quoted")))
        .values(status=to_status, updated_at=utcnow(), **values)
    ).rowcount
    if moved != 1:
        raise Conflict("This request was already converted or declined — reload to see it.")


def convert_to_job(session: Session, actor: StaffPrincipal, request_id: int) -> int:
    """A job in Quote status for the request's customer, pre-filled from the answers; the
    request is marked converted. Returns the job id."""
    request = _request(session, request_id)
    if request.status not in ("new", "quoted"):
        raise Conflict("This request was already converted or declined — reload to see it.")
    answers = json.loads(request.answers)
    shop = get_shop(session)
    notes = [f"From quote request {request.number}."] + summary_lines(answers, shop.currency if shop else "USD")
    title = f"{request.total_quantity} {ITEM_TYPES.get(request.item_type, 'items')} ({request.number})"
    job_id = create_job(
        session,
        actor,
        JobInput(
            title=title[:200],
            customer_id=request.customer_id,
            quantity=str(request.total_quantity),
            due_date=request.in_hands_date.isoformat() if request.in_hands_date else "",
            decoration=JOB_DECORATION.get(request.decoration, Decoration.OTHER),
            garment=request.garment,
            colour=request.colour,
            notes="\n".join(notes)[:5000],
        ),
    )
    _claim(session, request.id, "converted", job_id=job_id, read_by_staff_at=request.read_by_staff_at or utcnow())
    session.expire(request)
    return job_id


def decline(session: Session, actor: StaffPrincipal, request_id: int, message: str = "") -> None:
    """Decline the request and email the contact who sent it (with the staff's message)."""
    request = _request(session, request_id)
    message = (message or "").strip()
    if len(message) > 5000:
        raise InvalidInput("Keep the message under 5,000 characters.", "message")
    _claim(session, request.id, "declined", decline_message=message, read_by_staff_at=request.read_by_staff_at or utcnow())
    session.expire(request)
    contact = session.get(CustomerContact, request.contact_id) if request.contact_id else None
    customer = session.get(Customer, request.customer_id)
    if contact is not None and contact.email and customer is not None:
        outbox.queue_email(
            session,
            kind=EmailKind.QUOTE_REQUEST_DECLINED,
            to=contact.email,
            data={
                "number": request.number,
                "contact_name": contact.name or "there",
                "message": message,
                "portal_url": portal_url(customer),
            },
            dedupe_key=f"quote_request:{request.id}:declined",
        )
