"""Submitting: the draft, checked again step by step, becomes a quote request numbered QR-0001...
in one transaction (the draft goes, the contact gets a confirmation email and the staff a
notice); `summary_lines` puts the answers in words for the emails, the notice and the review.

The number comes from `Shop.quote_next_number`, taken with one `UPDATE ... RETURNING` in the
submit's own transaction: two submits at the same moment queue on the shop row and never share
a number, and a rolled-back submit gives its number back."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, select

from kontrol_app.models import Customer, EmailKind, QuoteDraft, QuoteRequest, QuoteRequestFile, Shop
from kontrol_app.services import notifications, outbox
from kontrol_app.services.errors import Conflict, InvalidInput, NotAllowed, find
from kontrol_app.services.money import format_money
from kontrol_app.services.portal_links import portal_url
from kontrol_app.services.portal_view import SIGN_IN_AGAIN, PortalViewer, writing_contact
from kontrol_app.services.quotes.choices import DECORATIONS, DELIVERY, ITEM_TYPES, PLACEMENTS
from kontrol_app.services.quotes.draft import PREVIEW, _decode, _draft_row
from kontrol_app.services.quotes.steps import STEPS, check_step
from kontrol_app.services.shop import get_shop

NO_DRAFT = "There is nothing to submit — fill in the form first."


def _allocate_number(session: Session) -> str:
    """The next quote request number, taken in the caller's transaction (module docstring)."""
    shop = get_shop(session)
    if shop is None:
        raise NotAllowed("The shop is not set up yet.")
    while True:
        taken = session.exec(
            update(Shop).where(Shop.id == shop.id).values(quote_next_number=Shop.quote_next_number + 1).returning(Shop.quote_next_number - 1)
        ).scalar_one()
        number = f"QR-{taken:04d}"
        if session.exec(select(QuoteRequest.id).where(QuoteRequest.number == number)).first() is None:
            return number


def _sizes_line(answers: dict) -> str:
    return " · ".join(f"{size} {count}" for size, count in answers["quantities"].items())


def summary_lines(answers: dict, currency: str) -> list[str]:
    """The request in words, one "Label: value" line each (emails, the staff notice)."""
    what = ITEM_TYPES[answers["item_type"]]
    details = ", ".join(part for part in (answers["garment"], answers["colour"]) if part)
    lines = [f"What: {answers['total']} {what}" + (f" ({details})" if details else ""), f"Sizes: {_sizes_line(answers)}"]
    if answers.get("reorder_of"):
        lines.insert(0, f"Reorder of: {answers['reorder_of']}")
    lines.append(f"Decoration: {DECORATIONS[answers['decoration']]}")
    placements = ", ".join(f"{PLACEMENTS[key]} ({count} colour{'s' if count != 1 else ''})" for key, count in answers["placements"].items())
    lines.append(f"Placements: {placements}")
    files = len(answers["file_ids"])
    if files or answers["use_logo"]:
        parts = [f"{files} file{'s' if files != 1 else ''}"] if files else []
        lines.append("Artwork: " + ", ".join(parts + (["use my logo from My Branding"] if answers["use_logo"] else [])))
    day = date.fromisoformat(answers["in_hands_date"])
    lines.append(f"In hands: {day:%b} {day.day}, {day.year}")
    delivery = DELIVERY[answers["delivery"]]
    lines.append(f"Delivery: {delivery}" + (f" to {' '.join(answers['address'].split())}" if answers["address"] else ""))
    if answers["budget_cents"] is not None:
        lines.append(f"Budget: {format_money(answers['budget_cents'], currency)}")
    if answers["notes"]:
        lines.append(f"Notes: {answers['notes']}")
    return lines


def submit(session: Session, viewer: PortalViewer) -> str:
    """Turn the contact's draft into a quote request; returns its number (QR-0001). The draft
    goes in the same transaction, so a double click submits once (the second finds no draft).
    Raises InvalidInput (field = the first wrong field) when a step is not valid; nothing changes."""
    contact = writing_contact(session, viewer, PREVIEW)
    row = _draft_row(session, viewer)
    if row is None:
        raise Conflict(NO_DRAFT)
    data = _decode(row.data)
    answers: dict[str, Any] = {}
    for step, key in enumerate(STEPS, start=1):
        check = check_step(session, viewer.customer_id, step, data[key])
        if not check.ok:
            name, message = next(iter(check.errors.items()))
            raise InvalidInput(f"Step {step}: {message}", name)
        answers.update(check.clean)
    # Claim the draft first: a second submit of the same draft waits here, then finds it gone.
    if session.exec(delete(QuoteDraft).where(QuoteDraft.id == row.id)).rowcount != 1:
        raise Conflict(NO_DRAFT)
    customer = find(session, Customer, viewer.customer_id, SIGN_IN_AGAIN)
    number = _allocate_number(session)
    request = QuoteRequest(
        number=number,
        customer_id=customer.id,
        contact_id=contact.id,
        contact_name=contact.name or contact.email or "",
        item_type=answers["item_type"],
        garment=answers["garment"],
        colour=answers["colour"],
        total_quantity=answers["total"],
        decoration=answers["decoration"],
        in_hands_date=date.fromisoformat(answers["in_hands_date"]),
        answers=json.dumps(answers, separators=(",", ":")),
    )
    session.add(request)
    session.flush()
    for file_id in answers["file_ids"]:
        session.add(QuoteRequestFile(quote_request_id=request.id, file_id=file_id))
    shop = get_shop(session)
    lines = summary_lines(answers, shop.currency if shop else "USD")
    if contact.email:
        outbox.queue_email(
            session,
            kind=EmailKind.QUOTE_REQUEST_CONFIRMATION,
            to=contact.email,
            data={
                "number": number,
                "contact_name": contact.name or "there",
                "summary": "\n".join(lines),
                "portal_url": portal_url(customer),
            },
            dedupe_key=f"quote_request:{request.id}:confirmation",
        )
    who = f"{request.contact_name} ({customer.name})" if request.contact_name else customer.name
    notifications.notify(
        session,
        kind="quote_request",
        title=f"{who} asked for a quote: {number}",
        body="\n".join(lines),
        link=f"/quotes?request={request.id}",
        subject=f"New quote request {number} from {customer.name}",
    )
    session.flush()
    return number
