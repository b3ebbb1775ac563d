"""The customer's private portal link and the client's email-code sign-in."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, text
from sqlmodel import Session, SQLModel, select

from kontrol_app.models import (
    Customer,
    CustomerContact,
    EmailKind,
    OutboxEmail,
    PortalSession,
    PortalSignInCode,
    SignInTicket,
    utcnow,
)
from kontrol_app.services import customers, portal_auth, portal_links, staff
from kontrol_app.services.customers import CustomerInput
from kontrol_app.services.errors import InvalidInput, NotFound, Throttled
from kontrol_app.settings import get_settings
from tests.factories import make_customer
from tests.helpers.concurrency import all_at_once, while_first_is_open

KEY = re.compile(r"^[a-z2-7]{26}$")

# --- helpers ---------------------------------------------------------------------------------


def customer(session: Session, customer_id: int) -> Customer:
    session.expire_all()
    return session.get(Customer, customer_id)


def link_of(session: Session, customer_id: int) -> str:
    """The `<slug>-<key>` part of the customer's portal URL."""
    return portal_links.portal_path(customer(session, customer_id))[len(portal_links.PORTAL_PREFIX) :]


def code_emails(session: Session, to: str | None = None) -> list[OutboxEmail]:
    query = select(OutboxEmail).where(OutboxEmail.kind == EmailKind.SIGN_IN_CODE)
    if to is not None:
        query = query.where(OutboxEmail.to_email == to)
    return list(session.exec(query.order_by(OutboxEmail.id)).all())


def code_in(email: OutboxEmail) -> str:
    return re.search(r"^(\d{6})$", email.text_body, re.M).group(1)


def request(session: Session, link: str, email: str, ip: str = "") -> None:
    portal_auth.request_code(session, link=link, email=email, ip=ip)
    session.commit()


def request_and_read(session: Session, link: str, email: str, ip: str = "") -> str:
    request(session, link, email, ip)
    return code_in(code_emails(session, email.strip().lower())[-1])


def verify(session: Session, link: str, email: str, code: str) -> str:
    ticket = portal_auth.verify_code(session, link=link, email=email, code=code)
    session.commit()
    return ticket


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def latest_code_row(session: Session, email: str) -> PortalSignInCode:
    session.expire_all()
    return session.exec(
        select(PortalSignInCode).where(PortalSignInCode.email == email).order_by(PortalSignInCode.id.desc())
    ).first()


@pytest.fixture
def shop(session, owner):
    """Two customers: Acme (Ann, plus Ben) and Zeta (Zoe)."""
    acme = make_customer(session, owner, "Acme Apparel", "ann@acme.test", contacts=[("Ben", "ben@acme.test")], contact_name="Ann Smith")
    zeta = make_customer(session, owner, "Zeta Sports", "zoe@zeta.test", contact_name="Zoe")
    return {"owner": owner, "acme": acme, "zeta": zeta, "acme_link": link_of(session, acme), "zeta_link": link_of(session, zeta)}


def all_stored_text(session: Session) -> str:
    """Every value of every column of every table, as one string."""
    parts = []
    for table in SQLModel.metadata.sorted_tables:
        for row in session.execute(sa.select(table)).all():
            parts.extend(str(value) for value in row)
    return "\n".join(parts)


# --- the link --------------------------------------------------------------------------------


def test_link_shape_and_lookup(session, shop, monkeypatch):
    monkeypatch.setenv("KONTROL_PUBLIC_URL", "https://shop.example.test/")
    get_settings.cache_clear()
    url = portal_links.portal_url(customer(session, shop["acme"]))
    match = re.fullmatch(r"https://shop\.example\.test/public/portal/acme-apparel-([a-z2-7]+)", url)
    assert match, url
    key = match.group(1)
    assert KEY.match(key)  # 26 base32 characters = 130 bits
    assert customers.customer_detail(session, shop["owner"], shop["acme"]).portal_url == url
    assert portal_links.customer_for_link(session, shop["acme_link"]).id == shop["acme"]
    assert portal_links.customer_for_link(session, shop["zeta_link"]).id == shop["zeta"]
    assert shop["acme_link"] != shop["zeta_link"]


