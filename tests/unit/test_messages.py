"""Messages (issue 10): threads on both sides, unread counts, read marks, closing, search and
paging, attachments, the 10-minute notice rule with a clock the test controls, scoping (IDOR),
inert hostile text, and attachments promoted to mockup versions; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from alembic import command
from sqlmodel import Session, select

from kontrol_app import db
from kontrol_app.manage import alembic_config, migrate
from kontrol_app.models import (
    EmailKind,
    Message,
    MessageAttachment,
    MessageThread,
    MockupVersion,
    Notification,
    OutboxEmail,
    StoredFile,
    ThreadRead,
)
from kontrol_app.services import files, messages
from kontrol_app.services.errors import InvalidInput, NotAllowed, NotFound
from kontrol_app.services.messages.reading import _mark_contact_read
from kontrol_app.services.portal_auth import PortalPrincipal
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.settings import get_settings
from tests.factories import make_staff
from tests.helpers.sql import statements
from tests.helpers.artwork import artwork_customers, image_bytes, pdf_bytes

T0 = datetime(2026, 4, 3, 14, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
PNG = image_bytes("PNG", (40, 30))
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
HTML_AS_PNG = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


@pytest.fixture
def world(session, owner):
    """Smith Embroidery (Sarah, Tom, a contact without email) with a job; Pixel Labs (Pat) with one."""
    return artwork_customers(session, owner)


def client(world, who="sarah") -> PortalPrincipal:
    names = {"sarah": ("Sarah Smith", "sarah@smith.example"), "tom": ("Tom Smith", "tom@smith.example"), "pat": ("Pat Pixel", "pat@pixel.example")}
    customer = world["other"] if who == "pat" else world["customer"]
    return PortalPrincipal(customer, world[who], *names[who])


def count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def emails(session, kind) -> list[OutboxEmail]:
    session.expire_all()
    return session.exec(select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id)).all()


def stored_blobs() -> set[str]:
    root = get_settings().files_dir
    return {p.name for p in root.glob("??/*")} if root.exists() else set()


# --- threads and messages ------------------------------------------------------------------


def test_a_job_thread_on_both_sides_reads_oldest_first_with_names_sides_and_shop_time(session, owner, world):
    sarah = client(world)
    thread_id = messages.start_thread_client(session, sarah, "Can the logo be bigger?", job_id=world["job"], now=T0)
    session.commit()
    messages.post_staff(session, owner, thread_id, "Yes — v2 tomorrow.", now=T0 + MINUTE)
    session.commit()
    messages.post_client(session, client(world, "tom"), thread_id, "Thanks!", now=T0 + 2 * MINUTE)
    session.commit()

    view = messages.open_thread_staff(session, owner, thread_id)
    assert (view.job_id, view.job_title, view.subject, view.customer_name) == (
        world["job"],
        "Spring League T-Shirts",
        "Spring League T-Shirts",
        "Smith Embroidery",
    )
    assert [(m.side, m.sender_name, m.body) for m in view.messages] == [
        ("client", "Sarah Smith", "Can the logo be bigger?"),
        ("shop", "Olivia Owner", "Yes — v2 tomorrow."),
        ("client", "Tom Smith", "Thanks!"),
    ]
    assert view.messages[0].when == "Apr 3, 2026 2:00 PM"  # the shop's timezone is UTC here
    assert [m.mine for m in view.messages] == [False, True, False]
    client_view = messages.open_thread_client(session, sarah, thread_id)
    assert [m.mine for m in client_view.messages] == [True, False, True]


def test_a_general_thread_needs_a_subject_and_a_staff_thread_must_name_the_customers_job(session, owner, world):
    with pytest.raises(InvalidInput, match="Enter a subject") as refused:
        messages.start_thread_client(session, client(world), "Hello", subject="   ")
    assert refused.value.field == "subject"
    with pytest.raises(NotFound, match="not one of this customer's"):
        messages.start_thread_staff(session, owner, world["customer"], "Hi", job_id=world["other_job"])
    with pytest.raises(NotFound):
        messages.start_thread_staff(session, owner, 999_999, "Hi", subject="Hello")
    thread_id = messages.start_thread_staff(session, owner, world["customer"], "Spring catalog attached.", subject="Spring catalog", now=T0)
    session.commit()
    assert count(session, MessageThread) == 1
    assert messages.open_thread_client(session, client(world), thread_id).subject == "Spring catalog"


def test_open_shows_the_newest_page_and_load_earlier_pages_back(session, owner, world):
    thread_id = messages.start_thread_staff(session, owner, world["customer"], "m0", subject="Long", now=T0)
    for number in range(1, 7):
        messages.post_staff(session, owner, thread_id, f"m{number}", now=T0 + number * MINUTE)
    session.commit()
    newest = messages.open_thread_client(session, client(world), thread_id, limit=3)
    assert [m.body for m in newest.messages] == ["m4", "m5", "m6"] and newest.has_earlier
    earlier = messages.open_thread_client(session, client(world), thread_id, before_id=newest.messages[0].id, limit=3)
    assert [m.body for m in earlier.messages] == ["m1", "m2", "m3"] and earlier.has_earlier
    first = messages.open_thread_client(session, client(world), thread_id, before_id=earlier.messages[0].id, limit=3)
    assert [m.body for m in first.messages] == ["m0"] and not first.has_earlier


# --- unread counts and read marks ------------------------------------------------------------


def test_unread_counts_are_per_contact_for_clients_and_shared_by_the_staff(session, owner, world):
    sarah, tom = client(world), client(world, "tom")
    member = make_staff(session, owner)
    thread_id = messages.start_thread_client(session, sarah, "One", job_id=world["job"], now=T0)
    messages.post_client(session, tom, thread_id, "Two", now=T0 + MINUTE)
    session.commit()
    # The writer's own side never counts as unread for the client; the staff see two.
    assert messages.staff_unread_total(session) == 2
    assert messages.client_unread_total(session, sarah) == 0
    page = messages.staff_threads(session, owner)
    assert [t.unread for t in page.threads] == [2] and page.unread_total == 2

    messages.open_thread_staff(session, member, thread_id)  # one staff member reads: read for all
    session.commit()
    assert messages.staff_unread_total(session) == 0
    assert messages.staff_threads(session, owner).threads[0].unread == 0

    messages.post_staff(session, owner, thread_id, "Proof soon.", now=T0 + 2 * MINUTE)
    messages.post_staff(session, owner, thread_id, "Here it is.", now=T0 + 3 * MINUTE)
    session.commit()
    assert messages.client_unread_total(session, sarah) == 2
    assert messages.client_unread_total(session, tom) == 2
    assert messages.client_threads(session, sarah).threads[0].unread == 2
    messages.open_thread_client(session, sarah, thread_id)  # Sarah reads: Tom still has two
    session.commit()
    assert messages.client_unread_total(session, sarah) == 0
    assert messages.client_unread_total(session, tom) == 2
    assert messages.client_threads(session, tom).unread_total == 2
    # Writing is reading: Tom's reply clears his count; the staff see one new message.
    messages.post_client(session, tom, thread_id, "Looks good", now=T0 + 4 * MINUTE)
    session.commit()
    assert messages.client_unread_total(session, tom) == 0
    assert messages.staff_unread_total(session) == 1
    # "Load earlier" is not reading the newest messages.
    messages.post_staff(session, owner, thread_id, "Great", now=T0 + 5 * MINUTE)
    session.commit()
    newest = messages.open_thread_client(session, sarah, thread_id, before_id=10**9)
    assert newest.messages and messages.client_unread_total(session, sarah) == 1


def test_the_staff_peek_then_mark_reads_up_to_what_was_shown(session, owner, world):
    """The Messages page shows a thread read once for every staff tab (`peek_thread_staff`), then
    marks it read up to the newest message it showed: one written in between stays unread, and
    a second tab marking the same thread changes nothing."""
    sarah = client(world)
    thread_id = messages.start_thread_client(session, sarah, "One", subject="S", now=T0)
    session.commit()
    view, unread = messages.peek_thread_staff(session, owner, thread_id)
    assert unread and messages.staff_unread_total(session) == 1  # the peek wrote nothing
    messages.post_client(session, sarah, thread_id, "Two", now=T0 + MINUTE)  # after the peek
    session.commit()
    assert messages.mark_read_staff(session, owner, view.id, view.newest_id)
    session.commit()
    assert messages.staff_unread_total(session) == 1  # "Two" was not on screen
    assert messages.staff_threads(session, owner).threads[0].unread == 1
    assert not messages.mark_read_staff(session, owner, view.id, view.newest_id)  # another tab, late
    view, unread = messages.peek_thread_staff(session, owner, thread_id)
    assert unread and messages.mark_read_staff(session, owner, view.id, view.newest_id)
    session.commit()
    assert messages.staff_unread_total(session) == 0
    assert messages.peek_thread_staff(session, owner, thread_id)[1] is False


def test_the_staff_list_carries_the_stamp_read_with_it(session, owner, world):
    """The page's stamp and the list are one snapshot: a poll compares `staff_stamp` with it."""
    sarah = client(world)
    assert messages.staff_threads(session, owner).stamp == messages.staff_stamp(session)
    thread_id = messages.start_thread_client(session, sarah, "Hi", subject="S", now=T0)
    session.commit()
    assert messages.staff_threads(session, owner, search="Hi").stamp == messages.staff_stamp(session) != "0:0"
    messages.open_thread_staff(session, owner, thread_id)
    session.commit()
    assert messages.staff_threads(session, owner, show="unread").stamp == messages.staff_stamp(session)


