"""Reminders of unpaid invoices (Settings -> Automations, issue 9 item 8).

"Remind clients of unpaid invoices [3] days before and [1, 7, 14] days after the due date."
Each of those days is an offset from the due date (-3, 1, 7, 14). A sent or partially paid
invoice with a balance and a due date gets, on the shop's calendar, the reminder of the latest
offset reached: one email per contact with an address, and one line in its history. Paid or
void invoices get none.

`send_due_invoice_reminders` runs in the background loop of every worker, beside the approval
reminders. The outbox's unique `dedupe_key` "invoice-reminder:<invoice>:<offset>:<contact>"
queues each email once, and the invoice row is locked while its reminder is decided, so two
workers never both write the history line. A loop that was down for days sends the latest due
reminder only, not a burst; an offset on or before the day the invoice was sent is skipped (the
invoice email itself just went out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from kontrol_app.models import EmailKind, Invoice, InvoiceEvent, InvoiceStatus
from kontrol_app.services import invoices, outbox, payments
from kontrol_app.services.clock import shop_today
from kontrol_app.services.errors import Checks, InvalidInput, NotAllowed
from kontrol_app.services.invoices.records import _job_title, _lock
from kontrol_app.services.money import format_money
from kontrol_app.services.permissions import require_owner
from kontrol_app.services.reminders import _queue_once
from kontrol_app.services.shop import get_shop
from kontrol_app.services.staff import StaffPrincipal

BEFORE_RANGE = (0, 60)  # 0: no reminder before the due date
AFTER_RANGE = (1, 365)
MAX_AFTER = 10
ACTOR = "Automatic reminder"


@dataclass(frozen=True)
class InvoiceReminderSettings:
    enabled: bool
    before_days: int
    after_days: list[int]

    @property
    def after_text(self) -> str:
        return ", ".join(str(d) for d in self.after_days)


def parse_after_days(text: str) -> list[int] | None:
    """ "1, 7,14" -> [1, 7, 14] (sorted, each once); None when it is not such a list."""
    parts = [p.strip() for p in str(text or "").replace(";", ",").split(",")]
    if parts == [""]:
        return []
    if any(not (p.isascii() and p.isdigit()) or len(p) > 3 for p in parts):
        return None
    return sorted({int(p) for p in parts})


def get_settings(session: Session) -> InvoiceReminderSettings:
    shop = get_shop(session)
    if shop is None:
        return InvoiceReminderSettings(False, 3, [1, 7, 14])
    return InvoiceReminderSettings(bool(shop.invoice_reminders), shop.invoice_reminder_before_days, parse_after_days(shop.invoice_reminder_after_days) or [])


def _before_days(value: object) -> int:
    low, high = BEFORE_RANGE
    text = str(value if value is not None else "").strip()
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise InvalidInput(f"Enter a whole number of days from {low} to {high} (0: no reminder before).", "invoice_before_days")
    return int(text)


def _after_days(text: str) -> list[int]:
    after = parse_after_days(text)
    low, high = AFTER_RANGE
    if after is None or any(not low <= d <= high for d in after):
        raise InvalidInput(f"Enter days after the due date as whole numbers from {low} to {high}, separated by commas, like 1, 7, 14.", "invoice_after_days")
    if len(after) > MAX_AFTER:
        raise InvalidInput(f"At most {MAX_AFTER} reminders after the due date.", "invoice_after_days")
    return after


def save_settings(session: Session, actor: StaffPrincipal, *, enabled: bool, before_days: object, after_days: str) -> InvoiceReminderSettings:
    require_owner(actor, "change automations")
    checks = Checks()  # both boxes at once
    before = checks(_before_days, before_days)
    after = checks(_after_days, after_days)
    checks.done()
    if enabled and before == 0 and not after:
        raise InvalidInput("Choose at least one day: before the due date, or after it.", "invoice_after_days")
    shop = get_shop(session)
    if shop is None:
        raise NotAllowed("Set up the shop first (Settings → Shop Info).")
    shop.invoice_reminders = bool(enabled)
    shop.invoice_reminder_before_days = before
    shop.invoice_reminder_after_days = ",".join(str(d) for d in after)
    session.add(shop)
    session.flush()
    return InvoiceReminderSettings(shop.invoice_reminders, before, after)


def _offsets(settings: InvoiceReminderSettings) -> list[int]:
    return sorted(({-settings.before_days} if settings.before_days else set()) | set(settings.after_days))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _when(today: date, due: date) -> str:
    days = (today - due).days
    if days > 0:
        return f"{_plural(days, 'day')} overdue"
    return "due today" if days == 0 else f"due in {_plural(-days, 'day')}"


def _candidates(session: Session) -> list[int]:
    rows = session.exec(
        select(Invoice.id)
        .where(
            Invoice.status.in_([InvoiceStatus.SENT.value, InvoiceStatus.PARTIALLY_PAID.value]),
            Invoice.due_date.is_not(None),
            Invoice.total_cents > Invoice.paid_cents,
        )
        .order_by(Invoice.id)  # every worker locks in the same order: no deadlock
    ).all()
    return list(rows)


def _sent_day(invoice: Invoice, timezone: str) -> date | None:
    return shop_today(timezone, invoice.sent_at) if invoice.sent_at is not None else None


def send_due_invoice_reminders(session: Session, now: datetime) -> int:
    """Queue the invoice reminders due at `now` in the caller's transaction; the number of emails."""
    shop = get_shop(session)
    if shop is None or not shop.invoice_reminders:
        return 0
    offsets = _offsets(get_settings(session))
    if not offsets:
        return 0
    today = shop_today(shop.timezone, now)
    paying = payments.invoice_email_data(session)
    queued = 0
    for invoice_id in _candidates(session):
        invoice = _lock(session, invoice_id)  # re-read under the lock: it may be paid by now
        if invoice.status not in invoices.OPEN or invoice.due_date is None or invoices.balance(invoice) <= 0:
            continue
        reached = [o for o in offsets if invoice.due_date.toordinal() + o <= today.toordinal()]
        if not reached:
            continue
        offset = reached[-1]
        sent_day = _sent_day(invoice, shop.timezone)
        if sent_day is not None and invoice.due_date.toordinal() + offset <= sent_day.toordinal():
            continue
        data = {
            "number": invoice.number,
            "job_title": _job_title(session, invoice),
            "balance": format_money(invoices.balance(invoice), invoice.currency),
            "due_date": invoice.due_date.strftime("%b %-d, %Y"),
            "days_overdue": max((today - invoice.due_date).days, 0),
            "invoice_url": invoices.invoice_portal_url(session, invoice),
            **paying,
        }
        this_invoice = 0
        for contact in outbox.contacts_to_email(session, invoice.customer_id):
            key = f"invoice-reminder:{invoice.id}:{offset}:{contact.id}"
            this_invoice += _queue_once(session, contact.email, data, key, EmailKind.INVOICE_REMINDER)
        if this_invoice:
            session.add(InvoiceEvent(invoice_id=invoice.id, kind="reminder", text=f"Reminder sent ({_when(today, invoice.due_date)})", actor=ACTOR))
            session.flush()
        queued += this_invoice
    return queued
