"""The email outbox: rows written with the change that causes them, delivered later.

`queue_email` runs inside the caller's transaction, so an email exists exactly
when its cause was committed. `deliver_due` (the sender) claims one row at a
time with a lease, so a sender that dies mid-batch leaves nothing lost: the
lease runs out and the next sender tries again with the same idempotency key.
"""

from __future__ import annotations

import base64
import email.message
import email.utils
import hashlib
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Protocol

import resend
import resend.exceptions
from resend.http_client_requests import RequestsClient
from sqlalchemy import or_, update
from sqlmodel import Session, func, select

from kontrol_app.db import session_scope
from kontrol_app.models import CustomerContact, EmailKind, EmailStatus, OutboxEmail, StoredFile, utcnow
from kontrol_app.services import files
from kontrol_app.services.paging import page_window
from kontrol_app.services.shop import UNNAMED_SHOP, display_name, shop_info, ShopInfo
from kontrol_app.services.emails import render
from kontrol_app.services.errors import NotAllowed, find
from kontrol_app.services.permissions import is_owner
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.validation import has_line_break, one_line
from kontrol_app.settings import Settings, get_settings

log = logging.getLogger("kontrol.outbox")

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)
MAX_BACKOFF_SECONDS = 3600
SUBJECT_MAX = OutboxEmail.__table__.c.subject.type.length  # the column's limit, in characters
# Delivered sign-in codes are useless after 10 minutes; their text is dropped after this.
KEEP_SECRET_BODIES = timedelta(days=1)
ATTACHMENT_KIND = "email_attachment"
ATTACHMENT_NAME_MAX = OutboxEmail.__table__.c.attachment_name.type.length


def _staff_only(session: Session, row: StoredFile, staff: Any, portal: Any) -> bool:
    # What was emailed to a client is theirs in their inbox; here it is the shop's record.
    return staff is not None


files.register_reader(ATTACHMENT_KIND, _staff_only)


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in an ellipsis when cut. Never splits
    a character from the combining marks or joiners that belong to it."""
    if len(text) <= limit:
        return text
    cut = limit - 1
    while cut > 0 and (unicodedata.combining(text[cut]) or text[cut] in "\u200d\ufe0e\ufe0f" or text[cut - 1] == "\u200d"):
        cut -= 1
    return text[:cut].rstrip() + "…"


def clean_subject(subject: str) -> str:
    """A subject that fits its column and is one header line (names may contain anything)."""
    return clip(one_line(subject), SUBJECT_MAX)


def contacts_to_email(session: Session, customer_id: int) -> list[CustomerContact]:
    """Who a customer's emails go to: each of its contacts with an email address, oldest first."""
    return list(
        session.exec(
            select(CustomerContact)
            .where(CustomerContact.customer_id == customer_id, CustomerContact.email.is_not(None), CustomerContact.email != "")
            .order_by(CustomerContact.id)
        ).all()
    )


def _store_attachment(session: Session, name: str, data: bytes) -> StoredFile:
    """The attachment's bytes in the private files service (kept once per content: the same
    invoice PDF emailed to three contacts is one file and one row)."""
    sha256 = hashlib.sha256(data).hexdigest()
    existing = session.exec(
        select(StoredFile).where(StoredFile.kind == ATTACHMENT_KIND, StoredFile.sha256 == sha256)
    ).first()
    if existing is not None:
        return existing
    return files.store(
        session, data, kind=ATTACHMENT_KIND, allowed=files.IMAGES_AND_PDF, original_name=name, field="attachment"
    )


