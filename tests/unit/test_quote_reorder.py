"""Reorder and the portal form's extras (issue 11): a shipped or completed job opens a draft
pre-filled from it (its quote request's answers when it came from one, its approved artwork),
"Reorder of <title>" travels into the request; the form's files, review and list. Scoped to
the signed-in customer. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlmodel import Session, func, select

from kontrol_app.models import Customer, CustomerContact, MockupVersion, QuoteDraft, QuoteRequest, StoredFile
from kontrol_app.services import jobs, mockups, quotes
from kontrol_app.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kontrol_app.services.portal_view import PortalViewer
from tests.factories import approve_offline, make_customer, make_job

FAR = (date.today() + timedelta(days=60)).isoformat()
WHAT = {"item_type": "hoodies", "garment": "Gildan 18500", "colour": "Black", "size_mode": "adult", "quantities": {"M": "10", "L": "20"}}
ARTWORK = {"decoration": "embroidery", "placements": {"left_chest": "3"}, "notes": "Thread to match the logo"}
TIMING = {"in_hands_date": FAR, "delivery": "pickup", "budget": ""}


def png(colour=(20, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buffer, "PNG")
    return buffer.getvalue()


def viewer_for(session: Session, email: str) -> PortalViewer:
    contact = session.exec(select(CustomerContact).where(CustomerContact.email == email)).one()
    return PortalViewer(contact.customer_id, "Customer", contact.name, contact.email, False, contact.id)


@pytest.fixture
def world(session: Session, owner):
    smith = make_customer(session, owner, "Smith Embroidery", "sarah@smith.example", contact_name="Sarah Smith", address="1 Billing Rd")
    jones = make_customer(session, owner, "Jones Athletics", "jo@jones.example", contact_name="Jo Jones")
    return {"owner": owner, "customer": smith, "jones": jones, "sarah": viewer_for(session, "sarah@smith.example"), "jo": viewer_for(session, "jo@jones.example")}


def fill(session, viewer, *, what=WHAT, artwork=ARTWORK, timing=TIMING) -> None:
    for step, data in ((1, what), (2, artwork), (3, timing)):
        assert quotes.save_draft(session, viewer, step, data, go_to=step + 1).ok
    session.commit()


def approved_version(session, owner, job_id: int, viewer: PortalViewer) -> int:
    """A mockup version sent and approved by the client; returns its original file's id."""
    version = mockups.upload_version(session, owner, job_id, png((200, 40, 40)), name="crest.png")
    mockups.send_for_approval(session, owner, version.id)
    session.commit()
    mockups.decide(session, viewer.customer_id, viewer.contact_id, version.id, decision="approved", typed_name="Sarah Smith", agreed=True)
    session.commit()
    return session.get(MockupVersion, version.id).file_id


def test_guess_item_type_from_the_garment_then_the_title():
    assert quotes.guess_item_type("Gildan 5000 Tee") == "tshirts"
    assert quotes.guess_item_type("Independent hooded sweatshirt") == "hoodies"
    assert quotes.guess_item_type("Port Authority Polo Shirt") == "polos"
    assert quotes.guess_item_type("Richardson 112 trucker cap") == "hats"
    assert quotes.guess_item_type("Canvas totes") == "bags"
    assert quotes.guess_item_type("", "Spring League Tees") == "tshirts"
    assert quotes.guess_item_type("Aprons", "Kitchen staff") == "other"
    assert quotes.guess_item_type("Steel water bottle") == "other"  # "tee" inside a word is no tee