@pytest.mark.parametrize("link", ["", "acme-apparel", "acme-apparel-" + "a" * 26, "acme-apparel-short", "-" * 30])
def test_unknown_links_find_nothing(session, shop, link):
    assert portal_links.customer_for_link(session, link) is None


def test_keys_are_random_per_customer(session, owner):
    # Same name, different customers: different keys.
    first = make_customer(session, owner, "Same Name", "one@same.test")
    second = make_customer(session, owner, "Same Name", "two@same.test")
    one, two = link_of(session, first), link_of(session, second)
    assert one.startswith("same-name-") and two.startswith("same-name-")
    assert one != two


def test_database_keeps_only_a_hash_and_a_salt(session, shop):
    row = customer(session, shop["acme"])
    key = shop["acme_link"].rsplit("-", 1)[1]
    assert row.portal_key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert row.portal_salt and key not in row.portal_salt
    stored = all_stored_text(session)
    assert key not in stored
    assert key.upper() not in stored.upper()


def test_a_leaked_database_without_the_secret_gives_no_link(session, owner, monkeypatch):
    monkeypatch.setenv("KONTROL_SECRET_KEY", "the-real-secret-" + "x" * 32)
    get_settings.cache_clear()
    customer_id = make_customer(session, owner, "Acme Apparel", "ann@acme.test")
    real_link = link_of(session, customer_id)
    # Someone with a copy of the database but another secret computes a different, dead link.
    monkeypatch.setenv("KONTROL_SECRET_KEY", "an-attackers-guess-" + "y" * 32)
    get_settings.cache_clear()
    guessed = link_of(session, customer_id)
    assert guessed != real_link
    assert portal_links.customer_for_link(session, guessed) is None
    # With the real secret back, the link works again (it never changes by itself).
    monkeypatch.setenv("KONTROL_SECRET_KEY", "the-real-secret-" + "x" * 32)
    get_settings.cache_clear()
    assert link_of(session, customer_id) == real_link
    assert portal_links.customer_for_link(session, real_link).id == customer_id


def test_link_is_stable_until_regenerated(session, shop):
    assert link_of(session, shop["acme"]) == shop["acme_link"]
    customers.update_customer(session, shop["owner"], shop["acme"], CustomerInput(name="Acme Renamed", email="ann@acme.test"))
    session.commit()
    assert portal_links.customer_for_link(session, shop["acme_link"]).id == shop["acme"]


def test_regenerate_kills_the_old_link_sessions_and_codes(session, shop):
    owner, acme, old_link = shop["owner"], shop["acme"], shop["acme_link"]
    ann_token = sign_in(session, old_link, "ann@acme.test")
    ben_token = sign_in(session, old_link, "ben@acme.test")
    zoe_token = sign_in(session, shop["zeta_link"], "zoe@zeta.test")
    pending = request_and_read(session, old_link, "ann@acme.test")
    portal_links.mark_link_copied(session, owner, acme)
    session.commit()

    new_url = portal_links.regenerate_link(session, owner, acme)
    session.commit()
    new_link = link_of(session, acme)
    assert new_url.endswith(new_link) and new_link != old_link
    assert KEY.match(new_link.rsplit("-", 1)[1])
    assert portal_links.customer_for_link(session, old_link) is None
    assert portal_links.customer_for_link(session, new_link).id == acme
    assert customer(session, acme).portal_link_copied_at is None
    # Every session of this customer ends; other customers are untouched.
    assert portal_auth.principal_for_token(session, ann_token) is None
    assert portal_auth.principal_for_token(session, ben_token) is None
    assert portal_auth.principal_for_token(session, zoe_token) is not None
    # The code sent before is void, on the new link as well.
    with pytest.raises(InvalidInput):
        verify(session, new_link, "ann@acme.test", pending)
    with pytest.raises(NotFound):
        verify(session, old_link, "ann@acme.test", pending)
    assert latest_code_row(session, "ann@acme.test").used_at is not None
    # Signing in again on the new link works.
    assert portal_auth.principal_for_token(session, sign_in(session, new_link, "ann@acme.test")).customer_id == acme


