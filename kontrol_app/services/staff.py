"""Staff accounts: creating the shop, signing in and out, sessions, the team."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, false, func, true
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from kontrol_app import data_version
from kontrol_app.db import compiled_once
from kontrol_app.models import (
    Shop,
    SignInAttempt,
    SignInTicket,
    StaffRole,
    StaffSession,
    StaffUser,
    utcnow,
)
from kontrol_app.services.errors import Checks, InvalidInput, NotAllowed, Throttled, find
from kontrol_app.services.permissions import require_owner
from kontrol_app.services.tokens import claim_ticket, new_token, token_hash
from kontrol_app.services.validation import clean_email, clean_text
from kontrol_app.settings import get_settings

SESSION_LIFETIME = timedelta(days=14)
TICKET_LIFETIME = timedelta(seconds=60)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_IP = 20
# A browser that signed in before (OWASP "device cookies") has its own small limit, so
# strangers guessing at a public email cannot lock the real person out of their browser.
MAX_FAILURES_PER_DEVICE = 5
DEVICE_LIFETIME = timedelta(days=365)
MAX_DEVICE_PEOPLE = 5  # a shared shop computer remembers this many people
MIN_PASSWORD_LENGTH = 8
# The shop is one row with this id: of two "Create your shop" racing, the second's insert fails.
SHOP_ID = 1

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
    checks = Checks()  # say all that is wrong at once
    shop_name = checks(clean_text, shop_name, field="shop_name", label="your shop's name", max_length=120, required=True)
    name = checks(clean_text, name, field="name", label="your name", max_length=120, required=True)
    email = checks(clean_email, email)
    password = checks(_clean_password, password)
    checks.done()
    session.add(Shop(id=SHOP_ID, name=shop_name, email=email))
    user = StaffUser(email=email, name=name, password_hash=_hasher.hash(password), role=StaffRole.OWNER)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        # Another setup committed first (the has_staff check above could not see it yet).
        session.rollback()
        raise NotAllowed("This shop is already set up. Sign in instead.") from None
    return _principal(user)


def _recent_failures(session: Session, *conditions) -> int:
    since = utcnow() - THROTTLE_WINDOW
    return session.exec(
        select(func.count(SignInAttempt.id)).where(
            *conditions, SignInAttempt.succeeded == false(), SignInAttempt.created_at >= since
        )
    ).one()


# --- device cookies: "<nonce>.<signature>.<signature>..." -----------------------------------
# The nonce names the browser; each signature is HMAC(secret, email, nonce) for one person who
# signed in on it. The cookie holds no email, and only the server can make a signature.


def _device_signature(nonce: str, email: str) -> str:
    key = get_settings().secret().encode()
    return hmac.new(key, f"staff-device:{email}:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def _device_parts(cookie: str | None) -> tuple[str, list[str]]:
    nonce, *signatures = (cookie or "").split(".")
    if not (20 <= len(nonce) <= 64) or len(signatures) > MAX_DEVICE_PEOPLE:
        return "", []
    return nonce, signatures


def trusted_device(cookie: str | None, email: str) -> str:
    """The id this browser is counted under when its device cookie is valid for `email`
    (a hash of the nonce, which is all the database keeps); "" for an unknown browser."""
    nonce, signatures = _device_parts(cookie)
    if not nonce:
        return ""
    expected = _device_signature(nonce, email)
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        return ""
    return token_hash(nonce)


def remember_device(cookie: str | None, email: str) -> str:
    """The device cookie to set after `email` signed in on this browser (keeps the others)."""
    nonce, signatures = _device_parts(cookie)
    if not nonce:
        nonce, signatures = new_token()[:32], []
    mine = _device_signature(nonce, email)
    signatures = [s for s in signatures if s != mine][-(MAX_DEVICE_PEOPLE - 1) :] + [mine]
    return ".".join([nonce, *signatures])


def sign_in(session: Session, *, email: str, password: str, ip: str = "", device: str | None = None) -> str:
    """Check the password; return a one-time ticket to trade for a session cookie.

    The answer for a wrong password and for an unknown email is the same, and
    repeated failures are refused for a while: per browser when `device` (the device
    cookie) is valid for this email, else per email and per address.
    """
    email = (email or "").strip().lower()
    checks = Checks()  # an empty box is not a try: it says what to fill in, and counts nothing
    if not email:
        checks.refuse("Enter your email.", "email")
    if not password:
        checks.refuse("Enter your password.", "password")
    checks.done()
    device_id = trusted_device(device, email)
    if device_id:
        throttled = (
            _recent_failures(session, SignInAttempt.device == device_id, SignInAttempt.email == email)
            >= MAX_FAILURES_PER_DEVICE
        )
    else:
        throttled = _recent_failures(
            session, SignInAttempt.email == email, SignInAttempt.device == ""
        ) >= MAX_FAILURES_PER_EMAIL or bool(
            ip and _recent_failures(session, SignInAttempt.ip == ip) >= MAX_FAILURES_PER_IP
        )
    if throttled:
        raise Throttled(TOO_MANY_ATTEMPTS, "password")
    user = session.exec(select(StaffUser).where(StaffUser.email == email)).first()
    ok = False
    try:
        ok = _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    ok = ok and user is not None and user.is_active
    session.add(SignInAttempt(email=email[:254], ip=ip[:64], device=device_id, succeeded=ok))
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
    staff_user_id = claim_ticket(session, ticket, SignInTicket.staff_user_id)
    if staff_user_id is None:
        return None
    now = utcnow()
    token = new_token()
    session.add(
        StaffSession(
            staff_user_id=staff_user_id,
            token_hash=token_hash(token),
            expires_at=now + SESSION_LIFETIME,
            ip=ip[:64],
            user_agent=user_agent[:300],
        )
    )
    session.flush()  # in the database for this transaction's reads, Core ones too
    return token


# Built once (Core, no ORM objects): every staff click checks its session with it.
_PRINCIPAL_QUERY = compiled_once(
    sa_select(StaffUser.id, StaffUser.name, StaffUser.email, StaffUser.role, StaffSession.expires_at)
    .join(StaffSession, StaffSession.staff_user_id == StaffUser.id)
    .where(
        StaffSession.token_hash == bindparam("token_hash"),
        StaffSession.revoked_at.is_(None),
        StaffSession.expires_at >= bindparam("now"),
        StaffUser.is_active == true(),
    )
)


def principal_for_token(session: Session, token: str | None) -> StaffPrincipal | None:
    """The staff member a session cookie belongs to, or None when it is not valid now: one
    indexed read, so every staff click may run it (it only reads)."""
    if not token:
        return None
    row = _principal_row(session, token_hash(token), utcnow())
    return StaffPrincipal(*row[:4]) if row is not None else None


def _principal_row(session: Session, key: str, now: datetime):
    """(id, name, email, role, expires_at) of a valid session's staff member, or None."""
    return session.connection().execute(_PRINCIPAL_QUERY, {"token_hash": key, "now": now}).first()