def test_the_unread_count_migration_counts_what_is_already_unread(database, session, owner, world):
    """The staff badge sums a count kept on each thread: the migration that adds it counts the
    client messages past each thread's read mark."""
    sarah = client(world)
    asked = messages.start_thread_client(session, sarah, "One", job_id=world["job"], now=T0)
    messages.post_client(session, sarah, asked, "Two", now=T0 + MINUTE)
    seen = messages.start_thread_client(session, sarah, "Seen", subject="Seen", now=T0)
    messages.open_thread_staff(session, owner, seen)
    messages.post_client(session, sarah, seen, "And one more", now=T0 + 2 * MINUTE)
    ours = messages.start_thread_staff(session, owner, world["customer"], "From us", subject="Ours", now=T0)
    session.commit()

    def unread(reader: Session) -> dict[int, int]:
        return {t.id: t.unread for t in messages.staff_threads(reader, owner).threads}

    assert unread(session) == {asked: 2, seen: 1, ours: 0} and messages.staff_unread_total(session) == 3
    session.close()
    db.reset_engine()  # no pooled connection may hold the table the downgrade rebuilds
    command.downgrade(alembic_config(database), "c055a9f1c282")
    migrate()
    with Session(db.get_engine()) as again:
        assert unread(again) == {asked: 2, seen: 1, ours: 0} and messages.staff_unread_total(again) == 3


