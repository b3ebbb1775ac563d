"""The email outbox: queued with its cause, delivered through the real Resend SDK to a local
fake over HTTP, retried with the same idempotency key, failed when it must, never lost."""

from __future__ import annotations

import email.policy
import email.utils
import os
import signal
import subprocess
import sys
import unicodedata
from datetime import datetime, timedelta
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session, func, select

from kontrol_app import db
from kontrol_app.models import Customer, EmailKind, EmailStatus, OutboxEmail, Shop, StoredFile, utcnow
from kontrol_app.services import files, portal_auth
from kontrol_app.services.errors import InvalidInput, NotAllowed
from kontrol_app.services.outbox import (
    ATTACHMENT_KIND,
    BODY_REMOVED,
    MASK,
    MAX_ATTEMPTS,
    SUBJECT_MAX,
    MailboxTransport,
    ResendTransport,
    clean_subject,
    deliver_due,
    deliver_one,
    get_email,
    list_outbox,
    purge_sign_in_codes,
    queue_email,
    retry_email,
    transport_for,
)
from kontrol_app.settings import get_settings
from tests.factories import make_customer, make_owner, make_staff
from tests.fakes.resend_server import (
    API_KEY,
    FakeResend,
    hang,
    rate_limited,
    server_error,
    slow,
    validation_error,
)

ROOT = Path(__file__).resolve().parents[2]
SHOP_NAME = "Ink & Thread Co."
SHOP_EMAIL = "hello@inkthread.example"
SHOP_FROM = email.utils.formataddr((SHOP_NAME, SHOP_EMAIL))
CUSTOMER = "sam@customer.example"


@pytest.fixture(autouse=True)
def plain_settings(database, monkeypatch):
    """No sender address or provider from the outside."""
    for variable in ("KONTROL_MAIL_FROM", "RESEND_API_URL"):
        monkeypatch.delenv(variable, raising=False)
    get_settings.cache_clear()


@pytest.fixture
def shop(session: Session) -> Shop:
    row = Shop(name=SHOP_NAME, email=SHOP_EMAIL, phone="555-0100", address="1 Press Lane\nSpringfield")
    session.add(row)
    session.commit()
    return row


def status_email(subject: str) -> dict[str, str]:
    """The data of a job-status email (the one kind whose subject comes from its data)."""
    return {
        "subject": subject,
        "body": "Please have a look and approve it.",
        "job_url": "http://127.0.0.1:3000/portal/jobs/1",
        "job_title": "Spring League T-Shirts",
        "status": "Awaiting Approval",
    }


def queue(session: Session, to: str = CUSTOMER, subject: str = "Your proof is ready") -> OutboxEmail:
    """Queue an email and commit it (the cause's transaction)."""
    row = queue_email(session, kind="job_status", to=to, data=status_email(subject))
    session.commit()
    return row


def resend_transport(fake: FakeResend, timeout: float = 5) -> ResendTransport:
    return ResendTransport(API_KEY, fake.url, timeout=timeout)


def fetch(email_id: int) -> OutboxEmail:
    """The row as the database has it now (a fresh session, nothing cached)."""
    with Session(db.get_engine()) as session:
        return session.get(OutboxEmail, email_id)