def test_ticket_from_before_a_regenerate_opens_nothing(session, shop):
    code = request_and_read(session, shop["acme_link"], "ann@acme.test")
    ticket = verify(session, shop["acme_link"], "ann@acme.test", code)
    portal_links.regenerate_link(session, shop["owner"], shop["acme"])
    session.commit()
    assert portal_auth.redeem_ticket(session, ticket) is None


def test_mark_link_copied(session, shop):
    assert customer(session, shop["acme"]).portal_link_copied_at is None
    portal_links.mark_link_copied(session, shop["owner"], shop["acme"])
    session.commit()
    copied = customer(session, shop["acme"]).portal_link_copied_at
    assert copied is not None and abs(utcnow() - copied) < timedelta(minutes=1)
    with pytest.raises(NotFound):
        portal_links.mark_link_copied(session, shop["owner"], 999_999)


def test_email_link_queues_one_email_to_the_primary_contact(session, shop):
    url = portal_links.portal_url(customer(session, shop["acme"]))
    sent_to = portal_links.email_link(session, shop["owner"], shop["acme"], "Hi Ann,\n\nHere is your portal.")
    session.commit()
    assert sent_to == "ann@acme.test"
    emails = session.exec(select(OutboxEmail)).all()
    assert len(emails) == 1
    email = emails[0]
    assert (email.kind, email.to_email, email.status) == (EmailKind.PORTAL_LINK, "ann@acme.test", "queued")
    assert "Test Print Co." in email.subject
    assert url in email.text_body and url in email.html_body
    assert "Here is your portal." in email.text_body
    assert customer(session, shop["acme"]).portal_link_emailed_at is not None


def test_email_link_is_refused_without_an_email(session, owner):
    customer_id = make_customer(session, owner, "Walk-in Will")
    with pytest.raises(InvalidInput) as raised:
        portal_links.email_link(session, owner, customer_id, "Hello")
    assert "no email" in raised.value.message
    assert session.exec(select(func.count(OutboxEmail.id))).one() == 0


def test_email_link_needs_a_message(session, shop):
    with pytest.raises(InvalidInput):
        portal_links.email_link(session, shop["owner"], shop["acme"], "   ")


def test_intro_message_has_the_link_and_the_staff_name(session, shop):
    message = portal_links.intro_message(session, shop["owner"], shop["acme"])
    assert portal_links.portal_url(customer(session, shop["acme"])) in message
    assert "Olivia Owner" in message
    assert message.startswith("Hey Ann ")


# --- email codes: who gets one ---------------------------------------------------------------


def test_code_is_emailed_to_a_contact_of_this_customer(session, shop):
    request(session, shop["acme_link"], "  Ben@ACME.test ")
    emails = session.exec(select(OutboxEmail)).all()
    assert len(emails) == 1
    email = emails[0]
    assert (email.kind, email.to_email) == (EmailKind.SIGN_IN_CODE, "ben@acme.test")
    assert email.subject == "Your sign-in code for Test Print Co."
    code = code_in(email)
    assert re.fullmatch(r"\d{6}", code)
    assert code in email.html_body


@pytest.mark.parametrize("email", ["stranger@nowhere.test", "zoe@zeta.test"], ids=["unknown", "other-customer"])
def test_no_code_for_unknown_or_other_customers_emails_and_no_error(session, shop, email):
    assert portal_auth.request_code(session, link=shop["acme_link"], email=email) is None
    session.commit()
    assert session.exec(select(func.count(OutboxEmail.id))).one() == 0
    # A row is kept all the same, so throttling looks identical.
    assert latest_code_row(session, email).contact_id is None


