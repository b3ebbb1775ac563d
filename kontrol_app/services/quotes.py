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
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, delete, exists, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, func, select

from kontrol_app.models import (
    Customer,
    CustomerContact,
    Decoration,
    EmailKind,
    MessageThread,
    QuoteDraft,
    QuoteRequest,
    QuoteRequestFile,
    Shop,
    StoredFile,
    utcnow,
)
from kontrol_app.services import files, job_files, messages, notifications, outbox
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
from kontrol_app.models import ApprovalRecord, Job, JobFile, JobStatus, MockupVersion  # Reorder, the form's files

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
REPLY_THREAD = "reply_thread_id"  # the answers JSON's key for the staff's conversation (quotes.reply)
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
    if step == 1:  # "Reorder of" is set by start_reorder only: kept from the draft, never typed
        data = {key: value for key, value in data.items() if key != "reorder_of"}
        if stored["what"].get("reorder_of"):
            data["reorder_of"] = stored["what"]["reorder_of"]
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
    """Clear the contact's draft (the one at a time), and the files uploaded for it alone."""
    contact_id = _client(viewer)
    row = _draft_row(session, viewer)
    session.exec(delete(QuoteDraft).where(QuoteDraft.contact_id == contact_id))
    if row is not None:
        _drop_unused_uploads(session, viewer, _file_ids(_decode(row.data)["artwork"].get("file_ids")) or [])


# --- the portal's form: its files, the review, Reorder ---------------------------------------------------


@dataclass(frozen=True)
class ArtworkFile:
    """A file of the draft as the form shows it (through the private files route): images and
    PDFs open in the browser, AI/EPS/SVG/PSD/ZIP only download."""

    id: int
    name: str
    label: str  # "PNG", "AI", ...
    url: str
    download_url: str
    image: bool
    pdf: bool


def _artwork_file(row: StoredFile) -> ArtworkFile:
    file_type = files.TYPES.get(row.file_type)
    inline = bool(row.inline and file_type is not None and file_type.inline)
    return ArtworkFile(
        row.id,
        row.original_name,
        file_type.label if file_type else row.file_type.upper(),
        files.url_for(row),
        files.url_for(row, download=True),
        inline and row.file_type in files.IMAGES,
        inline and row.file_type == "pdf",
    )


def draft_files(session: Session, viewer: PortalViewer, file_ids: Any) -> list[ArtworkFile]:
    """The files named by a draft that are this customer's, in the draft's order."""
    ids = (_file_ids(file_ids) or [])[:MAX_FILES]
    if not ids:
        return []
    rows = {row.id: row for row in session.exec(select(StoredFile).where(StoredFile.id.in_(ids), StoredFile.customer_id == viewer.customer_id)).all()}
    return [_artwork_file(rows[i]) for i in ids if i in rows]


def _drop_unused_uploads(session: Session, viewer: PortalViewer, ids: list[int]) -> None:
    """Delete files this contact uploaded for the form that nothing uses any more (no request,
    no job); others (a reordered job's approved artwork, a submitted request's) stay."""
    if not ids:
        return
    unused = session.exec(
        select(StoredFile).where(
            StoredFile.id.in_(ids),
            StoredFile.kind == ARTWORK_KIND,
            StoredFile.customer_id == viewer.customer_id,
            StoredFile.created_by_contact_id == viewer.contact_id,
            ~exists().where(QuoteRequestFile.file_id == StoredFile.id),
            ~exists().where(JobFile.file_id == StoredFile.id),
        )
    ).all()
    for row in unused:
        files.delete(session, row)


async def receive_artwork(source: Any) -> files.Received:
    """Copy one upload to a temp file, refused (nothing kept) past 25 MB."""
    return await files.receive(source, max_bytes=files.DEFAULT_MAX_BYTES, field="files")


def add_artwork(session: Session, viewer: PortalViewer, source: Any, name: str, data: dict) -> tuple[ArtworkFile, StepCheck]:
    """Keep one uploaded file and add it to step 2 of the draft (`data`: step 2 as typed now),
    in one transaction. A refused file raises InvalidInput (field "files"); nothing is kept."""
    try:
        data = dict(data) if isinstance(data, dict) else {}
        ids = _file_ids(data.get("file_ids")) or []
        if len(ids) >= MAX_FILES:
            raise InvalidInput(f"Attach up to {MAX_FILES} files.", "files")
        row = upload_artwork(session, viewer, source, name)
    finally:
        if isinstance(source, files.Received):
            source.discard()  # store() has moved or dropped it; refused before store(): gone too
    data["file_ids"] = [*ids, row.id]
    return _artwork_file(row), save_draft(session, viewer, 2, data)


