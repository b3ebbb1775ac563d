"""Plain factories for the tests: the shop owner, a team member, a customer with contacts, a job.

Each takes the test's session, goes through the services (so the rows are what the app
itself would write) and commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from kontrol_app.models import JobStatus
from kontrol_app.services import customers, invoices, jobs, mockups, staff
from kontrol_app.services.customers import ContactInput, CustomerInput


OWNER_EMAIL = "owner@example.com"
OWNER_PASSWORD = "correct horse"


def make_owner(
    session: Session,
    *,
    shop_name: str = "Test Print Co.",
    name: str = "Olivia Owner",
    email: str = OWNER_EMAIL,
    password: str = OWNER_PASSWORD,
) -> staff.StaffPrincipal:
    """Create the shop and its owner."""
    owner = staff.create_shop(session, shop_name=shop_name, name=name, email=email, password=password)
    session.commit()
    return owner


def make_staff(
    session: Session,
    owner: staff.StaffPrincipal,
    *,
    name: str = "Sam Staff",
    email: str = "sam@example.com",
    password: str = "battery staple",
) -> staff.StaffPrincipal:
    """Add a (non-owner) team member; returns them as a signed-in principal."""
    member = staff.add_staff(session, owner, name=name, email=email, password=password)
    session.commit()
    return staff.StaffPrincipal(member.id, member.name, member.email, member.role)


def customer_input(name: str, email: str = "", contacts: Iterable[tuple[str, str]] = (), **fields) -> CustomerInput:
    """What the customer form sends; `contacts` are (name, email) pairs of the extra people."""
    return CustomerInput(name=name, email=email, contacts=[ContactInput(n, e) for n, e in contacts], **fields)


def make_customer(
    session: Session,
    owner: staff.StaffPrincipal,
    name: str = "Smith Embroidery",
    email: str = "",
    contacts: Iterable[tuple[str, str]] = (),
    **fields,
) -> int:
    """Create a customer (primary `email`, extra `contacts` as (name, email) pairs; other
    CustomerInput fields, e.g. contact_name, by keyword); returns its id."""
    customer_id = customers.create_customer(session, owner, customer_input(name, email, contacts, **fields))
    session.commit()
    return customer_id


def make_job(
    session: Session,
    owner: staff.StaffPrincipal,
    customer_id: int,
    title: str = "Spring League T-Shirts",
    *,
    quantity: str = "144",
    path: Iterable[str] = (),
    **fields,
) -> int:
    """Create a job (other JobInput fields, e.g. due_date, by keyword), then move it through
    each status in `path`; returns its id."""
    job_id = jobs.create_job(session, owner, jobs.JobInput(title=title, customer_id=customer_id, quantity=quantity, **fields))
    path = list(path)
    if jobs.APPROVAL_GATED.intersection(path):
        # Art Approved and In Production need an approval: recorded first, while the job is a
        # quote, so the job's history is exactly `path` (tests/unit/test_mockups.py tests the gate).
        approve_offline(session, owner, job_id)
    for status in path:
        assert move_job(session, owner, job_id, status)
    session.commit()
    return job_id


def move_job(session: Session, owner: staff.StaffPrincipal, job_id: int, status: str) -> bool:
    """Set status, as staff do; Awaiting Approval as Send for Approval moves a job there (staff
    can't set it by hand with no artwork sent; tests/unit/test_mockups.py sends real artwork)."""
    if status == JobStatus.AWAITING_APPROVAL:
        return jobs.move_status(session, job_id, JobStatus.AWAITING_APPROVAL, changed_by=owner.name, staff_user_id=owner.id)
    return jobs.change_status(session, owner, job_id, status)


def approve_offline(session: Session, owner: staff.StaffPrincipal, job_id: int) -> None:
    """Open the approval gate of a job without artwork: an offline "no artwork needed"
    approval (not committed). A quote job keeps its status."""
    mockups.record_offline_approval(
        session, owner, job_id, approved_by="Test Client", method="no_artwork", note="Blank garments, no print."
    )


def make_invoice(
    session: Session,
    owner: staff.StaffPrincipal,
    job_id: int,
    lines: Iterable[tuple[str, str, str]] = (("Shirts, 2 colours front", "10", "12.50"),),
    *,
    send: bool = False,
    **fields,
) -> int:
    """A draft invoice for the job with `lines` as (description, quantity, unit price) typed
    into the form (other InvoiceInput fields, e.g. tax_rate="8.875", by keyword); sent (numbered,
    emailed) when `send`. Returns its id."""
    data = invoices.InvoiceInput(lines=[invoices.LineInput(*line) for line in lines], **fields)
    invoice_id = invoices.create_draft(session, owner, job_id, data)
    if send:
        invoices.send_invoice(session, owner, invoice_id)
    session.commit()
    return invoice_id