def test_request_on_an_unknown_link_is_not_found(session, shop):
    with pytest.raises(NotFound) as raised:
        portal_auth.request_code(session, link="acme-apparel-" + "a" * 26, email="ann@acme.test")
    assert raised.value.message == portal_auth.LINK_NOT_VALID


def test_request_checks_the_email_format(session, shop):
    with pytest.raises(InvalidInput) as raised:
        portal_auth.request_code(session, link=shop["acme_link"], email="not an email")
    assert raised.value.field == "email"


def test_another_customers_contact_cannot_sign_in_on_this_link(session, shop):
    zoe_code = request_and_read(session, shop["zeta_link"], "zoe@zeta.test")
    with pytest.raises(InvalidInput):
        verify(session, shop["acme_link"], "zoe@zeta.test", zoe_code)
    ann_code = request_and_read(session, shop["acme_link"], "ann@acme.test")
    with pytest.raises(InvalidInput):
        verify(session, shop["zeta_link"], "ann@acme.test", ann_code)
    # Both codes still work where they belong.
    assert verify(session, shop["zeta_link"], "zoe@zeta.test", zoe_code)


# --- email codes: life and death -------------------------------------------------------------


def test_code_lives_ten_minutes(session, shop):
    code = request_and_read(session, shop["acme_link"], "ann@acme.test")
    row = latest_code_row(session, "ann@acme.test")
    assert abs((row.expires_at - row.created_at) - timedelta(minutes=10)) < timedelta(seconds=5)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    with pytest.raises(InvalidInput) as raised:
        verify(session, shop["acme_link"], "ann@acme.test", code)
    assert raised.value.message == portal_auth.CODE_NOT_VALID


def test_code_works_once(session, shop):
    code = request_and_read(session, shop["acme_link"], "ann@acme.test")
    assert verify(session, shop["acme_link"], "ann@acme.test", code)
    with pytest.raises(InvalidInput):
        verify(session, shop["acme_link"], "ann@acme.test", code)


def test_code_accepts_spaces_and_email_case(session, shop):
    code = request_and_read(session, shop["acme_link"], "ann@acme.test")
    assert verify(session, shop["acme_link"], " ANN@acme.test ", f"{code[:3]} {code[3:]}")


def test_four_wrong_tries_still_allow_the_right_code(session, shop):
    code = request_and_read(session, shop["acme_link"], "ann@acme.test")
    for _ in range(portal_auth.MAX_WRONG_TRIES - 1):
        with pytest.raises(InvalidInput):
            verify(session, shop["acme_link"], "ann@acme.test", wrong(code))
    assert verify(session, shop["acme_link"], "ann@acme.test", code)


def test_five_wrong_tries_void_the_code(session, shop):
    assert portal_auth.MAX_WRONG_TRIES == 5
    code = request_and_read(session, shop["acme_link"], "ann@acme.test")
    messages = []
    for _ in range(5):
        with pytest.raises(InvalidInput) as raised:
            verify(session, shop["acme_link"], "ann@acme.test", wrong(code))
        messages.append(raised.value.message)
    assert messages[-1] == portal_auth.TOO_MANY_TRIES
    row = latest_code_row(session, "ann@acme.test")
    assert row.failed_attempts == 5 and row.used_at is not None
    with pytest.raises(InvalidInput):
        verify(session, shop["acme_link"], "ann@acme.test", code)


def test_wrong_tries_are_counted_even_though_the_caller_rolls_back(session, shop):
    code = request_and_read(session, shop["acme_link"], "ann@acme.test")
    with pytest.raises(InvalidInput):
        portal_auth.verify_code(session, link=shop["acme_link"], email="ann@acme.test", code=wrong(code))
    session.rollback()
    assert latest_code_row(session, "ann@acme.test").failed_attempts == 1