def make_due(email_id: int) -> None:
    """Time passes: the email's next try is due now."""
    with db.session_scope() as session:
        session.exec(
            update(OutboxEmail).where(OutboxEmail.id == email_id).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


def seconds_until(moment: datetime) -> float:
    return (moment - utcnow()).total_seconds()


# --- delivery --------------------------------------------------------------------------------


def test_delivered_with_everything_resend_needs(shop, session, fake_resend):
    row = queue(session)

    assert deliver_due(resend_transport(fake_resend)) == 1

    sent = fetch(row.id)
    assert sent.status == EmailStatus.SENT
    assert sent.delivered_via == "resend"
    assert sent.provider_message_id == fake_resend.delivered_id(row.idempotency_key)
    assert (sent.attempts, sent.last_error, sent.locked_until) == (1, "", None)
    assert sent.sent_at is not None
    [request] = fake_resend.requests
    assert request.status == 200
    assert request.idempotency_key == row.idempotency_key
    assert request.authorization == f"Bearer {API_KEY}"
    assert request.json == {
        "from": SHOP_FROM,
        "to": [CUSTOMER],
        "subject": "Your proof is ready",
        "html": row.html_body,
        "text": row.text_body,
    }
    # Nothing left to do: no second request.
    assert deliver_due(resend_transport(fake_resend)) == 0
    assert len(fake_resend.requests) == 1


def test_emails_carry_the_shops_name(shop, session, fake_resend):
    row = queue(session)
    assert "Ink &amp; Thread Co." in row.html_body  # escaped in HTML
    assert SHOP_NAME in row.text_body
    assert SHOP_EMAIL in row.text_body and "1 Press Lane" in row.text_body

    deliver_due(resend_transport(fake_resend))

    [delivery] = fake_resend.deliveries
    assert "Ink &amp; Thread Co." in delivery.email["html"]
    assert SHOP_NAME in delivery.email["text"]
    assert delivery.email["from"] == SHOP_FROM


def test_rate_limited_then_delivered_with_the_same_key(shop, session, fake_resend):
    row = queue(session)
    fake_resend.script(rate_limited(retry_after="0"))

    # Retry-After: 0 makes the email due again at once, so one run tries twice.
    assert deliver_due(resend_transport(fake_resend)) == 2

    assert [r.status for r in fake_resend.requests] == [429, 200]
    assert {r.idempotency_key for r in fake_resend.requests} == {row.idempotency_key}
    sent = fetch(row.id)
    assert (sent.status, sent.attempts, sent.last_error) == (EmailStatus.SENT, 2, "")
    assert fake_resend.delivery_counts() == {row.idempotency_key: 1}


def test_retry_after_is_respected(shop, session, fake_resend):
    row = queue(session)
    fake_resend.script(rate_limited(retry_after="30"))
    transport = resend_transport(fake_resend)

    assert deliver_due(transport) == 1
    waiting = fetch(row.id)
    assert waiting.status == EmailStatus.QUEUED
    assert "429" in waiting.last_error
    assert 28 < seconds_until(waiting.next_attempt_at) <= 30
    assert waiting.locked_until is None

    assert deliver_due(transport) == 0  # not due yet: no request
    assert len(fake_resend.requests) == 1

    make_due(row.id)
    assert deliver_due(transport) == 1
    assert fetch(row.id).status == EmailStatus.SENT
    assert [r.idempotency_key for r in fake_resend.requests] == [row.idempotency_key] * 2


def test_server_error_then_delivered_after_backoff(shop, session, fake_resend):
    row = queue(session)
    fake_resend.script(server_error(500))
    transport = resend_transport(fake_resend)

    assert deliver_due(transport) == 1
    waiting = fetch(row.id)
    assert waiting.status == EmailStatus.QUEUED
    assert "500" in waiting.last_error
    assert 3 < seconds_until(waiting.next_attempt_at) <= 5
    assert deliver_due(transport) == 0

    make_due(row.id)
    assert deliver_one(transport) is True
    sent = fetch(row.id)
    assert (sent.status, sent.attempts) == (EmailStatus.SENT, 2)
    assert [r.status for r in fake_resend.requests] == [500, 200]
    assert {r.idempotency_key for r in fake_resend.requests} == {row.idempotency_key}
    assert fake_resend.delivery_counts() == {row.idempotency_key: 1}


def test_validation_error_fails_at_once(shop, session, fake_resend):
    row = queue(session)
    fake_resend.script(validation_error("Invalid `to` field. The email address needs to follow the `email@example.com` format."))
    transport = resend_transport(fake_resend)

    assert deliver_due(transport) == 1

    failed = fetch(row.id)
    assert failed.status == EmailStatus.FAILED
    assert "422" in failed.last_error
    assert "Invalid `to` field" in failed.last_error
    assert (failed.attempts, failed.locked_until, failed.sent_at) == (1, None, None)
    make_due(row.id)
    assert deliver_due(transport) == 0  # a failed email is never tried again by the sender
    assert len(fake_resend.requests) == 1
    assert fake_resend.deliveries == []


def test_timeout_then_delivered_exactly_once(shop, session, fake_resend):
    """The client gives up, but Resend sent the email: the retry (same key) gets the same id."""
    row = queue(session)
    fake_resend.script(slow(0.8))
    transport = resend_transport(fake_resend, timeout=0.2)

    assert deliver_due(transport) == 1
    waiting = fetch(row.id)
    assert waiting.status == EmailStatus.QUEUED
    assert "timed out" in waiting.last_error.lower()

    fake_resend.wait_until_idle()  # the slow first request completes at the provider
    make_due(row.id)
    assert deliver_due(transport) == 1

    sent = fetch(row.id)
    assert (sent.status, sent.attempts) == (EmailStatus.SENT, 2)
    assert fake_resend.delivery_counts() == {row.idempotency_key: 1}
    assert sent.provider_message_id == fake_resend.delivered_id(row.idempotency_key)
    first, retry = fake_resend.requests
    assert first.idempotency_key == retry.idempotency_key == row.idempotency_key
    assert retry.status == 200


def test_retry_while_the_first_try_is_still_running_is_not_a_failure(shop, session, fake_resend):
    """Resend answers 409 concurrent_idempotent_requests while the first request with a key runs:
    that is a "try again later", not a reason to give up on the email."""
    row = queue(session)
    fake_resend.script(slow(1.2))
    transport = resend_transport(fake_resend, timeout=0.2)

    assert deliver_due(transport) == 1  # timed out
    make_due(row.id)
    assert deliver_due(transport) == 1  # the first request is still running
    assert fake_resend.requests[1].status == 409
    waiting = fetch(row.id)
    assert waiting.status == EmailStatus.QUEUED
    assert "409" in waiting.last_error

    fake_resend.wait_until_idle()
    make_due(row.id)
    assert deliver_due(transport) == 1
    assert fetch(row.id).status == EmailStatus.SENT
    assert fake_resend.delivery_counts() == {row.idempotency_key: 1}


def test_gives_up_after_max_attempts(shop, session, fake_resend):
    row = queue(session)
    fake_resend.script(*[server_error(503)] * MAX_ATTEMPTS)
    transport = resend_transport(fake_resend)

    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver_due(transport) == 1
        current = fetch(row.id)
        assert current.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert current.status == EmailStatus.QUEUED
            waits.append(round(seconds_until(current.next_attempt_at)))
            make_due(row.id)

    failed = fetch(row.id)
    assert failed.status == EmailStatus.FAILED
    assert "503" in failed.last_error
    # Exponential backoff between the tries.
    assert waits == [5, 10, 20, 40, 80, 160, 320]
    make_due(row.id)
    assert deliver_due(transport) == 0
    assert len(fake_resend.requests) == MAX_ATTEMPTS
    assert {r.idempotency_key for r in fake_resend.requests} == {row.idempotency_key}
    assert fake_resend.deliveries == []


# --- queued with its cause -------------------------------------------------------------------


def _count_emails() -> int:
    with Session(db.get_engine()) as other:
        return other.exec(select(func.count(OutboxEmail.id))).one()


def test_email_is_written_in_the_same_transaction_as_its_cause(shop, session, fake_resend):
    transport = resend_transport(fake_resend)
    shop_row = session.get(Shop, shop.id)
    shop_row.phone = "555-0199"  # the cause
    session.add(shop_row)
    queue_email(session, kind="job_status", to=CUSTOMER, data=status_email("Changed"))

    # Not committed yet: neither another connection nor the sender sees the email.
    assert _count_emails() == 0
    assert deliver_due(transport) == 0

    session.rollback()  # the cause is rolled back: so is its email
    assert _count_emails() == 0
    with Session(db.get_engine()) as other:
        assert other.get(Shop, shop.id).phone == "555-0100"
    assert deliver_due(transport) == 0
    assert fake_resend.requests == []

    shop_row = session.get(Shop, shop.id)
    shop_row.phone = "555-0199"
    session.add(shop_row)
    queue_email(session, kind="job_status", to=CUSTOMER, data=status_email("Changed"))
    session.commit()
    assert _count_emails() == 1
    assert deliver_due(transport) == 1
    assert len(fake_resend.deliveries) == 1


def test_same_event_is_queued_once(shop, session):
    first = queue_email(session, kind="job_status", to=CUSTOMER, data=status_email("Ready"), dedupe_key="job-1-ready")
    session.commit()
    again = queue_email(session, kind="job_status", to=CUSTOMER, data=status_email("Ready"), dedupe_key="job-1-ready")
    session.commit()
    assert first is not None and again is None
    assert _count_emails() == 1


# --- no provider: the local mailbox ----------------------------------------------------------


def test_mailbox_writes_a_parseable_eml(shop, session, tmp_path, monkeypatch):
    mail_dir = tmp_path / "mail"
    monkeypatch.setenv("KONTROL_MAIL_DIR", str(mail_dir))
    get_settings.cache_clear()
    transport = transport_for(get_settings())
    assert isinstance(transport, MailboxTransport)
    row = queue(session)

    assert deliver_due(transport) == 1

    sent = fetch(row.id)
    assert (sent.status, sent.delivered_via) == (EmailStatus.SENT, "mailbox")
    assert sent.provider_message_id == f"mailbox-{row.id}"
    [path] = mail_dir.glob("*.eml")
    assert path.name.endswith(f"-{row.id:06d}-job_status.eml")
    message = BytesParser(policy=email.policy.default).parse(path.open("rb"))
    assert message.get_content_type() == "multipart/alternative"
    assert message["To"] == CUSTOMER
    assert message["Subject"] == "Your proof is ready"
    assert email.utils.parseaddr(message["From"]) == (SHOP_NAME, SHOP_EMAIL)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.rstrip("\n") == row.text_body.rstrip("\n")
    assert html.rstrip("\n") == row.html_body.rstrip("\n")
    assert SHOP_NAME in text and "Ink &amp; Thread Co." in html


# --- the sender process dies mid-batch -------------------------------------------------------


def _sender(database: str, fake: FakeResend, data_dir: Path, log: Path, *args: str) -> subprocess.Popen:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"KONTROL_MAIL_DIR", "KONTROL_MAIL_FROM", "KONTROL_PUBLIC_URL"}
    }
    env.update(
        DATABASE_URL=database,
        KONTROL_DATA_DIR=str(data_dir),
        RESEND_API_KEY=API_KEY,
        RESEND_API_URL=fake.url,
        PYTHONPATH=str(ROOT),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "kontrol_app.manage", "send-email", *args],
        cwd=data_dir.parent,  # no stray .env file
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def test_nothing_lost_when_the_sender_dies_mid_batch(database, shop, session, fake_resend, tmp_path):
    rows = [queue(session, to=f"customer{n}@example.com") for n in range(5)]
    keys = [row.idempotency_key for row in rows]
    log = tmp_path / "sender.log"
    fake_resend.script(*[slow(0)] * 2, hang())  # the 3rd request hangs

    sender = _sender(database, fake_resend, tmp_path / "data", log)
    try:
        fake_resend.wait_for_requests(3, timeout=15)
        os.kill(sender.pid, signal.SIGKILL)
        assert sender.wait(timeout=10) == -signal.SIGKILL, log.read_text()
    finally:
        if sender.poll() is None:
            sender.kill()
            sender.wait()

    states = [fetch(row.id) for row in rows]
    assert [s.status for s in states] == [EmailStatus.SENT] * 2 + [EmailStatus.QUEUED] * 3
    claimed = states[2]  # claimed, handed to Resend, never recorded as sent
    assert claimed.attempts == 1 and claimed.locked_until is not None and claimed.locked_until > utcnow()
    assert claimed.sent_at is None
    assert [(s.attempts, s.locked_until) for s in states[3:]] == [(0, None), (0, None)]

    # Resend did accept the hung email; only the dead sender never heard.
    fake_resend.release()
    fake_resend.wait_until_idle()
    assert fake_resend.delivery_counts()[keys[2]] == 1

    # Another sender while the lease holds: the rest go, the claimed one is left alone.
    assert deliver_due(resend_transport(fake_resend)) == 2
    assert fetch(rows[2].id).status == EmailStatus.QUEUED
    assert len(fake_resend.requests_for(keys[2])) == 1

    # The lease runs out (time passes), and the sender runs again.
    with db.session_scope() as other:
        other.exec(
            update(OutboxEmail)
            .where(OutboxEmail.id == rows[2].id)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
    again = _sender(database, fake_resend, tmp_path / "data", log, "--once")
    assert again.wait(timeout=30) == 0, log.read_text()
    assert "Handled 1 email(s)." in log.read_text()

    final = [fetch(row.id) for row in rows]
    assert [s.status for s in final] == [EmailStatus.SENT] * 5
    assert fake_resend.delivery_counts() == {key: 1 for key in keys}
    assert len(fake_resend.deliveries) == 5
    assert final[2].attempts == 2
    assert final[2].provider_message_id == fake_resend.delivered_id(keys[2])
    first, replay = fake_resend.requests_for(keys[2])
    assert replay.status == 200 and replay.headers.get("Idempotency-Key") == keys[2]
    assert {s.provider_message_id for s in final} == {d.id for d in fake_resend.deliveries}


# --- what staff may read in Settings -> Email ---------------------


def _portal_link(session: Session, customer_id: int) -> str:
    from kontrol_app.services import portal_links

    customer = session.get(Customer, customer_id)
    return portal_links.portal_path(customer)[len(portal_links.PORTAL_PREFIX) :]


@pytest.fixture
def team(session: Session):
    """The owner, a staff member, and a customer whose contact asked for a sign-in code."""
    owner = make_owner(session)
    member = make_staff(session, owner)
    customer_id = make_customer(session, owner, "Acme Apparel", "ann@acme.test", contact_name="Ann Lee")
    portal_auth.request_code(session, link=_portal_link(session, customer_id), email="ann@acme.test")
    session.commit()
    return owner, member, customer_id


def _sign_in_email(session: Session) -> OutboxEmail:
    return session.exec(select(OutboxEmail).where(OutboxEmail.kind == EmailKind.SIGN_IN_CODE)).one()


def _code_in(row: OutboxEmail) -> str:
    import re

    return re.search(r"^(\d{6})$", row.text_body, re.M).group(1)


def test_staff_see_sign_in_codes_masked_and_the_owner_sees_them_in_the_local_mailbox(session, team):
    owner, member, _ = team
    row = _sign_in_email(session)
    code = _code_in(row)

    [listed] = list_outbox(session, member).emails
    shown = get_email(session, member, row.id)
    for view in (listed, shown):
        assert code not in view.html_body and code not in view.text_body and code not in view.subject
        assert MASK in view.text_body and MASK in view.html_body
        assert not view.revealed
    # The portal link in the code email is masked too.
    assert _portal_link(session, team[2]) not in shown.html_body + shown.text_body

    # The owner, with no provider set (the development mailbox), sees the email as sent.
    as_owner = get_email(session, owner, row.id)
    assert as_owner.revealed
    assert code in as_owner.text_body and code in as_owner.html_body
    assert (as_owner.html_body, as_owner.text_body) == (row.html_body, row.text_body)


def test_with_a_real_provider_even_the_owner_sees_codes_masked(session, team, monkeypatch):
    owner, _, _ = team
    monkeypatch.setenv("RESEND_API_KEY", API_KEY)
    get_settings.cache_clear()
    row = _sign_in_email(session)
    view = get_email(session, owner, row.id)
    assert not view.revealed
    assert _code_in(row) not in view.text_body and MASK in view.text_body


def test_portal_link_emails_are_masked_for_staff(session, team):
    owner, member, customer_id = team
    from kontrol_app.services import portal_links

    portal_links.email_link(session, owner, customer_id, "Here is your portal.")
    session.commit()
    row = session.exec(select(OutboxEmail).where(OutboxEmail.kind == EmailKind.PORTAL_LINK)).one()
    key = _portal_link(session, customer_id)
    assert key in row.html_body and key in row.text_body  # what the client receives is whole
    view = get_email(session, member, row.id)
    assert key not in view.html_body and key not in view.text_body
    assert f"/public/portal/{MASK}" in view.text_body
    assert key in get_email(session, owner, row.id).text_body


def test_delivered_sign_in_code_text_is_dropped_after_a_day(session, team):
    owner, member, _ = team
    row = _sign_in_email(session)
    assert deliver_due(MailboxTransport(None)) == 1
    session.expire_all()
    # Within the day nothing is dropped.
    assert purge_sign_in_codes(session) == 0
    # A day later: the text goes, who/what/when stays.
    assert purge_sign_in_codes(session, now=utcnow() + timedelta(days=1, minutes=1)) == 1
    session.commit()
    purged = fetch(row.id)
    assert (purged.html_body, purged.text_body) == ("", "")
    assert (purged.status, purged.to_email, purged.subject) == (EmailStatus.SENT, "ann@acme.test", row.subject)
    view = get_email(session, owner, row.id)
    assert view.body_removed and view.text_body == BODY_REMOVED
    # Other kinds of email keep their text.
    assert purge_sign_in_codes(session, now=utcnow() + timedelta(days=3)) == 0


def test_queued_and_recent_sign_in_codes_are_kept(session, team):
    row = _sign_in_email(session)  # still queued: never dropped, however old
    assert purge_sign_in_codes(session, now=utcnow() + timedelta(days=5)) == 0
    assert fetch(row.id).text_body == row.text_body


def test_the_sender_loop_drops_old_sign_in_codes(session, team):
    import asyncio

    from kontrol_app.background import outbox_sender

    row = _sign_in_email(session)
    assert deliver_due(MailboxTransport(None)) == 1
    with db.session_scope() as other:
        other.exec(update(OutboxEmail).where(OutboxEmail.id == row.id).values(sent_at=utcnow() - timedelta(days=2)))

    async def run_briefly() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(outbox_sender(), timeout=1.5)

    asyncio.run(run_briefly())
    assert fetch(row.id).text_body == ""


def test_a_purged_email_cannot_be_retried(session, team):
    owner, _, _ = team
    row = _sign_in_email(session)
    with db.session_scope() as other:
        other.exec(
            update(OutboxEmail)
            .where(OutboxEmail.id == row.id)
            .values(status=EmailStatus.FAILED, created_at=utcnow() - timedelta(days=2))
        )
    assert purge_sign_in_codes(session) == 1
    session.commit()
    with pytest.raises(NotAllowed):
        retry_email(session, owner, row.id)


# --- subjects that cannot be sent ------------------------------------------------------------


def _legacy_email(session: Session, subject: str, to: str = CUSTOMER) -> OutboxEmail:
    """A row as an older version could write it (queue_email no longer lets this through)."""
    row = OutboxEmail(
        kind="job_status", to_email=to, subject=subject, html_body="<p>Hi</p>", text_body="Hi", idempotency_key=os.urandom(8).hex()
    )
    session.add(row)
    session.commit()
    return row


@pytest.mark.parametrize("subject", ["Tees\r\nBcc: everyone@example.com", "Tees\nare ready", "Tees\rready", "Tees\u2028ready"])
def test_a_subject_with_a_line_break_fails_once_with_a_clear_error(shop, session, tmp_path, subject):
    row = _legacy_email(session, subject)
    transport = MailboxTransport(tmp_path / "mail")  # writes .eml files: the header would be refused

    assert deliver_due(transport) == 1
    failed = fetch(row.id)
    assert failed.status == EmailStatus.FAILED
    assert failed.attempts == 1
    assert "subject contains a line break" in failed.last_error
    assert failed.locked_until is None
    # Nothing is left to try: no retry every two minutes.
    with db.session_scope() as other:
        other.exec(update(OutboxEmail).where(OutboxEmail.id == row.id).values(next_attempt_at=utcnow() - timedelta(hours=1)))
    assert deliver_due(transport) == 0
    assert not list((tmp_path / "mail").glob("*.eml"))


def test_a_subject_with_a_line_break_never_reaches_resend(shop, session, fake_resend):
    row = _legacy_email(session, "Tees\r\nready")
    assert deliver_due(resend_transport(fake_resend)) == 1
    failed = fetch(row.id)
    assert (failed.status, failed.attempts) == (EmailStatus.FAILED, 1)
    assert "line break" in failed.last_error
    assert fake_resend.deliveries == []


def test_a_transport_that_blows_up_is_counted_and_ends_failed(shop, session):
    class Broken:
        name = "broken"

        def send(self, row, sender):
            raise RuntimeError("boom")

    row = _legacy_email(session, "Fine subject")
    assert deliver_due(Broken()) == 1
    first = fetch(row.id)
    assert (first.status, first.attempts, first.locked_until) == (EmailStatus.QUEUED, 1, None)
    assert "boom" in first.last_error and seconds_until(first.next_attempt_at) > 0
    for _ in range(MAX_ATTEMPTS - 1):
        make_due(row.id)
        assert deliver_due(Broken()) == 1
    assert fetch(row.id).status == EmailStatus.FAILED
    make_due(row.id)
    assert deliver_due(Broken()) == 0


def test_clean_subject_makes_one_line_that_fits_the_column():
    assert clean_subject("Tees\r\n  are\nready") == "Tees are ready"
    long = "é" * 500
    clipped = clean_subject(long)
    assert len(clipped) == SUBJECT_MAX and clipped.endswith("…")
    # A combining accent is never cut from its letter.
    decomposed = "e\u0301" * 200
    clipped = clean_subject(decomposed)
    assert len(clipped) <= SUBJECT_MAX and clipped.endswith("…")
    assert not unicodedata.combining(clipped[0]) and clipped[-2] == "\u0301"
    assert clean_subject("short") == "short"


# --- attachments (the invoice PDF) --------------------------------------------------------------


def _pdf(text: str = "Invoice INV-0001") -> bytes:
    from fpdf import FPDF

    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text=text)
    return bytes(document.output())


