"""What the portal's Request a Quote tab shows besides the steps themselves: the review (the
draft checked as a whole, in words by step), the address to pre-fill, the customer's requests
("Your quote requests"), and all of it read at once for the open portal's poll (`portal_form`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from kontrol_app.models import Customer, QuoteRequest
from kontrol_app.services.clock import shop_time
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.services.quotes.artwork import ArtworkFile, draft_files
from kontrol_app.services.quotes.choices import STATUS_LABELS
from kontrol_app.services.quotes.draft import Draft, load_draft
from kontrol_app.services.quotes.steps import REVIEW_STEP, STEPS, check_step
from kontrol_app.services.quotes.submitted import _summary, _timezone
from kontrol_app.services.quotes.submitting import summary_lines
from kontrol_app.services.shop import get_shop


def delivery_address(session: Session, viewer: PortalViewer) -> str:
    """Where to ship, to pre-fill the form: the shipping address (My Branding), else billing."""
    customer = session.get(Customer, viewer.customer_id)
    if customer is None:
        return ""
    return (customer.shipping_address or "").strip() or (customer.address or "").strip()


# Which step each summary line belongs to (its label), for the review's Edit links.
_LINE_STEPS = {"Reorder of": 1, "What": 1, "Sizes": 1, "Decoration": 2, "Placements": 2, "Artwork": 2, "Notes": 2, "In hands": 3, "Delivery": 3, "Budget": 3}
STEP_TITLES = {1: "What and how many", 2: "Artwork and decoration", 3: "Timing and delivery"}


@dataclass(frozen=True)
class ReviewSection:
    step: int
    title: str
    lines: list[str]


@dataclass(frozen=True)
class Review:
    """The draft checked as a whole: `step` is the first step with an error (its `errors`), or
    REVIEW_STEP with every answer in words, by step."""

    step: int
    errors: dict[str, str]
    warnings: dict[str, str]
    sections: list[ReviewSection]


def review(session: Session, viewer: PortalViewer) -> Review:
    data = load_draft(session, viewer).data
    answers: dict[str, Any] = {}
    warnings: dict[str, str] = {}
    for step, key in enumerate(STEPS, start=1):
        check = check_step(session, viewer.customer_id, step, data[key])
        warnings.update(check.warnings)
        if not check.ok:
            return Review(step, check.errors, check.warnings, [])
        answers.update(check.clean)
    shop = get_shop(session)
    by_step: dict[int, list[str]] = {1: [], 2: [], 3: []}
    for line in summary_lines(answers, shop.currency if shop else "USD"):
        by_step[_LINE_STEPS.get(line.split(":", 1)[0], 2)].append(line)
    return Review(REVIEW_STEP, {}, warnings, [ReviewSection(step, STEP_TITLES[step], lines) for step, lines in by_step.items()])


@dataclass(frozen=True)
class PortalQuoteRow:
    """ "Your quote requests": one row, with the shop's message when declined."""

    id: int
    number: str
    summary: str
    created: str
    status: str
    status_label: str
    decline_message: str


def portal_requests(session: Session, viewer: PortalViewer) -> list[PortalQuoteRow]:
    """The customer's requests, newest first (all contacts': they belong to the customer)."""
    timezone = _timezone(session)
    rows = session.exec(select(QuoteRequest).where(QuoteRequest.customer_id == viewer.customer_id).order_by(QuoteRequest.id.desc()).limit(200)).all()
    return [
        PortalQuoteRow(
            r.id,
            r.number,
            _summary(r),
            shop_time(r.created_at, timezone),
            r.status,
            STATUS_LABELS.get(r.status, r.status),
            r.decline_message if r.status == "declined" else "",
        )
        for r in rows
    ]


# Built once (Core): part of the open portal's poll (services/portal_live.py).
@dataclass(frozen=True)
class PortalForm:
    """Everything the Request a Quote tab shows, read in one transaction."""

    draft: Draft
    files: list[ArtworkFile]
    review: Review | None  # when the draft is at the review
    address: str  # to pre-fill shipping
    requests: list[PortalQuoteRow]


def portal_form(session: Session, viewer: PortalViewer) -> PortalForm:
    draft = load_draft(session, viewer)
    return PortalForm(
        draft,
        draft_files(session, viewer, draft.data["artwork"].get("file_ids")),
        review(session, viewer) if draft.step == REVIEW_STEP else None,
        delivery_address(session, viewer),
        portal_requests(session, viewer),
    )
