"""Client sign-in to the portal: emailed 6-digit codes, then a 30-day browser session."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from kontrol_app.models import (
    Customer,
    CustomerContact,
    EmailKind,
    PortalSession,
    PortalSignInCode,
    SignInTicket,
    utcnow,
)
from kontrol_app.services import outbox
from kontrol_app.services.emails import EmailMessage
from kontrol_app.services.errors import InvalidInput, NotFound, Throttled
from kontrol_app.services.portal_links import customer_for_link, portal_path, portal_url
from kontrol_app.services.shop import shop_info
from kontrol_app.services.tokens import new_token, token_hash
from kontrol_app.services.validation import clean_email
from kontrol_app.settings import get_settings

CODE_LIFETIME = timedelta(minutes=10)
MAX_WRONG_TRIES = 5
CODE_WINDOW = timedelta(minutes=15)
MAX_CODES_PER_EMAIL = 3
MAX_CODES_PER_IP = 10
SESSION_LIFETIME = timedelta(days=30)
TICKET_LIFETIME = timedelta(seconds=60)

LINK_NOT_VALID = "This link is not valid — ask your shop for a new one"
CODE_NOT_VALID = "That code is not valid or has expired. Request a new code."
TOO_MANY_TRIES = "Too many wrong tries. Request a new code."
TOO_MANY_CODES = "Too many codes were requested. Wait 15 minutes, then try again."


@dataclass(frozen=True)
class PortalPrincipal:
    """A signed-in client: a contact of one customer."""

    customer_id: int
    contact_id: int
    name: str
    email: str


def _code_hash(code_id: int, code: str) -> str:
    key = get_settings().secret().encode()
    return hmac.new(key, f"portal-code:{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _link_customer(session: Session, link: str) -> Customer:
    customer = customer_for_link(session, link)
    if customer is None:
        raise NotFound(LINK_NOT_VALID)
    return customer


def request_code(session: Session, *, link: str, email: str, ip: str = "") -> None:
    """Email a code when `email` belongs to a contact of this link's customer.

    The caller answers the same way either way; a row is recorded either way,
    so the throttle is the same for known and unknown emails.
    """
    customer = _link_customer(session, link)
    email = clean_email(email)
    since = utcnow() - CODE_WINDOW
    recent_for_email = session.exec(
        select(func.count(PortalSignInCode.id)).where(PortalSignInCode.email == email, PortalSignInCode.created_at >= since)
    ).one()
    recent_for_ip = session.exec(
        select(func.count(PortalSignInCode.id)).where(PortalSignInCode.ip == ip, PortalSignInCode.created_at >= since)
    ).one() if ip else 0
    if recent_for_email >= MAX_CODES_PER_EMAIL or recent_for_ip >= MAX_CODES_PER_IP:
        raise Throttled(TOO_MANY_CODES, "email")
    contact = session.exec(
        select(CustomerContact).where(CustomerContact.customer_id == customer.id, CustomerContact.email == email)
    ).first()
    # Older codes for this email stop working: only the newest one counts.
    for older in session.exec(
        select(PortalSignInCode).where(
            PortalSignInCode.customer_id == customer.id, PortalSignInCode.email == email, PortalSignInCode.used_at == None  # noqa: E711
        )
    ).all():
        older.used_at = utcnow()
    row = PortalSignInCode(
        customer_id=customer.id,
        contact_id=contact.id if contact else None,
        email=email,
        ip=ip[:64],
        expires_at=utcnow() + CODE_LIFETIME,
    )
    session.add(row)
    session.flush()
    if contact is None:
        return
    code = f"{secrets.randbelow(1_000_000):06d}"
    row.code_hash = _code_hash(row.id, code)
    shop = shop_info(session)
    shop_name = shop.name if shop else "your shop"
    outbox.queue_email(
        session,
        kind=EmailKind.SIGN_IN_CODE,
        to=email,
        message=EmailMessage(
            subject=f"Your sign-in code for {shop_name}",
            heading="Your sign-in code",
            paragraphs=[f"Enter this code on the {shop_name} portal to sign in. It works once, for 10 minutes."],
            code=code,
            button_label="Open your portal",
            button_url=portal_url(customer),
        ),
    )


def verify_code(session: Session, *, link: str, email: str, code: str) -> str:
    """Check a code; returns a one-time ticket to trade for the portal session cookie."""
    customer = _link_customer(session, link)
    email = (email or "").strip().lower()
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    row = session.exec(
        select(PortalSignInCode)
        .where(
            PortalSignInCode.customer_id == customer.id,
            PortalSignInCode.email == email,
            PortalSignInCode.used_at == None,  # noqa: E711
        )
        .order_by(PortalSignInCode.id.desc())
    ).first()
    now = utcnow()
    if row is None or row.contact_id is None or row.expires_at < now:
        raise InvalidInput(CODE_NOT_VALID, "code")
    if len(code) != 6 or not hmac.compare_digest(row.code_hash, _code_hash(row.id, code)):
        row.failed_attempts += 1
        voided = row.failed_attempts >= MAX_WRONG_TRIES
        if voided:
            row.used_at = now
        session.add(row)
        session.commit()  # the count must survive the error below
        raise InvalidInput(TOO_MANY_TRIES if voided else "That code is not right. Check the email and try again.", "code")
    row.used_at = now
    ticket = new_token()
    session.add(SignInTicket(ticket_hash=token_hash(ticket), portal_contact_id=row.contact_id, expires_at=now + TICKET_LIFETIME))
    return ticket


def redeem_ticket(session: Session, ticket: str) -> tuple[str, str] | None:
    """Trade a ticket (once) for a portal session: (cookie token, the portal's path)."""
    row = session.exec(select(SignInTicket).where(SignInTicket.ticket_hash == token_hash(ticket or ""))).first()
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at < now or row.portal_contact_id is None:
        return None
    row.used_at = now
    contact = session.get(CustomerContact, row.portal_contact_id)
    if contact is None:
        return None
    customer = session.get(Customer, contact.customer_id)
    token = new_token()
    session.add(
        PortalSession(
            customer_id=contact.customer_id,
            contact_id=contact.id,
            token_hash=token_hash(token),
            expires_at=now + SESSION_LIFETIME,
        )
    )
    return token, portal_path(customer)


def principal_for_token(session: Session, token: str | None) -> PortalPrincipal | None:
    if not token:
        return None
    row = session.exec(
        select(PortalSession, CustomerContact)
        .join(CustomerContact, CustomerContact.id == PortalSession.contact_id)
        .where(PortalSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    portal_session, contact = row
    if portal_session.revoked_at is not None or portal_session.expires_at < utcnow() or contact.email is None:
        return None
    return PortalPrincipal(portal_session.customer_id, contact.id, contact.name, contact.email)


def sign_out(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.exec(select(PortalSession).where(PortalSession.token_hash == token_hash(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def _revoke(session: Session, *conditions) -> None:  # noqa: ANN002
    now = utcnow()
    for row in session.exec(select(PortalSession).where(PortalSession.revoked_at == None, *conditions)).all():  # noqa: E711
        row.revoked_at = now


def revoke_customer_sessions(session: Session, customer_id: int) -> None:
    _revoke(session, PortalSession.customer_id == customer_id)


def revoke_contact_sessions(session: Session, contact_id: int) -> None:
    _revoke(session, PortalSession.contact_id == contact_id)


def end_contact_access(session: Session, contact_id: int) -> None:
    """A contact's address changed: sign it out everywhere and void its unused codes and tickets
    (a code sent to the old address must not open the portal for the new one)."""
    now = utcnow()
    revoke_contact_sessions(session, contact_id)
    for code in session.exec(
        select(PortalSignInCode).where(PortalSignInCode.contact_id == contact_id, PortalSignInCode.used_at == None)  # noqa: E711
    ).all():
        code.used_at = now
    for ticket in session.exec(
        select(SignInTicket).where(SignInTicket.portal_contact_id == contact_id, SignInTicket.used_at == None)  # noqa: E711
    ).all():
        ticket.used_at = now


def forget_contact(session: Session, contact_id: int) -> None:
    """Before a contact row is deleted: end its access and let go of every row pointing at it.
    Its sessions go; its codes stay, unlinked, so the send throttle still counts them."""
    end_contact_access(session, contact_id)
    for row in session.exec(select(PortalSession).where(PortalSession.contact_id == contact_id)).all():
        session.delete(row)
    for code in session.exec(select(PortalSignInCode).where(PortalSignInCode.contact_id == contact_id)).all():
        code.contact_id = None
    for ticket in session.exec(select(SignInTicket).where(SignInTicket.portal_contact_id == contact_id)).all():
        ticket.portal_contact_id = None
    session.flush()