def test_the_portal_opening_only_reads_and_says_which_mark_to_write(session, owner, world):
    """The portal's open-a-thread runs beside the session re-check (possibly on the event loop):
    it writes nothing, and tells the caller how far to move the read mark; nothing new, nothing."""
    sarah = client(world)
    thread_id = messages.start_thread_staff(session, owner, world["customer"], "Proof attached", subject="Proof", now=T0)
    other = messages.start_thread_staff(session, owner, world["customer"], "Invoice sent", subject="Invoice", now=T0)
    session.commit()
    assert messages.client_unread_total(session, sarah) == 2
    opening = messages.client_opening(session, sarah, thread_id)
    assert opening.view.messages[-1].body == "Proof attached"
    assert opening.unread_total == 1  # once marked: the other thread's message is left
    assert opening.read_up_to == opening.view.newest_id
    session.commit()
    assert count(session, ThreadRead) == 0 and messages.client_unread_total(session, sarah) == 2
    messages.mark_read_client(session, sarah, thread_id, opening.read_up_to)
    session.commit()
    assert messages.client_unread_total(session, sarah) == 1
    assert messages.client_opening(session, sarah, thread_id).read_up_to == 0  # nothing new
    messages.post_staff(session, owner, thread_id, "Version 2", now=T0 + MINUTE)
    session.commit()
    assert messages.client_opening(session, sarah, thread_id).read_up_to > opening.read_up_to
    assert messages.client_opening(session, sarah, other).unread_total == 1  # this thread's new one
    preview = PortalViewer(world["customer"], "Smith Embroidery", "Owner", "owner@shop.example", True)
    assert messages.client_opening(session, preview, thread_id).read_up_to == 0  # Preview marks nothing
    assert messages.client_opening(session, preview, thread_id).unread_total == 0  # and counts none


def test_a_read_mark_never_moves_back(session, owner, world):
    sarah = client(world)
    thread_id = messages.start_thread_staff(session, owner, world["customer"], "a", subject="S", now=T0)
    messages.post_staff(session, owner, thread_id, "b", now=T0 + MINUTE)
    session.commit()
    messages.open_thread_client(session, sarah, thread_id)
    first = messages.open_thread_client(session, sarah, thread_id, limit=1)
    session.commit()
    row = session.get(ThreadRead, (thread_id, world["sarah"]))
    assert row.last_read_message_id == first.newest_id
    _mark_contact_read(session, thread_id, world["sarah"], 1)
    session.commit()
    session.expire_all()
    assert session.get(ThreadRead, (thread_id, world["sarah"])).last_read_message_id == first.newest_id