@pytest.mark.parametrize("email", ["ann@acme.test", "nobody@acme.test"])
def test_what_is_not_six_digits_is_no_try(session, shop, email):
    """An empty Sign in, or a code half typed, is told what to enter and uses up no try (for an
    email on file or not: the same answer)."""
    code = request_and_read(session, shop["acme_link"], "ann@acme.test")
    request(session, shop["acme_link"], "nobody@acme.test")
    for bad in ["", "12345", "1234567", "abcdef", "12 34 5"] * 2:
        with pytest.raises(InvalidInput) as refused:
            verify(session, shop["acme_link"], email, bad)
        assert (refused.value.message, refused.value.field) == (portal_auth.ENTER_THE_CODE, "code")
    assert latest_code_row(session, email).failed_attempts == 0
    assert verify(session, shop["acme_link"], "ann@acme.test", code)


def test_a_newer_code_voids_older_ones(session, shop):
    first = request_and_read(session, shop["acme_link"], "ann@acme.test")
    second = request_and_read(session, shop["acme_link"], "ann@acme.test")
    if first != second:  # one in a million they match
        with pytest.raises(InvalidInput):
            verify(session, shop["acme_link"], "ann@acme.test", first)
    assert verify(session, shop["acme_link"], "ann@acme.test", second)
    unused = session.exec(
        select(func.count(PortalSignInCode.id)).where(PortalSignInCode.email == "ann@acme.test", PortalSignInCode.used_at.is_(None))
    ).one()
    assert unused == 0


def test_codes_are_stored_only_as_keyed_hashes(session, shop, monkeypatch):
    monkeypatch.setenv("KONTROL_SECRET_KEY", "code-secret-" + "s" * 40)
    get_settings.cache_clear()
    code = request_and_read(session, shop["acme_link"], "ann@acme.test")
    row = latest_code_row(session, "ann@acme.test")
    assert re.fullmatch(r"[0-9a-f]{64}", row.code_hash)
    assert row.code_hash != hashlib.sha256(code.encode()).hexdigest()
    # The plain code is only in the email; no column of the codes table holds it.
    values = session.exec(text("SELECT * FROM portal_sign_in_code")).all()
    assert not any(code in str(value) for r in values for value in r)
    # Without the secret the hash is useless: the right code fails under another key...
    monkeypatch.setenv("KONTROL_SECRET_KEY", "another-secret-" + "t" * 40)
    get_settings.cache_clear()
    with pytest.raises(InvalidInput):
        verify(session, shop["acme_link"], "ann@acme.test", code)
    # ...and works again under the secret it was made with.
    monkeypatch.setenv("KONTROL_SECRET_KEY", "code-secret-" + "s" * 40)
    get_settings.cache_clear()
    assert verify(session, shop["acme_link"], "ann@acme.test", code)


# --- throttling ------------------------------------------------------------------------------


def test_three_codes_per_email_per_fifteen_minutes(session, shop):
    assert portal_auth.MAX_CODES_PER_EMAIL == 3
    for _ in range(3):
        request(session, shop["acme_link"], "ann@acme.test")
    with pytest.raises(Throttled) as raised:
        request(session, shop["acme_link"], "ann@acme.test")
    assert raised.value.message == portal_auth.TOO_MANY_CODES
    session.rollback()
    assert len(code_emails(session, "ann@acme.test")) == 3
    # Another address is not held back by Ann's requests.
    request(session, shop["acme_link"], "ben@acme.test")
    # Once the window has passed, codes can be sent again.
    session.execute(sa.update(PortalSignInCode).values(created_at=utcnow() - timedelta(minutes=16)))
    session.commit()
    request(session, shop["acme_link"], "ann@acme.test")
    assert len(code_emails(session, "ann@acme.test")) == 4


@pytest.mark.parametrize("email", ["stranger@nowhere.test", "zoe@zeta.test"], ids=["unknown", "other-customer"])
def test_throttle_is_the_same_for_emails_not_on_file(session, shop, email):
    for _ in range(3):
        request(session, shop["acme_link"], email)
    with pytest.raises(Throttled):
        request(session, shop["acme_link"], email)
    assert session.exec(select(func.count(OutboxEmail.id))).one() == 0