# A staff click's session check, remembered per worker by token hash at the sign-in version it
# was read at (the same `Remembered` the portal's re-checks and the staff pages' reads use).
# Whatever could end a session or change whose it is (signing out, revoking, deactivating the
# person, a new name or role) is a write to staff_session or staff_user, which changes the
# sign-in version (data_version.SIGN_IN_TABLES); only the clock is checked by hand. No age
# limit: nothing else moves what a check found.
_CHECKED = data_version.Remembered(size=10_000, seconds=float("inf"))


def remembered_session(token: str | None, sign_in_version: int) -> StaffPrincipal | None:
    """Whose session this is, from this worker's memory, if it was checked at `sign_in_version`
    (the one now: no sign-in changed since) and has not expired; else None (read it)."""
    known = _CHECKED.get(token_hash(token), sign_in_version) if token else None
    if known is not None:
        principal, expires_at = known.result
        if utcnow() <= expires_at:
            return principal
    return None


def check_session(session: Session, token: str | None) -> tuple[StaffPrincipal | None, int]:
    """`principal_for_token` for a staff click, and the data version it was checked at (for
    the handler: `data_version.SEEN`). Reads only the versions when no sign-in changed since
    this worker last checked this cookie. For a fresh read-only session: on PostgreSQL its own
    uncommitted writes would not have changed the versions yet."""
    versions = data_version.versions(session.connection())
    if not token:
        return None, versions.data
    known = remembered_session(token, versions.sign_in)
    if known is not None:
        return known, versions.data
    key = token_hash(token)
    row = _principal_row(session, key, utcnow())
    if row is None:  # ended: what this worker remembers of it is expired or of another version
        return None, versions.data
    principal = StaffPrincipal(*row[:4])
    _CHECKED.put(key, versions.sign_in, (principal, row.expires_at))
    return principal, versions.data