def test_staff_close_and_a_client_reopens_by_writing(session, owner, world):
    thread_id = messages.start_thread_client(session, client(world), "Question", subject="Sizes", now=T0)
    session.commit()
    messages.close_thread(session, owner, thread_id, now=T0 + MINUTE)
    session.commit()
    assert messages.open_thread_client(session, client(world), thread_id).closed
    assert messages.client_threads(session, client(world)).threads[0].closed
    messages.post_staff(session, owner, thread_id, "Closing note", now=T0 + 2 * MINUTE)
    session.commit()
    assert messages.open_thread_staff(session, owner, thread_id).closed  # a staff reply keeps it closed
    messages.post_client(session, client(world, "tom"), thread_id, "One more thing", now=T0 + 3 * MINUTE)
    session.commit()
    assert not messages.open_thread_staff(session, owner, thread_id).closed
    messages.close_thread(session, owner, thread_id)
    messages.reopen_thread(session, owner, thread_id)
    session.commit()
    assert not messages.open_thread_staff(session, owner, thread_id).closed


# --- the staff list: unread first, filters, search, paging ------------------------------------


def test_staff_list_is_unread_first_filtered_searched_and_paged_in_sql(session, owner, world):
    ids = []
    for number in range(7):
        ids.append(messages.start_thread_staff(session, owner, world["customer"], f"Body {number}", subject=f"Topic {number}", now=T0 + number * MINUTE))
    other = messages.start_thread_client(session, client(world, "pat"), "Need 100% cotton_blend hoodies", job_id=world["other_job"], now=T0 - MINUTE)
    session.commit()

    page = messages.staff_threads(session, owner, page_size=3)
    assert (page.total, page.pages, page.page) == (8, 3, 1)
    # The only unread thread first (though oldest), then newest first.
    assert [t.id for t in page.threads] == [other, ids[6], ids[5]]
    assert page.threads[0].snippet == "Need 100% cotton_blend hoodies" and page.threads[0].last_sender == "Pat Pixel"
    last = messages.staff_threads(session, owner, page=99, page_size=3)
    assert last.page == 3 and [t.id for t in last.threads] == [ids[1], ids[0]]

    assert [t.id for t in messages.staff_threads(session, owner, show="unread").threads] == [other]
    assert messages.staff_threads(session, owner, customer_id=world["other"]).total == 1
    assert messages.staff_threads(session, owner, job_id=world["other_job"]).total == 1
    assert [t.id for t in messages.staff_threads(session, owner, search="topic 3").threads] == [ids[3]]
    assert [t.id for t in messages.staff_threads(session, owner, search="BODY 4").threads] == [ids[4]]
    # % and _ are taken literally.
    assert [t.id for t in messages.staff_threads(session, owner, search="100% cotton_").threads] == [other]
    assert messages.staff_threads(session, owner, search="100%% x").total == 0
    with pytest.raises(InvalidInput):
        messages.staff_threads(session, owner, show="everything")


def test_each_listed_thread_shows_its_newest_message_and_the_list_is_two_statements(session, owner, world):
    """A page of the list, at any size, is its counts then its rows: the newest message of each
    thread is read with them, for that page's threads only."""
    sarah = client(world)
    threads = [messages.start_thread_staff(session, owner, world["customer"], f"First {n}", subject=f"Topic {n}", now=T0 + n * MINUTE) for n in range(4)]
    messages.post_client(session, sarah, threads[1], "Newest   words\n from Sarah", now=T0 + 60 * MINUTE)
    messages.post_staff(session, owner, threads[2], "Shop replied", now=T0 + 120 * MINUTE)
    session.commit()

    with statements() as sent:
        page = messages.staff_threads(session, owner, page_size=3)
    assert len(sent) == 2
    shown = {t.id: t for t in page.threads}
    assert [t.id for t in page.threads] == [threads[1], threads[2], threads[3]]  # unread first, then newest
    assert (shown[threads[1]].snippet, shown[threads[1]].last_sender, shown[threads[1]].unread) == ("Newest words from Sarah", "Sarah Smith", 1)
    assert (shown[threads[2]].snippet, shown[threads[2]].unread) == ("Shop replied", 0)
    assert shown[threads[3]].snippet == "First 3" and shown[threads[3]].customer_name == "Smith Embroidery"
    assert page.unread_total == 1

    with statements() as sent:
        mine = messages.client_threads(session, sarah, page=2, page_size=3)
    assert len(sent) == 3  # counts, rows, this contact's unread marks
    assert [t.id for t in mine.threads] == [threads[0]] and (mine.page, mine.total) == (2, 4)


def test_client_sees_only_their_customers_threads(session, owner, world):
    mine = messages.start_thread_staff(session, owner, world["customer"], "Hi Smiths", subject="A")
    messages.start_thread_staff(session, owner, world["other"], "Hi Pixel", subject="B")
    session.commit()
    page = messages.client_threads(session, client(world, "tom"))
    assert [t.id for t in page.threads] == [mine] and page.total == 1


