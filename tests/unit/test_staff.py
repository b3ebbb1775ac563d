"""Staff accounts: setting up the shop, passwords, sign-in throttling, tickets, sessions, the team."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text, update
from sqlmodel import Session, select

from kontrol_app.models import Shop, SignInAttempt, SignInTicket, StaffRole, StaffSession, StaffUser, utcnow
from kontrol_app.services import staff
from kontrol_app.services.errors import InvalidInput, NotAllowed, Throttled
from kontrol_app.services.tokens import token_hash
from tests.factories import make_owner, make_staff

OWNER_EMAIL = "owner@example.com"
OWNER_PASSWORD = "correct horse"
MEMBER_EMAIL = "sam@example.com"
MEMBER_PASSWORD = "battery staple"


@pytest.fixture
def owner(session: Session) -> staff.StaffPrincipal:
    return make_owner(session, email=OWNER_EMAIL, password=OWNER_PASSWORD)


@pytest.fixture
def member(session: Session, owner: staff.StaffPrincipal) -> staff.StaffPrincipal:
    return make_staff(session, owner, email=MEMBER_EMAIL, password=MEMBER_PASSWORD)


def session_token(session: Session, email: str, password: str, ip: str = "") -> str:
    """Sign in and trade the ticket, as the browser does; returns the cookie's token."""
    ticket = staff.sign_in(session, email=email, password=password, ip=ip)
    session.commit()
    token = staff.redeem_ticket(session, ticket)
    session.commit()
    assert token
    return token


def fail_sign_in(session: Session, email: str, ip: str = "") -> None:
    with pytest.raises(InvalidInput) as refused:
        staff.sign_in(session, email=email, password="wrong password", ip=ip)
    assert refused.value.message == staff.WRONG_CREDENTIALS


# --- create_shop -------------------------------------------------------------------------------


def test_create_shop_makes_the_owner_and_the_shop(session):
    assert not staff.has_staff(session)
    principal = staff.create_shop(
        session, shop_name="  Test Print Co. ", name=" Olivia Owner ", email=" Owner@Example.COM ", password=OWNER_PASSWORD
    )
    session.commit()
    assert principal.is_owner
    assert (principal.name, principal.email, principal.role) == ("Olivia Owner", OWNER_EMAIL, StaffRole.OWNER)
    shops = session.exec(select(Shop)).all()
    assert [(shop.name, shop.email) for shop in shops] == [("Test Print Co.", OWNER_EMAIL)]
    users = session.exec(select(StaffUser)).all()
    assert [(user.id, user.email, user.role, user.is_active) for user in users] == [
        (principal.id, OWNER_EMAIL, StaffRole.OWNER, True)
    ]
    assert staff.has_staff(session)


def test_create_shop_refuses_a_second_time(session, owner):
    with pytest.raises(NotAllowed):
        staff.create_shop(
            session, shop_name="Another Shop", name="Mallory", email="mallory@example.com", password="takeover123"
        )
    session.commit()
    assert len(session.exec(select(Shop)).all()) == 1
    assert session.exec(select(StaffUser.email)).all() == [OWNER_EMAIL]


GOOD_SHOP = {"shop_name": "Test Print Co.", "name": "Olivia Owner", "email": OWNER_EMAIL, "password": OWNER_PASSWORD}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"shop_name": "   "}, "shop_name"),
        ({"shop_name": "x" * 121}, "shop_name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"email": ""}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "two@at@example.com"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": ""}, "password"),
        ({"password": "x" * 257}, "password"),
    ],
)
def test_create_shop_validation_names_the_field(session, changes, field):
    with pytest.raises(InvalidInput) as refused:
        staff.create_shop(session, **{**GOOD_SHOP, **changes})
    assert refused.value.field == field
    assert refused.value.message
    session.commit()
    assert not staff.has_staff(session)
    assert session.exec(select(Shop)).first() is None


# --- passwords ---------------------------------------------------------------------------------


