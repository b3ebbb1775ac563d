"""The email outbox: rows written with the change that causes them, delivered later.

`queue_email` runs inside the caller's transaction, so an email exists exactly
when its cause was committed. `deliver_due` (the sender) claims one row at a
time with a lease, so a sender that dies mid-batch leaves nothing lost: the
lease runs out and the next sender tries again with the same idempotency key.
"""

from __future__ import annotations

import email.message
import email.utils
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import resend
import resend.exceptions
from resend.http_client_requests import RequestsClient
from sqlalchemy import or_, update
from sqlmodel import Session, func, select

from kontrol_app.db import session_scope
from kontrol_app.models import EmailStatus, OutboxEmail, utcnow
from kontrol_app.services.emails import EmailMessage, render
from kontrol_app.services.errors import NotAllowed, NotFound
from kontrol_app.services.shop import ShopInfo, shop_info
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.settings import Settings, get_settings

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)
MAX_BACKOFF_SECONDS = 3600


def queue_email(
    session: Session, *, kind: str, to: str, message: EmailMessage, dedupe_key: str | None = None
) -> OutboxEmail | None:
    """Add an email to the outbox in the caller's transaction.

    With a `dedupe_key`, an email already queued for the same event is not queued
    again (None is returned); the unique column makes this hold across workers too.
    """
    if dedupe_key is not None and session.exec(
        select(OutboxEmail.id).where(OutboxEmail.dedupe_key == dedupe_key)
    ).first() is not None:
        return None
    shop = shop_info(session) or ShopInfo("Kontrol", "", "", "", "USD", "UTC", "")
    content = render(message, shop, get_settings().base_url)
    row = OutboxEmail(
        kind=kind,
        to_email=to,
        subject=content.subject,
        html_body=content.html,
        text_body=content.text,
        idempotency_key=secrets.token_hex(16),
        dedupe_key=dedupe_key,
    )
    session.add(row)
    session.flush()
    return row


# --- delivery ---------------------------------------------------------------------------


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class Transport(Protocol):
    name: str

    def send(self, row: OutboxEmail, sender: str) -> str: ...


class ResendTransport:
    """Delivers through Resend's API with the real SDK."""

    name = "resend"

    def __init__(self, api_key: str, api_url: str, timeout: int = 15) -> None:
        self.api_key = api_key
        self.api_url = api_url.rstrip("/")
        self.client = RequestsClient(timeout=timeout)

    def send(self, row: OutboxEmail, sender: str) -> str:
        # The SDK is configured through module globals.
        resend.api_key = self.api_key
        resend.api_url = self.api_url
        resend.default_http_client = self.client
        params = {
            "from": sender,
            "to": [row.to_email],
            "subject": row.subject,
            "html": row.html_body,
            "text": row.text_body,
        }
        try:
            sent = resend.Emails.send(params, {"idempotency_key": row.idempotency_key})
        except resend.exceptions.ResendError as error:
            code = int(error.code) if str(error.code).isdigit() else None
            # 409 concurrent_idempotent_requests: an earlier try with this key (one that
            # timed out here) is still running at Resend, so ask again later.
            temporary = (
                code is None or code == 429 or code >= 500
                or error.error_type == "concurrent_idempotent_requests"
            )
            retry_after = _retry_after(error.headers)
            raise DeliveryError(
                f"Resend answered {code or error.error_type}: {error.message}",
                permanent=not temporary,
                retry_after=retry_after,
            ) from error
        except Exception as error:  # network trouble, timeouts: try again later
            raise DeliveryError(f"Could not reach Resend: {error}", permanent=False) from error
        return str(sent["id"])


def _retry_after(headers: dict | None) -> float | None:
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            try:
                return float(value)
            except ValueError:
                return None
    return None


class MailboxTransport:
    """No provider configured: the local mailbox (Settings -> Email) is the delivery,
    and each email is also written as an .eml file when a mail folder is set."""

    name = "mailbox"

    def __init__(self, mail_dir: Path | None) -> None:
        self.mail_dir = mail_dir

    def send(self, row: OutboxEmail, sender: str) -> str:
        if self.mail_dir is not None:
            self.mail_dir.mkdir(parents=True, exist_ok=True)
            stamp = row.created_at.strftime("%Y%m%d-%H%M%S")
            path = self.mail_dir / f"{stamp}-{row.id:06d}-{row.kind}.eml"
            path.write_bytes(as_mime(row, sender).as_bytes())
        return f"mailbox-{row.id}"