def queue_with_pdf(session: Session, data: bytes, to: str = CUSTOMER, name: str = "INV-0001.pdf") -> OutboxEmail:
    row = queue_email(session, kind="job_status", to=to, data=status_email("Invoice INV-0001"), attachment=(name, data))
    session.commit()
    return row


def test_an_attachment_is_kept_privately_once_and_named_on_the_email(session, team):
    owner, member, customer_id = team
    data = _pdf()
    first = queue_with_pdf(session, data)
    second = queue_with_pdf(session, data, to="other@customer.example")

    assert first.attachment_name == second.attachment_name == "INV-0001.pdf"
    assert first.attachment_file_id == second.attachment_file_id  # one file for the same bytes
    stored = session.get(StoredFile, first.attachment_file_id)
    assert (stored.kind, stored.file_type, stored.customer_id) == (ATTACHMENT_KIND, "pdf", None)
    readable = files.readable(session, stored.id, staff=member, portal=None)
    assert readable is not None and readable.path.read_bytes() == data
    client = portal_auth.PortalPrincipal(customer_id=customer_id, contact_id=1, name="Ann Lee", email="ann@acme.test")
    assert files.readable(session, stored.id, staff=None, portal=client) is None
    assert files.readable(session, stored.id, staff=None, portal=None) is None
    assert get_email(session, member, first.id).attachment_name == "INV-0001.pdf"