def test_passwords_are_stored_as_argon2id_hashes(session, owner, member):
    for email, password in ((OWNER_EMAIL, OWNER_PASSWORD), (MEMBER_EMAIL, MEMBER_PASSWORD)):
        stored = session.exec(select(StaffUser.password_hash).where(StaffUser.email == email)).one()
        assert stored.startswith("$argon2id$")
        assert password not in stored
        assert PasswordHasher().verify(stored, password)
    # The clear text appears nowhere in the table.
    rows = session.execute(text("SELECT * FROM staff_user")).all()
    assert not any(OWNER_PASSWORD in str(value) or MEMBER_PASSWORD in str(value) for row in rows for value in row)


# --- sign_in -----------------------------------------------------------------------------------


def test_sign_in_with_the_right_password_gives_a_ticket_for_a_session(session, owner):
    ticket = staff.sign_in(session, email=" OWNER@example.com ", password=OWNER_PASSWORD, ip="10.0.0.1")
    session.commit()
    token = staff.redeem_ticket(session, ticket, ip="10.0.0.1", user_agent="pytest")
    session.commit()
    assert staff.principal_for_token(session, token) == owner
    attempt = session.exec(select(SignInAttempt)).one()
    assert (attempt.email, attempt.ip, attempt.succeeded) == (OWNER_EMAIL, "10.0.0.1", True)


def test_wrong_password_and_unknown_email_get_the_same_answer(session, owner):
    with pytest.raises(InvalidInput) as wrong_password:
        staff.sign_in(session, email=OWNER_EMAIL, password="not the password")
    with pytest.raises(InvalidInput) as unknown_email:
        staff.sign_in(session, email="nobody@example.com", password=OWNER_PASSWORD)
    assert wrong_password.value.message == unknown_email.value.message == staff.WRONG_CREDENTIALS
    assert wrong_password.value.field == unknown_email.value.field == "password"
    assert type(wrong_password.value) is type(unknown_email.value)
    # Both failures were recorded (they count toward the throttle).
    failures = session.exec(select(SignInAttempt).where(SignInAttempt.succeeded == False)).all()  # noqa: E712
    assert sorted(attempt.email for attempt in failures) == ["nobody@example.com", OWNER_EMAIL]


def test_deactivated_staff_cannot_sign_in(session, owner, member):
    user = session.get(StaffUser, member.id)
    user.is_active = False
    session.commit()
    with pytest.raises(InvalidInput) as refused:
        staff.sign_in(session, email=MEMBER_EMAIL, password=MEMBER_PASSWORD)
    assert refused.value.message == staff.WRONG_CREDENTIALS


def test_sixth_attempt_after_five_failures_is_throttled_even_with_the_right_password(session, owner):
    for number in range(staff.MAX_FAILURES_PER_EMAIL):
        fail_sign_in(session, OWNER_EMAIL, ip=f"10.0.0.{number}")
    with pytest.raises(Throttled) as throttled:
        staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD, ip="10.9.9.9")
    assert throttled.value.message == staff.TOO_MANY_ATTEMPTS
    assert throttled.value.field == "password"
    # The email is what counts, however it is typed.
    with pytest.raises(Throttled):
        staff.sign_in(session, email=" Owner@Example.com", password=OWNER_PASSWORD)
    # Other people are not affected.
    staff.add_staff(session, owner, name="Sam Staff", email=MEMBER_EMAIL, password=MEMBER_PASSWORD)
    session.commit()
    assert staff.sign_in(session, email=MEMBER_EMAIL, password=MEMBER_PASSWORD)


def test_four_failures_do_not_lock_the_account(session, owner):
    for _ in range(staff.MAX_FAILURES_PER_EMAIL - 1):
        fail_sign_in(session, OWNER_EMAIL)
    assert staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD)


