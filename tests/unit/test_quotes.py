"""Quote requests: the three steps' validation, the draft per contact, submitting (numbering,
also under concurrency), the emails and the staff notice, converting to a job, declining, and
scoping to the signed-in customer. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlmodel import Session, func, select

from kontrol_app.models import (
    CustomerContact,
    EmailKind,
    Job,
    JobStatus,
    Notification,
    OutboxEmail,
    QuoteDraft,
    QuoteRequest,
    QuoteRequestFile,
    Shop,
)
from kontrol_app.services import quotes
from kontrol_app.services.approve_by import business_days_before
from kontrol_app.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kontrol_app.services.portal_view import PortalViewer
from tests.factories import make_customer
from tests.helpers.concurrency import all_at_once

FAR = (date.today() + timedelta(days=60)).isoformat()

WHAT = {
    "item_type": "tshirts",
    "garment": "Gildan 5000",
    "colour": "Navy",
    "size_mode": "adult",
    "quantities": {"S": "12", "M": "24", "L": "12"},
}
ARTWORK = {"decoration": "screen_print", "placements": {"front": "2", "left_chest": "1"}, "notes": "Logo on the front"}
TIMING = {"in_hands_date": FAR, "delivery": "shipping", "address": "1 Main St\nSpringfield", "budget": "450"}


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def viewer_for(session: Session, email: str) -> PortalViewer:
    contact = session.exec(select(CustomerContact).where(CustomerContact.email == email)).one()
    return PortalViewer(contact.customer_id, "Customer", contact.name, contact.email, False, contact.id)


@pytest.fixture
def world(session: Session, owner):
    smith = make_customer(session, owner, "Smith Embroidery", "sarah@smith.example", [("Tom Smith", "tom@smith.example")], contact_name="Sarah Smith")
    make_customer(session, owner, "Jones Athletics", "jo@jones.example", contact_name="Jo Jones")
    return {
        "customer": smith,
        "sarah": viewer_for(session, "sarah@smith.example"),
        "tom": viewer_for(session, "tom@smith.example"),
        "jo": viewer_for(session, "jo@jones.example"),
    }


def fill(session: Session, viewer: PortalViewer, *, what=WHAT, artwork=ARTWORK, timing=TIMING) -> None:
    for step, data in ((1, what), (2, artwork), (3, timing)):
        assert quotes.save_draft(session, viewer, step, data, go_to=step + 1).ok
    session.commit()


def emails(session: Session, kind: str) -> list[OutboxEmail]:
    session.expire_all()
    return list(session.exec(select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id)).all())


def count(session: Session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


# --- step validation --------------------------------------------------------------------------------


def test_step_one_names_each_wrong_field():
    check = quotes.validate_what({"item_type": "socks", "garment": "a\nb", "colour": "x" * 101, "quantities": {"S": "-1", "M": "1.5", "L": "abc"}})
    assert check.errors == {
        "item_type": "Choose what you need from the list.",
        "garment": "Keep the brand and style on one line.",
        "colour": "Keep the colour under 100 characters.",
        "qty_S": "Enter a whole number from 0 to 100,000.",
        "qty_M": "Enter a whole number from 0 to 100,000.",
        "qty_L": "Enter a whole number from 0 to 100,000.",
    }
    assert quotes.validate_what(WHAT | {"quantities": {"S": "0", "M": ""}}).errors == {"quantities": "Enter how many you need of at least one size."}
    assert "quantities" in quotes.validate_what(WHAT | {"quantities": {"S": "100000", "M": "1"}}).errors
    assert quotes.validate_what(WHAT | {"size_mode": "giant"}).errors == {"size_mode": "Choose adult sizes, youth sizes or one size."}


def test_step_one_totals_only_the_chosen_size_mode():
    check = quotes.validate_what(WHAT | {"quantities": {"S": "1,000", "M": "24", "YS": "5"}})
    assert check.ok and check.clean["total"] == 1024 and check.clean["quantities"] == {"S": 1000, "M": 24}
    youth = quotes.validate_what(WHAT | {"size_mode": "youth", "quantities": {"YS": "5", "S": "99"}})
    assert youth.clean["quantities"] == {"YS": 5} and youth.clean["total"] == 5
    one = quotes.validate_what({"item_type": "hats", "size_mode": "one", "quantities": {"One size": "50"}})
    assert one.ok and one.clean["total"] == 50
    assert quotes.total_quantity(WHAT | {"quantities": {"S": "3", "M": "x", "L": "4"}}) == 7


def test_step_two_checks_decoration_placements_colours_and_files(session, world):
    customer = world["customer"]
    check = quotes.validate_artwork(session, customer, {"decoration": "glitter", "placements": {"front": "0", "back": "13", "hem": "1"}})
    assert check.errors == {
        "decoration": "Choose a decoration, or Not sure.",
        "colours_front": "Enter the number of colours, 1 to 12.",
        "colours_back": "Enter the number of colours, 1 to 12.",
        "placements": "Choose placements from the list.",
    }
    assert quotes.validate_artwork(session, customer, {"decoration": "dtg", "placements": {}}).errors == {
        "placements": "Choose where the decoration goes (at least one placement)."
    }
    # Another customer's file is not theirs to attach.
    other = quotes.upload_artwork(session, world["jo"], png(), "jones.png")
    mine = quotes.upload_artwork(session, world["sarah"], png(), "smith.png")
    session.commit()
    assert "files" in quotes.validate_artwork(session, customer, ARTWORK | {"file_ids": [mine.id, other.id]}).errors
    good = quotes.validate_artwork(session, customer, ARTWORK | {"file_ids": [mine.id], "decoration": "not_sure"})
    assert good.ok and good.clean["file_ids"] == [mine.id] and good.clean["placements"] == {"front": 2, "left_chest": 1}


def test_step_three_date_delivery_budget_and_the_rush_warning(session, world):
    today = date(2026, 12, 2)  # a Wednesday
    check = quotes.validate_timing(session, {"in_hands_date": "2026-12-01", "delivery": "drone", "budget": "lots"}, today)
    assert check.errors == {
        "in_hands_date": "That date has passed — choose a date from today on.",
        "delivery": "Choose pickup or shipping.",
        "budget": "Enter the budget as an amount, like 450 or 450.00 — or leave it empty.",
    }
    assert quotes.validate_timing(session, {"in_hands_date": "soon", "delivery": "shipping"}, today).errors == {
        "in_hands_date": "Enter the date as a date, like 2026-04-12.",
        "address": "Enter the shipping address.",
    }
    production = session.exec(select(Shop.production_days)).one()
    last_rush = today
    while business_days_before(last_rush + timedelta(days=1), production) < today:
        last_rush += timedelta(days=1)
    rush = quotes.validate_timing(session, {"in_hands_date": last_rush.isoformat(), "delivery": "pickup"}, today)
    assert rush.ok and "sooner than our usual production time" in rush.warnings["in_hands_date"]
    calm = quotes.validate_timing(session, {"in_hands_date": (last_rush + timedelta(days=1)).isoformat(), "delivery": "pickup", "budget": "$1,250.50"}, today)
    assert calm.ok and not calm.warnings and calm.clean["budget_cents"] == 125_050 and calm.clean["address"] == ""


# --- the draft ----------------------------------------------------------------------------------------


def test_the_draft_keeps_what_was_typed_per_contact_even_when_invalid(session, world):
    sarah, tom = world["sarah"], world["tom"]
    typed = WHAT | {"quantities": {"S": "lots"}}
    check = quotes.save_draft(session, sarah, 1, typed, go_to=2)
    session.commit()
    assert check.errors == {"qty_S": "Enter a whole number from 0 to 100,000."}
    draft = quotes.load_draft(session, sarah)
    assert draft.step == 1 and draft.data["what"] == typed  # refused: still on step 1, nothing lost
    assert quotes.load_draft(session, tom).data == {"what": {}, "artwork": {}, "timing": {}}

    assert quotes.save_draft(session, sarah, 1, WHAT, go_to=2).ok
    quotes.save_draft(session, sarah, 2, {"decoration": "embroidery"}, go_to=1)  # Back keeps step 2
    session.commit()
    draft = quotes.load_draft(session, sarah)
    assert draft.step == 1 and draft.data["what"] == WHAT and draft.data["artwork"] == {"decoration": "embroidery"}
    assert count(session, QuoteDraft) == 1  # one draft per contact, saved over

    quotes.start_over(session, sarah)
    session.commit()
    assert quotes.load_draft(session, sarah).data["what"] == {} and count(session, QuoteDraft) == 0


def test_preview_cannot_write_a_draft_or_submit(session, world):
    preview = PortalViewer(world["customer"], "Smith Embroidery", "Olivia", "owner@example.com", True, None)
    with pytest.raises(NotAllowed):
        quotes.save_draft(session, preview, 1, WHAT)
    with pytest.raises(NotAllowed):
        quotes.submit(session, preview)
    assert count(session, QuoteDraft) == 0


# --- submitting ---------------------------------------------------------------------------------------


def test_submit_numbers_requests_and_queues_the_emails_and_the_notice(session, world):
    art = quotes.upload_artwork(session, world["sarah"], png(), "logo.png")
    fill(session, world["sarah"], artwork=ARTWORK | {"file_ids": [art.id]})
    assert quotes.submit(session, world["sarah"]) == "QR-0001"
    session.commit()
    fill(session, world["tom"])
    assert quotes.submit(session, world["tom"]) == "QR-0002"
    session.commit()

    assert count(session, QuoteDraft) == 0
    first = session.exec(select(QuoteRequest).where(QuoteRequest.number == "QR-0001")).one()
    assert (first.status, first.total_quantity, first.garment, first.colour) == ("new", 48, "Gildan 5000", "Navy")
    assert json.loads(first.answers)["placements"] == {"front": 2, "left_chest": 1}
    assert session.exec(select(QuoteRequestFile.file_id).where(QuoteRequestFile.quote_request_id == first.id)).all() == [art.id]

    confirmations = emails(session, EmailKind.QUOTE_REQUEST_CONFIRMATION)
    assert [e.to_email for e in confirmations] == ["sarah@smith.example", "tom@smith.example"]
    assert "QR-0001" in confirmations[0].subject and "48 T-shirts (Gildan 5000, Navy)" in confirmations[0].text_body
    assert "S 12 · M 24 · L 12" in confirmations[0].text_body and "Budget: $450.00" in confirmations[0].text_body
    shop_emails = emails(session, EmailKind.QUOTE_REQUEST_RECEIVED)
    assert [e.to_email for e in shop_emails] == ["owner@example.com"] * 2
    assert "QR-0001" in shop_emails[0].subject
    notice = session.exec(select(Notification).where(Notification.kind == "quote_request").order_by(Notification.id)).first()
    assert "QR-0001" in notice.title and notice.link == f"/quotes?request={first.id}"

    with pytest.raises(Conflict):  # the draft went with the first submit: a double click submits once
        quotes.submit(session, world["sarah"])


def test_an_invalid_draft_is_refused_and_nothing_changes(session, world):
    fill(session, world["sarah"])
    quotes.save_draft(session, world["sarah"], 3, TIMING | {"in_hands_date": "2001-01-01"})
    session.commit()
    with pytest.raises(InvalidInput) as refused:
        quotes.submit(session, world["sarah"])
    session.rollback()
    assert refused.value.field == "in_hands_date" and refused.value.message.startswith("Step 3:")
    assert count(session, QuoteRequest) == 0 and count(session, QuoteDraft) == 1
    assert session.exec(select(Shop.quote_next_number)).one() == 1


def test_ten_submits_at_once_get_distinct_consecutive_numbers(session, owner):
    viewers = []
    for index in range(10):
        make_customer(session, owner, f"Team {index}", f"c{index}@teams.example", contact_name=f"Coach {index}")
        viewers.append(viewer_for(session, f"c{index}@teams.example"))
        fill(session, viewers[-1])
    queue = list(viewers)

    results = all_at_once(10, lambda worker: quotes.submit(worker, queue.pop()))
    assert all(isinstance(r, str) for r in results), results
    assert sorted(results) == [f"QR-{n:04d}" for n in range(1, 11)]
    session.expire_all()
    assert session.exec(select(Shop.quote_next_number)).one() == 11


# --- the client's list and scoping -------------------------------------------------------------------------


def test_the_client_sees_only_their_customers_requests(session, world):
    fill(session, world["sarah"])
    quotes.submit(session, world["sarah"])
    fill(session, world["jo"])
    quotes.submit(session, world["jo"])
    session.commit()
    rows = quotes.portal_requests(session, world["tom"])  # a colleague at the same customer sees it
    assert [(r.number, r.status_label, r.summary) for r in rows] == [("QR-0001", "New", "48 T-shirts · Screen print")]
    assert [r.number for r in quotes.portal_requests(session, world["jo"])] == ["QR-0002"]
    # A draft can name only this customer's files; a viewer pointing at a foreign contact writes nothing.
    forged = PortalViewer(world["customer"], "Smith", "Jo", "jo@jones.example", False, world["jo"].contact_id)
    with pytest.raises(NotAllowed, match="Sign in again"):
        quotes.save_draft(session, forged, 1, WHAT)
    with pytest.raises(NotAllowed, match="Sign in again"):
        quotes.upload_artwork(session, forged, png(), "logo.png")
    session.rollback()
    assert count(session, QuoteDraft) == 0


# --- the staff side -----------------------------------------------------------------------------------


def test_staff_list_is_newest_first_paged_searchable_with_unread(session, owner, world):
    for viewer in (world["sarah"], world["jo"], world["tom"]):
        fill(session, viewer)
        quotes.submit(session, viewer)
    session.commit()
    page = quotes.list_requests(session, owner, "", 1, page_size=2)
    assert [r.number for r in page.rows] == ["QR-0003", "QR-0002"] and (page.total, page.pages) == (3, 2)
    assert [r.number for r in quotes.list_requests(session, owner, "", 2, page_size=2).rows] == ["QR-0001"]
    assert [r.number for r in quotes.list_requests(session, owner, "jones").rows] == ["QR-0002"]
    assert [r.number for r in quotes.list_requests(session, owner, "qr-0001").rows] == ["QR-0001"]
    assert quotes.unread_count(session, owner) == 3
    detail = quotes.request_detail(session, owner, page.rows[0].id)
    session.commit()
    assert "Placements: Front (2 colours), Left chest (1 colour)" in detail.lines
    assert quotes.unread_count(session, owner) == 2
    with pytest.raises(NotFound):
        quotes.request_detail(session, owner, 999_999)


def test_convert_to_job_prefills_a_quote_job_once(session, owner, world):
    fill(session, world["sarah"])
    quotes.submit(session, world["sarah"])
    session.commit()
    request = session.exec(select(QuoteRequest)).one()
    job_id = quotes.convert_to_job(session, owner, request.id)
    session.commit()
    job = session.get(Job, job_id)
    assert job.status == JobStatus.QUOTE and job.customer_id == world["customer"]
    assert (job.title, job.quantity, job.decoration, job.garment, job.colour) == (
        "48 T-shirts (QR-0001)",
        48,
        "screen_print",
        "Gildan 5000",
        "Navy",
    )
    assert job.due_date == date.fromisoformat(FAR) and "Logo on the front" in job.notes and "QR-0001" in job.notes
    session.expire_all()
    request = session.get(QuoteRequest, request.id)
    assert (request.status, request.job_id) == ("converted", job_id)
    assert quotes.portal_requests(session, world["sarah"])[0].status_label == "Converted to order"
    with pytest.raises(Conflict):
        quotes.convert_to_job(session, owner, request.id)
    session.rollback()
    assert count(session, Job) == 1


def test_decline_emails_the_client_and_cannot_follow_a_conversion(session, owner, world):
    fill(session, world["sarah"])
    quotes.submit(session, world["sarah"])
    session.commit()
    request_id = session.exec(select(QuoteRequest.id)).one()
    with pytest.raises(InvalidInput):
        quotes.decline(session, owner, request_id, "x" * 5001)
    quotes.decline(session, owner, request_id, "We are booked until June.")
    session.commit()
    [email] = emails(session, EmailKind.QUOTE_REQUEST_DECLINED)
    assert email.to_email == "sarah@smith.example" and "We are booked until June." in email.text_body
    assert quotes.portal_requests(session, world["sarah"])[0].status_label == "Declined"
    with pytest.raises(Conflict):
        quotes.convert_to_job(session, owner, request_id)
    with pytest.raises(Conflict):
        quotes.decline(session, owner, request_id, "again")
