"""What the portal shows, scoped to one customer. Every function takes the customer id
from the signed-in session (or the staff preview), never from the browser."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row, Select, and_, bindparam, true
from sqlalchemy import select as sa_select
from sqlmodel import Session

from kontrol_app.db import compiled_once
from kontrol_app.models import (
    Customer,
    CustomerContact,
    PortalSession,
    StaffSession,
    StaffUser,
    utcnow,
)
from kontrol_app.services.errors import NotAllowed, found
from kontrol_app.services.portal_auth import LINK_NOT_VALID
from kontrol_app.services.portal_links import customer_for_link, link_key_hash
from kontrol_app.services.shop import TIMEZONE_QUERY, display_name, shop_info
from kontrol_app.services.tokens import token_hash

T = TypeVar("T")


@dataclass(frozen=True)
class PortalHeader:
    """The shop's branding, shown on a valid link's page before anyone signs in."""

    shop_name: str
    shop_email: str
    shop_logo: str
    shop_phone: str = ""


def shop_header(session: Session) -> PortalHeader:
    """The shop's name and how to reach it: a valid link's header, and what a dead link's page
    names (an old email's link must still say whom to ask for a new one)."""
    shop = shop_info(session)
    if shop is None:
        return PortalHeader(display_name(shop), "", "", "")
    return PortalHeader(display_name(shop), shop.email, shop.logo_path, shop.phone)


@dataclass(frozen=True)
class PortalViewer:
    """Who is looking at a portal: a client of this customer, or staff previewing it."""

    customer_id: int
    customer_name: str
    name: str
    email: str
    preview: bool
    contact_id: int | None = None  # the client contact; None in a staff Preview
    timezone: str = "UTC"  # the shop's (times show in it), read with the re-check
    # When the session this rests on expires: a re-check remembered by a worker is good until then.
    until: datetime | None = field(default=None, compare=False, repr=False)


_now = bindparam("now")
# Link, client session and (for Preview) staff session in one statement, each found by a
# unique index; built and compiled once (`compiled_once`) for every event.
VIEWER_QUERY = compiled_once(
    sa_select(
        Customer.id,
        Customer.name,
        CustomerContact.id,
        CustomerContact.name,
        CustomerContact.email,
        StaffUser.name,
        StaffUser.email,
        TIMEZONE_QUERY.scalar_subquery(),
        PortalSession.expires_at,
        StaffSession.expires_at,
    )
    .select_from(Customer)
    .outerjoin(
        PortalSession,
        and_(
            PortalSession.token_hash == bindparam("client_hash"),
            PortalSession.customer_id == Customer.id,
            PortalSession.revoked_at.is_(None),
            PortalSession.expires_at > _now,
        ),
    )
    .outerjoin(
        CustomerContact,
        and_(CustomerContact.id == PortalSession.contact_id, CustomerContact.email.is_not(None)),
    )
    .outerjoin(
        StaffSession,
        and_(StaffSession.token_hash == bindparam("staff_hash"), StaffSession.revoked_at.is_(None), StaffSession.expires_at > _now),
    )
    .outerjoin(StaffUser, and_(StaffUser.id == StaffSession.staff_user_id, StaffUser.is_active == true()))
    .where(Customer.portal_key_hash == bindparam("key_hash"))
)
_VIEWER_COLUMNS = len(VIEWER_QUERY.selected_columns)
_NO_TOKEN = "-"  # matches no stored hash (those are 64 hex characters)


def _viewer_row(
    session: Session, link: str, client_token: str | None, staff_token: str | None, want_preview: bool, query: Select = VIEWER_QUERY
) -> Row | None:
    key_hash = link_key_hash(link)
    if key_hash is None:
        return None
    # Preview answers only to staff; a client's cookie counts only outside Preview.
    client_hash = token_hash(client_token) if client_token and not want_preview else _NO_TOKEN
    staff_hash = token_hash(staff_token) if staff_token and want_preview else _NO_TOKEN
    params = {"key_hash": key_hash, "client_hash": client_hash, "staff_hash": staff_hash, "now": utcnow()}
    return session.connection().execute(query, params).first()


def _viewer(row: Row) -> PortalViewer | None:
    customer_id, customer_name, contact_id, client_name, client_email, staff_name, staff_email, timezone, client_until, staff_until = row[:_VIEWER_COLUMNS]
    timezone = timezone or "UTC"
    if client_email is not None:
        return PortalViewer(customer_id, customer_name, client_name, client_email, False, contact_id, timezone, client_until)
    if staff_email is not None:
        return PortalViewer(customer_id, customer_name, staff_name, staff_email, True, None, timezone, staff_until)
    return None


def viewer_for(
    session: Session, link: str, client_token: str | None, staff_token: str | None, want_preview: bool
) -> PortalViewer | None:
    """The session re-check of every portal event: one indexed query, no ORM objects.

    `client_token`/`staff_token` are the raw cookie values; None when there is no valid
    link or no one allowed to see it."""
    row = _viewer_row(session, link, client_token, staff_token, want_preview)
    return _viewer(row) if row is not None else None


def viewer_then(
    session: Session,
    link: str,
    client_token: str | None,
    staff_token: str | None,
    want_preview: bool,
    then: Callable[..., T],
    *args: Any,
) -> tuple[PortalViewer | None, T | None]:
    """The re-check and, for a viewer, `then(session, viewer, *args)` in the same transaction:
    one trip for the portal's poll and for its busiest reads (open a job, open a thread)."""
    viewer = viewer_for(session, link, client_token, staff_token, want_preview)
    return viewer, (then(session, viewer, *args) if viewer is not None else None)


def viewer_with(
    session: Session, query: Select, link: str, client_token: str | None, staff_token: str | None, want_preview: bool
) -> tuple[PortalViewer | None, tuple]:
    """The re-check as `query` (`VIEWER_QUERY` with columns added, e.g. scalar subqueries
    correlated with `Customer.id`): the viewer and, for a viewer, the added columns."""
    row = _viewer_row(session, link, client_token, staff_token, want_preview, query)
    viewer = _viewer(row) if row is not None else None
    return viewer, (tuple(row[_VIEWER_COLUMNS:]) if viewer is not None else ())


def link_alive(session: Session, link: str) -> bool:
    """Whether the link still opens a portal (not regenerated, not mistyped)."""
    return customer_for_link(session, link) is not None


@dataclass(frozen=True)
class PortalOpening:
    header: PortalHeader
    viewer: PortalViewer | None


def open_portal(
    session: Session, link: str, client_token: str | None, staff_token: str | None, want_preview: bool
) -> PortalOpening:
    """A page load: the shop's branding for a valid link, and who may see it (if anyone)."""
    row = found(_viewer_row(session, link, client_token, staff_token, want_preview), LINK_NOT_VALID)
    return PortalOpening(shop_header(session), _viewer(row))


SIGN_IN_AGAIN = "Sign in again to make changes."


def writing_contact(session: Session, viewer: Any, preview_refusal: str) -> CustomerContact:
    """The signed-in contact a change in the portal is made as (a draft, a message, the brand
    kit). A staff Preview has none and is refused in the area's own words (`preview_refusal`);
    a contact that is not one of the viewer's customer's (gone since, or forged) never writes."""
    if getattr(viewer, "preview", False) or viewer.contact_id is None:
        raise NotAllowed(preview_refusal)
    contact = session.get(CustomerContact, viewer.contact_id)
    if contact is None or contact.customer_id != viewer.customer_id:
        raise NotAllowed(SIGN_IN_AGAIN)
    return contact