def test_email_throttle_ends_after_the_window(session, owner):
    for _ in range(staff.MAX_FAILURES_PER_EMAIL):
        fail_sign_in(session, OWNER_EMAIL)
    with pytest.raises(Throttled):
        staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD)
    long_ago = utcnow() - staff.THROTTLE_WINDOW - timedelta(minutes=1)
    session.exec(update(SignInAttempt).values(created_at=long_ago))
    session.commit()
    assert staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD)


def test_one_address_guessing_many_emails_is_throttled(session, owner):
    for number in range(staff.MAX_FAILURES_PER_IP):
        fail_sign_in(session, f"guess{number}@example.com", ip="203.0.113.7")
    with pytest.raises(Throttled) as throttled:
        staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD, ip="203.0.113.7")
    assert throttled.value.message == staff.TOO_MANY_ATTEMPTS
    # The owner, from their own address, still gets in.
    assert staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD, ip="198.51.100.2")


def test_unknown_address_is_not_throttled_as_one_address(session, owner):
    """Callers that cannot tell the address pass "": those failures must not lock everyone out."""
    for number in range(staff.MAX_FAILURES_PER_IP):
        fail_sign_in(session, f"guess{number}@example.com", ip="")
    assert staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD, ip="")


# --- tickets -----------------------------------------------------------------------------------


def test_ticket_is_redeemed_once_only(session, owner):
    ticket = staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD)
    session.commit()
    token = staff.redeem_ticket(session, ticket)
    session.commit()
    assert token
    assert staff.redeem_ticket(session, ticket) is None
    session.commit()
    assert len(session.exec(select(StaffSession)).all()) == 1
    assert session.exec(select(SignInTicket)).one().used_at is not None


def test_expired_ticket_is_refused(session, owner):
    ticket = staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD)
    session.commit()
    row = session.exec(select(SignInTicket)).one()
    assert row.expires_at - utcnow() <= staff.TICKET_LIFETIME
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert staff.redeem_ticket(session, ticket) is None
    assert session.exec(select(StaffSession)).first() is None


@pytest.mark.parametrize("ticket", ["", "not-a-ticket", None])
def test_bogus_ticket_is_refused(session, owner, ticket):
    assert staff.redeem_ticket(session, ticket) is None


# --- principal_for_token ------------------------------------------------------------------------


def test_valid_token_gives_the_principal(session, owner, member):
    token = session_token(session, MEMBER_EMAIL, MEMBER_PASSWORD)
    principal = staff.principal_for_token(session, token)
    assert principal == member
    assert not principal.is_owner


@pytest.mark.parametrize("token", [None, "", "unknown-token"])
def test_unknown_token_gives_nobody(session, owner, token):
    session_token(session, OWNER_EMAIL, OWNER_PASSWORD)
    assert staff.principal_for_token(session, token) is None


def test_signed_out_token_gives_nobody(session, owner):
    token = session_token(session, OWNER_EMAIL, OWNER_PASSWORD)
    other = session_token(session, OWNER_EMAIL, OWNER_PASSWORD)
    staff.sign_out(session, token)
    session.commit()
    assert staff.principal_for_token(session, token) is None
    assert staff.principal_for_token(session, other) == owner  # only that browser
    staff.sign_out(session, token)  # twice is harmless
    staff.sign_out(session, None)


def test_expired_session_gives_nobody(session, owner):
    token = session_token(session, OWNER_EMAIL, OWNER_PASSWORD)
    row = session.exec(select(StaffSession).where(StaffSession.token_hash == token_hash(token))).one()
    assert row.expires_at - utcnow() > staff.SESSION_LIFETIME - timedelta(minutes=1)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert staff.principal_for_token(session, token) is None


def test_deactivated_user_session_gives_nobody(session, owner, member):
    token = session_token(session, MEMBER_EMAIL, MEMBER_PASSWORD)
    assert staff.principal_for_token(session, token) == member
    session.get(StaffUser, member.id).is_active = False
    session.commit()
    assert staff.principal_for_token(session, token) is None


# --- revoke_sessions ---------------------------------------------------------------------------


