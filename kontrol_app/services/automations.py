"""Settings -> Automations: email the client when a job moves to a status."""

from __future__ import annotations

import string
from dataclasses import dataclass

from sqlmodel import Session, select

from kontrol_app.models import Customer, EmailKind, Job, JobStatus, JobStatusChange, StatusAutomation, utcnow
from kontrol_app.services.shop import display_name, shop_info
from kontrol_app.services import outbox
from kontrol_app.services.errors import Checks, InvalidInput
from kontrol_app.services.permissions import require_owner
from kontrol_app.services.portal_links import PORTAL_PREFIX, portal_url
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.statuses import ALL_STATUSES, label
from kontrol_app.services.tracking import tracking_url
from kontrol_app.services.validation import has_line_break
from kontrol_app.settings import get_settings

PLACEHOLDERS = ("contact_name", "customer_name", "job_title", "status", "tracking_link", "portal_link", "shop_name")

_DEFAULT_SUBJECT = "{job_title} is now {status}"
_DEFAULT_BODY = (
    "Hi {contact_name},\n\n"
    'Your order "{job_title}" just moved to {status}.\n\n'
    "You can follow it any time in your portal: {portal_link}\n\n"
    "— {shop_name}"
)
_DEFAULTS = {
    JobStatus.SHIPPED: (
        "{job_title} has shipped",
        "Hi {contact_name},\n\n"
        'Good news: your order "{job_title}" is on its way.\n\n'
        "Track it here: {tracking_link}\n\n"
        "Your portal has all the details: {portal_link}\n\n"
        "— {shop_name}",
    ),
    JobStatus.READY: (
        "{job_title} is ready",
        "Hi {contact_name},\n\n"
        'Your order "{job_title}" is ready.\n\n'
        "See the details in your portal: {portal_link}\n\n"
        "— {shop_name}",
    ),
}


@dataclass(frozen=True)
class AutomationRule:
    status: str
    label: str
    enabled: bool
    subject: str
    body: str


def _default(status: str) -> tuple[str, str]:
    return _DEFAULTS.get(status, (_DEFAULT_SUBJECT, _DEFAULT_BODY))


def list_rules(session: Session) -> list[AutomationRule]:
    saved = {row.status: row for row in session.exec(select(StatusAutomation)).all()}
    rules = []
    for status in ALL_STATUSES:
        row = saved.get(status)
        subject, body = (row.subject, row.body) if row else _default(status)
        rules.append(AutomationRule(status.value, label(status), bool(row and row.enabled), subject, body))
    return rules


def check_template(text: str, field: str) -> None:
    """Refuse placeholders we cannot fill, and stray braces."""
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text) if name is not None]
    except ValueError:
        raise InvalidInput("Use { and } only around a placeholder, like {job_title}.", field) from None
    for name, spec, conversion in fields:
        if name not in PLACEHOLDERS:
            raise InvalidInput(
                f"Unknown placeholder {{{name}}}. Use: " + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS) + ".", field
            )
        # "{job_title:d}" or "{status!x}" would only fail when the email is filled,
        # inside the status change itself: accept plain placeholders only.
        if spec or conversion:
            raise InvalidInput(f"Write the placeholder plainly, like {{{name}}}.", field)


def _check_subject(subject: str) -> None:
    if not subject:
        raise InvalidInput("Enter a subject.", "subject")
    if len(subject) > 300:
        raise InvalidInput("Keep the subject under 300 characters.", "subject")
    if has_line_break(subject):
        raise InvalidInput("Keep the subject on one line.", "subject")
    check_template(subject, "subject")


def _check_body(body: str) -> None:
    if not body:
        raise InvalidInput("Enter the email's text.", "body")
    if len(body) > 5000:
        raise InvalidInput("Keep the text under 5,000 characters.", "body")
    check_template(body, "body")


def fill(text: str, values: dict[str, str]) -> str:
    return text.format_map(values)


def save_rule(session: Session, actor: StaffPrincipal, *, status: str, enabled: bool, subject: str, body: str) -> AutomationRule:
    require_owner(actor, "change automations")
    if status not in {s.value for s in ALL_STATUSES}:
        raise InvalidInput("Unknown status.", "status")
    subject, body = (subject or "").strip(), (body or "").strip()
    checks = Checks()  # say all that is wrong with both boxes at once
    checks(_check_subject, subject)
    checks(_check_body, body)
    checks.done()
    row = session.get(StatusAutomation, status) or StatusAutomation(status=status, subject=subject, body=body)
    row.enabled, row.subject, row.body, row.updated_at = bool(enabled), subject, body, utcnow()
    session.add(row)
    return AutomationRule(status, label(status), row.enabled, subject, body)


def sample_values(session: Session) -> dict[str, str]:
    shop = shop_info(session)
    return {
        "contact_name": "Sarah",
        "customer_name": "Smith Embroidery",
        "job_title": "Spring League T-Shirts",
        "status": "Shipped",
        "tracking_link": tracking_url("ups", "1Z999AA10123456784"),
        # The shop's own address (KONTROL_PUBLIC_URL), so the owner sees where clients will land.
        "portal_link": f"{get_settings().base_url}{PORTAL_PREFIX}smith-embroidery-…",
        "shop_name": display_name(shop),
    }


def preview(session: Session, *, status: str, subject: str, body: str) -> tuple[str, str]:
    """(subject, text) filled with sample values; raises InvalidInput on a bad template."""
    checks = Checks()
    checks(check_template, subject, "subject")
    checks(check_template, body, "body")
    checks.done()
    values = sample_values(session) | {"status": label(status)}
    return fill(subject, values), fill(body, values)


def queue_status_emails(session: Session, job: Job, change: JobStatusChange) -> int:
    """In the status change's transaction: one email per contact when the rule is on."""
    rule = session.get(StatusAutomation, change.to_status)
    if rule is None or not rule.enabled:
        return 0
    customer = session.get(Customer, job.customer_id)
    contacts = outbox.contacts_to_email(session, job.customer_id)
    shop = shop_info(session)
    link = portal_url(customer)
    track = tracking_url(job.tracking_carrier, job.tracking_number)
    queued = 0
    for contact in contacts:
        values = {
            "contact_name": (contact.name or customer.name).split()[0],
            "customer_name": customer.name,
            "job_title": job.title,
            "status": label(change.to_status),
            "tracking_link": track or job.tracking_number or "(no tracking number yet)",
            "portal_link": link,
            "shop_name": display_name(shop),
        }
        email = outbox.queue_email(
            session,
            kind=EmailKind.JOB_STATUS,
            to=contact.email,
            # The shop's own text, filled in, is data for the job_status template.
            data={
                "subject": fill(rule.subject, values),
                "body": fill(rule.body, values),
                "job_url": f"{link}?job={job.id}",
                "job_title": job.title,
                "status": values["status"],
            },
            dedupe_key=f"job-status:{change.id}:{contact.id}",
        )
        queued += email is not None
    return queued
