"""Quote Requests, the staff side (issue 11 item 4): the list's order, Convert to job keeping the
request's files with the job, Make mockup from a job file, Reply (one conversation, the request
Quoted), and unknown or foreign ids. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import select

import kontrol_app.kontrol_app  # noqa: F401  (registers every page, state and route var)
from kontrol_app.models import EmailKind, JobFile, Message, MessageThread, MockupVersion, QuoteRequest, StoredFile
from kontrol_app.services import job_files, messages, mockups, quotes
from kontrol_app.services.errors import Conflict, InvalidInput, NotFound
from kontrol_app.services.mockups import size_text
from kontrol_app.ui.staff.jobs.files import JobFilesState
from kontrol_app.ui.staff.jobs.mockups import MockupsState
from kontrol_app.ui.staff.quotes import NOT_FOUND, QuoteRequestsState
from kontrol_app.ui.staff.quotes_badge import QuotesBadgeState
from tests.factories import make_customer, make_job
from tests.helpers.artwork import pdf_bytes
from tests.helpers.concurrency import all_at_once
from tests.helpers.states import browser_tab, run_handler, screen, staff_cookie
from tests.unit.test_quotes import ARTWORK, count, emails, fill, png, viewer_for

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


@pytest.fixture
def world(session, owner):
    """test_quotes' world: Smith Embroidery (Sarah, Tom) and Jones Athletics (Jo)."""
    smith = make_customer(session, owner, "Smith Embroidery", "sarah@smith.example", [("Tom Smith", "tom@smith.example")], contact_name="Sarah Smith")
    make_customer(session, owner, "Jones Athletics", "jo@jones.example", contact_name="Jo Jones")
    viewers = {who: viewer_for(session, f"{who}@{domain}.example") for who, domain in (("sarah", "smith"), ("tom", "smith"), ("jo", "jones"))}
    return {"customer": smith, **viewers}


def submitted(session, viewer, uploads=()) -> int:
    """A request from `viewer` with these (name, bytes) files; returns its id."""
    ids = [quotes.upload_artwork(session, viewer, data, name).id for name, data in uploads]
    fill(session, viewer, artwork=ARTWORK | {"file_ids": ids})
    number = quotes.submit(session, viewer)
    session.commit()
    return session.exec(select(QuoteRequest.id).where(QuoteRequest.number == number)).one()


def test_unread_first_then_new_then_newest(session, owner, world):
    one, two, three, four = (submitted(session, world[who]) for who in ("sarah", "jo", "tom", "sarah"))
    quotes.request_detail(session, owner, four)  # opened: read, still New
    quotes.decline(session, owner, three)  # read and declined
    session.commit()
    rows = quotes.list_requests(session, owner).rows
    assert [r.id for r in rows] == [two, one, four, three]
    assert [r.unread for r in rows] == [True, True, False, False]
    assert quotes.unread_count(session, owner) == 2
    paged = quotes.list_requests(session, owner, "", 2, page_size=3)
    assert [r.id for r in paged.rows] == [three] and (paged.total, paged.pages) == (4, 2)
    assert [r.id for r in quotes.list_requests(session, owner, "smith").rows] == [one, four, three]


def test_the_detail_lists_the_files_with_their_links(session, owner, world):
    request_id = submitted(session, world["sarah"], [("logo.png", png()), ("art.svg", SVG)])
    detail = quotes.request_detail(session, owner, request_id)
    png_file, svg_file = detail.files
    assert (png_file.name, png_file.label, png_file.inline) == ("logo.png", "PNG", True)
    assert png_file.url == f"/api/files/{png_file.id}/logo.png" and png_file.download_url.endswith("?download=1")
    assert (svg_file.label, svg_file.inline) == ("SVG", False)  # never shown inline
    assert detail.thread_id is None and detail.job_id is None


