"""In a real browser: a client's decision rings the staff bell on an open staff page within
seconds, without a reload; the bell lists it with a link to the job, and opening it marks it
read. The shop gets its email too."""

from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from kontrol_app.models import CustomerContact
from kontrol_app.services import mockups

from .a11y import assert_accessible
from .conftest import OWNER_EMAIL, OWNER_NAME, owner_principal
from .pages import at, staff_page_live

TITLE = "Sarah Smith requested revisions on v1 of Spring League Tees"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (20, 90, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _sent_for_approval(shop, make_customer, make_job, db_session):
    """Acme's job "Spring League Tees" with v1 sent to Sarah Smith: (customer, job id, version, her contact id)."""
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    job_id = make_job(acme.id, "Spring League Tees", quantity=144, status="artwork")
    actor = owner_principal(shop)
    with db_session() as session:
        version = mockups.upload_version(session, actor, job_id, _png(), name="front.png")
    with db_session() as session:
        mockups.send_for_approval(session, actor, version.id, message="Here is the first proof.")
        contact_id = session.exec(select(CustomerContact.id).where(CustomerContact.email == acme.email)).one()
    return acme, job_id, version, contact_id


def test_a_client_decision_rings_the_bell_on_an_open_staff_page(
    shop, make_customer, make_job, page, sign_in_as, db_session, outbox
):
    acme, job_id, version, contact_id = _sent_for_approval(shop, make_customer, make_job, db_session)

    page.emulate_media(reduced_motion="reduce")
    sign_in_as(page, shop, "/jobs")
    staff_page_live(page, OWNER_NAME)
    bell = page.get_by_role("button", name="Notifications")
    expect(bell).to_be_visible()
    count = page.locator("#notifications-count")
    expect(count).to_have_count(0)

    # The client asks for revisions (through the service, as the portal does): no reload here.
    with db_session() as session:
        mockups.decide(session, acme.id, contact_id, version.id, decision="revisions", notes="Make the logo bigger")
    expect(count).to_have_text("1", timeout=6_000)  # polled every 3 s
    expect(bell).to_have_attribute("aria-label", "Notifications, 1 unread")

    bell.click()
    popover = page.get_by_role("dialog", name="Notifications")
    expect(popover).to_be_visible()
    item = popover.get_by_role("link", name=re.compile(re.escape(TITLE)))
    expect(item).to_have_attribute("href", f"/jobs/{job_id}")
    expect(item).to_contain_text("Make the logo bigger")
    # A body of several lines (a quote request's answers) keeps its lines.
    expect(item.locator(".notification-body")).to_have_css("white-space", "pre-line")
    expect(count).to_have_count(0)  # opening it marked it read
    assert_accessible(page, "the notifications bell")

    item.click()
    expect(page).to_have_url(at(f"/jobs/{job_id}"))
    expect(page.get_by_text("Spring League Tees").first).to_be_visible()
    expect(page.get_by_role("button", name="Notifications")).to_be_visible()
    expect(page.locator("#notifications-count")).to_have_count(0)  # read stays read

    [email] = outbox("approval_decision", to=OWNER_EMAIL)
    assert email.subject == "Sarah Smith requested revisions on v1 — Spring League Tees"
    assert f"/jobs/{job_id}" in email.text_body and "Make the logo bigger" in email.text_body


def test_an_open_job_page_shows_the_clients_answer_without_a_reload(
    shop, make_customer, make_job, page, sign_in_as, db_session
):
    acme, job_id, version, contact_id = _sent_for_approval(shop, make_customer, make_job, db_session)

    sign_in_as(page, shop, f"/jobs/{job_id}")
    staff_page_live(page, OWNER_NAME)
    expect(page.locator("#job-status")).to_have_text("Awaiting Approval")
    # No click moves it on (the client's answer does), and the page says so.
    expect(page.locator("#awaiting-answer")).to_have_text("Waiting for the client's answer (Mockups tab).")
    expect(page.locator("#move-next")).to_have_count(0)
    # Typed, not saved: the page's own refresh must not take these away.
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_label("Note for the history (optional)").fill("Packed by Jo")
    page.get_by_role("tab", name="Mockups").click()
    expect(page.locator(".mockup-state").first).to_contain_text("Awaiting the client")

    with db_session() as session:  # the client approves in the portal (through the service, as it does)
        mockups.decide(session, acme.id, contact_id, version.id, decision="approved", typed_name="Sarah Smith", agreed=True)
    expect(page.locator("#job-status")).to_have_text("Art Approved", timeout=6_000)  # the bell's 3 s tick
    expect(page.locator(".mockup-state").first).to_contain_text("Approved")
    expect(page.get_by_role("button", name="Move to In Production")).to_be_visible()
    expect(page.get_by_label("Tracking number")).to_have_value("1Z999AA10123456784")
    expect(page.get_by_label("Note for the history (optional)")).to_have_value("Packed by Jo")
    page.get_by_role("tab", name="History").click()
    expect(page.locator(".history-row").first).to_contain_text("Awaiting Approval → Art Approved")
    expect(page.locator(".history-row").first).to_contain_text("Sarah Smith")