def queue_email(
    session: Session,
    *,
    kind: str,
    to: str,
    data: Mapping[str, Any],
    dedupe_key: str | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> OutboxEmail | None:
    """Add an email of `kind`, rendered from `data` (see `emails.render`), to the outbox
    in the caller's transaction.

    With a `dedupe_key`, an email already queued for the same event is not queued
    again (None is returned); the unique column makes this hold across workers too.
    `attachment` is (file name, bytes) of one PDF or image sent with the email (the invoice
    PDF); the bytes are kept in the private files service, readable by staff only.
    """
    if dedupe_key is not None and session.exec(
        select(OutboxEmail.id).where(OutboxEmail.dedupe_key == dedupe_key)
    ).first() is not None:
        return None
    shop = shop_info(session) or ShopInfo(UNNAMED_SHOP, "", "", "", "USD", "UTC", "")
    content = render(kind, data, shop, get_settings().base_url)
    stored = None
    if attachment is not None:
        name, payload = attachment
        stored = _store_attachment(session, files.clean_name(name, max_length=ATTACHMENT_NAME_MAX), payload)
    row = OutboxEmail(
        kind=kind,
        to_email=to,
        subject=clean_subject(content.subject),
        html_body=content.html,
        text_body=content.text,
        idempotency_key=secrets.token_hex(16),
        dedupe_key=dedupe_key,
        attachment_file_id=stored.id if stored is not None else None,
        attachment_name=stored.original_name if stored is not None else "",
    )
    session.add(row)
    session.flush()
    return row


# --- delivery ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes


def attachment_of(row: OutboxEmail) -> Attachment | None:
    """The email's attachment, read back from the files service (None when it has none).
    A file that has gone missing is an error: the email must not go out without it."""
    if row.attachment_file_id is None:
        return None
    with session_scope() as session:
        stored = session.get(StoredFile, row.attachment_file_id)
        readable = files.readable_row(stored) if stored is not None else None
    if readable is None:
        raise DeliveryError(f"Not sent: its attachment ({row.attachment_name or 'a file'}) is missing.", permanent=True)
    return Attachment(row.attachment_name or readable.name, readable.content_type, readable.path.read_bytes())


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
        attached = attachment_of(row)
        if attached is not None:
            # Resend takes the content as a Base64 string (or a list of byte values).
            params["attachments"] = [
                {
                    "filename": attached.name,
                    "content": base64.b64encode(attached.data).decode("ascii"),
                    "content_type": attached.content_type,
                }
            ]
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
    attached = attachment_of(row)
    if attached is not None:
        maintype, _, subtype = attached.content_type.partition("/")
        mime.add_attachment(attached.data, maintype=maintype, subtype=subtype, filename=attached.name)
    return mime


def transport_for(settings: Settings) -> Transport:
    if settings.email_provider_configured:
        return ResendTransport(settings.resend_api_key.get_secret_value(), settings.resend_api_url)
    return MailboxTransport(settings.mail_dir)


def sender_address(session: Session, settings: Settings) -> str:
    if settings.mail_from:
        return settings.mail_from
    shop = shop_info(session)
    name = display_name(shop).replace('"', "")
    address = (shop.email if shop and shop.email else "no-reply@localhost")
    return email.utils.formataddr((name, address))


def _claim(now) -> OutboxEmail | None:
    """Take the lease on the oldest email due, or None when nothing is due."""
    lease_free = or_(OutboxEmail.locked_until.is_(None), OutboxEmail.locked_until < now)
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


def _check_headers(row: OutboxEmail, sender: str) -> None:
    """Header values with a line break can never be sent (and must not be: header injection)."""
    for name, value in (("subject", row.subject), ("recipient address", row.to_email), ("sender address", sender)):
        if has_line_break(value or ""):
            raise DeliveryError(f"Not sent: the {name} contains a line break.", permanent=True)


def deliver_one(transport: Transport, settings: Settings | None = None) -> bool:
    """Deliver (or try to) one due email; False when none was due."""
    settings = settings or get_settings()
    row = _claim(utcnow())
    if row is None:
        return False
    with session_scope() as session:
        sender = sender_address(session, settings)
    try:
        _check_headers(row, sender)
        try:
            message_id = transport.send(row, sender)
        except DeliveryError:
            raise
        except Exception as error:  # a bug or a surprise: counted like any failed try, never endless
            log.exception("sending email %s failed", row.id)
            raise DeliveryError(f"Could not send: {error}", permanent=False) from error
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


MASK = "••••••"
BODY_REMOVED = "The text of this sign-in code email was removed a day after it was sent."
# A sign-in code as the email shows it ("123456", maybe "123 456"); not a colour like #123456.
_CODE = re.compile(r"(?<![\w#])\d{3}[ \u00a0-]?\d{3}(?!\w)")


def _mask_portal_links(text: str) -> str:
    from kontrol_app.services.portal_links import PORTAL_PREFIX  # portal_links imports this module

    return re.sub(re.escape(PORTAL_PREFIX) + r"[^\s\"'<>]+", PORTAL_PREFIX + MASK, text)


@dataclass(frozen=True)
class OutboxEmailView:
    """One outbox email as a staff member may see it: live sign-in codes and portal links
    are masked unless `revealed` (the owner, on the local development mailbox)."""

    id: int
    kind: str
    to_email: str
    subject: str
    html_body: str
    text_body: str
    status: str
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    delivered_via: str
    revealed: bool
    body_removed: bool
    attachment_name: str = ""  # the file sent with it (the invoice PDF), if any


@dataclass(frozen=True)
class OutboxPage:
    emails: list[OutboxEmailView]
    total: int
    page: int
    pages: int


def reveals_secrets(actor: StaffPrincipal, settings: Settings | None = None) -> bool:
    """Only the owner, and only while emails go to the local mailbox (development), sees
    sign-in codes and portal links in Settings -> Email; everyone else sees them masked."""
    settings = settings or get_settings()
    return is_owner(actor) and not settings.email_provider_configured


def mask_secrets(text: str, kind: str) -> str:
    text = _mask_portal_links(text)
    if kind == EmailKind.SIGN_IN_CODE:
        text = _CODE.sub(MASK, text)
    return text


def _view(row: OutboxEmail, reveal: bool) -> OutboxEmailView:
    removed = not row.html_body and not row.text_body
    html, text = row.html_body, row.text_body
    if removed:
        html, text = f"<p>{BODY_REMOVED}</p>", BODY_REMOVED
    elif not reveal:
        html, text = mask_secrets(html, row.kind), mask_secrets(text, row.kind)
    return OutboxEmailView(
        id=row.id,
        kind=row.kind,
        to_email=row.to_email,
        subject=row.subject if reveal else mask_secrets(row.subject, row.kind),
        html_body=html,
        text_body=text,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
        delivered_via=row.delivered_via,
        revealed=reveal,
        body_removed=removed,
        attachment_name=row.attachment_name,
    )


def list_outbox(session: Session, actor: StaffPrincipal, *, page: int = 1, page_size: int = 25) -> OutboxPage:
    total = session.exec(select(func.count(OutboxEmail.id))).one()
    window = page_window(total, page, page_size)
    rows = session.exec(
        select(OutboxEmail).order_by(OutboxEmail.id.desc()).offset(window.offset).limit(window.limit)
    ).all()
    reveal = reveals_secrets(actor)
    return OutboxPage([_view(row, reveal) for row in rows], total, window.page, window.pages)


def _row(session: Session, email_id: int) -> OutboxEmail:
    return find(session, OutboxEmail, email_id, "That email is not in the outbox.")


def get_email(session: Session, actor: StaffPrincipal, email_id: int) -> OutboxEmailView:
    """One email for the preview, masked as `reveals_secrets` says."""
    return _view(_row(session, email_id), reveals_secrets(actor))


def retry_email(session: Session, actor: StaffPrincipal, email_id: int) -> OutboxEmailView:
    """Send a failed email again (same idempotency key, fresh attempts)."""
    row = _row(session, email_id)
    if row.status != EmailStatus.FAILED:
        raise NotAllowed("Only failed emails can be retried.")
    if not row.html_body and not row.text_body:
        raise NotAllowed("This email's text was removed, so it cannot be sent again.")
    row.status = EmailStatus.QUEUED
    row.attempts = 0
    row.next_attempt_at = utcnow()
    row.last_error = ""
    session.add(row)
    return _view(row, reveals_secrets(actor))


# --- keeping only what is needed --------------------------------------------------------


def purge_sign_in_codes(session: Session, *, now: datetime | None = None) -> int:
    """Drop the text of sign-in code emails a day after they were sent (or failed): the code
    has long expired and nobody needs it any more. Subject, recipient and status stay.
    The sender loop runs this; returns how many emails were emptied."""
    cutoff = (now or utcnow()) - KEEP_SECRET_BODIES
    result = session.exec(
        update(OutboxEmail)
        .where(
            OutboxEmail.kind == EmailKind.SIGN_IN_CODE,
            or_(
                (OutboxEmail.status == EmailStatus.SENT) & (OutboxEmail.sent_at < cutoff),
                (OutboxEmail.status == EmailStatus.FAILED) & (OutboxEmail.created_at < cutoff),
            ),
            or_(OutboxEmail.html_body != "", OutboxEmail.text_body != ""),
        )
        .values(html_body="", text_body="")
    )
    return result.rowcount