def test_owner_can_sign_anyone_out_everywhere(session, owner, member):
    member_tokens = [session_token(session, MEMBER_EMAIL, MEMBER_PASSWORD) for _ in range(2)]
    owner_token = session_token(session, OWNER_EMAIL, OWNER_PASSWORD)
    assert staff.revoke_sessions(session, owner, member.id) == 2
    session.commit()
    assert all(staff.principal_for_token(session, token) is None for token in member_tokens)
    assert staff.principal_for_token(session, owner_token) == owner
    assert staff.revoke_sessions(session, owner, member.id) == 0  # nothing left to revoke


def test_staff_can_sign_only_themselves_out(session, owner, member):
    owner_token = session_token(session, OWNER_EMAIL, OWNER_PASSWORD)
    member_token = session_token(session, MEMBER_EMAIL, MEMBER_PASSWORD)
    with pytest.raises(NotAllowed):
        staff.revoke_sessions(session, member, owner.id)
    session.commit()
    assert staff.principal_for_token(session, owner_token) == owner
    assert staff.revoke_sessions(session, member, member.id) == 1
    session.commit()
    assert staff.principal_for_token(session, member_token) is None
    assert staff.principal_for_token(session, owner_token) == owner


# --- the team ----------------------------------------------------------------------------------


def test_owner_adds_staff(session, owner):
    added = staff.add_staff(session, owner, name=" Sam Staff ", email=" Sam@Example.com ", password=MEMBER_PASSWORD)
    session.commit()
    assert (added.name, added.email, added.role, added.is_active) == ("Sam Staff", MEMBER_EMAIL, StaffRole.STAFF, True)
    team = staff.list_team(session, owner)
    assert [(person.email, person.role) for person in team] == [(OWNER_EMAIL, "owner"), (MEMBER_EMAIL, "staff")]
    assert session_token(session, MEMBER_EMAIL, MEMBER_PASSWORD)


def test_only_the_owner_adds_staff(session, owner, member):
    with pytest.raises(NotAllowed):
        staff.add_staff(session, member, name="Eve", email="eve@example.com", password="password123")
    session.commit()
    assert session.exec(select(StaffUser).where(StaffUser.email == "eve@example.com")).first() is None


@pytest.mark.parametrize("email", [OWNER_EMAIL, " OWNER@Example.com ", MEMBER_EMAIL])
def test_add_staff_refuses_an_email_already_on_the_team(session, owner, member, email):
    with pytest.raises(InvalidInput) as refused:
        staff.add_staff(session, owner, name="Twin", email=email, password="password123")
    assert refused.value.field == "email"
    session.commit()
    assert len(session.exec(select(StaffUser)).all()) == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"name": ""}, "name"), ({"email": "nope"}, "email"), ({"email": ""}, "email"), ({"password": "1234567"}, "password")],
)
def test_add_staff_validation_names_the_field(session, owner, changes, field):
    with pytest.raises(InvalidInput) as refused:
        staff.add_staff(session, owner, **{"name": "Sam", "email": MEMBER_EMAIL, "password": MEMBER_PASSWORD, **changes})
    assert refused.value.field == field
    session.commit()
    assert len(session.exec(select(StaffUser)).all()) == 1


# --- what the database keeps -------------------------------------------------------------------


def test_only_hashes_of_tickets_and_tokens_are_stored(session, owner):
    ticket = staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD)
    session.commit()
    ticket_row = session.exec(select(SignInTicket)).one()
    assert ticket_row.ticket_hash == token_hash(ticket) != ticket
    token = staff.redeem_ticket(session, ticket, ip="10.0.0.1", user_agent="pytest")
    session.commit()
    session_row = session.exec(select(StaffSession)).one()
    assert session_row.token_hash == token_hash(token) != token
    assert len(ticket) >= 40 and len(token) >= 40  # 256 random bits
    for table in ("sign_in_ticket", "staff_session"):
        for row in session.execute(text(f"SELECT * FROM {table}")).all():
            for value in row:
                assert ticket not in str(value) and token not in str(value), table
