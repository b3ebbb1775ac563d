"""Client sign-in to the portal: emailed 6-digit codes, then a 30-day browser session."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, update
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
from kontrol_app.services.errors import InvalidInput, Throttled, found
from kontrol_app.services.portal_links import customer_for_link, portal_path, portal_url
from kontrol_app.services.tokens import claim_ticket, new_token, token_hash
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
# The same answer whether or not the email is on file.
CODE_NOT_RIGHT = "That code is not right. Check the email and try again."
ENTER_THE_CODE = "Enter the 6-digit code from the email."
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
    return found(customer_for_link(session, link), LINK_NOT_VALID)


def _one_request_at_a_time(session: Session, customer_id: int) -> None:
    """Count-then-insert must not race: this write, which changes nothing, holds the customer's
    row lock (PostgreSQL) or the database's write lock (SQLite) until the transaction ends,
    so a concurrent request for the same link counts after this one has committed."""
    session.exec(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(portal_salt=Customer.portal_salt)
        .execution_options(synchronize_session=False)
    )


def request_code(session: Session, *, link: str, email: str, ip: str = "") -> None:
    """Email a code when `email` belongs to a contact of this link's customer.

    The caller answers the same way either way; a row is recorded either way,
    so the throttle is the same for known and unknown emails.
    """
    customer = _link_customer(session, link)
    email = clean_email(email)
    _one_request_at_a_time(session, customer.id)
    since = utcnow() - CODE_WINDOW
    # Counted per (link, email): sending B's email through A's link must not use up B's codes.
    recent_for_email = session.exec(
        select(func.count(PortalSignInCode.id)).where(
            PortalSignInCode.customer_id == customer.id,
            PortalSignInCode.email == email,
            PortalSignInCode.created_at >= since,
        )
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
            PortalSignInCode.customer_id == customer.id, PortalSignInCode.email == email, PortalSignInCode.used_at.is_(None)
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
    outbox.queue_email(
        session,
        kind=EmailKind.SIGN_IN_CODE,
        to=email,
        data={"code": code, "portal_url": portal_url(customer)},
    )


def claim_code(session: Session, model: type, row: Any, right: bool, *, field: str, now: datetime) -> None:
    """Spend an emailed 6-digit code's row (`model`: PortalSignInCode or ContactEmailChange,
    both with id, used_at, failed_attempts). A wrong code counts a try in the UPDATE itself
    (so concurrent tries can't add up to more than five; the fifth voids it), commits the count
    and raises; the right one is claimed once (a concurrent claim loses with "not valid")."""
    live = (model.id == row.id, model.used_at.is_(None), model.failed_attempts < MAX_WRONG_TRIES)
    if not right:
        voided_now = literal(now, model.__table__.c.used_at.type)
        tries = session.exec(
            update(model)
            .where(*live)
            .values(
                failed_attempts=model.failed_attempts + 1,
                used_at=case((model.failed_attempts + 1 >= MAX_WRONG_TRIES, voided_now), else_=None),
            )
            .returning(model.failed_attempts)
            .execution_options(synchronize_session=False)
        ).first()
        session.expire(row)
        session.commit()  # the count must survive the error below
        voided = tries is None or tries[0] >= MAX_WRONG_TRIES
        raise InvalidInput(TOO_MANY_TRIES if voided else CODE_NOT_RIGHT, field)
    used = session.exec(update(model).where(*live).values(used_at=now).execution_options(synchronize_session=False)).rowcount
    session.expire(row)
    if used != 1:
        raise InvalidInput(CODE_NOT_VALID, field)


def verify_code(session: Session, *, link: str, email: str, code: str) -> str:
    """Check a code; returns a one-time ticket to trade for the portal session cookie."""
    customer = _link_customer(session, link)
    email = (email or "").strip().lower()
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:  # not a guess at all: no try is used up
        raise InvalidInput(ENTER_THE_CODE, "code")
    row = session.exec(
        select(PortalSignInCode)
        .where(
            PortalSignInCode.customer_id == customer.id,
            PortalSignInCode.email == email,
            PortalSignInCode.used_at.is_(None),
        )
        .order_by(PortalSignInCode.id.desc())
    ).first()
    now = utcnow()
    if row is None or row.expires_at < now:
        raise InvalidInput(CODE_NOT_VALID, "code")
    # An email not on file has a row without a code: it is answered and counted like a wrong code.
    right = hmac.compare_digest(row.code_hash, _code_hash(row.id, code)) and row.contact_id is not None
    claim_code(session, PortalSignInCode, row, right, field="code", now=now)
    ticket = new_token()
    session.add(SignInTicket(ticket_hash=token_hash(ticket), portal_contact_id=row.contact_id, expires_at=now + TICKET_LIFETIME))
    return ticket


def redeem_ticket(session: Session, ticket: str) -> tuple[str, str] | None:
    """Trade a ticket (once) for a portal session: (cookie token, the portal's path)."""
    contact_id = claim_ticket(session, ticket, SignInTicket.portal_contact_id)
    if contact_id is None:
        return None
    now = utcnow()
    contact = session.get(CustomerContact, contact_id)
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


def _revoke(session: Session, *conditions) -> None:
    now = utcnow()
    for row in session.exec(select(PortalSession).where(PortalSession.revoked_at.is_(None), *conditions)).all():
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
        select(PortalSignInCode).where(PortalSignInCode.contact_id == contact_id, PortalSignInCode.used_at.is_(None))
    ).all():
        code.used_at = now
    for ticket in session.exec(
        select(SignInTicket).where(SignInTicket.portal_contact_id == contact_id, SignInTicket.used_at.is_(None))
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
