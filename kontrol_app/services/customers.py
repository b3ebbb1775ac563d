"""Customers and their contacts (staff side)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, func, or_, true
from sqlmodel import Session, select

from kontrol_app.models import Customer, CustomerContact, utcnow
from kontrol_app.services.paging import page_window
from kontrol_app.services import invoices, portal_auth, portal_links
from kontrol_app.services.errors import Checks, InvalidInput, find
from kontrol_app.services.jobs import customer_job_counts
from kontrol_app.services.money import format_money
from kontrol_app.services.search import contains
from kontrol_app.services.shop import shop_currency
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.validation import clean_email, clean_text
from kontrol_app.services.versions import claim_version

STALE_CUSTOMER = "Someone else changed this customer — reload to see their changes"

PAGE_SIZE = 25
MAX_EXTRA_CONTACTS = 20


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:40].strip("-") or "customer"


@dataclass
class ContactInput:
    name: str = ""
    email: str = ""


@dataclass
class CustomerInput:
    """What the customer form sends; `contacts` are the extra people who may sign in."""

    name: str = ""
    contact_name: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    notes: str = ""
    contacts: list[ContactInput] = field(default_factory=list)
    # The version the form was loaded at (customer_form fills it); pass it back to
    # update_customer(expected_version=...). Not part of what the form says.
    version: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class CustomerRow:
    id: int
    name: str
    contact_name: str
    email: str
    phone: str


@dataclass(frozen=True)
class CustomerPage:
    rows: list[CustomerRow]
    total: int
    page: int
    pages: int


def list_customers(
    session: Session, actor: StaffPrincipal, *, search: str = "", page: int = 1, page_size: int = PAGE_SIZE
) -> CustomerPage:
    """One page of customers, filtered and paged in SQL."""
    primary = CustomerContact.__table__.alias("primary_contact")
    query = select(Customer.id, Customer.name, primary.c.name, primary.c.email, Customer.phone).join(
        primary, and_(primary.c.customer_id == Customer.id, primary.c.is_primary == true())
    )
    search = (search or "").strip()
    if search:
        any_contact = exists().where(
            CustomerContact.customer_id == Customer.id,
            or_(contains(CustomerContact.name, search), contains(CustomerContact.email, search)),
        )
        query = query.where(or_(contains(Customer.name, search), contains(Customer.phone, search), any_contact))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    window = page_window(total, page, page_size)
    rows = session.exec(
        query.order_by(func.lower(Customer.name), Customer.id).offset(window.offset).limit(window.limit)
    ).all()
    return CustomerPage(
        rows=[CustomerRow(r[0], r[1], r[2] or "", r[3] or "", r[4]) for r in rows],
        total=total,
        page=window.page,
        pages=window.pages,
    )


def _clean(session: Session, data: CustomerInput, customer_id: int | None) -> tuple[CustomerInput, list[ContactInput]]:
    checks = Checks()  # every box first, in the form's order
    cleaned = CustomerInput(
        name=checks(clean_text, data.name, field="name", label="the customer's name", max_length=160, required=True),
        contact_name=checks(clean_text, data.contact_name, field="contact_name", label="the contact name", max_length=120),
        email=checks(clean_email, data.email, required=False),
        phone=checks(clean_text, data.phone, field="phone", label="the phone number", max_length=40),
        address=checks(clean_text, data.address, field="address", label="the address", max_length=500, multiline=True),
        notes=checks(clean_text, data.notes, field="notes", label="the notes", max_length=5000, multiline=True),
    )
    if len(data.contacts) > MAX_EXTRA_CONTACTS:
        raise InvalidInput(f"A customer can have at most {MAX_EXTRA_CONTACTS} extra contacts.", "contacts")
    extras: list[ContactInput] = []
    rows: list[int] = []  # each extra's row in the form, for error fields
    for index, contact in enumerate(data.contacts):
        name = checks(clean_text, contact.name, field=f"contact_{index}_name", label="the contact's name", max_length=120)
        email = checks(clean_email, contact.email, field=f"contact_{index}_email", required=False)
        if f"contact_{index}_name" in checks.errors or f"contact_{index}_email" in checks.errors:
            continue
        if not name and not email:
            continue  # an empty row the person added and did not fill
        if not email:
            checks.refuse("Enter this contact's email, or remove the row.", f"contact_{index}_email")
            continue
        extras.append(ContactInput(name, email))
        rows.append(index)
    checks.done()
    # Every email opens exactly one portal: unique within the form and across customers.
    seen: dict[str, str] = {}
    emails = [("email", cleaned.email)] + [(f"contact_{i}_email", c.email) for i, c in zip(rows, extras, strict=False)]
    for field_name, email in emails:
        if not email:
            continue
        if email in seen:
            raise InvalidInput("This email is listed twice for this customer.", field_name)
        seen[email] = field_name
        owner = session.exec(
            select(Customer.name)
            .join(CustomerContact, CustomerContact.customer_id == Customer.id)
            .where(CustomerContact.email == email, Customer.id != (customer_id or 0))
        ).first()
        if owner is not None:
            raise InvalidInput(f"Another customer ({owner}) already uses this email.", field_name)
    return cleaned, extras


def create_customer(session: Session, actor: StaffPrincipal, data: CustomerInput) -> int:
    cleaned, extras = _clean(session, data, None)
    salt, key_hash = portal_links.new_link_secret()
    customer = Customer(
        name=cleaned.name,
        slug=slugify(cleaned.name),
        phone=cleaned.phone,
        address=cleaned.address,
        notes=cleaned.notes,
        portal_salt=salt,
        portal_key_hash=key_hash,
    )
    session.add(customer)
    session.flush()
    session.add(CustomerContact(customer_id=customer.id, name=cleaned.contact_name, email=cleaned.email or None, is_primary=True))
    for contact in extras:
        session.add(CustomerContact(customer_id=customer.id, name=contact.name, email=contact.email))
    session.flush()
    return customer.id


def _get(session: Session, customer_id: int) -> Customer:
    return find(session, Customer, customer_id, "That customer does not exist.")


def update_customer(
    session: Session, actor: StaffPrincipal, customer_id: int, data: CustomerInput, *, expected_version: int | None = None
) -> None:
    """Save the customer form. `expected_version` is the version the form was loaded at
    (`customer_form(...).version`): when someone saved in between, nothing changes and
    `Conflict(STALE_CUSTOMER)` is raised."""
    customer = _get(session, customer_id)
    cleaned, extras = _clean(session, data, customer_id)
    claim_version(session, Customer, customer_id, expected_version, STALE_CUSTOMER)
    customer.name = cleaned.name
    customer.phone = cleaned.phone
    customer.address = cleaned.address
    customer.notes = cleaned.notes
    customer.updated_at = utcnow()
    contacts = session.exec(select(CustomerContact).where(CustomerContact.customer_id == customer_id)).all()
    primary = next(c for c in contacts if c.is_primary)
    primary.name = cleaned.contact_name
    # Extra contacts are matched by email so their ids (and sessions) survive an edit.
    kept = {c.email: c for c in contacts if not c.is_primary}
    wanted = {c.email: c for c in extras}
    # Removed contacts go first, so their addresses are free for the others (a promoted contact).
    for email, contact in kept.items():
        if email not in wanted:
            portal_auth.forget_contact(session, contact.id)
            session.delete(contact)
    session.flush()
    if primary.email != (cleaned.email or None):
        # A new address is a different person: the old one's sessions and pending codes end.
        portal_auth.end_contact_access(session, primary.id)
        primary.email = cleaned.email or None
        session.flush()
    for email, contact in wanted.items():
        if email in kept:
            kept[email].name = contact.name
        else:
            session.add(CustomerContact(customer_id=customer_id, name=contact.name, email=email))
    session.add(customer)
    session.flush()


@dataclass(frozen=True)
class CustomerStats:
    active_jobs: int
    open_invoices: str
    total_orders: int


@dataclass(frozen=True)
class CustomerDetail:
    id: int
    name: str
    contact_name: str
    email: str
    phone: str
    address: str
    notes: str
    contacts: list[ContactInput]
    portal_url: str
    portal_path: str  # same link without the host: Preview stays on the address staff use
    stats: CustomerStats
    version: int  # pass back as update_customer(expected_version=...)


def customer_stats(session: Session, customer_id: int) -> CustomerStats:
    """Active Jobs and Total Orders from the jobs table; Open Invoices is what the customer
    still owes on sent and partially paid invoices, in the shop currency."""
    counts = customer_job_counts(session, customer_id)
    owed = invoices.open_balance(session, customer_id)
    return CustomerStats(active_jobs=counts.active, open_invoices=format_money(owed, shop_currency(session)), total_orders=counts.total)


def customer_form(session: Session, actor: StaffPrincipal, customer_id: int) -> CustomerInput:
    detail = customer_detail(session, actor, customer_id)
    return CustomerInput(
        name=detail.name,
        contact_name=detail.contact_name,
        email=detail.email,
        phone=detail.phone,
        address=detail.address,
        notes=detail.notes,
        contacts=list(detail.contacts),
        version=detail.version,
    )


def customer_detail(session: Session, actor: StaffPrincipal, customer_id: int) -> CustomerDetail:
    customer = _get(session, customer_id)
    contacts = session.exec(
        select(CustomerContact).where(CustomerContact.customer_id == customer_id).order_by(CustomerContact.id)
    ).all()
    primary = next(c for c in contacts if c.is_primary)
    return CustomerDetail(
        id=customer.id,
        name=customer.name,
        contact_name=primary.name,
        email=primary.email or "",
        phone=customer.phone,
        address=customer.address,
        notes=customer.notes,
        contacts=[ContactInput(c.name, c.email or "") for c in contacts if not c.is_primary],
        portal_url=portal_links.portal_url(customer),
        portal_path=portal_links.portal_path(customer),
        stats=customer_stats(session, customer_id),
        version=customer.version,
    )
