"""Staff accounts: setting up the shop, passwords, sign-in throttling, tickets, sessions, the team."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import false, func, text, update
from sqlalchemy.sql.util import find_tables
from sqlmodel import Session, select

from kontrol_app import data_version, db
from kontrol_app.models import Shop, SignInAttempt, SignInTicket, StaffRole, StaffSession, StaffUser, utcnow
from kontrol_app.services import staff
from kontrol_app.services.errors import InvalidInput, NotAllowed, Throttled
from kontrol_app.services.tokens import token_hash
from kontrol_app.settings import get_settings
from tests.factories import make_customer, make_owner, make_staff
from tests.helpers.concurrency import while_first_is_open
from tests.helpers.sql import statements

OWNER_EMAIL = "owner@example.com"
OWNER_PASSWORD = "correct horse"
MEMBER_EMAIL = "sam@example.com"
MEMBER_PASSWORD = "battery staple"


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


def test_create_shop_names_every_bad_field_at_once(session):
    with pytest.raises(InvalidInput) as refused:
        staff.create_shop(session, shop_name="", name="", email="maya@", password="short")
    assert list(refused.value.errors) == ["shop_name", "name", "email", "password"]
    session.commit()
    assert not staff.has_staff(session)


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
    failures = session.exec(select(SignInAttempt).where(SignInAttempt.succeeded == false())).all()
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


# --- check_session: a staff click's check, remembered until something is written ----------------


def _click_check(token: str) -> tuple[staff.StaffPrincipal | None, int]:
    with db.read_scope() as fresh:
        return staff.check_session(fresh, token)


def test_a_click_reads_only_the_data_version_while_nothing_is_written(session, owner):
    token = session_token(session, OWNER_EMAIL, OWNER_PASSWORD)
    principal, version = _click_check(token)
    assert principal == owner
    with statements() as sent:
        assert _click_check(token) == (owner, version)
    assert len(sent) == 1 and "data_version" in sent[0]
    assert _click_check("unknown-token")[0] is None


def test_a_remembered_check_outlives_writes_to_anything_but_the_sign_in_tables(session, owner):
    """A busy shop writes all the time (status changes, messages, the outbox): none of it makes
    a click read its session again."""
    token = session_token(session, OWNER_EMAIL, OWNER_PASSWORD)
    principal, version = _click_check(token)
    make_customer(session, owner)
    session.commit()
    with statements() as sent:
        principal_after, version_after = _click_check(token)
    assert principal_after == principal == owner
    assert version_after != version  # the handler still learns that data changed (SEEN)
    assert len(sent) == 1 and "data_version" in sent[0]


def test_the_session_check_reads_only_tables_that_change_the_sign_in_version():
    """A table joined into the check without a sign-in trigger would let a remembered check
    outlive a write that ends the session."""
    read = {table.name for table in find_tables(staff._PRINCIPAL_QUERY, check_columns=True, include_joins=True)}
    assert read == set(data_version.SIGN_IN_TABLES)


def test_a_remembered_check_follows_a_new_name_or_role(session, owner, member):
    token = session_token(session, MEMBER_EMAIL, MEMBER_PASSWORD)
    assert _click_check(token)[0] == member
    row = session.get(StaffUser, member.id)
    row.name, row.role = "Jordan Lee-Park", "owner"
    session.commit()
    assert _click_check(token)[0] == staff.StaffPrincipal(member.id, "Jordan Lee-Park", member.email, "owner")


def _sign_out(session, owner, member, token):
    staff.sign_out(session, token)


def _deactivate(session, owner, member, token):
    session.get(StaffUser, member.id).is_active = False


def _revoke(session, owner, member, token):
    staff.revoke_sessions(session, owner, member.id)


def _expire(session, owner, member, token):
    row = session.exec(select(StaffSession).where(StaffSession.token_hash == token_hash(token))).one()
    row.expires_at = utcnow() - timedelta(seconds=1)


@pytest.mark.parametrize("end", [_sign_out, _deactivate, _revoke, _expire])
def test_a_remembered_check_ends_with_the_session(session, owner, member, end):
    token = session_token(session, MEMBER_EMAIL, MEMBER_PASSWORD)
    assert _click_check(token)[0] == member
    end(session, owner, member, token)
    session.commit()
    assert _click_check(token)[0] is None


def test_a_remembered_check_ends_when_the_session_runs_out(session, owner, monkeypatch):
    token = session_token(session, OWNER_EMAIL, OWNER_PASSWORD)
    assert _click_check(token)[0] == owner
    later = utcnow() + staff.SESSION_LIFETIME + timedelta(seconds=1)
    monkeypatch.setattr(staff, "utcnow", lambda: later)  # nothing written: only the clock moved
    assert _click_check(token)[0] is None


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


def test_add_staff_names_every_wrong_box_at_once(session, owner, member):
    with pytest.raises(InvalidInput) as refused:
        staff.add_staff(session, owner, name=" ", email=f" {MEMBER_EMAIL.upper()} ", password="short")
    assert list(refused.value.errors) == ["name", "email", "password"]
    assert refused.value.errors["email"] == "Someone on the team already uses this email."
    with pytest.raises(InvalidInput) as refused:
        staff.add_staff(session, owner, name="Eve", email="not an email", password="short")
    assert list(refused.value.errors) == ["email", "password"]


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


# --- deactivating, reactivating, passwords------------------------------------------


def test_owner_deactivates_a_member_who_is_signed_out_everywhere_and_refused_like_a_wrong_password(session, owner, member):
    tokens = [session_token(session, MEMBER_EMAIL, MEMBER_PASSWORD) for _ in range(2)]
    pending_ticket = staff.sign_in(session, email=MEMBER_EMAIL, password=MEMBER_PASSWORD)
    session.commit()

    changed = staff.deactivate_staff(session, owner, member.id)
    session.commit()

    assert changed.is_active is False
    assert all(staff.principal_for_token(session, token) is None for token in tokens)
    assert staff.redeem_ticket(session, pending_ticket) is None  # a ticket issued just before is void
    session.commit()
    with pytest.raises(InvalidInput) as right_password:
        staff.sign_in(session, email=MEMBER_EMAIL, password=MEMBER_PASSWORD)
    session.commit()
    with pytest.raises(InvalidInput) as wrong_password:
        staff.sign_in(session, email=OWNER_EMAIL, password="not the password")
    session.commit()
    assert right_password.value.message == wrong_password.value.message == staff.WRONG_CREDENTIALS
    assert right_password.value.field == wrong_password.value.field
    assert [p.is_active for p in staff.list_team(session, owner)] == [True, False]


def test_reactivated_member_signs_in_again_but_old_sessions_stay_ended(session, owner, member):
    old = session_token(session, MEMBER_EMAIL, MEMBER_PASSWORD)
    staff.deactivate_staff(session, owner, member.id)
    session.commit()
    assert staff.reactivate_staff(session, owner, member.id).is_active is True
    session.commit()
    assert staff.principal_for_token(session, old) is None
    assert staff.principal_for_token(session, session_token(session, MEMBER_EMAIL, MEMBER_PASSWORD)) == member


@pytest.mark.parametrize("action", ["deactivate", "reactivate", "reset"])
def test_only_the_owner_manages_accounts_and_not_their_own_here(session, owner, member, action):
    other = staff.add_staff(session, owner, name="Kim", email="kim@example.com", password="password123")
    session.commit()
    calls = {
        "deactivate": lambda actor, target: staff.deactivate_staff(session, actor, target),
        "reactivate": lambda actor, target: staff.reactivate_staff(session, actor, target),
        "reset": lambda actor, target: staff.reset_password(session, actor, target, new_password="new password 1"),
    }
    with pytest.raises(NotAllowed) as refused:
        calls[action](member, other.id)
    assert refused.value.message.startswith("Only the shop owner can")
    with pytest.raises(NotAllowed):
        calls[action](owner, owner.id)  # the owner never locks themselves out
    session.rollback()
    user = session.get(StaffUser, other.id)
    assert user.is_active and PasswordHasher().verify(user.password_hash, "password123")


def test_owner_resets_a_members_password_and_their_sessions_end(session, owner, member):
    token = session_token(session, MEMBER_EMAIL, MEMBER_PASSWORD)
    with pytest.raises(InvalidInput) as short:
        staff.reset_password(session, owner, member.id, new_password="short")
    assert short.value.field == "password"
    staff.reset_password(session, owner, member.id, new_password="a brand new one")
    session.commit()
    assert staff.principal_for_token(session, token) is None
    with pytest.raises(InvalidInput):
        staff.sign_in(session, email=MEMBER_EMAIL, password=MEMBER_PASSWORD)
    session.commit()
    assert session_token(session, MEMBER_EMAIL, "a brand new one")


def test_changing_your_own_password_needs_the_current_one_and_ends_your_other_sessions(session, owner, member):
    here = session_token(session, MEMBER_EMAIL, MEMBER_PASSWORD)
    elsewhere = session_token(session, MEMBER_EMAIL, MEMBER_PASSWORD)
    owner_token = session_token(session, OWNER_EMAIL, OWNER_PASSWORD)

    with pytest.raises(InvalidInput) as wrong:
        staff.change_password(session, member, current_password="guess", new_password="a brand new one", current_token=here)
    assert wrong.value.field == "current_password"
    with pytest.raises(InvalidInput) as short:
        staff.change_password(session, member, current_password=MEMBER_PASSWORD, new_password="short", current_token=here)
    assert short.value.field == "new_password"
    session.rollback()
    assert staff.principal_for_token(session, elsewhere) == member  # refused changes end nothing

    ended = staff.change_password(
        session, member, current_password=MEMBER_PASSWORD, new_password="a brand new one", current_token=here
    )
    session.commit()
    assert ended == 1
    assert staff.principal_for_token(session, here) == member  # this browser stays signed in
    assert staff.principal_for_token(session, elsewhere) is None
    assert staff.principal_for_token(session, owner_token) == owner  # nobody else is touched
    with pytest.raises(InvalidInput):
        staff.sign_in(session, email=MEMBER_EMAIL, password=MEMBER_PASSWORD)
    session.commit()
    assert session_token(session, MEMBER_EMAIL, "a brand new one")


def test_services_have_one_owner_check():
    """Owner-only rules go through permissions.require_owner, never an inline role test."""
    from pathlib import Path

    services = Path(staff.__file__).parent
    inline = [
        f"{path.name}:{number}"
        for path in sorted(services.glob("*.py"))
        if path.name != "permissions.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if ".is_owner" in line
    ]
    assert inline == []


# --- device cookies: strangers cannot lock the owner out of a browser they signed in on -------


def stranger_fails(session: Session, email: str, times: int) -> None:
    for _ in range(times):  # wrong passwords, then refused unchecked
        with pytest.raises((InvalidInput, Throttled)):
            staff.sign_in(session, email=email, password="wrong password", ip="198.51.100.66")


def test_strangers_failures_do_not_lock_out_a_known_browser(session, owner):
    device = staff.remember_device(None, OWNER_EMAIL)  # set by /api/staff/session after a sign-in
    stranger_fails(session, OWNER_EMAIL, staff.MAX_FAILURES_PER_EMAIL + 3)
    # Unknown browsers stay throttled for this email, even with the right password...
    with pytest.raises(Throttled):
        staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD, ip="203.0.113.9")
    with pytest.raises(Throttled):
        staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD, device="bogus-cookie")
    # ...but the owner's own browser signs in.
    assert staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD, ip="203.0.113.9", device=device)


def test_a_known_browser_has_its_own_small_limit(session, owner):
    device = staff.remember_device(None, OWNER_EMAIL)
    for _ in range(staff.MAX_FAILURES_PER_DEVICE):
        with pytest.raises(InvalidInput):
            staff.sign_in(session, email=OWNER_EMAIL, password="wrong password", device=device)
    with pytest.raises(Throttled):
        staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD, device=device)
    # Its failures are its own: the email's limit for other browsers is untouched.
    assert staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD)
    # A second known browser of the owner is not held back either.
    assert staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD, device=staff.remember_device(None, OWNER_EMAIL))


def test_a_device_cookie_counts_only_for_the_people_who_signed_in_on_it(session, owner, member, monkeypatch):
    members_browser = staff.remember_device(None, MEMBER_EMAIL)
    stranger_fails(session, OWNER_EMAIL, staff.MAX_FAILURES_PER_EMAIL)
    with pytest.raises(Throttled):
        staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD, device=members_browser)
    # Once the owner has signed in on that (shared) browser, its cookie covers both of them.
    shared = staff.remember_device(members_browser, OWNER_EMAIL)
    assert shared.split(".")[0] == members_browser.split(".")[0]
    assert staff.trusted_device(shared, OWNER_EMAIL) == staff.trusted_device(shared, MEMBER_EMAIL) != ""
    assert staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD, device=shared)


@pytest.mark.parametrize(
    "cookie",
    ["", "x" * 32, "x" * 32 + "." + "0" * 32, "short.abc", "." * 10, "x" * 32 + ".abc" * 40],
)
def test_forged_device_cookies_are_unknown_browsers(session, owner, cookie):
    assert staff.trusted_device(cookie, OWNER_EMAIL) == ""
    stranger_fails(session, OWNER_EMAIL, staff.MAX_FAILURES_PER_EMAIL)
    with pytest.raises(Throttled):
        staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD, device=cookie)


def test_device_cookies_are_signed_with_the_secret(session, owner, monkeypatch):
    monkeypatch.setenv("KONTROL_SECRET_KEY", "an-attackers-guess-" + "y" * 32)
    get_settings.cache_clear()
    forged = staff.remember_device(None, OWNER_EMAIL)
    monkeypatch.setenv("KONTROL_SECRET_KEY", "the-real-secret-" + "x" * 32)
    get_settings.cache_clear()
    assert staff.trusted_device(forged, OWNER_EMAIL) == ""
    assert staff.trusted_device(staff.remember_device(None, OWNER_EMAIL), OWNER_EMAIL) != ""


def test_only_a_hash_of_the_device_is_stored(session, owner):
    device = staff.remember_device(None, OWNER_EMAIL)
    nonce = device.split(".")[0]
    with pytest.raises(InvalidInput):
        staff.sign_in(session, email=OWNER_EMAIL, password="wrong password", device=device)
    staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD, device=device)
    session.commit()
    attempts = session.exec(select(SignInAttempt).order_by(SignInAttempt.id)).all()
    assert [a.device for a in attempts] == [token_hash(nonce)] * 2
    stored = " ".join(str(v) for a in attempts for v in a.model_dump().values())
    assert nonce not in stored and device not in stored


def test_a_device_cookie_remembers_a_few_people_at_most(session, owner):
    cookie = None
    emails = [f"person{i}@example.com" for i in range(staff.MAX_DEVICE_PEOPLE + 2)]
    for email in emails:
        cookie = staff.remember_device(cookie, email)
    assert len(cookie.split(".")) == staff.MAX_DEVICE_PEOPLE + 1
    assert staff.trusted_device(cookie, emails[-1]) and staff.trusted_device(cookie, emails[2])
    assert staff.trusted_device(cookie, emails[0]) == ""  # the oldest make room
    # Signing in again does not grow it.
    assert staff.remember_device(cookie, emails[-1]).split(".")[1:] == cookie.split(".")[1:]


# --- races: one conditional UPDATE or a unique row, not read-then-write ------------------------


def test_a_ticket_redeemed_twice_at_once_opens_one_session(session, owner):
    ticket = staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD)
    session.commit()
    first, second = while_first_is_open(
        lambda s: staff.redeem_ticket(s, ticket), lambda s: staff.redeem_ticket(s, ticket)
    )
    assert first and second is None
    session.expire_all()
    assert len(session.exec(select(StaffSession)).all()) == 1


def test_two_setups_at_once_make_one_owner(session):
    def setup(email: str):
        return lambda s: staff.create_shop(s, shop_name="Shop", name="Someone", email=email, password="long enough pw")

    first, second = while_first_is_open(setup("first@example.com"), setup("second@example.com"))
    assert first.email == "first@example.com"
    assert isinstance(second, NotAllowed)
    session.expire_all()
    assert [u.email for u in session.exec(select(StaffUser)).all()] == ["first@example.com"]
    assert len(session.exec(select(Shop)).all()) == 1


def test_shop_and_staff_names_keep_to_one_line(session):
    with pytest.raises(InvalidInput) as shop_name:
        staff.create_shop(session, shop_name="Ink\r\nBcc: x@example.com", name="Olivia", email=OWNER_EMAIL, password=OWNER_PASSWORD)
    assert shop_name.value.field == "shop_name" and "one line" in shop_name.value.message
    session.rollback()
    owner = make_owner(session, email=OWNER_EMAIL, password=OWNER_PASSWORD)
    with pytest.raises(InvalidInput) as name:
        staff.add_staff(session, owner, name="Sam\nStaff", email=MEMBER_EMAIL, password=MEMBER_PASSWORD)
    assert name.value.field == "name"


def test_an_empty_sign_in_says_what_to_fill_in_and_is_no_try(session, owner):
    for email, password, errors in [
        ("", "", {"email": "Enter your email.", "password": "Enter your password."}),
        ("  ", "x", {"email": "Enter your email."}),
        (OWNER_EMAIL, "", {"password": "Enter your password."}),
    ]:
        with pytest.raises(InvalidInput) as refused:
            staff.sign_in(session, email=email, password=password, ip="203.0.113.7")
        assert refused.value.errors == errors
    session.commit()
    assert session.exec(select(func.count()).select_from(SignInAttempt)).one() == 0


# --- a forgotten owner password: set from the server's console ------------------------------


def test_set_password_from_the_console_lets_a_locked_out_owner_back_in(session, owner, monkeypatch, capsys):
    import io

    from kontrol_app import manage

    token = session_token(session, "owner@example.com", OWNER_PASSWORD)
    monkeypatch.setattr("sys.stdin", io.StringIO("a brand new passphrase\n"))  # piped: one line
    assert manage.main(["set-password", " Owner@Example.com "]) == 0
    assert "can sign in with the new password" in capsys.readouterr().out
    session.expire_all()
    assert staff.principal_for_token(session, token) is None  # every earlier sign-in ended
    fail_sign_in(session, "owner@example.com")  # the old password no longer works
    assert session_token(session, "owner@example.com", "a brand new passphrase")

    for email, line, message in (("nobody@example.com", "long enough pw\n", staff.NO_SUCH_STAFF), ("owner@example.com", "short\n", "Use at least")):
        monkeypatch.setattr("sys.stdin", io.StringIO(line))
        assert manage.main(["set-password", email]) == 1
        assert message in capsys.readouterr().err
    assert session_token(session, "owner@example.com", "a brand new passphrase")  # unchanged by the refusals
