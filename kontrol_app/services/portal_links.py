"""The permanent private portal link of each customer: make, find, copy, email, regenerate."""

from __future__ import annotations

from collections.abc import Mapping

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import true
from sqlmodel import Session, select

from kontrol_app.models import Customer, CustomerContact, EmailKind, PortalSignInCode, SignInTicket, utcnow
from kontrol_app.services import outbox
from kontrol_app.services.errors import InvalidInput, find
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.tokens import token_hash
from kontrol_app.services.validation import clean_text
from kontrol_app.settings import get_settings

PORTAL_PREFIX = "/public/portal/"


def _key_for(salt: str) -> str:
    """26 base32 characters = 130 bits, from the app secret and the customer's random salt."""
    digest = hmac.new(get_settings().secret().encode(), f"portal-link:{salt}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower().rstrip("=")[:26]


def new_link_secret() -> tuple[str, str]:
    """(salt, key hash) for a new link."""
    salt = secrets.token_hex(16)
    return salt, token_hash(_key_for(salt))


def portal_path(customer: Customer) -> str:
    return f"{PORTAL_PREFIX}{customer.slug}-{_key_for(customer.portal_salt)}"


def portal_url(customer: Customer) -> str:
    return get_settings().base_url + portal_path(customer)


def link_key_hash(link: str) -> str | None:
    """What `Customer.portal_key_hash` holds for a link (the `<slug>-<key>` part of the URL)."""
    key = (link or "").strip("/").rsplit("-", 1)[-1]
    return token_hash(key) if len(key) == 26 else None


def customer_for_link(session: Session, link: str) -> Customer | None:
    """The customer whose link this is, or None."""
    key_hash = link_key_hash(link)
    if key_hash is None:
        return None
    return session.exec(select(Customer).where(Customer.portal_key_hash == key_hash)).first()


def _customer(session: Session, customer_id: int) -> Customer:
    return find(session, Customer, customer_id, "That customer does not exist.")


def regenerate_link(session: Session, actor: StaffPrincipal, customer_id: int) -> str:
    """A new link; the old one and every portal session and code of the customer stop working."""
    from kontrol_app.services.portal_auth import revoke_customer_sessions

    customer = _customer(session, customer_id)
    customer.portal_salt, customer.portal_key_hash = new_link_secret()
    customer.portal_link_copied_at = None
    customer.portal_link_emailed_at = None
    session.add(customer)
    revoke_customer_sessions(session, customer_id)
    for code in session.exec(
        select(PortalSignInCode).where(PortalSignInCode.customer_id == customer_id, PortalSignInCode.used_at.is_(None))
    ).all():
        code.used_at = utcnow()
    # A ticket from a code checked just before would otherwise open a session on the new link.
    for ticket in session.exec(
        select(SignInTicket)
        .join(CustomerContact, CustomerContact.id == SignInTicket.portal_contact_id)
        .where(CustomerContact.customer_id == customer_id, SignInTicket.used_at.is_(None))
    ).all():
        ticket.used_at = utcnow()
    return portal_url(customer)


def mark_link_copied(session: Session, actor: StaffPrincipal, customer_id: int) -> None:
    customer = _customer(session, customer_id)
    customer.portal_link_copied_at = utcnow()
    session.add(customer)


def _primary_contact(session: Session, customer_id: int) -> CustomerContact:
    return session.exec(
        select(CustomerContact).where(CustomerContact.customer_id == customer_id, CustomerContact.is_primary == true())
    ).one()


def intro_message(session: Session, actor: StaffPrincipal, customer_id: int) -> str:
    """The guide's intro message, ready for the staff member to adapt."""
    customer = _customer(session, customer_id)
    contact = _primary_contact(session, customer_id)
    first_name = (contact.name or customer.name).split()[0]
    return (
        f"Hey {first_name} — here's your order portal link. Bookmark it and you can check job status, "
        f"approve artwork, and pay invoices anytime: {portal_url(customer)}\n\n"
        "To log in, just enter your email address — no password needed.\n\n"
        f"— {actor.name}"
    )


def email_link(session: Session, actor: StaffPrincipal, customer_id: int, message: str) -> str:
    """Send the portal link to the customer's primary contact; returns the address."""
    customer = _customer(session, customer_id)
    contact = _primary_contact(session, customer_id)
    if not contact.email:
        raise InvalidInput("This customer has no email on file. Add one before sending the link.", "message")
    message = clean_text(message, field="message", label="a message", max_length=5000, required=True, multiline=True)
    outbox.queue_email(
        session,
        kind=EmailKind.PORTAL_LINK,
        to=contact.email,
        data={"message": message, "portal_url": portal_url(customer)},
    )
    customer.portal_link_emailed_at = utcnow()
    session.add(customer)
    return contact.email


# Where an emailed link lands once the client has signed in: one job, invoice or thread, or a tab.
LANDING_IDS = ("job", "invoice", "thread")
LANDING_TABS = ("invoices",)


def landing_query(query: Mapping[str, str]) -> str:
    """The part of a portal link's query worth keeping through sign-in ("job=12",
    "invoice=3", "tab=invoices"), or "". The page still checks the id is the viewer's own."""
    for name in LANDING_IDS:
        value = query.get(name, "")
        if value.isascii() and value.isdigit() and len(value) <= 12:
            return f"{name}={value}"
    tab = query.get("tab", "")
    return f"tab={tab}" if tab in LANDING_TABS else ""