# --- attachments ---------------------------------------------------------------------------


def test_attachments_images_and_pdfs_preview_artwork_only_downloads_svg_never_inline(session, owner, world):
    thread_id = messages.start_thread_client(
        session,
        client(world),
        "Files attached",
        job_id=world["job"],
        attachments=[("logo.png", PNG), ("proof.pdf", pdf_bytes(1)), ("vector.svg", SVG), ("pack.zip", _zip())],
    )
    session.commit()
    [message] = messages.open_thread_staff(session, owner, thread_id).messages
    shown = {a.name: a for a in message.attachments}
    assert [a.name for a in message.attachments] == ["logo.png", "proof.pdf", "vector.svg", "pack.zip"]
    assert (shown["logo.png"].previewable, shown["logo.png"].image, shown["logo.png"].promotable) == (True, True, True)
    assert (shown["proof.pdf"].previewable, shown["proof.pdf"].image) == (True, False)
    assert (shown["vector.svg"].previewable, shown["vector.svg"].promotable) == (False, False)
    assert not shown["pack.zip"].previewable
    assert shown["logo.png"].url.startswith(f"/api/files/{shown['logo.png'].file_id}/")
    assert shown["pack.zip"].download_url.endswith("?download=1")
    svg = files.readable(session, shown["vector.svg"].file_id, staff=owner, portal=None)
    assert svg is not None and svg.inline is False  # the files route sends it as a download
    assert files.readable(session, shown["logo.png"].file_id, staff=None, portal=client(world, "tom")).inline


def _zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("art.ai", b"%!PS-Adobe-3.0")
    return buffer.getvalue()


def test_a_png_that_is_really_html_is_refused_and_leaves_nothing(session, owner, world):
    thread_id = messages.start_thread_staff(session, owner, world["customer"], "First", subject="S", now=T0)
    session.commit()
    before = (count(session, Message), count(session, StoredFile), stored_blobs())
    with pytest.raises(InvalidInput, match=r"^fake\.png: This file type is not accepted here") as refused:
        messages.post_client(session, client(world), thread_id, "See attached", attachments=[("ok.png", PNG), ("fake.png", HTML_AS_PNG)])
    assert refused.value.field == "attachments"
    session.rollback()
    assert (count(session, Message), count(session, StoredFile), stored_blobs()) == before
    assert messages.staff_unread_total(session) == 0
    assert not list((get_settings().files_dir / files.INCOMING).glob("*"))


def test_six_attachments_are_refused_and_nothing_is_kept(session, owner, world):
    received = [files.receive_sync(image_bytes("PNG", (10 + n, 10)), name=f"{n}.png") for n in range(6)]
    with pytest.raises(InvalidInput, match="at most 5 files"):
        messages.start_thread_client(session, client(world), "Six files", subject="Files", attachments=received)
    session.rollback()
    assert count(session, MessageThread) == 0 and count(session, StoredFile) == 0
    assert not any(r.path.exists() for r in received)  # the temp files are gone too
    five = [(f"{n}.png", image_bytes("PNG", (10 + n, 10))) for n in range(5)]
    messages.start_thread_client(session, client(world), "Five files", subject="Files", attachments=five)
    session.commit()
    assert count(session, MessageAttachment) == 5


def test_an_attachment_over_25_mb_is_refused_while_it_streams(database):
    async def upload():
        for _ in range(26):
            yield b"\0" * files.MB

    with pytest.raises(InvalidInput, match="larger than 25 MB") as refused:
        asyncio.run(messages.receive_attachment(upload()))
    assert refused.value.field == "attachments"
    assert not list((get_settings().files_dir / files.INCOMING).glob("*"))


# --- bad and hostile text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1)) javascript:alert(document.cookie)",
    ],
)
def test_hostile_bodies_are_stored_as_typed_and_links_are_only_http(session, owner, world, body):
    thread_id = messages.start_thread_client(session, client(world), body, subject="<b>hi</b>")
    session.commit()
    [message] = messages.open_thread_staff(session, owner, thread_id).messages
    assert message.body == body
    assert session.exec(select(Message.body)).one() == body
    assert all(s.url == "" for s in message.segments)  # nothing clickable
    assert "".join(s.text for s in message.segments) == body