def test_convert_keeps_the_files_with_the_job_and_one_becomes_a_mockup(session, owner, world):
    request_id = submitted(session, world["sarah"], [("logo.png", png()), ("proof.pdf", pdf_bytes(2)), ("art.svg", SVG)])
    job_id = quotes.convert_to_job(session, owner, request_id)
    session.commit()
    kept = job_files.job_files(session, owner, job_id)
    assert [(f.name, f.label, f.source, f.image, f.pdf, f.promotable) for f in kept] == [
        ("logo.png", "PNG", "Quote request QR-0001", True, False, True),
        ("proof.pdf", "PDF", "Quote request QR-0001", False, True, True),
        ("art.svg", "SVG", "Quote request QR-0001", False, False, False),
    ]
    assert kept[0].download_url == f"/api/files/{kept[0].file_id}/logo.png?download=1"

    version = job_files.make_mockup(session, owner, job_id, kept[1].id)
    session.commit()
    row = session.get(MockupVersion, version.id)
    assert (row.job_id, row.number, row.note) == (job_id, 1, "From Quote request QR-0001")
    assert session.get(StoredFile, row.file_id).file_type == "pdf" and row.file_id != kept[1].file_id  # its own copy
    version = job_files.make_mockup(session, owner, job_id, kept[0].id)
    session.commit()
    assert session.get(MockupVersion, version.id).number == 2
    with pytest.raises(InvalidInput, match="SVG file can't be a mockup") as refused:
        job_files.make_mockup(session, owner, job_id, kept[2].id)
    assert refused.value.field == job_files.FIELD
    session.rollback()
    assert count(session, MockupVersion) == 2


def test_job_files_refuse_unknown_and_foreign_ids(session, owner, world):
    request_id = submitted(session, world["sarah"], [("logo.png", png())])
    job_id = quotes.convert_to_job(session, owner, request_id)
    other_job = make_job(session, owner, world["customer"], "Another job")
    session.commit()
    [kept] = job_files.job_files(session, owner, job_id)
    assert job_files.job_files(session, owner, other_job) == []
    for job, file_id in ((other_job, kept.id), (job_id, 999_999), (job_id, "1")):
        with pytest.raises(NotFound):
            job_files.make_mockup(session, owner, job, file_id)
    with pytest.raises(NotFound):
        job_files.job_files(session, owner, 999_999)
    # Another customer's file is never kept with (or made a mockup of) this customer's job.
    jones = quotes.upload_artwork(session, world["jo"], png(), "jones.png")
    session.commit()
    with pytest.raises(NotFound):
        job_files.attach(session, job_id, [jones.id], "Brand kit")
    with pytest.raises(NotFound):
        mockups.version_from_file(session, owner, job_id, session.get(StoredFile, jones.id))
    session.rollback()
    assert count(session, JobFile) == 1 and count(session, MockupVersion) == 0
    # The same file twice is kept once.
    assert job_files.attach(session, job_id, [kept.file_id], "Again") == 0


def test_reply_starts_one_conversation_and_marks_the_request_quoted(session, owner, world):
    request_id = submitted(session, world["sarah"])
    thread_id = quotes.reply(session, owner, request_id, "About $9 a shirt — shall we go ahead?")
    session.commit()
    thread = session.get(MessageThread, thread_id)
    assert (thread.customer_id, thread.subject, thread.job_id) == (world["customer"], "Quote request QR-0001", None)
    detail = quotes.request_detail(session, owner, request_id)
    assert (detail.row.status, detail.row.status_label, detail.thread_id) == ("quoted", "Quoted", thread_id)
    assert quotes.portal_requests(session, world["tom"])[0].status_label == "Quoted"
    # The client's usual notice, and the thread in their portal's Messages.
    assert sorted(e.to_email for e in emails(session, EmailKind.MESSAGE_TO_CLIENT)) == ["sarah@smith.example", "tom@smith.example"]
    assert [t.subject for t in messages.client_threads(session, world["sarah"]).threads] == ["Quote request QR-0001"]

    assert quotes.reply(session, owner, request_id, "Or $8 for 100.") == thread_id
    session.commit()
    assert count(session, MessageThread) == 1 and count(session, Message) == 2
    assert quotes.request_detail(session, owner, request_id).row.status == "quoted"
    # Quoted can still be converted (or declined).
    assert quotes.convert_to_job(session, owner, request_id)
    session.commit()
    with pytest.raises(Conflict):
        quotes.reply(session, owner, request_id, "Too late")


def test_a_refused_reply_changes_nothing(session, owner, world):
    request_id = submitted(session, world["sarah"])
    with pytest.raises(InvalidInput) as refused:
        quotes.reply(session, owner, request_id, "   ")
    session.rollback()
    assert refused.value.field == messages.FIELD_BODY
    assert session.get(QuoteRequest, request_id).status == "new" and count(session, MessageThread) == 0
    for wrong in (999_999, "1", None):
        with pytest.raises(NotFound):
            quotes.reply(session, owner, wrong, "Hello")
    declined = submitted(session, world["jo"])
    quotes.decline(session, owner, declined, "")
    session.commit()
    with pytest.raises(Conflict):
        quotes.reply(session, owner, declined, "Hello")
    session.rollback()
    assert session.get(QuoteRequest, declined).status == "declined" and count(session, MessageThread) == 0


