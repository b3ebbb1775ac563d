"""Staff accounts: creating the shop, signing in and out, sessions, the team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlmodel import Session, select

from kontrol_app.models import (
    Shop,
    SignInAttempt,
    SignInTicket,
    StaffRole,
    StaffSession,
    StaffUser,
    utcnow,
)
from kontrol_app.services.errors import InvalidInput, NotAllowed, Throttled
from kontrol_app.services.tokens import new_token, token_hash
from kontrol_app.services.validation import clean_email, clean_text

SESSION_LIFETIME = timedelta(days=14)
TICKET_LIFETIME = timedelta(seconds=60)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_IP = 20
MIN_PASSWORD_LENGTH = 8

WRONG_CREDENTIALS = "Email or password is incorrect."
TOO_MANY_ATTEMPTS = "Too many sign-in attempts. Wait 15 minutes, then try again."

_hasher = PasswordHasher()  # argon2id, memory-hard
# Checked against when the email is unknown, so both answers take as long.
_DUMMY_HASH = _hasher.hash("kontrol-no-such-user")


@dataclass(frozen=True)
class StaffPrincipal:
    """Who is acting, as services need to know it."""

    id: int
    name: str
    email: str
    role: str

    @property
    def is_owner(self) -> bool:
        return self.role == StaffRole.OWNER


def _principal(user: StaffUser) -> StaffPrincipal:
    return StaffPrincipal(id=user.id, name=user.name, email=user.email, role=user.role)


def has_staff(session: Session) -> bool:
    return session.exec(select(StaffUser.id).limit(1)).first() is not None


def _clean_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Use at least {MIN_PASSWORD_LENGTH} characters.", "password")
    if len(password) > 256:
        raise InvalidInput("Use at most 256 characters.", "password")
    return password


def create_shop(
    session: Session, *, shop_name: str, name: str, email: str, password: str
) -> StaffPrincipal:
    """The first person creates the shop and becomes its owner."""
    if has_staff(session):
        raise NotAllowed("This shop is already set up. Sign in instead.")
    shop_name = clean_text(shop_name, field="shop_name", label="your shop's name", max_length=120, required=True)
    name = clean_text(name, field="name", label="your name", max_length=120, required=True)
    email = clean_email(email)
    password = _clean_password(password)
    session.add(Shop(name=shop_name, email=email))
    user = StaffUser(email=email, name=name, password_hash=_hasher.hash(password), role=StaffRole.OWNER)
    session.add(user)
    session.flush()
    return _principal(user)


def _recent_failures(session: Session, column, value: str) -> int:  # noqa: ANN001
    since = utcnow() - THROTTLE_WINDOW
    return session.exec(
        select(func.count(SignInAttempt.id)).where(
            column == value, SignInAttempt.succeeded == False, SignInAttempt.created_at >= since  # noqa: E712
        )
    ).one()


def sign_in(session: Session, *, email: str, password: str, ip: str = "") -> str:
    """Check the password; return a one-time ticket to trade for a session cookie.

    The answer for a wrong password and for an unknown email is the same, and
    repeated failures per email and per address are refused for a while.
    """
    email = (email or "").strip().lower()
    if not email or not password:
        raise InvalidInput(WRONG_CREDENTIALS, "password")
    if (
        _recent_failures(session, SignInAttempt.email, email) >= MAX_FAILURES_PER_EMAIL
        or (ip and _recent_failures(session, SignInAttempt.ip, ip) >= MAX_FAILURES_PER_IP)
    ):
        raise Throttled(TOO_MANY_ATTEMPTS, "password")
    user = session.exec(select(StaffUser).where(StaffUser.email == email)).first()
    ok = False
    try:
        ok = _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    ok = ok and user is not None and user.is_active
    session.add(SignInAttempt(email=email[:254], ip=ip[:64], succeeded=ok))
    if not ok:
        # Recorded even though the caller's transaction is about to report an error.
        session.commit()
        raise InvalidInput(WRONG_CREDENTIALS, "password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return issue_ticket(session, user.id)


def issue_ticket(session: Session, staff_user_id: int) -> str:
    ticket = new_token()
    session.add(
        SignInTicket(
            ticket_hash=token_hash(ticket),
            staff_user_id=staff_user_id,
            expires_at=utcnow() + TICKET_LIFETIME,
        )
    )
    return ticket


def redeem_ticket(session: Session, ticket: str, *, ip: str = "", user_agent: str = "") -> str | None:
    """Trade a sign-in ticket (once) for a new session; return the session token."""
    row = session.exec(select(SignInTicket).where(SignInTicket.ticket_hash == token_hash(ticket or ""))).first()
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at < now or row.staff_user_id is None:
        return None
    row.used_at = now
    token = new_token()
    session.add(
        StaffSession(
            staff_user_id=row.staff_user_id,
            token_hash=token_hash(token),
            expires_at=now + SESSION_LIFETIME,
            ip=ip[:64],
            user_agent=user_agent[:300],
        )
    )
    return token


def principal_for_token(session: Session, token: str | None) -> StaffPrincipal | None:
    """The staff member a session cookie belongs to, or None when it is not valid now."""
    if not token:
        return None
    row = session.exec(
        select(StaffSession, StaffUser)
        .join(StaffUser, StaffUser.id == StaffSession.staff_user_id)
        .where(StaffSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    staff_session, user = row
    now = utcnow()
    if staff_session.revoked_at is not None or staff_session.expires_at < now or not user.is_active:
        return None
    return _principal(user)


def sign_out(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.exec(select(StaffSession).where(StaffSession.token_hash == token_hash(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def revoke_sessions(session: Session, actor: StaffPrincipal, staff_user_id: int) -> int:
    """Sign a person out on every device (the owner for anyone, anyone for themselves)."""
    if not actor.is_owner and actor.id != staff_user_id:
        raise NotAllowed("Only the owner can sign other people out.")
    rows = session.exec(
        select(StaffSession).where(StaffSession.staff_user_id == staff_user_id, StaffSession.revoked_at == None)  # noqa: E711
    ).all()
    now = utcnow()
    for row in rows:
        row.revoked_at = now
    return len(rows)


@dataclass(frozen=True)
class TeamMember:
    id: int
    name: str
    email: str
    role: str
    is_active: bool


def list_team(session: Session, actor: StaffPrincipal) -> list[TeamMember]:
    users = session.exec(select(StaffUser).order_by(StaffUser.id)).all()
    return [TeamMember(u.id, u.name, u.email, u.role, u.is_active) for u in users]


def add_staff(session: Session, actor: StaffPrincipal, *, name: str, email: str, password: str) -> TeamMember:
    if not actor.is_owner:
        raise NotAllowed("Only the shop owner can add staff.")
    name = clean_text(name, field="name", label="a name", max_length=120, required=True)
    email = clean_email(email)
    password = _clean_password(password)
    if session.exec(select(StaffUser.id).where(StaffUser.email == email)).first() is not None:
        raise InvalidInput("Someone on the team already uses this email.", "email")
    user = StaffUser(email=email, name=name, password_hash=_hasher.hash(password), role=StaffRole.STAFF)
    session.add(user)
    session.flush()
    return TeamMember(user.id, user.name, user.email, user.role, user.is_active)