def test_codes_per_address_are_limited(session, shop):
    limit = portal_auth.MAX_CODES_PER_IP
    for i in range(limit):
        request(session, shop["acme_link"], f"person{i}@anywhere.test", ip="203.0.113.7")
    with pytest.raises(Throttled):
        request(session, shop["acme_link"], "ann@acme.test", ip="203.0.113.7")
    session.rollback()
    assert code_emails(session, "ann@acme.test") == []
    # Someone else, elsewhere, is not affected.
    request(session, shop["acme_link"], "ann@acme.test", ip="198.51.100.1")
    assert len(code_emails(session, "ann@acme.test")) == 1


# --- tickets, sessions, sign-out -------------------------------------------------------------


def sign_in(session: Session, link: str, email: str) -> str:
    code = request_and_read(session, link, email)
    ticket = verify(session, link, email, code)
    redeemed = portal_auth.redeem_ticket(session, ticket)
    session.commit()
    assert redeemed is not None
    return redeemed[0]


def test_ticket_is_traded_once_for_a_session(session, shop):
    code = request_and_read(session, shop["acme_link"], "ben@acme.test")
    ticket = verify(session, shop["acme_link"], "ben@acme.test", code)
    assert len(ticket) >= 40
    stored = session.exec(select(SignInTicket)).one()
    assert stored.ticket_hash == hashlib.sha256(ticket.encode()).hexdigest()
    assert stored.staff_user_id is None
    redeemed = portal_auth.redeem_ticket(session, ticket)
    session.commit()
    assert redeemed is not None
    token, path = redeemed
    assert path == "/public/portal/" + shop["acme_link"]
    assert portal_auth.redeem_ticket(session, ticket) is None
    assert portal_auth.redeem_ticket(session, "") is None
    assert portal_auth.redeem_ticket(session, "made-up") is None

    principal = portal_auth.principal_for_token(session, token)
    ben = session.exec(select(CustomerContact).where(CustomerContact.email == "ben@acme.test")).one()
    assert principal == portal_auth.PortalPrincipal(shop["acme"], ben.id, "Ben", "ben@acme.test")
    # The cookie's token is stored only as its hash, and lives 30 days.
    row = session.exec(select(PortalSession)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert abs((row.expires_at - row.created_at) - timedelta(days=30)) < timedelta(seconds=5)
    assert token not in all_stored_text(session)


def test_expired_ticket_is_refused(session, shop):
    code = request_and_read(session, shop["acme_link"], "ann@acme.test")
    ticket = verify(session, shop["acme_link"], "ann@acme.test", code)
    row = session.exec(select(SignInTicket)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    assert portal_auth.redeem_ticket(session, ticket) is None


def test_staff_tickets_do_not_open_the_portal(session, shop):
    ticket = staff.issue_ticket(session, shop["owner"].id)
    session.commit()
    assert portal_auth.redeem_ticket(session, ticket) is None


def test_expired_session_is_refused(session, shop):
    token = sign_in(session, shop["acme_link"], "ann@acme.test")
    row = session.exec(select(PortalSession)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    assert portal_auth.principal_for_token(session, token) is None


def test_sign_out_revokes_only_that_browser(session, shop):
    first = sign_in(session, shop["acme_link"], "ann@acme.test")
    second = sign_in(session, shop["acme_link"], "ann@acme.test")
    portal_auth.sign_out(session, first)
    session.commit()
    assert portal_auth.principal_for_token(session, first) is None
    assert portal_auth.principal_for_token(session, second).email == "ann@acme.test"
    portal_auth.sign_out(session, None)  # harmless
    portal_auth.sign_out(session, "unknown")


def test_unknown_tokens_resolve_to_nobody(session, shop):
    assert portal_auth.principal_for_token(session, None) is None
    assert portal_auth.principal_for_token(session, "") is None
    assert portal_auth.principal_for_token(session, "nope") is None


# --- findings of the security review ---------------------------------------------------------


def test_codes_are_counted_per_link_and_email(session, shop):
    """A client of Zeta cannot use up Ann's codes by sending her email through Zeta's link."""
    for _ in range(portal_auth.MAX_CODES_PER_EMAIL):
        request(session, shop["zeta_link"], "ann@acme.test")
    with pytest.raises(Throttled):
        request(session, shop["zeta_link"], "ann@acme.test")
    session.rollback()
    assert code_emails(session, "ann@acme.test") == []  # Zeta's link never mails Ann
    code = request_and_read(session, shop["acme_link"], "ann@acme.test")
    assert verify(session, shop["acme_link"], "ann@acme.test", code)


@pytest.mark.parametrize("email", ["stranger@nowhere.test", "zoe@zeta.test"], ids=["unknown", "other-customer"])
def test_a_wrong_code_gets_the_same_answers_for_an_email_not_on_file(session, shop, email):
    request(session, shop["acme_link"], "ann@acme.test")
    request(session, shop["acme_link"], email)

    def answers(address: str) -> list[str]:
        messages = []
        for _ in range(portal_auth.MAX_WRONG_TRIES + 1):
            with pytest.raises(InvalidInput) as refused:
                verify(session, shop["acme_link"], address, "123456")
            session.rollback()
            messages.append(refused.value.message)
        return messages

    on_file = answers("ann@acme.test")
    assert on_file[0] == portal_auth.CODE_NOT_RIGHT
    assert answers(email) == on_file
    # Never requested, or expired: the same for both as well.
    assert answers("nobody-asked@nowhere.test") == [portal_auth.CODE_NOT_VALID] * (portal_auth.MAX_WRONG_TRIES + 1)


def test_concurrent_wrong_tries_stay_five(session, shop):
    code = request_and_read(session, shop["acme_link"], "ann@acme.test")
    results = all_at_once(
        12, lambda s: portal_auth.verify_code(s, link=shop["acme_link"], email="ann@acme.test", code=wrong(code))
    )
    messages = [r.message for r in results]
    assert all(isinstance(r, InvalidInput) for r in results)
    # Exactly four "not right" answers; the fifth try voids the code, later ones are refused.
    assert messages.count(portal_auth.CODE_NOT_RIGHT) == portal_auth.MAX_WRONG_TRIES - 1
    row = latest_code_row(session, "ann@acme.test")
    assert row.failed_attempts == portal_auth.MAX_WRONG_TRIES
    assert abs(row.used_at - utcnow()) < timedelta(minutes=1)
    with pytest.raises(InvalidInput):
        verify(session, shop["acme_link"], "ann@acme.test", code)


def test_the_right_code_sent_twice_at_once_gives_one_ticket(session, shop):
    code = request_and_read(session, shop["acme_link"], "ann@acme.test")

    def use(s: Session) -> str:
        return portal_auth.verify_code(s, link=shop["acme_link"], email="ann@acme.test", code=code)

    first, second = while_first_is_open(use, use)
    assert first and isinstance(second, InvalidInput)
    session.expire_all()
    assert len(session.exec(select(SignInTicket)).all()) == 1


def test_concurrent_code_requests_send_three(session, shop):
    results = all_at_once(8, lambda s: portal_auth.request_code(s, link=shop["acme_link"], email="ann@acme.test"))
    assert sum(isinstance(r, Throttled) for r in results) == 8 - portal_auth.MAX_CODES_PER_EMAIL
    assert len(code_emails(session, "ann@acme.test")) == portal_auth.MAX_CODES_PER_EMAIL


def test_a_portal_ticket_redeemed_twice_at_once_opens_one_session(session, shop):
    code = request_and_read(session, shop["acme_link"], "ann@acme.test")
    ticket = verify(session, shop["acme_link"], "ann@acme.test", code)
    first, second = while_first_is_open(
        lambda s: portal_auth.redeem_ticket(s, ticket), lambda s: portal_auth.redeem_ticket(s, ticket)
    )
    assert first and second is None
    session.expire_all()
    assert len(session.exec(select(PortalSession)).all()) == 1