def remove_artwork(session: Session, viewer: PortalViewer, file_id: int, data: dict) -> StepCheck:
    """Take a file off step 2 (`data`: step 2 as typed now); one uploaded for it alone is deleted."""
    data = dict(data) if isinstance(data, dict) else {}
    data["file_ids"] = [i for i in (_file_ids(data.get("file_ids")) or []) if i != file_id]
    check = save_draft(session, viewer, 2, data)
    if isinstance(file_id, int) and not isinstance(file_id, bool):
        _drop_unused_uploads(session, viewer, [file_id])
    return check


def delivery_address(session: Session, viewer: PortalViewer) -> str:
    """Where to ship, to pre-fill the form: the shipping address (My Branding), else billing."""
    customer = session.get(Customer, viewer.customer_id)
    if customer is None:
        return ""
    return (customer.shipping_address or "").strip() or (customer.address or "").strip()


# Which step each summary line belongs to (its label), for the review's Edit links.
_LINE_STEPS = {"Reorder of": 1, "What": 1, "Sizes": 1, "Decoration": 2, "Placements": 2, "Artwork": 2, "Notes": 2, "In hands": 3, "Delivery": 3, "Budget": 3}
STEP_TITLES = {1: "What and how many", 2: "Artwork and decoration", 3: "Timing and delivery"}


@dataclass(frozen=True)
class ReviewSection:
    step: int
    title: str
    lines: list[str]


@dataclass(frozen=True)
class Review:
    """The draft checked as a whole: `step` is the first step with an error (its `errors`), or
    REVIEW_STEP with every answer in words, by step."""

    step: int
    errors: dict[str, str]
    warnings: dict[str, str]
    sections: list[ReviewSection]


def review(session: Session, viewer: PortalViewer) -> Review:
    data = load_draft(session, viewer).data
    answers: dict[str, Any] = {}
    warnings: dict[str, str] = {}
    for step, key in enumerate(STEPS, start=1):
        check = check_step(session, viewer.customer_id, step, data[key])
        warnings.update(check.warnings)
        if not check.ok:
            return Review(step, check.errors, check.warnings, [])
        answers.update(check.clean)
    shop = get_shop(session)
    by_step: dict[int, list[str]] = {1: [], 2: [], 3: []}
    for line in summary_lines(answers, shop.currency if shop else "USD"):
        by_step[_LINE_STEPS.get(line.split(":", 1)[0], 2)].append(line)
    return Review(REVIEW_STEP, {}, warnings, [ReviewSection(step, STEP_TITLES[step], lines) for step, lines in by_step.items()])


@dataclass(frozen=True)
class PortalQuoteRow:
    """ "Your quote requests": one row, with the shop's message when declined."""

    id: int
    number: str
    summary: str
    created: str
    status: str
    status_label: str
    decline_message: str


def portal_requests(session: Session, viewer: PortalViewer) -> list[PortalQuoteRow]:
    """The customer's requests, newest first (all contacts': they belong to the customer)."""
    timezone = _timezone(session)
    rows = session.exec(select(QuoteRequest).where(QuoteRequest.customer_id == viewer.customer_id).order_by(QuoteRequest.id.desc()).limit(200)).all()
    return [
        PortalQuoteRow(
            r.id,
            r.number,
            _summary(r),
            shop_time(r.created_at, timezone),
            r.status,
            STATUS_LABELS.get(r.status, r.status),
            r.decline_message if r.status == "declined" else "",
        )
        for r in rows
    ]


# Built once (Core): part of the open portal's poll (services/portal_live.py).
@dataclass(frozen=True)
class PortalForm:
    """Everything the Request a Quote tab shows, read in one transaction."""

    draft: Draft
    files: list[ArtworkFile]
    review: Review | None  # when the draft is at the review
    address: str  # to pre-fill shipping
    requests: list[PortalQuoteRow]


def portal_form(session: Session, viewer: PortalViewer) -> PortalForm:
    draft = load_draft(session, viewer)
    return PortalForm(
        draft,
        draft_files(session, viewer, draft.data["artwork"].get("file_ids")),
        review(session, viewer) if draft.step == REVIEW_STEP else None,
        delivery_address(session, viewer),
        portal_requests(session, viewer),
    )


REORDER_STATUSES = frozenset({JobStatus.SHIPPED.value, JobStatus.COMPLETED.value})
NO_ORDER = "That order does not exist."
# Words in a job's garment (or title) that say what it is; the first match wins.
_ITEM_WORDS = (
    ("hoodies", ("hoodie", "hoody", "hooded", "sweatshirt", "crewneck", "pullover")),
    ("polos", ("polo",)),
    ("tshirts", ("t-shirt", "tshirt", "t shirt", "tee", "shirt", "tank")),
    ("hats", ("hat", "cap", "beanie", "visor", "snapback", "trucker")),
    ("bags", ("bag", "tote", "backpack", "duffel", "drawstring")),
)
# A job's decoration as the form's answer (the job's Other is "not sure").
_FORM_DECORATION = {job.value: answer for answer, job in JOB_DECORATION.items() if answer != "not_sure"}


