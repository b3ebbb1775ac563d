"""Editing in a real browser against the production build: a customer's extra contacts
(who may then sign in to the portal, until removed) and a job's details (which an open
portal picks up without a reload)."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import false
from sqlmodel import select

from kontrol_app.models import Customer, CustomerContact, EmailKind, Job, PortalSession

from .conftest import code_in
from .pages import (
    at,
    expect_portal_sign_in_form,
    field_of,
    live_button,
    staff_page_live,
    toast,
)

LIVE_MS = 5_000  # "an open portal shows the change within 5 seconds"
EXTRA = {"name": "Jo Runner", "email": "jo@riverside.example"}


def _extra_contacts(db_session, customer_id: int) -> list[tuple[str, str]]:
    with db_session() as session:
        rows = session.exec(
            select(CustomerContact).where(CustomerContact.customer_id == customer_id, CustomerContact.is_primary == false())
        ).all()
        return [(c.name, c.email) for c in rows]


def _open_edit_form(page, customer) -> None:
    page.get_by_role("link", name="Edit customer").click()
    expect(page).to_have_url(at(f"/customers/{customer.id}/edit"))
    expect(page.get_by_role("heading", name="Edit customer")).to_be_visible()
    expect(page.locator("input[name=name]")).to_have_value(customer.name)  # the form's loader has run
    expect(page.locator("input[name=email]")).to_have_value(customer.email)


def test_an_added_contact_signs_in_to_the_portal_until_removed(
    shop, make_customer, new_context, sign_in_as, portal_sign_in, outbox, db_session
):
    customer = make_customer("Riverside Runners", email="sam@riverside.example", contact_name="Sam Rivers")
    staff = new_context().new_page()
    sign_in_as(staff, shop, f"/customers/{customer.id}")
    expect(staff.get_by_role("heading", name=customer.name)).to_be_visible()
    staff_page_live(staff, shop.name)
    _open_edit_form(staff, customer)

    contacts = staff.locator(".extra-contact")
    expect(contacts).to_have_count(0)
    staff.get_by_role("button", name="Add contact").click()
    expect(contacts).to_have_count(1)
    contact_name, contact_email = contacts.first.locator("input").nth(0), contacts.first.locator("input").nth(1)
    contact_name.fill(EXTRA["name"])
    save = staff.get_by_role("button", name="Save customer")

    # A named contact without an email cannot sign in: the row asks for one, nothing is saved.
    save.click()
    expect(contacts.first.get_by_role("alert")).to_have_text("Enter this contact's email, or remove the row.")
    expect(contact_name).to_have_value(EXTRA["name"])
    expect(staff).to_have_url(at(f"/customers/{customer.id}/edit"))
    assert _extra_contacts(db_session, customer.id) == []

    contact_email.fill(EXTRA["email"])
    save.click()
    expect(staff).to_have_url(at(f"/customers/{customer.id}"))
    expect(toast(staff, "Customer saved.")).to_be_visible()
    contacts_card = staff.locator(".rt-Card").filter(has=staff.get_by_role("heading", name="Contacts"))
    expect(contacts_card).to_contain_text("Sam Rivers · sam@riverside.example")
    expect(contacts_card.get_by_text(f"{EXTRA['name']} · {EXTRA['email']}", exact=True)).to_be_visible()
    assert _extra_contacts(db_session, customer.id) == [(EXTRA["name"], EXTRA["email"])]

    # The new contact signs in to the customer's portal with an emailed code.
    client = new_context().new_page()
    portal_sign_in(client, customer.portal_url, EXTRA["email"])
    expect(client.get_by_text(f"Hi {EXTRA['name']} — {customer.name}")).to_be_visible()
    assert len(outbox(EmailKind.SIGN_IN_CODE, to=EXTRA["email"])) == 1

    # Removed again: the contact's open portal session ends, and no further code is sent.
    _open_edit_form(staff, customer)
    expect(contacts).to_have_count(1)
    expect(contact_email).to_have_value(EXTRA["email"])
    contacts.first.get_by_role("button", name="Remove").click()
    expect(contacts).to_have_count(0)
    save.click()
    expect(staff).to_have_url(at(f"/customers/{customer.id}"))
    expect(contacts_card).to_contain_text("Sam Rivers · sam@riverside.example")
    expect(contacts_card.get_by_text(EXTRA["email"])).to_have_count(0)
    assert _extra_contacts(db_session, customer.id) == []
    with db_session() as session:
        assert session.exec(select(PortalSession)).all() == []

    client.reload()
    expect_portal_sign_in_form(client)
    send = live_button(client, "Send me a code")
    client.locator("input[name=email]").fill(EXTRA["email"])
    send.click()
    expect(client.get_by_role("heading", name="Check your email")).to_be_visible()  # the same answer as ever
    assert len(outbox(EmailKind.SIGN_IN_CODE, to=EXTRA["email"])) == 1  # but no new code
    # The primary contact still gets one on the same page (so the request above really ran).
    client.get_by_role("button", name="Use a different email").click()
    live_button(client, "Send me a code")
    client.locator("input[name=email]").fill(customer.email)
    client.get_by_role("button", name="Send me a code").click()
    expect(client.get_by_text(customer.email, exact=True)).to_be_visible()
    [code_email] = outbox(EmailKind.SIGN_IN_CODE, to=customer.email)
    assert code_in(code_email.text_body)
    assert len(outbox(EmailKind.SIGN_IN_CODE, to=EXTRA["email"])) == 1


def test_an_edited_job_shows_on_the_job_page_and_in_the_open_portal(
    shop, make_customer, make_job, new_context, sign_in_as, portal_sign_in, db_session
):
    customer = make_customer("Riverside Runners", email="sam@riverside.example", contact_name="Sam Rivers")
    job_id = make_job(customer.id, "Spring League T-Shirts", quantity=144, due_date="2030-04-12")

    client = new_context().new_page()
    portal_sign_in(client, customer.portal_url, customer.email)
    cards = client.locator(".order-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Spring League T-Shirts")
    expect(cards.first).to_contain_text("144 pcs · Due Apr 12")
    client.evaluate("window.__kontrolNoReload = true")  # gone if the page ever reloads

    staff = new_context().new_page()
    sign_in_as(staff, shop, f"/jobs/{job_id}")
    expect(staff.get_by_role("heading", name="Spring League T-Shirts")).to_be_visible()
    staff.get_by_role("link", name="Edit job").click()
    expect(staff).to_have_url(at(f"/jobs/{job_id}/edit"))
    expect(staff.get_by_role("heading", name="Edit job")).to_be_visible()
    title, quantity = staff.locator("input[name=title]"), staff.locator("input[name=quantity]")
    expect(title).to_have_value("Spring League T-Shirts")  # the form's loader has run
    expect(quantity).to_have_value("144")
    expect(staff.locator("#chosen-customer")).to_have_text(customer.name)

    # A quantity that is not a number is refused with the field; the job is unchanged.
    title.fill("Summer League Jerseys")
    quantity.fill("a gross")
    save = staff.get_by_role("button", name="Save job")
    save.click()
    expect(field_of(staff, "quantity").get_by_role("alert")).to_have_text(
        "Enter the quantity as a whole number of pieces, like 144."
    )
    expect(title).to_have_value("Summer League Jerseys")
    with db_session() as session:
        job = session.get(Job, job_id)
        assert (job.title, job.quantity) == ("Spring League T-Shirts", 144)

    quantity.fill("1,440")
    save.click()
    expect(staff).to_have_url(at(f"/jobs/{job_id}"))
    expect(toast(staff, "Job saved.")).to_be_visible()
    expect(staff.get_by_role("heading", name="Summer League Jerseys")).to_be_visible()
    expect(staff.get_by_text("1,440 pcs", exact=True)).to_be_visible()
    expect(staff.locator("#job-status")).to_have_text("Quote")  # editing does not move the job
    with db_session() as session:
        job = session.get(Job, job_id)
        assert (job.title, job.quantity, job.customer_id, str(job.due_date)) == (
            "Summer League Jerseys", 1440, customer.id, "2030-04-12"
        )

    # The client's open portal follows within seconds, without a reload.
    expect(cards.first).to_contain_text("Summer League Jerseys", timeout=LIVE_MS)
    expect(cards.first).to_contain_text("1,440 pcs · Due Apr 12")
    expect(client.get_by_text("Spring League T-Shirts")).to_have_count(0)
    expect(cards).to_have_count(1)
    assert client.evaluate("window.__kontrolNoReload === true"), "the portal reloaded"
    cards.first.get_by_role("button", name="View details").click()
    expect(client.locator("#portal-job-detail")).to_contain_text(re.compile(r"Summer League Jerseys.*1,440 pcs"))


def test_saving_a_customer_someone_else_changed_is_refused(shop, make_customer, new_context, sign_in_as, db_session):
    customer = make_customer("Harbor Lights", email="kim@harbor.example", contact_name="Kim Harbor")
    first, second = new_context().new_page(), new_context().new_page()
    for page in (first, second):
        sign_in_as(page, shop, f"/customers/{customer.id}/edit")
        staff_page_live(page, shop.name)
        expect(page.locator("input[name=name]")).to_have_value(customer.name)

    first.locator("input[name=phone]").fill("555 0142")
    live_button(first, "Save customer").click()
    expect(toast(first, "Customer saved.")).to_be_visible()

    second.locator("input[name=name]").fill("Harbour Lights Ltd")
    live_button(second, "Save customer").click()
    stale = "Someone else changed this customer — reload to see their changes"
    expect(second.get_by_role("alert").filter(has_text=stale).first).to_be_visible()
    expect(second.locator("input[name=name]")).to_have_value("Harbour Lights Ltd")  # what they typed stays
    with db_session() as session:
        row = session.get(Customer, customer.id)
        assert (row.name, row.phone) == ("Harbor Lights", "555 0142")