def as_mime(row: OutboxEmail, sender: str) -> email.message.EmailMessage:
    mime = email.message.EmailMessage()
    mime["From"] = sender
    mime["To"] = row.to_email
    mime["Subject"] = row.subject
    mime["Date"] = email.utils.format_datetime(row.created_at)
    mime["Message-ID"] = email.utils.make_msgid(idstring=row.idempotency_key)
    mime.set_content(row.text_body)
    mime.add_alternative(row.html_body, subtype="html")
    return mime


def transport_for(settings: Settings) -> Transport:
    if settings.email_provider_configured:
        return ResendTransport(settings.resend_api_key.get_secret_value(), settings.resend_api_url)
    return MailboxTransport(settings.mail_dir)


def sender_address(session: Session, settings: Settings) -> str:
    if settings.mail_from:
        return settings.mail_from
    shop = shop_info(session)
    name = (shop.name if shop else "Kontrol").replace('"', "")
    address = (shop.email if shop and shop.email else "no-reply@localhost")
    return email.utils.formataddr((name, address))


def _claim(now) -> OutboxEmail | None:  # noqa: ANN001
    """Take the lease on the oldest email due, or None when nothing is due."""
    lease_free = or_(OutboxEmail.locked_until == None, OutboxEmail.locked_until < now)  # noqa: E711
    with session_scope() as session:
        due = session.exec(
            select(OutboxEmail.id)
            .where(OutboxEmail.status == EmailStatus.QUEUED, OutboxEmail.next_attempt_at <= now, lease_free)
            .order_by(OutboxEmail.id)
            .limit(20)
        ).all()
        for email_id in due:
            claimed = session.exec(
                update(OutboxEmail)
                .where(OutboxEmail.id == email_id, OutboxEmail.status == EmailStatus.QUEUED, lease_free)
                .values(locked_until=now + LEASE, attempts=OutboxEmail.attempts + 1)
            )
            if claimed.rowcount == 1:
                session.commit()
                return session.get(OutboxEmail, email_id)
    return None


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    wait = min(5 * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
    if retry_after is not None:
        wait = min(max(retry_after, 0.0), MAX_BACKOFF_SECONDS)
    return wait


def deliver_one(transport: Transport, settings: Settings | None = None) -> bool:
    """Deliver (or try to) one due email; False when none was due."""
    settings = settings or get_settings()
    row = _claim(utcnow())
    if row is None:
        return False
    with session_scope() as session:
        sender = sender_address(session, settings)
    try:
        message_id = transport.send(row, sender)
    except DeliveryError as error:
        with session_scope() as session:
            current = session.get(OutboxEmail, row.id)
            current.last_error = str(error)[:2000]
            current.locked_until = None
            if error.permanent or current.attempts >= MAX_ATTEMPTS:
                current.status = EmailStatus.FAILED
            else:
                current.next_attempt_at = utcnow() + timedelta(
                    seconds=backoff_seconds(current.attempts, error.retry_after)
                )
            session.add(current)
        return True
    with session_scope() as session:
        current = session.get(OutboxEmail, row.id)
        current.status = EmailStatus.SENT
        current.sent_at = utcnow()
        current.locked_until = None
        current.last_error = ""
        current.delivered_via = transport.name
        current.provider_message_id = message_id[:100]
        session.add(current)
    return True


def deliver_due(transport: Transport, *, limit: int = 100, settings: Settings | None = None) -> int:
    delivered = 0
    while delivered < limit and deliver_one(transport, settings):
        delivered += 1
    return delivered


# --- the staff view (Settings -> Email) ------------------------------------------------


@dataclass(frozen=True)
class OutboxPage:
    emails: list[OutboxEmail]
    total: int


def list_outbox(session: Session, actor: StaffPrincipal, *, page: int = 1, page_size: int = 25) -> OutboxPage:
    page = max(page, 1)
    total = session.exec(select(func.count(OutboxEmail.id))).one()
    rows = session.exec(
        select(OutboxEmail).order_by(OutboxEmail.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return OutboxPage(list(rows), total)


def get_email(session: Session, actor: StaffPrincipal, email_id: int) -> OutboxEmail:
    row = session.get(OutboxEmail, email_id)
    if row is None:
        raise NotFound("That email is not in the outbox.")
    return row


def retry_email(session: Session, actor: StaffPrincipal, email_id: int) -> OutboxEmail:
    """Send a failed email again (same idempotency key, fresh attempts)."""
    row = get_email(session, actor, email_id)
    if row.status != EmailStatus.FAILED:
        raise NotAllowed("Only failed emails can be retried.")
    row.status = EmailStatus.QUEUED
    row.attempts = 0
    row.next_attempt_at = utcnow()
    session.add(row)
    return row