def guess_item_type(*texts: str) -> str:
    """ "Gildan 5000 tee" -> tshirts; "other" when nothing says."""
    for text in texts:
        words = (text or "").lower()
        for item, keys in _ITEM_WORDS:
            if any(re.search(rf"(?<![a-z]){re.escape(key)}s?(?![a-z])", words) for key in keys):
                return item
    return "other"


def _approved_artwork(session: Session, job: Job) -> int | None:
    """The original file of the job's newest approved (not withdrawn) mockup version, bound to
    the file the approval was given for."""
    records = session.exec(
        select(ApprovalRecord)
        .where(ApprovalRecord.job_id == job.id, ApprovalRecord.decision.in_(("approved", "approved_offline")), ApprovalRecord.version_id.is_not(None))
        .order_by(ApprovalRecord.id.desc())
    ).all()
    for record in records:
        version = session.get(MockupVersion, record.version_id)
        if version is None or version.job_id != job.id or version.withdrawn_at is not None:
            continue
        original = session.get(StoredFile, version.file_id)
        if original is not None and original.sha256 == record.sha256 and original.customer_id == job.customer_id:
            return original.id
    return None


def _answers_of(request: QuoteRequest | None) -> dict[str, Any]:
    try:
        answers = json.loads(request.answers) if request is not None else {}
    except ValueError:
        answers = {}
    return answers if isinstance(answers, dict) else {}


def start_reorder(session: Session, viewer: PortalViewer, job_id: int) -> None:
    """Replace the contact's draft with one pre-filled from a shipped or completed job of their
    customer: item, garment, colour, quantities (by size when the job came from a quote request,
    whose decoration, placements and notes come along too), the approved artwork, and
    "Reorder of <job title>". The draft opens at step 1. Another customer's job: not found."""
    _client(viewer)
    job = session.get(Job, job_id) if isinstance(job_id, int) and not isinstance(job_id, bool) else None
    if job is None or job.customer_id != viewer.customer_id:
        raise NotFound(NO_ORDER)
    if job.status not in REORDER_STATUSES:
        raise Conflict("Only a shipped or completed order can be reordered.")
    contact = session.get(CustomerContact, viewer.contact_id)
    if contact is None or contact.customer_id != viewer.customer_id:
        raise NotFound("That contact does not exist.")
    request = session.exec(
        select(QuoteRequest).where(QuoteRequest.job_id == job.id, QuoteRequest.customer_id == viewer.customer_id).order_by(QuoteRequest.id.desc())
    ).first()
    answers = _answers_of(request)
    what: dict[str, Any] = {
        "item_type": answers["item_type"] if answers.get("item_type") in ITEM_TYPES else guess_item_type(job.garment, job.title),
        "garment": job.garment,
        "colour": job.colour,
        "reorder_of": " ".join(job.title.split())[:200],
    }
    sizes = answers.get("quantities")
    if answers.get("size_mode") in SIZE_MODES and isinstance(sizes, dict) and sizes:
        what["size_mode"] = answers["size_mode"]
        what["quantities"] = {size: str(count) for size, count in sizes.items() if size in SIZE_MODES[answers["size_mode"]] and isinstance(count, int)}
    else:
        what["size_mode"] = "one"
        what["quantities"] = {ONE_SIZE[0]: str(job.quantity)} if job.quantity else {}
    placements = answers.get("placements") if isinstance(answers.get("placements"), dict) else {}
    approved = _approved_artwork(session, job)
    artwork: dict[str, Any] = {
        "decoration": answers["decoration"] if answers.get("decoration") in DECORATIONS else _FORM_DECORATION.get(job.decoration, "not_sure"),
        "placements": {key: str(count) for key, count in placements.items() if key in PLACEMENTS and isinstance(count, int)},
        "notes": answers.get("notes", "") if isinstance(answers.get("notes"), str) else "",
        "use_logo": answers.get("use_logo") is True,
        "file_ids": [approved] if approved is not None else [],
    }
    timing: dict[str, Any] = {}
    if answers.get("delivery") in DELIVERY:
        timing = {"delivery": answers["delivery"], "address": answers.get("address", "") if isinstance(answers.get("address"), str) else ""}
    # The draft is replaced (one at a time); files uploaded for the old one alone go.
    old = _draft_row(session, viewer)
    if old is not None:
        old_ids = _file_ids(_decode(old.data)["artwork"].get("file_ids")) or []
        session.exec(delete(QuoteDraft).where(QuoteDraft.id == old.id))
        _drop_unused_uploads(session, viewer, [i for i in old_ids if i != approved])
    session.add(
        QuoteDraft(
            customer_id=viewer.customer_id,
            contact_id=viewer.contact_id,
            step=1,
            data=json.dumps({"what": what, "artwork": artwork, "timing": timing}, separators=(",", ":")),
            updated_at=utcnow(),
        )
    )
    session.flush()


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
    if answers.get("reorder_of"):
        lines.insert(0, f"Reorder of: {answers['reorder_of']}")
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