def test_reorder_of_a_plain_job_prefills_the_draft_with_its_approved_artwork(session, world):
    owner, sarah = world["owner"], world["sarah"]
    job_id = make_job(session, owner, world["customer"], "Spring League Tees", quantity="144", garment="Gildan 5000", colour="Navy", decoration="dtg")
    artwork_id = approved_version(session, owner, job_id, sarah)
    assert jobs.change_status(session, owner, job_id, "shipped")
    session.commit()
    # Something typed before: replaced (one draft at a time); its own upload goes with it.
    old = quotes.upload_artwork(session, sarah, png(), "old.png")
    quotes.save_draft(session, sarah, 2, {"decoration": "dtg", "file_ids": [old.id]})
    session.commit()

    quotes.start_reorder(session, sarah, job_id)
    session.commit()
    draft = quotes.load_draft(session, sarah)
    assert draft.step == 1
    assert draft.data["what"] == {
        "item_type": "tshirts",
        "garment": "Gildan 5000",
        "colour": "Navy",
        "reorder_of": "Spring League Tees",
        "size_mode": "one",
        "quantities": {"One size": "144"},
    }
    assert draft.data["artwork"]["decoration"] == "dtg" and draft.data["artwork"]["file_ids"] == [artwork_id]
    assert session.get(StoredFile, old.id) is None  # the old draft's upload was removed
    # The approved artwork is the customer's: step 2 accepts it as it is, and the form shows it.
    assert quotes.validate_artwork(session, world["customer"], draft.data["artwork"] | {"placements": {"front": "2"}}).ok
    [shown] = quotes.draft_files(session, sarah, draft.data["artwork"]["file_ids"])
    assert (shown.id, shown.name, shown.image) == (artwork_id, "crest.png", True) and shown.url.startswith(f"/api/files/{artwork_id}/")

    # "Reorder of" cannot be typed over, and survives Back/Next; it reaches the request.
    assert quotes.save_draft(session, sarah, 1, draft.data["what"] | {"reorder_of": "Something else"}, go_to=2).ok
    quotes.save_draft(session, sarah, 2, draft.data["artwork"] | {"placements": {"front": "2"}}, go_to=3)
    quotes.save_draft(session, sarah, 3, TIMING, go_to=4)
    session.commit()
    assert quotes.load_draft(session, sarah).data["what"]["reorder_of"] == "Spring League Tees"
    shown_review = quotes.review(session, sarah)
    assert shown_review.step == quotes.REVIEW_STEP
    assert shown_review.sections[0].lines[0] == "Reorder of: Spring League Tees"
    assert "Artwork: 1 file" in shown_review.sections[1].lines

    number = quotes.submit(session, sarah)
    session.commit()
    request = session.exec(select(QuoteRequest).where(QuoteRequest.number == number)).one()
    answers = json.loads(request.answers)
    assert answers["reorder_of"] == "Spring League Tees" and answers["file_ids"] == [artwork_id]
    assert quotes.summary_lines(answers, "USD")[0] == "Reorder of: Spring League Tees"


def test_reorder_of_a_job_from_a_quote_request_reuses_its_answers(session, world):
    owner, sarah = world["owner"], world["sarah"]
    fill(session, sarah, timing=TIMING | {"delivery": "shipping", "address": "9 Depot Lane"})
    number = quotes.submit(session, sarah)
    session.commit()
    request = session.exec(select(QuoteRequest).where(QuoteRequest.number == number)).one()
    job_id = quotes.convert_to_job(session, owner, request.id)
    approve_offline(session, owner, job_id)
    for status in ("artwork", "completed"):
        assert jobs.change_status(session, owner, job_id, status)
    session.commit()

    quotes.start_reorder(session, sarah, job_id)
    session.commit()
    data = quotes.load_draft(session, sarah).data
    assert data["what"]["item_type"] == "hoodies" and data["what"]["size_mode"] == "adult"
    assert data["what"]["quantities"] == {"M": "10", "L": "20"} and data["what"]["reorder_of"].startswith("30 Hoodies")
    assert data["artwork"] == {"decoration": "embroidery", "placements": {"left_chest": "3"}, "notes": "Thread to match the logo", "use_logo": False, "file_ids": []}
    assert data["timing"] == {"delivery": "shipping", "address": "9 Depot Lane"}
    assert quotes.validate_what(data["what"]).ok and quotes.validate_artwork(session, world["customer"], data["artwork"]).ok


