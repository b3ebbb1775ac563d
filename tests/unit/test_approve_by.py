"""The "Approve by" date: due date minus the shop's production time in business days, "today" in the
shop's timezone; shown on the portal proof, in the banner and in the artwork-ready email."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image
from sqlmodel import Session, select

from kontrol_app.models import CustomerContact, EmailKind, Job, OutboxEmail
from kontrol_app.services import approve_by, mockups
from kontrol_app.services import shop as shop_service
from kontrol_app.services.approve_by import PASSED, approve_by_text, business_days_before
from kontrol_app.services.clock import shop_today
from tests.factories import make_customer, make_job

MONDAY = date(2026, 4, 13)
FRIDAY_BEFORE = date(2026, 4, 10)

# --- the rule ---------------------------------------------------------------------------------


def test_one_business_day_before_a_monday_is_the_friday_before():
    assert MONDAY.weekday() == 0
    assert business_days_before(MONDAY, 1) == FRIDAY_BEFORE
    assert approve_by_text(MONDAY, 1, date(2026, 4, 1)) == "Approve by Apr 10 to keep your Apr 13 due date"


def test_weekends_are_skipped_and_there_is_no_holiday_calendar():
    # 7 business days before Sunday Apr 12 2026: Apr 10, 9, 8, 7, 6 (Easter Monday counts), 3, 2.
    assert business_days_before(date(2026, 4, 12), 7) == date(2026, 4, 2)
    assert business_days_before(date(2026, 4, 12), 6) == date(2026, 4, 3)
    assert approve_by_text(date(2026, 4, 12), 6, date(2026, 3, 20)) == "Approve by Apr 3 to keep your Apr 12 due date"
    assert business_days_before(date(2026, 4, 11), 1) == date(2026, 4, 10)  # Saturday -> Friday
    assert business_days_before(MONDAY, 5) == date(2026, 4, 6)  # a whole week back


def test_zero_days_is_the_due_date_itself_even_on_a_weekend():
    assert business_days_before(MONDAY, 0) == MONDAY
    assert business_days_before(date(2026, 4, 12), 0) == date(2026, 4, 12)
    assert approve_by_text(MONDAY, 0, MONDAY) == "Approve by Apr 13 to keep your Apr 13 due date"


def test_no_due_date_no_text():
    assert approve_by_text(None, 7, MONDAY) == ""


def test_the_approve_by_day_itself_still_shows_the_date_and_the_next_day_has_passed():
    # Chosen: the date, not "today" (an email read a day later must not say "today").
    assert approve_by_text(MONDAY, 1, FRIDAY_BEFORE) == "Approve by Apr 10 to keep your Apr 13 due date"
    assert approve_by_text(MONDAY, 1, FRIDAY_BEFORE + timedelta(days=1)) == PASSED
    assert PASSED == "Approving today moves your due date — we'll confirm a new one."


def test_a_due_date_already_past():
    assert approve_by_text(date(2026, 3, 2), 7, date(2026, 3, 20)) == PASSED
    assert approve_by_text(date(2026, 3, 2), 0, date(2026, 3, 3)) == PASSED


def test_the_year_shows_when_it_is_not_this_year():
    text = approve_by_text(date(2027, 1, 5), 7, date(2026, 12, 1))
    assert text == "Approve by Dec 25 to keep your Jan 5, 2027 due date"  # Jan 4, 1; Dec 31..28, 25 (no holidays)


def test_today_is_the_shops_date_not_utcs():
    # 23:30 on Apr 9 in New York is already Apr 10 in UTC; in Auckland it is Apr 10 at 15:30 UTC+12.
    moment = datetime(2026, 4, 10, 3, 30, tzinfo=UTC)
    assert shop_today("America/New_York", moment) == date(2026, 4, 9)
    assert shop_today("UTC", moment) == date(2026, 4, 10)
    assert shop_today("Pacific/Auckland", datetime(2026, 4, 9, 12, 30, tzinfo=UTC)) == date(2026, 4, 10)
    assert shop_today("No/Such_Zone", moment) == date(2026, 4, 10)


# --- on a job, with the shop's settings -------------------------------------------------------


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def set_shop(session: Session, owner, *, timezone: str = "UTC", production_days: int | str | None = None):
    info = shop_service.shop_info(session)
    shop_service.update_shop_info(
        session, owner, name=info.name or "Ink & Thread", email=info.email, phone=info.phone, address=info.address,
        currency=info.currency, timezone=timezone, production_days=production_days,
    )
    session.commit()


@pytest.fixture
def client(session, owner):
    customer_id = make_customer(session, owner, "Smith Embroidery", "sarah@smith.example", contact_name="Sarah Smith")
    other_id = make_customer(session, owner, "Pixel Labs", "pat@pixel.example", contact_name="Pat Pixel")
    return {"customer": customer_id, "other": other_id}


def job_due(session, owner, customer_id, due: date | None, title="Spring League T-Shirts") -> int:
    return make_job(session, owner, customer_id, title, path=["artwork"], due_date=due.isoformat() if due else "")


def send(session, owner, job_id) -> int:
    view = mockups.upload_version(session, owner, job_id, png(), name="logo.png")
    mockups.send_for_approval(session, owner, view.id, message="Here it is.")
    session.commit()
    return view.id


def today(session) -> date:
    return shop_today(shop_service.shop_timezone(session))


def test_job_text_follows_the_shops_timezone(session, owner, client):
    set_shop(session, owner, timezone="America/New_York", production_days=1)
    job = session.get(Job, job_due(session, owner, client["customer"], MONDAY))
    ny_evening = datetime(2026, 4, 11, 3, 30, tzinfo=UTC)  # Fri Apr 10, 23:30 in New York
    assert approve_by.job_text(session, job, ny_evening) == "Approve by Apr 10 to keep your Apr 13 due date"
    set_shop(session, owner, timezone="UTC", production_days=1)
    assert approve_by.job_text(session, job, ny_evening) == PASSED  # already Saturday in UTC


def test_portal_proof_says_approve_by_while_it_awaits_an_answer(session, owner, client):
    set_shop(session, owner, production_days=0)
    due = today(session) + timedelta(days=40)
    job_id = job_due(session, owner, client["customer"], due)
    version_id = send(session, owner, job_id)
    proof = mockups.portal_proof(session, client["customer"], job_id)
    assert proof.can_decide
    assert proof.approve_by_text == approve_by_text(due, 0, today(session))
    assert proof.approve_by_text.startswith(f"Approve by {due:%b} {due.day}")

    # The shop's production time moves it.
    set_shop(session, owner, production_days="10")
    proof = mockups.portal_proof(session, client["customer"], job_id)
    expected = business_days_before(due, 10)
    assert proof.approve_by_text.startswith(f"Approve by {expected:%b} {expected.day}")

    # Answered: nothing more to approve by.
    contact = session.exec(select(CustomerContact).where(CustomerContact.customer_id == client["customer"])).first()
    mockups.decide(session, client["customer"], contact.id, version_id, decision="revisions", notes="Bigger logo")
    session.commit()
    assert mockups.portal_proof(session, client["customer"], job_id).approve_by_text == ""


def test_portal_proof_past_and_without_a_due_date(session, owner, client):
    late = job_due(session, owner, client["customer"], today(session) - timedelta(days=1), title="Late")
    undated = job_due(session, owner, client["customer"], None, title="Undated")
    send(session, owner, late)
    send(session, owner, undated)
    assert mockups.portal_proof(session, client["customer"], late).approve_by_text == PASSED
    assert mockups.portal_proof(session, client["customer"], undated).approve_by_text == ""


def test_the_banner_names_the_most_urgent_job_of_this_customer_only(session, owner, client):
    set_shop(session, owner, production_days=0)
    now = today(session)
    soon = job_due(session, owner, client["customer"], now + timedelta(days=10), title="Soon")
    later = job_due(session, owner, client["customer"], now + timedelta(days=30), title="Later")
    foreign = job_due(session, owner, client["other"], now + timedelta(days=2), title="Someone else's")
    for job_id in (soon, later, foreign):
        send(session, owner, job_id)
    waiting = [job_id for job_id, _ in mockups.awaiting_approval(session, client["customer"])]
    assert sorted(waiting) == sorted([soon, later])
    soon_due = now + timedelta(days=10)
    text = approve_by.banner_text(session, client["customer"], waiting)
    assert text == "Soon: " + approve_by_text(soon_due, 0, now)
    # One job: no name; the other customer's job never counts, even if asked for.
    assert approve_by.banner_text(session, client["customer"], [later]) == approve_by_text(now + timedelta(days=30), 0, now)
    assert approve_by.banner_text(session, client["customer"], [foreign]) == ""
    assert approve_by.banner_text(session, client["customer"], []) == ""


def test_the_email_says_approve_by_in_both_parts(session, owner, client):
    set_shop(session, owner, production_days=0)
    due = today(session) + timedelta(days=40)
    dated = job_due(session, owner, client["customer"], due, title="Dated")
    undated = job_due(session, owner, client["customer"], None, title="Undated")
    send(session, owner, dated)
    send(session, owner, undated)
    emails = {
        e.subject: e for e in session.exec(select(OutboxEmail).where(OutboxEmail.kind == EmailKind.ARTWORK_READY)).all()
    }
    text = approve_by_text(due, 0, today(session))
    dated_email = emails["Artwork ready for your approval — Dated"]
    assert text in dated_email.text_body
    assert text.replace("'", "&#39;") in dated_email.html_body or text in dated_email.html_body
    undated_email = emails["Artwork ready for your approval — Undated"]
    assert "Approve by" not in undated_email.text_body and "Approve by" not in undated_email.html_body