@dataclass(frozen=True)
class QuoteFile:
    id: int
    name: str
    file_type: str
    inline: bool
    label: str = ""  # "PNG", "PDF", ...
    size: int = 0
    url: str = ""  # the private files route
    download_url: str = ""


@dataclass(frozen=True)
class QuoteRequestDetail:
    row: QuoteRequestRow
    answers: dict[str, Any]
    lines: list[str]  # summary_lines
    files: list[QuoteFile]
    job_id: int | None
    decline_message: str
    thread_id: int | None = None  # the conversation staff started with Reply (answers["reply_thread_id"])


def _file(row: StoredFile) -> QuoteFile:
    file_type = files.TYPES.get(row.file_type)
    return QuoteFile(
        row.id,
        row.original_name,
        row.file_type,
        bool(row.inline and file_type is not None and file_type.inline),
        file_type.label if file_type else row.file_type.upper(),
        row.size,
        files.url_for(row),
        files.url_for(row, download=True),
    )


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
        [_file(f) for f in files],
        request.job_id,
        request.decline_message,
        answers.get(REPLY_THREAD) if isinstance(answers.get(REPLY_THREAD), int) else None,
    )


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
    """Unread first (not yet opened by staff), then the ones still New, then newest first;
    searchable by number, customer, contact or garment; paged in SQL."""
    base = select(QuoteRequest.id).join(Customer, Customer.id == QuoteRequest.customer_id)
    total = session.exec(select(func.count()).select_from(_search(base, search).subquery())).one()
    window = page_window(total, page, page_size)
    rows = session.exec(
        _search(select(QuoteRequest, Customer.name).join(Customer, Customer.id == QuoteRequest.customer_id), search)
        .order_by(
            case((QuoteRequest.read_by_staff_at.is_(None), 0), else_=1),
            case((QuoteRequest.status == "new", 0), else_=1),
            QuoteRequest.id.desc(),
        )
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
    file_ids = session.exec(select(QuoteRequestFile.file_id).where(QuoteRequestFile.quote_request_id == request.id).order_by(QuoteRequestFile.id)).all()
    job_files.attach(session, job_id, file_ids, f"Quote request {request.number}")
    session.expire(request)
    return job_id


def reply(session: Session, actor: StaffPrincipal, request_id: int, body: str) -> int:
    """Write to the client about a New or Quoted request: the first reply starts a conversation
    "Quote request QR-0001" with the customer (its contacts get the usual notice and see it in
    the portal's Messages), later replies go to the same one (its id is kept in the answers
    JSON as `reply_thread_id`). A New request becomes Quoted. Returns the thread id."""
    if not isinstance(request_id, int):
        raise NotFound(NOT_FOUND)
    # Take the request's row first (an UPDATE: PostgreSQL's row lock, SQLite's write lock), so
    # two replies at the same moment queue here and the second finds the first one's thread.
    taken = session.exec(
        update(QuoteRequest)
        .where(QuoteRequest.id == request_id)
        .values(status=case((QuoteRequest.status == "new", "quoted"), else_=QuoteRequest.status))
    ).rowcount
    if taken != 1:
        raise NotFound(NOT_FOUND)
    request = session.exec(select(QuoteRequest).where(QuoteRequest.id == request_id).execution_options(populate_existing=True)).one()
    if request.status not in ("quoted",):
        raise Conflict("This request was already converted or declined — write to the client from Messages.")
    answers = json.loads(request.answers)
    thread_id = answers.get(REPLY_THREAD)
    thread = session.get(MessageThread, thread_id) if isinstance(thread_id, int) else None
    if thread is not None and thread.customer_id == request.customer_id:
        messages.post_staff(session, actor, thread.id, body)
    else:
        thread_id = messages.start_thread_staff(session, actor, request.customer_id, body, subject=f"Quote request {request.number}")
        answers[REPLY_THREAD] = thread_id
        request.answers = json.dumps(answers, separators=(",", ":"))
    request.updated_at = utcnow()
    request.read_by_staff_at = request.read_by_staff_at or utcnow()
    session.add(request)
    session.flush()
    return thread_id


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
