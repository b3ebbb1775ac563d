"""What the portal shows, scoped to one customer. Every function takes the customer id
from the signed-in session (or the staff preview), never from the browser."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from kontrol_app.models import Customer, CustomerContact
from kontrol_app.services.errors import NotFound
from kontrol_app.services.portal_auth import LINK_NOT_VALID, PortalPrincipal
from kontrol_app.services.portal_links import customer_for_link
from kontrol_app.services.shop import shop_info
from kontrol_app.services.staff import StaffPrincipal


@dataclass(frozen=True)
class PortalHeader:
    shop_name: str
    shop_email: str
    shop_logo: str
    customer_id: int
    customer_name: str


def header_for_link(session: Session, link: str) -> PortalHeader:
    """The branding shown on a link's page, before anyone signs in."""
    customer = customer_for_link(session, link)
    if customer is None:
        raise NotFound(LINK_NOT_VALID)
    shop = shop_info(session)
    return PortalHeader(
        shop_name=shop.name if shop else "",
        shop_email=shop.email if shop else "",
        shop_logo=shop.logo_path if shop else "",
        customer_id=customer.id,
        customer_name=customer.name,
    )


@dataclass(frozen=True)
class PortalViewer:
    """Who is looking at a portal: a client of this customer, or staff previewing it."""

    customer_id: int
    name: str
    email: str
    preview: bool


def viewer_for(
    session: Session, link: str, client: PortalPrincipal | None, staff: StaffPrincipal | None, want_preview: bool
) -> PortalViewer | None:
    customer = customer_for_link(session, link)
    if customer is None:
        return None
    if client is not None and client.customer_id == customer.id and not want_preview:
        return PortalViewer(customer.id, client.name, client.email, preview=False)
    if want_preview and staff is not None:
        return PortalViewer(customer.id, staff.name, staff.email, preview=True)
    return None


@dataclass(frozen=True)
class ContactDetails:
    customer_name: str
    phone: str
    address: str
    contacts: list[tuple[str, str]]


def contact_details(session: Session, customer_id: int) -> ContactDetails:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("Not found.")
    contacts = session.exec(
        select(CustomerContact).where(CustomerContact.customer_id == customer_id).order_by(CustomerContact.id)
    ).all()
    return ContactDetails(
        customer.name, customer.phone, customer.address, [(c.name, c.email) for c in contacts if c.email]
    )
