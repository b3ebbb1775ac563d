"""My Branding (issue 11): a customer's brand kit and contact details, kept by their clients
from the portal and read by the shop.

- The kit: a logo (PNG, JPEG or WebP, shown as an image), print files (AI, EPS, SVG, PDF and
  images; images and PDFs may be previewed, AI/EPS/SVG are only ever downloads) and brand
  colours (hex codes or Pantone-style names). Every change records who made it and when on
  the customer's `BrandKit` ("Updated by Sarah Smith on Apr 3" for the shop).
- Contact details: the company name as shown, phone, billing and shipping address, checked
  like the staff customer form and saved with the customer's version bumped (a form loaded
  before someone else saved is refused, not applied over them).
- A new sign-in email: a 6-digit code goes to the new address (the old one is told a change
  was asked); the change applies only when the code is typed back in time, so the old address
  keeps working until then and nobody locks themselves out.

Client functions take the portal viewer: the customer and contact come from the signed-in
session, never from the browser; another customer's ids answer "not found". A staff Preview
of the portal (and a viewer without a contact) may read but never change anything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, update
from sqlmodel import Session, select

from kontrol_app.models import (
    BrandFile,
    BrandKit,
    ContactEmailChange,
    Customer,
    CustomerContact,
    EmailKind,
    PortalSignInCode,
    SignInTicket,
    StoredFile,
    utcnow,
)
from kontrol_app.services import files, outbox, portal_auth
from kontrol_app.services.clock import shop_zone
from kontrol_app.services.errors import Checks, Conflict, InvalidInput, NotAllowed, Throttled, find
from kontrol_app.services.jobs import get_job
from kontrol_app.services.mockups import size_text
from kontrol_app.services.portal_auth import (
    CODE_LIFETIME,
    CODE_NOT_VALID,
    CODE_WINDOW,
    MAX_CODES_PER_EMAIL,
    TOO_MANY_CODES,
)
from kontrol_app.services.portal_links import portal_url
from kontrol_app.services.portal_view import writing_contact
from kontrol_app.services.shop import shop_timezone
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.validation import clean_email, clean_text, has_line_break
from kontrol_app.services.versions import claim_version
from kontrol_app.settings import get_settings

LOGO_KIND = "brand_logo"
FILE_KIND = "brand_file"
LOGO_TYPES = files.IMAGES  # PNG, JPEG, WebP: shown as an image
PRINT_TYPES = files.IMAGES_AND_PDF | {"ai", "eps", "svg"}
PREVIEWABLE = files.IMAGES_AND_PDF  # AI, EPS, SVG: downloads only (an SVG can carry script)
MAX_LOGO_BYTES = 25 * files.MB
MAX_LOGO_PIXELS = 6000 * 6000
MAX_FILE_BYTES = 25 * files.MB
MAX_FILES = 20
MAX_COLOURS = 20
MAX_COLOUR_LENGTH = 40

# Field names the portal shows messages next to.
FIELD_LOGO, FIELD_FILE, FIELD_COLOURS = "logo", "print_file", "colours"
FIELD_NAME, FIELD_PHONE, FIELD_ADDRESS, FIELD_SHIPPING = "name", "phone", "address", "shipping_address"
FIELD_NEW_EMAIL, FIELD_CODE = "new_email", "code"

LOGO_REJECTED = (
    "The logo must be a PNG, JPEG or WebP image. Add vector files (AI, EPS, SVG, PDF) under Print files."
)
FILE_REJECTED = "Print files must be AI, EPS, SVG, PDF, PNG, JPEG or WebP."
READ_ONLY = "Preview is read-only."
NOT_SIGNED_IN = "Sign in again to change your brand kit."
FILE_NOT_IN_KIT = "That file is not in your brand kit."
EMAIL_IN_USE = "That email is already used for a portal sign-in"
SAME_EMAIL = "That is already your sign-in email."
STALE_DETAILS = "Someone else changed these details — reload to see their changes"
STALE_COLOURS = "Someone else changed the colours — reload to see their changes"
NO_CHANGE_PENDING = "There is no email change waiting for a code. Start again with Change email."

_HEX = re.compile(r"#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})")
_BARE_HEX = re.compile(r"[0-9A-Fa-f]{6}")
# A Pantone-style or plain name: "PMS 286 C", "Pantone 7621 C", "Cool Gray 11", "Reflex Blue".
_NAME = re.compile(r"[\w][\w .,'&/()+\-]*", re.UNICODE)


class Viewer(Protocol):
    """The signed-in portal viewer (portal_view.PortalViewer): `contact_id` is None and
    `preview` True when staff preview the portal."""

    customer_id: int
    contact_id: int | None
    name: str
    preview: bool


files.register_reader(LOGO_KIND, files.staff_or_own_customer)
files.register_reader(FILE_KIND, files.staff_or_own_customer)


# --- views ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Colour:
    text: str  # as kept: "#0A3D91", "PMS 286 C"
    swatch: str  # a CSS hex colour for hex entries, "" for names


@dataclass(frozen=True)
class KitFile:
    id: int  # the BrandFile id (remove_print_file takes it)
    name: str
    label: str  # "PDF", "SVG", ...
    size: str  # "1.2 MB"
    url: str  # the private files route
    download_url: str
    image: bool  # PNG, JPEG, WebP: an <img> may show it
    pdf: bool  # opens in the browser's PDF viewer
    added_by: str


@dataclass(frozen=True)
class Kit:
    customer_id: int
    exists: bool  # anything was ever saved to it
    logo_url: str  # "" without a logo
    logo_download_url: str
    logo_name: str
    files: list[KitFile]
    colours: list[Colour]
    updated_by: str
    updated_on: str  # "Apr 3" (with the year when not this year), shop time
    updated: str  # "Updated by Sarah Smith on Apr 3", or ""
    shipping_address: str = ""  # where the customer's orders ship (the shop packs a job for it)


def _day(moment: datetime | None, timezone: str) -> str:
    if moment is None:
        return ""
    zone = shop_zone(timezone)
    local = moment.astimezone(zone)
    today = utcnow().astimezone(zone)
    text = f"{local:%b} {local.day}"
    return text if local.year == today.year else f"{text}, {local.year}"


def swatch(entry: str) -> str:
    """The CSS colour of a hex entry (only ever a checked #RGB/#RRGGBB), else ""."""
    return entry.upper() if _HEX.fullmatch(entry or "") else ""


def _colours_of(kit: BrandKit | None) -> list[str]:
    if kit is None:
        return []
    try:
        value = json.loads(kit.colours or "[]")
    except ValueError:
        return []
    return [str(v) for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _file_view(brand_file: BrandFile, row: StoredFile) -> KitFile:
    previewable = files.shown_inline(row) and row.file_type in PREVIEWABLE
    return KitFile(
        id=brand_file.id,
        name=row.original_name,
        label=files.type_label(row.file_type),
        size=size_text(row.size),
        url=files.url_for(row),
        download_url=files.url_for(row, download=True),
        image=previewable and row.file_type in files.IMAGES,
        pdf=previewable and row.file_type == "pdf",
        added_by=brand_file.added_by,
    )


def _kit_row(session: Session, customer_id: int) -> BrandKit | None:
    return session.exec(select(BrandKit).where(BrandKit.customer_id == customer_id)).first()


def _kit_view(session: Session, customer_id: int) -> Kit:
    customer = session.get(Customer, customer_id)
    kit = _kit_row(session, customer_id)
    logo = session.get(StoredFile, kit.logo_file_id) if kit is not None and kit.logo_file_id else None
    rows = session.exec(
        select(BrandFile, StoredFile)
        .join(StoredFile, StoredFile.id == BrandFile.file_id)
        .where(BrandFile.customer_id == customer_id)
        .order_by(BrandFile.id)
    ).all()
    colours = _colours_of(kit)
    on = _day(kit.updated_at, shop_timezone(session)) if kit is not None else ""
    by = kit.updated_by if kit is not None else ""
    exists = kit is not None and (logo is not None or bool(rows) or bool(colours) or kit.updated_at is not None)
    return Kit(
        customer_id=customer_id,
        exists=exists,
        logo_url=files.url_for(logo) if logo is not None else "",
        logo_download_url=files.url_for(logo, download=True) if logo is not None else "",
        logo_name=logo.original_name if logo is not None else "",
        files=[_file_view(brand_file, row) for brand_file, row in rows],
        colours=[Colour(c, swatch(c)) for c in colours],
        updated_by=by,
        updated_on=on,
        updated=f"Updated by {by} on {on}" if by and on else (f"Updated on {on}" if on else ""),
        shipping_address=customer.shipping_address if customer is not None else "",
    )


def brand_kit(session: Session, viewer: Viewer) -> Kit:
    """The viewer's own customer's kit (a Preview reads it too)."""
    return _kit_view(session, viewer.customer_id)


def staff_brand_kit(session: Session, actor: StaffPrincipal, customer_id: int) -> Kit:
    """The customer page's Brand kit card."""
    find(session, Customer, customer_id, "That customer does not exist.")
    return _kit_view(session, customer_id)


def staff_brand_kit_for_job(session: Session, actor: StaffPrincipal, job_id: int) -> Kit:
    """The job's customer's kit, so the files for a job are one click away."""
    return _kit_view(session, get_job(session, job_id).customer_id)


def logo_file(session: Session, customer_id: int) -> StoredFile | None:
    """The customer's brand logo (for "use my logo from My Branding"), or None."""
    kit = _kit_row(session, customer_id)
    return session.get(StoredFile, kit.logo_file_id) if kit is not None and kit.logo_file_id else None


def shipping_address(session: Session, customer_id: int) -> str:
    """Where the customer's orders ship (to pre-fill a quote request); "" when not given."""
    customer = session.get(Customer, customer_id)
    return customer.shipping_address if customer is not None else ""


# --- who writes -------------------------------------------------------------------------------


def _writer(session: Session, viewer: Viewer) -> CustomerContact:
    """The signed-in contact making a change: never a Preview, always of the viewer's customer."""
    contact = writing_contact(session, viewer, READ_ONLY)
    if not contact.email:  # removed by the shop since: the email change below writes to it
        raise NotAllowed(NOT_SIGNED_IN)
    return contact


def _who(contact: CustomerContact) -> str:
    return outbox.clip(contact.name or contact.email or "", 120)


def _lock_customer(session: Session, customer_id: int) -> None:
    """Changes to one customer's kit take turns: this write, which changes nothing, holds the
    customer's row (PostgreSQL) or the database's write lock (SQLite) until the commit."""
    session.exec(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(portal_salt=Customer.portal_salt)
        .execution_options(synchronize_session=False)
    )


def _kit_for_change(session: Session, contact: CustomerContact) -> BrandKit:
    _lock_customer(session, contact.customer_id)
    kit = _kit_row(session, contact.customer_id)
    if kit is None:
        kit = BrandKit(customer_id=contact.customer_id)
        session.add(kit)
        session.flush()
    return kit


def _touched(session: Session, kit: BrandKit, contact: CustomerContact) -> None:
    kit.updated_by = _who(contact)
    kit.updated_at = utcnow()
    session.add(kit)
    session.flush()


def _discard(upload: Any) -> None:
    if isinstance(upload, files.Received):
        upload.discard()


# --- the logo and print files -----------------------------------------------------------------


async def receive_logo(source: Any) -> files.Received:
    """Copy a logo upload to a temp file, refused (nothing kept) past its size limit."""
    return await files.receive(source, max_bytes=MAX_LOGO_BYTES, field=FIELD_LOGO)


async def receive_print_file(source: Any) -> files.Received:
    return await files.receive(source, max_bytes=MAX_FILE_BYTES, field=FIELD_FILE)


Upload = files.Received | bytes


def set_logo(session: Session, viewer: Viewer, upload: Upload, *, name: str | None = None, files_dir: Path | None = None) -> Kit:
    """Keep a new logo (PNG, JPEG or WebP, judged by its bytes) and retire the old one."""
    try:
        contact = _writer(session, viewer)
        kit = _kit_for_change(session, contact)
        old = session.get(StoredFile, kit.logo_file_id) if kit.logo_file_id else None
        logo = files.store(
            session,
            upload,
            kind=LOGO_KIND,
            allowed=LOGO_TYPES,
            customer_id=contact.customer_id,
            created_by_contact_id=contact.id,
            original_name=name,
            max_bytes=MAX_LOGO_BYTES,
            max_pixels=MAX_LOGO_PIXELS,
            field=FIELD_LOGO,
            files_dir=files_dir,
        )
    except InvalidInput as error:
        if "not accepted here" in error.message:  # an SVG, a PDF, ...: point at Print files
            raise InvalidInput(LOGO_REJECTED, FIELD_LOGO) from error
        raise
    finally:
        _discard(upload)
    kit.logo_file_id = logo.id
    _touched(session, kit, contact)
    if old is not None:
        files.delete(session, old, files_dir)  # its bytes go after the commit, if unused
    return _kit_view(session, contact.customer_id)


def remove_logo(session: Session, viewer: Viewer, files_dir: Path | None = None) -> Kit:
    contact = _writer(session, viewer)
    kit = _kit_for_change(session, contact)
    old = session.get(StoredFile, kit.logo_file_id) if kit.logo_file_id else None
    if old is None:
        return _kit_view(session, contact.customer_id)
    kit.logo_file_id = None
    _touched(session, kit, contact)
    files.delete(session, old, files_dir)
    return _kit_view(session, contact.customer_id)


def add_print_file(session: Session, viewer: Viewer, upload: Upload, *, name: str | None = None, files_dir: Path | None = None) -> Kit:
    """Add a print file: AI, EPS, SVG, PDF, PNG, JPEG or WebP, up to 25 MB, at most 20 a kit."""
    try:
        contact = _writer(session, viewer)
        kit = _kit_for_change(session, contact)
        count = session.exec(select(func.count(BrandFile.id)).where(BrandFile.customer_id == contact.customer_id)).one()
        if count >= MAX_FILES:
            raise InvalidInput(f"A brand kit holds at most {MAX_FILES} print files. Remove one first.", FIELD_FILE)
        row = files.store(
            session,
            upload,
            kind=FILE_KIND,
            allowed=PRINT_TYPES,
            customer_id=contact.customer_id,
            created_by_contact_id=contact.id,
            original_name=name,
            max_bytes=MAX_FILE_BYTES,
            field=FIELD_FILE,
        )
    except InvalidInput as error:
        if "not accepted here" in error.message:
            raise InvalidInput(FILE_REJECTED, FIELD_FILE) from error
        raise
    finally:
        _discard(upload)
    session.add(BrandFile(customer_id=contact.customer_id, file_id=row.id, added_by=_who(contact)))
    _touched(session, kit, contact)
    return _kit_view(session, contact.customer_id)


def remove_print_file(session: Session, viewer: Viewer, brand_file_id: int, files_dir: Path | None = None) -> Kit:
    contact = _writer(session, viewer)
    brand_file = find(session, BrandFile, brand_file_id, FILE_NOT_IN_KIT, customer_id=contact.customer_id)
    kit = _kit_for_change(session, contact)
    row = session.get(StoredFile, brand_file.file_id)
    session.delete(brand_file)
    session.flush()
    if row is not None:
        files.delete(session, row, files_dir)
    _touched(session, kit, contact)
    return _kit_view(session, contact.customer_id)


# --- colours ----------------------------------------------------------------------------------


def clean_colour(entry: str, position: int) -> str:
    """One entry as kept, or a refusal naming it ("Colour 3: ...", field `colour_2`)."""
    text = " ".join((entry or "").split()) if not has_line_break(entry or "") else None
    field = f"colour_{position}"
    label = f"Colour {position + 1}"
    if text is None:
        raise InvalidInput(f"{label}: keep it on one line.", field)
    if len(text) > MAX_COLOUR_LENGTH:
        raise InvalidInput(f"{label}: keep it under {MAX_COLOUR_LENGTH} characters.", field)
    if text.startswith("#"):
        if not _HEX.fullmatch(text):
            raise InvalidInput(f"{label}: “{text}” is not a hex colour. Use # and 3 or 6 digits 0–9/A–F, like #0A3D91.", field)
        return text.upper()
    if _BARE_HEX.fullmatch(text):
        return "#" + text.upper()  # "0a3d91": a hex code typed without its #
    if not _NAME.fullmatch(text) or not any(ch.isalpha() for ch in text):
        raise InvalidInput(f"{label}: use a hex code like #0A3D91 or a colour name like PMS 286 C.", field)
    return text


def clean_colours(entries: Sequence[str]) -> list[str]:
    """The list as kept: blank rows dropped, each entry checked, no entry twice, at most 20."""
    if not isinstance(entries, (list, tuple)):
        raise InvalidInput("Enter the colours as a list.", FIELD_COLOURS)
    cleaned: list[str] = []
    seen: dict[str, int] = {}
    for position, entry in enumerate(entries):
        if not isinstance(entry, str):
            raise InvalidInput(f"Colour {position + 1}: enter it as text.", f"colour_{position}")
        if not entry.strip():
            continue
        colour = clean_colour(entry, position)
        key = colour.casefold()
        if key in seen:
            raise InvalidInput(f"Colour {position + 1}: {colour} is already listed (colour {seen[key] + 1}).", f"colour_{position}")
        seen[key] = position
        cleaned.append(colour)
    if len(cleaned) > MAX_COLOURS:
        raise InvalidInput(f"List at most {MAX_COLOURS} colours (there are {len(cleaned)}).", FIELD_COLOURS)
    return cleaned


def set_colours(session: Session, viewer: Viewer, entries: Sequence[str], *, expected: Sequence[str] | None = None) -> Kit:
    """Replace the brand colours. `expected`: the list the form was loaded with; when someone
    saved other colours since, nothing changes and `Conflict(STALE_COLOURS)` is raised."""
    contact = _writer(session, viewer)
    colours = clean_colours(entries)
    kit = _kit_for_change(session, contact)
    if expected is not None and list(expected) != _colours_of(kit):
        raise Conflict(STALE_COLOURS, FIELD_COLOURS)
    if colours != _colours_of(kit):
        kit.colours = json.dumps(colours)
        _touched(session, kit, contact)
    return _kit_view(session, contact.customer_id)


# --- contact details --------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactDetails:
    """The My Branding contact form, as loaded; pass `version` back to save_contact_details."""

    name: str
    phone: str
    address: str  # billing
    shipping_address: str
    version: int
    sign_in_email: str  # the viewer's own ("" in a Preview)
    pending_email: str  # a change waiting for its code, or ""
    contacts: list[tuple[str, str]]  # (name, email) of everyone who can sign in


def _pending(session: Session, contact_id: int | None) -> ContactEmailChange | None:
    if contact_id is None:
        return None
    row = session.exec(
        select(ContactEmailChange)
        .where(ContactEmailChange.contact_id == contact_id, ContactEmailChange.used_at.is_(None))
        .order_by(ContactEmailChange.id.desc())
    ).first()
    return row if row is not None and row.expires_at >= utcnow() else None


def contact_details(session: Session, viewer: Viewer) -> ContactDetails:
    customer = find(session, Customer, viewer.customer_id, "Not found.")
    contacts = session.exec(
        select(CustomerContact).where(CustomerContact.customer_id == customer.id).order_by(CustomerContact.id)
    ).all()
    own = next((c for c in contacts if c.id == viewer.contact_id), None)
    pending = _pending(session, own.id) if own is not None else None
    return ContactDetails(
        name=customer.name,
        phone=customer.phone,
        address=customer.address,
        shipping_address=customer.shipping_address,
        version=customer.version,
        sign_in_email=(own.email or "") if own is not None else "",
        pending_email=pending.new_email if pending is not None else "",
        contacts=[(c.name, c.email) for c in contacts if c.email],
    )


def clean_details(data: dict[str, str]) -> dict[str, str]:
    """The same rules as the staff customer form (services/customers.py), every box at once."""
    checks = Checks()
    cleaned = {
        FIELD_NAME: checks(clean_text, data.get(FIELD_NAME, ""), field=FIELD_NAME, label="the company name", max_length=160, required=True),
        FIELD_PHONE: checks(clean_text, data.get(FIELD_PHONE, ""), field=FIELD_PHONE, label="the phone number", max_length=40),
        FIELD_ADDRESS: checks(
            clean_text, data.get(FIELD_ADDRESS, ""), field=FIELD_ADDRESS, label="the billing address", max_length=500, multiline=True
        ),
        FIELD_SHIPPING: checks(
            clean_text, data.get(FIELD_SHIPPING, ""), field=FIELD_SHIPPING, label="the shipping address", max_length=500, multiline=True
        ),
    }
    checks.done()
    return cleaned


def save_contact_details(
    session: Session, viewer: Viewer, data: dict[str, str], *, expected_version: int | None = None
) -> ContactDetails:
    """Save the company name as shown, phone, billing and shipping address. `expected_version`
    is `ContactDetails.version` as loaded: a save by the shop or a colleague since then is
    `Conflict(STALE_DETAILS)` and nothing changes."""
    contact = _writer(session, viewer)
    cleaned = clean_details({k: v if isinstance(v, str) else "" for k, v in (data or {}).items()})
    customer = session.get(Customer, contact.customer_id)
    claim_version(session, Customer, customer.id, expected_version, STALE_DETAILS)
    customer.name = cleaned[FIELD_NAME]
    customer.phone = cleaned[FIELD_PHONE]
    customer.address = cleaned[FIELD_ADDRESS]
    customer.shipping_address = cleaned[FIELD_SHIPPING]
    customer.updated_at = utcnow()
    session.add(customer)
    kit = _kit_for_change(session, contact)
    _touched(session, kit, contact)
    return contact_details(session, viewer)


# --- a new sign-in email ----------------------------------------------------------------------


def _code_hash(change_id: int, code: str) -> str:
    key = get_settings().secret().encode()
    return hmac.new(key, f"email-change:{change_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _lock_contact(session: Session, contact_id: int) -> None:
    """Count-then-insert must not race (see portal_auth._one_request_at_a_time)."""
    session.exec(
        update(CustomerContact)
        .where(CustomerContact.id == contact_id)
        .values(name=CustomerContact.name)
        .execution_options(synchronize_session=False)
    )


def _email_taken(session: Session, email: str, contact_id: int | None = None) -> bool:
    query = select(CustomerContact.id).where(CustomerContact.email == email)
    if contact_id is not None:
        query = query.where(CustomerContact.id != contact_id)
    return session.exec(query).first() is not None


def request_email_change(session: Session, viewer: Viewer, new_email: str) -> str:
    """Send a 6-digit code to `new_email` (and tell the current address a change was asked).
    Nothing changes until confirm_email_change; returns the address the code went to. An
    address that already signs in to a portal gets a notice instead of a code, and the asker
    is answered the same."""
    contact = _writer(session, viewer)
    email = clean_email(new_email, field=FIELD_NEW_EMAIL)
    if email == contact.email:
        raise InvalidInput(SAME_EMAIL, FIELD_NEW_EMAIL)
    # An address that already signs in somewhere is answered like any other (its owner is told
    # instead of sent a code): another customer's contacts are none of this client's business.
    in_use = _email_taken(session, email)
    _lock_contact(session, contact.id)
    since = utcnow() - CODE_WINDOW
    recent = session.exec(
        select(func.count(ContactEmailChange.id)).where(
            ContactEmailChange.contact_id == contact.id, ContactEmailChange.created_at >= since
        )
    ).one()
    if recent >= MAX_CODES_PER_EMAIL:
        raise Throttled(TOO_MANY_CODES, FIELD_NEW_EMAIL)
    now = utcnow()
    for older in session.exec(
        select(ContactEmailChange).where(ContactEmailChange.contact_id == contact.id, ContactEmailChange.used_at.is_(None))
    ).all():
        older.used_at = now  # only the newest code counts
    change = ContactEmailChange(contact_id=contact.id, new_email=email, code_hash="", expires_at=now + CODE_LIFETIME)
    session.add(change)
    session.flush()
    code = f"{secrets.randbelow(1_000_000):06d}"
    # With no code sent, no 6-digit code matches; the confirm step refuses a taken address anyway.
    change.code_hash = _code_hash(change.id, secrets.token_hex(16) if in_use else code)
    customer = session.get(Customer, contact.customer_id)
    link = portal_url(customer)
    # The owner of a taken address gets no code and no link: the asker's portal is not theirs.
    data = {"in_use": "1"} if in_use else {"in_use": "", "code": code, "portal_url": link}
    outbox.queue_email(session, kind=EmailKind.EMAIL_CHANGE_CODE, to=email, data=data)
    outbox.queue_email(
        session,
        kind=EmailKind.EMAIL_CHANGE_NOTICE,
        to=contact.email,
        data={"new_email": email, "changed": "", "portal_url": link},
    )
    session.flush()
    return email


def cancel_email_change(session: Session, viewer: Viewer) -> None:
    contact = _writer(session, viewer)
    now = utcnow()
    for row in session.exec(
        select(ContactEmailChange).where(ContactEmailChange.contact_id == contact.id, ContactEmailChange.used_at.is_(None))
    ).all():
        row.used_at = now
    session.flush()


def confirm_email_change(session: Session, viewer: Viewer, code: str) -> str:
    """Apply the newest pending change when `code` is its code and it has not expired (five
    wrong tries end it). Returns the new sign-in email. The contact stays signed in; codes
    and tickets sent to the old address stop working."""
    contact = _writer(session, viewer)
    digits = "".join(ch for ch in (code or "") if ch.isdigit()) if isinstance(code, str) else ""
    row = session.exec(
        select(ContactEmailChange)
        .where(ContactEmailChange.contact_id == contact.id, ContactEmailChange.used_at.is_(None))
        .order_by(ContactEmailChange.id.desc())
    ).first()
    now = utcnow()
    if row is None:
        raise InvalidInput(NO_CHANGE_PENDING, FIELD_CODE)
    if row.expires_at < now:
        raise InvalidInput(CODE_NOT_VALID, FIELD_CODE)
    right = len(digits) == 6 and hmac.compare_digest(row.code_hash, _code_hash(row.id, digits))
    portal_auth.claim_code(session, ContactEmailChange, row, right, field=FIELD_CODE, now=now)
    new_email = row.new_email
    if _email_taken(session, new_email, contact.id):
        session.commit()  # the code is spent either way
        raise InvalidInput(EMAIL_IN_USE, FIELD_NEW_EMAIL)
    old_email = contact.email
    _void_sign_in(session, contact.id, now)
    contact.email = new_email
    session.add(contact)
    # The staff customer form shows the emails: one loaded before this is refused, not saved over it.
    claim_version(session, Customer, contact.customer_id, None, "")
    session.flush()
    customer = session.get(Customer, contact.customer_id)
    outbox.queue_email(
        session,
        kind=EmailKind.EMAIL_CHANGE_NOTICE,
        to=old_email,
        data={"new_email": new_email, "changed": "1", "portal_url": portal_url(customer)},
    )
    return new_email


def _void_sign_in(session: Session, contact_id: int, now: datetime) -> None:
    """Codes and tickets not yet used (sent to the old address) stop working. Sessions stay:
    the same person proved both addresses."""
    for code in session.exec(
        select(PortalSignInCode).where(PortalSignInCode.contact_id == contact_id, PortalSignInCode.used_at.is_(None))
    ).all():
        code.used_at = now
    for ticket in session.exec(
        select(SignInTicket).where(SignInTicket.portal_contact_id == contact_id, SignInTicket.used_at.is_(None))
    ).all():
        ticket.used_at = now