def test_two_replies_at_once_share_one_conversation(session, owner, world):
    request_id = submitted(session, world["sarah"])
    results = all_at_once(2, lambda worker: quotes.reply(worker, owner, request_id, "Price attached"))
    assert all(isinstance(r, int) for r in results), results
    assert results[0] == results[1]
    assert count(session, MessageThread) == 1 and count(session, Message) == 2


def test_a_message_attachment_still_becomes_a_mockup_through_the_shared_step(session, owner, world):
    job_id = make_job(session, owner, world["customer"], "Spring tees")
    session.commit()
    thread_id = messages.start_thread_client(session, world["sarah"], "Our logo", job_id=job_id, attachments=[("logo.png", png())])
    session.commit()
    [attachment] = messages.open_thread_staff(session, owner, thread_id).messages[0].attachments
    version = messages.promote_to_mockup(session, owner, attachment.id)
    session.commit()
    assert session.get(MockupVersion, version.id).note == "From the conversation “Spring tees”"


# --- the page, driven as the browser drives it ----------------------------------------------------


def test_the_page_opens_a_request_from_the_bells_link_and_keeps_a_refused_reply(session, owner, world):
    first = submitted(session, world["sarah"], [("logo.png", png())])
    second = submitted(session, world["jo"])
    cookie = staff_cookie(session)

    root = browser_tab(cookie=cookie, path="/quotes?request=abc")
    page = screen(root, QuoteRequestsState)
    run_handler(page, "load")
    assert page.not_found == NOT_FOUND and page.request_id == 0 and [r.id for r in page.rows] == [second, first]
    assert screen(root, QuotesBadgeState).unread == 2

    root = browser_tab(cookie=cookie, path=f"/quotes?request={first}")
    page = screen(root, QuoteRequestsState)
    run_handler(page, "load")
    assert (page.number, page.status_label, page.actionable) == ("QR-0001", "New", True)
    assert ("What", "48 T-shirts (Gildan 5000, Navy)") in [(a.label, a.value) for a in page.answers]
    assert [(s.size, s.count) for s in page.sizes] == [("S", "12"), ("M", "24"), ("L", "12")] and page.total_pieces == "48"
    assert [(f.name, f.image, f.pdf) for f in page.request_files] == [("logo.png", True, False)]
    assert screen(root, QuotesBadgeState).unread == 1  # opened: one left

    run_handler(page, "set_reply_body", "   ")
    run_handler(page, "send_reply")
    assert page.errors == {messages.FIELD_BODY: "Write a message."} and page.reply_body == "   "
    run_handler(page, "set_reply_body", "About $9 each.")
    run_handler(page, "send_reply")
    assert page.status == "quoted" and page.thread_id and page.reply_body == ""

    run_handler(page, "set_decline_message", "x" * 5001)
    run_handler(page, "decline")
    assert "5,000" in page.errors["message"] and page.status == "quoted"
    run_handler(page, "set_decline_message", "Booked up.")
    run_handler(page, "decline")
    assert (page.status, page.decline_note, page.actionable) == ("declined", "Booked up.", False)
    result = run_handler(page, "convert")
    assert "already converted or declined" in repr(result) and page.errors["form"]


def test_the_job_pages_files_section_makes_a_mockup_and_refuses_another_jobs_file(session, owner, world):
    request_id = submitted(session, world["sarah"], [("logo.png", png())])
    job_id = quotes.convert_to_job(session, owner, request_id)
    other_job = make_job(session, owner, world["customer"], "Another job")
    session.commit()
    [kept] = job_files.job_files(session, owner, job_id)
    cookie = staff_cookie(session)

    root = browser_tab(cookie=cookie, query={"job_id": str(other_job)}, path=f"/jobs/{other_job}")
    page = screen(root, JobFilesState)
    run_handler(page, "load")
    assert page.job_files == []
    run_handler(page, "make_mockup", kept.id)  # a file of another job, asked for by id
    assert page.errors == {"form": job_files.NOT_FOUND} and count(session, MockupVersion) == 0

    root = browser_tab(cookie=cookie, query={"job_id": str(job_id)}, path=f"/jobs/{job_id}")
    page = screen(root, JobFilesState)
    run_handler(page, "load")
    assert [(f.name, f.source, f.size, f.promotable) for f in page.job_files] == [("logo.png", "Quote request QR-0001", size_text(kept.size), True)]
    run_handler(page, "make_mockup", kept.id)
    assert page.errors == {} and count(session, MockupVersion) == 1
    assert [v["label"] for v in screen(root, MockupsState).versions] == ["v1"]