def sign_out(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.exec(select(StaffSession).where(StaffSession.token_hash == token_hash(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def revoke_sessions(session: Session, actor: StaffPrincipal, staff_user_id: int) -> int:
    """Sign a person out on every device (the owner for anyone, anyone for themselves)."""
    if actor.id != staff_user_id:
        require_owner(actor, "sign other people out")
    rows = session.exec(
        select(StaffSession).where(StaffSession.staff_user_id == staff_user_id, StaffSession.revoked_at.is_(None))
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
    require_owner(actor, "add staff")
    checks = Checks()  # say all that is wrong at once
    name = checks(clean_text, name, field="name", label="a name", max_length=120, required=True)
    email = checks(clean_email, email)
    if email and session.exec(select(StaffUser.id).where(StaffUser.email == email)).first() is not None:
        checks.refuse("Someone on the team already uses this email.", "email")
    password = checks(_clean_password, password)
    checks.done()
    user = StaffUser(email=email, name=name, password_hash=_hasher.hash(password), role=StaffRole.STAFF)
    session.add(user)
    session.flush()
    return TeamMember(user.id, user.name, user.email, user.role, user.is_active)


# --- team accounts: deactivate, reactivate, passwords ------------------------------------


def _end_sessions(session: Session, staff_user_id: int, *, keep_token: str | None = None) -> int:
    """Revoke every live session of a person (except `keep_token`'s) and void unused tickets."""
    now = utcnow()
    keep = token_hash(keep_token) if keep_token else None
    rows = session.exec(
        select(StaffSession).where(StaffSession.staff_user_id == staff_user_id, StaffSession.revoked_at.is_(None))
    ).all()
    ended = 0
    for row in rows:
        if row.token_hash != keep:
            row.revoked_at = now
            ended += 1
    # A ticket issued just before the change must not open a fresh session afterwards.
    for ticket in session.exec(
        select(SignInTicket).where(SignInTicket.staff_user_id == staff_user_id, SignInTicket.used_at.is_(None))
    ).all():
        ticket.used_at = now
    return ended


def _member(session: Session, actor: StaffPrincipal, staff_user_id: int, action: str) -> StaffUser:
    """Another team member the owner acts on (never the owner themselves)."""
    require_owner(actor, action)
    user = find(session, StaffUser, staff_user_id, "That person is not on the team.")
    if user.id == actor.id or user.role == StaffRole.OWNER:
        raise NotAllowed("The owner's own account cannot be changed here.")
    return user


def _member_row(user: StaffUser) -> TeamMember:
    return TeamMember(user.id, user.name, user.email, user.role, user.is_active)


def deactivate_staff(session: Session, actor: StaffPrincipal, staff_user_id: int) -> TeamMember:
    """Owner only: the member is signed out everywhere and can no longer sign in
    (sign-in answers exactly as for a wrong password)."""
    user = _member(session, actor, staff_user_id, "deactivate staff")
    user.is_active = False
    session.add(user)
    _end_sessions(session, user.id)
    session.flush()
    return _member_row(user)


def reactivate_staff(session: Session, actor: StaffPrincipal, staff_user_id: int) -> TeamMember:
    """Owner only: the member may sign in again (old sessions stay ended)."""
    user = _member(session, actor, staff_user_id, "reactivate staff")
    user.is_active = True
    session.add(user)
    session.flush()
    return _member_row(user)


def reset_password(session: Session, actor: StaffPrincipal, staff_user_id: int, *, new_password: str) -> TeamMember:
    """Owner only: set a member's password to one the owner typed; the member's sessions end."""
    user = _member(session, actor, staff_user_id, "reset passwords")
    user.password_hash = _hasher.hash(_clean_password(new_password))
    session.add(user)
    _end_sessions(session, user.id)
    session.flush()
    return _member_row(user)


NO_SUCH_STAFF = "No one on the team signs in with that email."


def set_password_from_console(session: Session, email: str, new_password: str) -> str:
    """`python -m kontrol_app.manage set-password EMAIL`: whoever runs the server sets a team
    member's password (an owner who forgot theirs has no one to reset it). Their sessions end
    and a deactivated account stays deactivated. Returns the member's name."""
    email = clean_email(email)
    user = session.exec(select(StaffUser).where(StaffUser.email == email)).first()
    if user is None:
        raise InvalidInput(NO_SUCH_STAFF, "email")
    user.password_hash = _hasher.hash(_clean_password(new_password))
    session.add(user)
    _end_sessions(session, user.id)
    session.flush()
    return user.name


def change_password(
    session: Session, actor: StaffPrincipal, *, current_password: str, new_password: str, current_token: str | None
) -> int:
    """Anyone, for themselves: needs the current password. Every other session of theirs
    ends; the one making the change (`current_token`, the caller's cookie) stays signed in.
    Returns how many other sessions ended."""
    user = session.get(StaffUser, actor.id)
    if user is None or not user.is_active:
        raise NotAllowed("Your account is not active.")
    try:
        ok = _hasher.verify(user.password_hash, current_password or "")
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        raise InvalidInput("Your current password is not right.", "current_password")
    try:
        new_password = _clean_password(new_password)
    except InvalidInput as error:
        raise InvalidInput(error.message, "new_password") from None
    user.password_hash = _hasher.hash(new_password)
    session.add(user)
    ended = _end_sessions(session, user.id, keep_token=current_token)
    session.flush()
    return ended
