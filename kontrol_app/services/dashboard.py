"""The Dashboard's "Get a client onto the portal" checklist, each item ticked from real data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import true
from sqlmodel import Session, select

from kontrol_app.models import Customer, CustomerContact, Job, JobStatus, JobStatusChange, PortalSession, StatusAutomation
from kontrol_app.services import invoices, jobs, messages, quotes, stripe_account
from kontrol_app.services.clock import shop_today
from kontrol_app.services.money import format_money
from kontrol_app.services.shop import get_shop
from kontrol_app.services.staff import StaffPrincipal


@dataclass(frozen=True)
class ChecklistItem:
    label: str
    done: bool
    href: str
    action: str


def _any(session: Session, query) -> bool:
    return session.exec(query.limit(1)).first() is not None


def getting_started(session: Session) -> list[ChecklistItem]:
    shop = get_shop(session)
    shop_ready = bool(shop and shop.name and shop.email and shop.logo_file_id)
    customer_with_email = _any(session, select(CustomerContact.id).where(CustomerContact.email.is_not(None)))
    link_copied = _any(session, select(Customer.id).where(Customer.portal_link_copied_at.is_not(None)))
    # Sent by email from Kontrol, or evidently received: a client has signed in.
    link_sent = _any(session, select(Customer.id).where(Customer.portal_link_emailed_at.is_not(None))) or _any(
        session, select(PortalSession.id)
    )
    job_linked = _any(session, select(Job.id))
    # Moved on at least once after being created.
    status_updated = _any(session, select(JobStatusChange.id).where(JobStatusChange.from_status.is_not(None)))
    automations_on = _any(session, select(StatusAutomation.status).where(StatusAutomation.enabled == true()))
    return [
        ChecklistItem("Shop name, email, and logo saved in Settings → Shop Info", shop_ready, "/settings/shop", "Go to Settings →"),
        ChecklistItem("Customer created with their email address on file", customer_with_email, "/customers/new", "Add a customer →"),
        ChecklistItem("Portal link copied from Customers → [Name] → Portal Link", link_copied, "/customers", "Open Customers →"),
        ChecklistItem("Link sent to client via email or text (with a quick note)", link_sent, "/customers", "Open Customers →"),
        ChecklistItem("At least one job created and linked to the customer", job_linked, "/jobs/new", "Create a job →"),
        ChecklistItem("Job status updated each time the order moves forward", status_updated, "/jobs/board", "Open the board →"),
        # Ticked only by a successful Test connection with the current key, never by a pasted key.
        ChecklistItem(
            "Stripe connected so clients can pay online", stripe_account.is_connected(session), "/settings/payments", "Settings → Payments"
        ),
        ChecklistItem("Automatic notifications turned on", automations_on, "/settings/automations", "Settings → Automations"),
    ]


@dataclass(frozen=True)
class AtAGlance:
    unread_messages: int
    open_invoices: str  # what open invoices still owe, in the shop currency
    overdue_invoices: str  # the part of it past due ("" when nothing is)
    new_quote_requests: int = 0  # not opened by anyone yet
    revisions_requested: int = 0  # jobs whose client asked for changes to the artwork


def at_a_glance(session: Session, actor: StaffPrincipal) -> AtAGlance:
    """The Dashboard's "Needs attention" card: unread client messages, money owed, new quote
    requests, and jobs whose client asked for revisions (an approval moves a job on by itself)."""
    shop = get_shop(session)
    currency, timezone = (shop.currency, shop.timezone) if shop is not None else ("USD", "UTC")
    open_total, overdue_total = invoices.open_totals(session, shop_today(timezone))
    return AtAGlance(
        messages.staff_unread_total(session),
        format_money(open_total, currency),
        format_money(overdue_total, currency) if overdue_total else "",
        quotes.unread_count(session, actor),
        jobs.status_counts(session).get(JobStatus.REVISIONS_REQUESTED, 0),
    )