def test_an_attachment_that_is_not_a_pdf_or_image_is_refused_and_nothing_is_queued(shop, session):
    before = _count_emails()
    with pytest.raises(InvalidInput):
        queue_email(session, kind="job_status", to=CUSTOMER, data=status_email("x"), attachment=("x.pdf", b"MZ\x90\x00 not a pdf"))
    session.rollback()
    assert _count_emails() == before


def test_resend_gets_the_attachment_as_base64(shop, session, fake_resend):
    data = _pdf()
    row = queue_with_pdf(session, data)

    assert deliver_due(resend_transport(fake_resend)) == 1

    assert fetch(row.id).status == EmailStatus.SENT
    [delivery] = fake_resend.deliveries
    assert delivery.attachments() == [("INV-0001.pdf", data, "application/pdf")]
    [attachment] = delivery.email["attachments"]
    assert isinstance(attachment["content"], str)  # Base64, as Resend documents it


def test_the_mailbox_eml_carries_the_pdf(shop, session, tmp_path):
    data = _pdf()
    row = queue_with_pdf(session, data, name="INV-0001.pdf")
    transport = MailboxTransport(tmp_path / "mail")

    assert deliver_due(transport) == 1

    [path] = (tmp_path / "mail").glob("*.eml")
    message = BytesParser(policy=email.policy.default).parse(path.open("rb"))
    assert message.get_content_type() == "multipart/mixed"
    [part] = list(message.iter_attachments())
    assert (part.get_filename(), part.get_content_type()) == ("INV-0001.pdf", "application/pdf")
    assert part.get_content() == data
    assert message.get_body(("plain",)).get_content().rstrip("\n") == row.text_body.rstrip("\n")


def test_an_email_whose_attachment_is_gone_fails_instead_of_going_out_without_it(shop, session, fake_resend):
    row = queue_with_pdf(session, _pdf())
    stored = session.get(StoredFile, row.attachment_file_id)
    files.blob_path(stored.sha256).unlink()

    assert deliver_due(resend_transport(fake_resend)) == 1

    failed = fetch(row.id)
    assert failed.status == EmailStatus.FAILED and "attachment (INV-0001.pdf) is missing" in failed.last_error
    assert fake_resend.deliveries == []


def test_the_fake_refuses_a_malformed_attachment_like_resend(shop, session, fake_resend):
    import requests

    response = requests.post(
        f"{fake_resend.url}/emails",
        json={"from": SHOP_FROM, "to": [CUSTOMER], "subject": "x", "attachments": [{"filename": "a.pdf", "content": "%%%"}]},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=5,
    )
    assert response.status_code == 422 and fake_resend.deliveries == []