def test_linkify_splits_http_links_and_refuses_other_schemes():
    text = "See https://example.com/a?b=1&c=2. Or (http://x.test/p) javascript:alert(1) data:text/html,x ftp://f.test"
    segments = messages.linkify(text)
    assert [s.url for s in segments if s.url] == ["https://example.com/a?b=1&c=2", "http://x.test/p"]
    assert "".join(s.text for s in segments) == text
    assert messages.linkify("javascript://example.com/%0aalert(1)") == [messages.Segment("javascript://example.com/%0aalert(1)")]
    assert messages.linkify("HTTPS://EXAMPLE.COM") == [messages.Segment("HTTPS://EXAMPLE.COM", "HTTPS://EXAMPLE.COM")]
    assert messages.linkify("http://") == [messages.Segment("http://")]
    assert messages.linkify("") == []


def test_too_long_and_empty_bodies_are_refused_and_nothing_changes(session, owner, world):
    thread_id = messages.start_thread_staff(session, owner, world["customer"], "Hi", subject="S")
    session.commit()
    with pytest.raises(InvalidInput, match="under 10,000 characters") as refused:
        messages.post_client(session, client(world), thread_id, "x" * 10_001)
    assert refused.value.field == "body"
    for blank in ("", "     ", "\n\t  \n"):
        with pytest.raises(InvalidInput, match="Write a message"):
            messages.post_staff(session, owner, thread_id, blank)
    with pytest.raises(InvalidInput, match="Write a message"):
        messages.start_thread_client(session, client(world), "   ", subject="New", attachments=[("a.png", PNG)])
    session.rollback()
    assert count(session, Message) == 1 and count(session, MessageThread) == 1 and count(session, StoredFile) == 0
    messages.post_client(session, client(world), thread_id, "  " + "y" * 10_000 + "  ")
    session.commit()
    assert session.exec(select(func.max(func.length(Message.body)))).one() == 10_000


# --- scoping: foreign ids are "not found" and change nothing --------------------------------


def test_foreign_thread_message_and_file_ids_are_not_found_and_change_nothing(session, owner, world):
    theirs = messages.start_thread_staff(session, owner, world["other"], "Private to Pixel", subject="Secret", attachments=[("pixel.png", PNG)])
    session.commit()
    sarah = client(world)
    [attachment] = messages.open_thread_staff(session, owner, theirs).messages[0].attachments
    before = (count(session, Message), count(session, ThreadRead), count(session, MessageThread))
    calls = [
        lambda: messages.open_thread_client(session, sarah, theirs),
        lambda: messages.post_client(session, sarah, theirs, "hello", attachments=[("a.png", PNG)]),
        lambda: messages.open_thread_client(session, sarah, 999_999),
        lambda: messages.post_client(session, sarah, "1", "hello"),
    ]
    for call in calls:
        with pytest.raises(NotFound, match="^That conversation is not in your portal.$"):
            call()
    with pytest.raises(NotFound, match="That job is not in your portal."):
        messages.start_thread_client(session, sarah, "hi", job_id=world["other_job"])
    # Someone else's contact id in the session is refused too.
    forged = PortalPrincipal(world["customer"], world["pat"], "x", "x")
    with pytest.raises(NotAllowed, match="^Sign in again to make changes.$"):
        messages.post_client(session, forged, theirs, "hi")
    with pytest.raises(NotAllowed, match="^Sign in again to make changes.$"):
        messages.start_thread_client(session, forged, "hi", subject="Hijack")
    session.rollback()
    assert (count(session, Message), count(session, ThreadRead), count(session, MessageThread)) == before
    assert messages.client_threads(session, sarah).total == 0
    # The file route's reader: staff yes, the owning customer's client yes, another's no.
    assert files.readable(session, attachment.file_id, staff=None, portal=sarah) is None
    assert files.readable(session, attachment.file_id, staff=None, portal=client(world, "pat")) is not None
    assert files.readable(session, attachment.file_id, staff=owner, portal=None) is not None
    # Staff ids that don't exist.
    with pytest.raises(NotFound):
        messages.open_thread_staff(session, owner, 999_999)
    with pytest.raises(NotFound):
        messages.promote_to_mockup(session, owner, 999_999)


def test_a_staff_preview_reads_but_cannot_write_or_mark_read(session, owner, world):
    thread_id = messages.start_thread_staff(session, owner, world["customer"], "Hello", subject="S")
    session.commit()
    preview = PortalViewer(world["customer"], "Smith Embroidery", "Olivia Owner", "owner@example.com", True, None)
    assert [m.body for m in messages.open_thread_client(session, preview, thread_id).messages] == ["Hello"]
    with pytest.raises(NotAllowed, match="Preview"):
        messages.post_client(session, preview, thread_id, "hi")
    session.rollback()
    assert count(session, ThreadRead) == 0 and count(session, Message) == 1


# --- email notices: one per thread per side per 10 minutes while unread ---------------------