def test_reorder_is_scoped_to_the_customer_and_to_finished_orders(session, world):
    owner, sarah, jo = world["owner"], world["sarah"], world["jo"]
    theirs = make_job(session, owner, world["jones"], "Jones Jerseys", path=["shipped"])
    with pytest.raises(NotFound):
        quotes.start_reorder(session, sarah, theirs)
    with pytest.raises(NotFound):
        quotes.start_reorder(session, sarah, 999_999)
    with pytest.raises(NotFound):
        quotes.start_reorder(session, sarah, "1")  # not an id
    running = make_job(session, owner, world["customer"], "Still Printing", path=["artwork"])
    with pytest.raises(Conflict):
        quotes.start_reorder(session, sarah, running)
    preview = PortalViewer(world["jones"], "Jones Athletics", "Olivia", "owner@example.com", True, None)
    with pytest.raises(NotAllowed):
        quotes.start_reorder(session, preview, theirs)
    session.rollback()
    assert session.exec(select(func.count()).select_from(QuoteDraft)).one() == 0
    quotes.start_reorder(session, jo, theirs)  # their own: fine
    session.commit()
    assert quotes.load_draft(session, jo).data["what"]["reorder_of"] == "Jones Jerseys"


def test_artwork_files_are_added_removed_and_refused_keeping_what_was_typed(session, world):
    sarah, jo = world["sarah"], world["jo"]
    typed = {"decoration": "screen_print", "notes": "Big logo"}
    shown, check = quotes.add_artwork(session, sarah, png(), "logo.png", typed)
    session.commit()
    assert shown.name == "logo.png" and shown.image and not check.ok  # no placement yet: said, not blocking
    assert quotes.load_draft(session, sarah).data["artwork"] == typed | {"file_ids": [shown.id]}

    with pytest.raises(InvalidInput) as refused:
        quotes.add_artwork(session, sarah, b"not a picture", "notes.txt", typed | {"file_ids": [shown.id]})
    session.rollback()
    assert refused.value.field == "files"
    assert quotes.load_draft(session, sarah).data["artwork"] == typed | {"file_ids": [shown.id]}  # nothing lost

    # Another customer never sees (or keeps) this file in their form.
    assert quotes.draft_files(session, jo, [shown.id]) == []
    quotes.remove_artwork(session, jo, shown.id, {})
    session.commit()
    assert session.get(StoredFile, shown.id) is not None

    quotes.remove_artwork(session, sarah, shown.id, typed | {"file_ids": [shown.id]})
    session.commit()
    assert quotes.load_draft(session, sarah).data["artwork"] == typed | {"file_ids": []}
    assert session.get(StoredFile, shown.id) is None


def test_the_form_reads_the_draft_the_address_and_the_requests(session, world):
    sarah = world["sarah"]
    form = quotes.portal_form(session, sarah)
    assert form.draft.step == 1 and form.address == "1 Billing Rd" and form.requests == [] and form.review is None
    customer = session.get(Customer, world["customer"])
    customer.shipping_address = "7 Dock St"
    session.add(customer)
    session.commit()
    assert quotes.delivery_address(session, sarah) == "7 Dock St"

    fill(session, sarah)
    form = quotes.portal_form(session, sarah)
    assert form.review is not None and form.review.step == quotes.REVIEW_STEP
    assert [s.title for s in form.review.sections] == ["What and how many", "Artwork and decoration", "Timing and delivery"]
    quotes.submit(session, sarah)
    session.commit()
    [row] = quotes.portal_form(session, sarah).requests
    assert (row.number, row.status_label, row.summary) == ("QR-0001", "New", "30 Hoodies · Embroidery")
    quotes.decline(session, world["owner"], row.id, "We don't embroider hoodies, sorry.")
    session.commit()
    [row] = quotes.portal_requests(session, sarah)
    assert (row.status_label, row.decline_message) == ("Declined", "We don't embroider hoodies, sorry.")
    assert quotes.portal_requests(session, world["jo"]) == []

    # A review with a step gone wrong (a date that has passed since) says which step.
    fill(session, sarah, timing=TIMING)
    quotes.save_draft(session, sarah, 3, TIMING | {"in_hands_date": "2001-01-01"})
    session.commit()
    checked = quotes.review(session, sarah)
    assert checked.step == 3 and "in_hands_date" in checked.errors
