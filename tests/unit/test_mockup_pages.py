"""A PDF mockup's pages: a preview of each of the first pages, made at upload, readable only by
staff and the version's customer (sent, not withdrawn); versions from before pages were kept
show their first-page preview. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from PIL import Image
from sqlalchemy import delete
from sqlmodel import select

from kontrol_app.models import MockupPage, MockupVersion, StoredFile
from kontrol_app.services import files, mockups
from kontrol_app.services.errors import InvalidInput
from kontrol_app.services.portal_auth import PortalPrincipal
from kontrol_app.settings import get_settings
from kontrol_app.ui.portal.tabs.approval import pages_note
from tests.helpers.artwork import artwork_customers, image_bytes, pdf_bytes, upload


@pytest.fixture
def shop(session, owner):
    return artwork_customers(session, owner)


def pages_of(session, version_id: int) -> list[MockupPage]:
    session.expire_all()
    return list(session.exec(select(MockupPage).where(MockupPage.version_id == version_id).order_by(MockupPage.page_number)).all())


def send(session, owner, version_id: int) -> None:
    mockups.send_for_approval(session, owner, version_id)
    session.commit()


def sarah(shop) -> PortalPrincipal:
    return PortalPrincipal(shop["customer"], shop["sarah"], "Sarah Smith", "sarah@smith.example")


def test_a_pdf_gets_a_preview_of_each_page(session, owner, shop):
    view = upload(session, owner, shop["job"], pdf_bytes(3), name="proof.pdf")
    version = session.get(MockupVersion, view.id)
    pages = pages_of(session, view.id)
    assert [p.page_number for p in pages] == [1, 2, 3]
    assert pages[0].preview_file_id == version.preview_file_id  # page 1 is the version's own preview
    rows = [session.get(StoredFile, p.preview_file_id) for p in pages]
    assert [r.kind for r in rows] == ["mockup_preview", "mockup_page", "mockup_page"]
    assert {r.customer_id for r in rows} == {shop["customer"]}
    assert [r.original_name for r in rows[1:]] == ["proof-page-2.png", "proof-page-3.png"]
    # Three different renders (the page number is printed on each), each a PNG of preview size.
    assert len({r.sha256 for r in rows}) == 3
    for row in rows:
        with Image.open(files.blob_path(row.sha256)) as image:
            assert image.format == "PNG" and 1500 <= max(image.size) <= mockups.PREVIEW_SIZE
    assert view.page_urls == tuple(files.url_for(r) for r in rows)
    assert view.page_urls[0] == view.preview_url
    listed = mockups.job_mockups(session, owner, shop["job"]).versions[0]
    assert listed.page_urls == view.page_urls and listed.page_count == 3

    send(session, owner, view.id)
    proof = mockups.portal_proof(session, shop["customer"], shop["job"])
    assert proof.page_urls == view.page_urls and proof.page_count == 3


def test_only_the_first_pages_are_rendered(session, owner, shop):
    pages = mockups.MAX_PREVIEW_PAGES + 5
    view = upload(session, owner, shop["job"], pdf_bytes(pages), name="catalogue.pdf")
    assert [p.page_number for p in pages_of(session, view.id)] == list(range(1, mockups.MAX_PREVIEW_PAGES + 1))
    assert (len(view.page_urls), view.page_count) == (mockups.MAX_PREVIEW_PAGES, pages)
    assert pages_note(len(view.page_urls), view.page_count) == (
        f"Showing {mockups.MAX_PREVIEW_PAGES} of {pages} pages — download the original to see them all."
    )
    assert pages_note(3, 3) == "" and pages_note(1, 0) == ""


def test_an_image_has_no_pages_and_shows_its_preview(session, owner, shop):
    view = upload(session, owner, shop["job"], image_bytes("PNG", (300, 200)), name="logo.png")
    assert pages_of(session, view.id) == []
    assert view.page_urls == (view.preview_url,) and view.preview_url


def test_a_version_from_before_pages_shows_its_first_page(session, owner, shop):
    view = upload(session, owner, shop["job"], pdf_bytes(3), name="proof.pdf")
    # As uploaded before page previews existed: no page rows, only the first-page preview.
    session.exec(delete(MockupPage).where(MockupPage.version_id == view.id))
    session.commit()
    listed = mockups.job_mockups(session, owner, shop["job"]).versions[0]
    assert listed.page_urls == (listed.preview_url,) and listed.page_count == 3
    send(session, owner, view.id)
    proof = mockups.portal_proof(session, shop["customer"], shop["job"])
    assert proof.page_urls == (proof.preview_url,) and proof.preview_url


def test_page_previews_are_read_only_by_staff_and_that_customer_once_sent(session, owner, shop):
    view = upload(session, owner, shop["job"], pdf_bytes(3), name="proof.pdf")
    page_two = pages_of(session, view.id)[1].preview_file_id
    client = sarah(shop)
    pat = PortalPrincipal(shop["other"], shop["pat"], "Pat Pixel", "pat@pixel.example")

    assert files.readable(session, page_two, staff=owner, portal=None) is not None
    assert files.readable(session, page_two, staff=None, portal=None) is None
    assert files.readable(session, page_two, staff=None, portal=client) is None  # a draft: not the client's yet

    send(session, owner, view.id)
    readable = files.readable(session, page_two, staff=None, portal=client)
    assert readable is not None and readable.content_type == "image/png" and readable.inline
    assert files.readable(session, page_two, staff=None, portal=pat) is None  # another customer

    mockups.withdraw_version(session, owner, view.id)
    session.commit()
    assert files.readable(session, page_two, staff=None, portal=client) is None
    assert files.readable(session, page_two, staff=owner, portal=None) is not None  # kept in the record


def test_a_page_of_another_customers_version_stays_hidden_even_with_the_same_bytes(session, owner, shop):
    """Identical PDFs on two customers' jobs: each page row answers only for its own version."""
    data = pdf_bytes(2)
    mine = upload(session, owner, shop["job"], data, name="proof.pdf")
    theirs = upload(session, owner, shop["other_job"], data, name="proof.pdf")
    send(session, owner, theirs.id)  # only the other customer's version is sent
    my_page = pages_of(session, mine.id)[1].preview_file_id
    their_page = pages_of(session, theirs.id)[1].preview_file_id
    assert my_page != their_page
    pat = PortalPrincipal(shop["other"], shop["pat"], "Pat Pixel", "pat@pixel.example")
    assert files.readable(session, their_page, staff=None, portal=pat) is not None
    assert files.readable(session, my_page, staff=None, portal=pat) is None
    assert files.readable(session, their_page, staff=None, portal=sarah(shop)) is None


def test_a_refused_pdf_leaves_no_pages(session, owner, shop):
    with pytest.raises(InvalidInput, match="pages"):
        mockups.upload_version(session, owner, shop["job"], pdf_bytes(mockups.MAX_PDF_PAGES + 1), name="big.pdf")
    session.rollback()
    assert session.exec(select(MockupPage)).all() == []
    assert session.exec(select(StoredFile)).all() == []
    files_dir = get_settings().files_dir
    assert not files_dir.exists() or not [p for p in files_dir.rglob("*") if p.is_file()]