def test_a_staff_message_emails_every_contact_with_a_link_to_the_thread(session, owner, world):
    thread_id = messages.start_thread_staff(session, owner, world["customer"], "Your proof <b>is</b> ready", job_id=world["job"], now=T0)
    session.commit()
    sent = emails(session, EmailKind.MESSAGE_TO_CLIENT)
    assert sorted(e.to_email for e in sent) == ["sarah@smith.example", "tom@smith.example"]
    assert all(f"?thread={thread_id}" in e.text_body and "Reply in your portal" in e.text_body for e in sent)
    assert "Your proof <b>is</b> ready" in sent[0].text_body
    assert "Your proof &lt;b&gt;is&lt;/b&gt; ready" in sent[0].html_body
    assert "Spring League T-Shirts" in sent[0].subject
    assert emails(session, EmailKind.MESSAGE_TO_SHOP) == []


def test_client_messages_notify_the_shop_once_per_ten_minutes_while_unread(session, owner, world):
    sarah = client(world)
    thread_id = messages.start_thread_client(session, sarah, "First", job_id=world["job"], now=T0)
    session.commit()
    [first] = emails(session, EmailKind.MESSAGE_TO_SHOP)
    assert first.to_email == "owner@example.com" and "First" in first.text_body
    assert f"/messages?thread={thread_id}" in first.text_body and "Reply in Kontrol" in first.text_body
    bell = session.exec(select(Notification)).all()
    assert [(n.kind, n.link) for n in bell] == [("message", f"/messages?thread={thread_id}")]

    # A lively exchange: no more emails inside the 10 minutes.
    messages.post_client(session, sarah, thread_id, "Second", now=T0 + 3 * MINUTE)
    messages.post_client(session, sarah, thread_id, "Third", now=T0 + 6 * MINUTE)
    session.commit()
    assert len(emails(session, EmailKind.MESSAGE_TO_SHOP)) == 1
    assert messages.send_due_notices(session, T0 + 9 * MINUTE) == 0
    # The window passed and "Third" is still unread: one notice, quoting it.
    assert messages.send_due_notices(session, T0 + 10 * MINUTE) == 1
    session.commit()
    notices = emails(session, EmailKind.MESSAGE_TO_SHOP)
    assert len(notices) == 2 and "Third" in notices[1].text_body
    assert messages.send_due_notices(session, T0 + 30 * MINUTE) == 0  # nothing new
    assert count(session, Notification) == 2

    # Read before the window ends: nothing is sent for it.
    messages.post_client(session, sarah, thread_id, "Fourth", now=T0 + 12 * MINUTE)
    session.commit()
    messages.open_thread_staff(session, owner, thread_id)
    session.commit()
    assert messages.send_due_notices(session, T0 + 25 * MINUTE) == 0
    session.commit()
    assert len(emails(session, EmailKind.MESSAGE_TO_SHOP)) == 2
    # After the window a new message is noticed at once.
    messages.post_client(session, sarah, thread_id, "Fifth", now=T0 + 21 * MINUTE)
    session.commit()
    assert len(emails(session, EmailKind.MESSAGE_TO_SHOP)) == 3


def test_the_background_loop_sends_a_backlog_of_notices_batch_by_batch(session, owner, world, monkeypatch):
    """After downtime every held-back notice is due at once: the loop sends each one once, in
    short transactions (SQLite's single writer is never held for the whole backlog)."""
    from kontrol_app import background
    from kontrol_app.services.messages import notices

    threads = []
    for n in range(5):
        thread_id = messages.start_thread_staff(session, owner, world["customer"], f"First {n}", subject=f"Order {n}", now=T0)
        messages.post_staff(session, owner, thread_id, f"Held back {n}", now=T0 + MINUTE)
        threads.append(thread_id)
    session.commit()
    assert len(emails(session, EmailKind.MESSAGE_TO_CLIENT)) == 10  # the first message of each, two contacts
    batches = []
    batch = messages.notice_batch
    monkeypatch.setattr(notices, "NOTICE_BATCH", 2)  # read where notice_batch runs
    # The package's name: the background loop calls it as messages.notice_batch.
    monkeypatch.setattr(messages, "notice_batch", lambda *a, **k: batches.append(k["after_id"]) or batch(*a, **k))
    assert background.queue_message_notices() == 5
    assert batches == [0, threads[1], threads[3]]
    held = [e for e in emails(session, EmailKind.MESSAGE_TO_CLIENT) if "Held back" in e.text_body]
    assert sorted(e.text_body.split("Held back ")[1][0] + e.to_email[0] for e in held) == sorted(f"{n}{c}" for n in range(5) for c in "st")
    assert background.queue_message_notices() == 0  # each went once


def test_staff_messages_notify_contacts_once_per_ten_minutes_and_not_who_read_it(session, owner, world):
    thread_id = messages.start_thread_staff(session, owner, world["customer"], "One", subject="Order", now=T0)
    session.commit()
    assert len(emails(session, EmailKind.MESSAGE_TO_CLIENT)) == 2
    messages.post_staff(session, owner, thread_id, "Two", now=T0 + 2 * MINUTE)
    session.commit()
    assert len(emails(session, EmailKind.MESSAGE_TO_CLIENT)) == 2
    messages.open_thread_client(session, client(world), thread_id)  # Sarah reads "Two"
    session.commit()
    assert messages.send_due_notices(session, T0 + 10 * MINUTE) == 1
    session.commit()
    later = emails(session, EmailKind.MESSAGE_TO_CLIENT)[2:]
    assert [e.to_email for e in later] == ["tom@smith.example"] and "Two" in later[0].text_body
    # Everyone read the newest: nothing, however long it waits.
    messages.post_staff(session, owner, thread_id, "Three", now=T0 + 11 * MINUTE)
    messages.open_thread_client(session, client(world), thread_id)
    messages.open_thread_client(session, client(world, "tom"), thread_id)
    session.commit()
    assert messages.send_due_notices(session, T0 + 60 * MINUTE) == 0
    session.commit()
    assert len(emails(session, EmailKind.MESSAGE_TO_CLIENT)) == 3
    # That silent round started no window: the next message, a minute later, is noticed at once.
    messages.post_staff(session, owner, thread_id, "Four", now=T0 + 61 * MINUTE)
    session.commit()
    assert len(emails(session, EmailKind.MESSAGE_TO_CLIENT)) == 5


def test_no_shop_email_without_the_shops_address_but_the_bell_rings(session, owner, world):
    from kontrol_app.models import Shop

    shop = session.exec(select(Shop)).one()
    shop.email = ""
    session.add(shop)
    session.commit()
    messages.start_thread_client(session, client(world), "Hi", subject="S", now=T0)
    session.commit()
    assert emails(session, EmailKind.MESSAGE_TO_SHOP) == [] and count(session, Notification) == 1


# --- stamps ------------------------------------------------------------------------------------


def test_stamps_change_on_new_messages_and_reads(session, owner, world):
    sarah = client(world)
    staff_before, client_before = messages.staff_stamp(session), messages.client_stamp(session, sarah)
    thread_id = messages.start_thread_client(session, sarah, "Hi", subject="S")
    session.commit()
    staff_after = messages.staff_stamp(session)
    assert staff_after != staff_before and messages.client_stamp(session, sarah) != client_before
    messages.open_thread_staff(session, owner, thread_id)
    session.commit()
    assert messages.staff_stamp(session) != staff_after
    other_before = messages.client_stamp(session, client(world, "pat"))
    messages.post_staff(session, owner, thread_id, "Reply")
    session.commit()
    assert messages.client_stamp(session, client(world, "pat")) == other_before  # another customer's news
    stamp = messages.client_stamp(session, sarah)
    messages.close_thread(session, owner, thread_id)
    session.commit()
    assert messages.client_stamp(session, sarah) != stamp


# --- attachments to mockups ----------------------------------------------------------------


def test_staff_promote_an_attachment_to_a_mockup_version_of_the_threads_job(session, owner, world):
    thread_id = messages.start_thread_client(
        session,
        client(world),
        "New logo",
        job_id=world["job"],
        attachments=[("proof.pdf", pdf_bytes(2)), ("logo.svg", SVG)],
    )
    session.commit()
    pdf, svg = messages.open_thread_staff(session, owner, thread_id).messages[0].attachments
    version = messages.promote_to_mockup(session, owner, pdf.id)
    session.commit()
    row = session.get(MockupVersion, version.id)
    assert (row.job_id, row.number) == (world["job"], 1)
    assert session.get(StoredFile, row.file_id).file_type == "pdf"
    assert "New logo" not in row.note and "Spring League T-Shirts" in row.note
    with pytest.raises(InvalidInput, match="SVG file can't be a mockup"):
        messages.promote_to_mockup(session, owner, svg.id)
    general = messages.start_thread_client(session, client(world), "Idea", subject="Next year", attachments=[("idea.png", PNG)])
    session.commit()
    [png] = messages.open_thread_staff(session, owner, general).messages[0].attachments
    assert not png.promotable
    with pytest.raises(NotAllowed, match="not about a job"):
        messages.promote_to_mockup(session, owner, png.id)
    session.rollback()
    assert count(session, MockupVersion) == 1
    # The job page's list of threads.
    assert [t.id for t in messages.staff_threads(session, owner, job_id=world["job"]).threads] == [thread_id]
