"""/api/files/{id}/{name} over HTTP: the reader of each kind decides, refusals look like unknown
ids, and every answer carries nosniff, a safe Content-Disposition and a private cache policy."""

from __future__ import annotations

import io
from datetime import UTC, datetime
import re
from urllib.parse import quote

import pytest
from fpdf import FPDF
from PIL import Image
from sqlmodel import Session, select

from kontrol_app.api.cookies import PORTAL_COOKIE, STAFF_COOKIE
from kontrol_app.models import EmailKind, OutboxEmail, StoredFile
from kontrol_app.services import customers, files, portal_auth, portal_links, staff
from kontrol_app.services.customers import CustomerInput
from tests.factories import OWNER_EMAIL, OWNER_PASSWORD

KIND = "test-artwork"
files.register_reader(KIND, files.staff_or_own_customer)

SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (10, 200, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def pdf() -> bytes:
    """The same bytes every call (a fixed creation date: two calls can straddle a second)."""
    document = FPDF()
    document.set_creation_date(datetime(2026, 4, 3, tzinfo=UTC))
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text="Proof")
    return bytes(document.output())


def customer(session: Session, owner: staff.StaffPrincipal, name: str, email: str) -> dict:
    customer_id = customers.create_customer(session, owner, CustomerInput(name=name, email=email))
    session.commit()
    path = portal_links.portal_path(portal_links._customer(session, customer_id))
    return {"id": customer_id, "email": email, "link": path[len(portal_links.PORTAL_PREFIX) :]}


def sign_in_client(api_client, session: Session, who: dict) -> None:
    """The real portal sign-in: emailed code -> ticket -> the HttpOnly portal cookie."""
    portal_auth.request_code(session, link=who["link"], email=who["email"])
    session.commit()
    body = session.exec(
        select(OutboxEmail.text_body).where(OutboxEmail.kind == EmailKind.SIGN_IN_CODE).order_by(OutboxEmail.id.desc())
    ).first()
    code = re.search(r"\b(\d{6})\b", body).group(1)
    ticket = portal_auth.verify_code(session, link=who["link"], email=who["email"], code=code)
    session.commit()
    response = api_client.get("/api/portal/session", params={"ticket": ticket})
    assert response.status_code == 303 and api_client.cookies.get(PORTAL_COOKIE)


def sign_in_staff(api_client, session: Session) -> None:
    ticket = staff.sign_in(session, email=OWNER_EMAIL, password=OWNER_PASSWORD)
    session.commit()
    response = api_client.get("/api/staff/session", params={"ticket": ticket})
    assert response.status_code == 303 and api_client.cookies.get(STAFF_COOKIE)


@pytest.fixture
def acme(session, owner) -> dict:
    return customer(session, owner, "Acme Apparel", "ann@acme.test")


@pytest.fixture
def rival(session, owner) -> dict:
    return customer(session, owner, "Rival Teams", "rob@rival.test")


def upload(session: Session, data: bytes, name: str, customer_id: int | None) -> StoredFile:
    row = files.store(session, data, kind=KIND, allowed=files.ARTWORK, original_name=name, customer_id=customer_id)
    session.commit()
    return row


def assert_private_headers(response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-cache"
    assert response.headers["cross-origin-resource-policy"] == "same-origin"


def test_without_a_session_a_private_file_is_a_404_like_an_unknown_id(api_client, session, acme):
    row = upload(session, png(), "art.png", acme["id"])
    refused = api_client.get(files.url_for(row))
    unknown = api_client.get(f"/api/files/{row.id + 1}/art.png")
    assert refused.status_code == unknown.status_code == 404
    assert refused.content == unknown.content and png() not in refused.content
    assert refused.headers["x-content-type-options"] == "nosniff"


def test_staff_can_read_any_customers_file_with_safe_headers(api_client, session, acme):
    row = upload(session, png(), "art.png", acme["id"])
    sign_in_staff(api_client, session)
    response = api_client.get(files.url_for(row))
    assert response.status_code == 200
    assert response.content == png()
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"] == 'inline; filename="art.png"'
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.headers["etag"] == f'"{row.sha256}"'
    assert_private_headers(response)


def test_the_customers_own_client_can_read_it_and_another_customers_client_cannot(api_client, session, acme, rival):
    row = upload(session, png(), "art.png", acme["id"])
    sign_in_client(api_client, session, acme)
    assert api_client.get(files.url_for(row)).status_code == 200

    api_client.cookies.clear()
    sign_in_client(api_client, session, rival)
    refused = api_client.get(files.url_for(row))
    assert refused.status_code == 404
    assert refused.content == api_client.get("/api/files/999999/art.png").content
    assert api_client.get(files.url_for(row, download=True)).status_code == 404


def test_a_shop_file_is_not_for_clients(api_client, session, acme):
    row = upload(session, png(), "internal.png", None)
    sign_in_client(api_client, session, acme)
    assert api_client.get(files.url_for(row)).status_code == 404


def test_a_revoked_staff_session_reads_nothing(api_client, session, acme):
    row = upload(session, png(), "art.png", acme["id"])
    sign_in_staff(api_client, session)
    assert api_client.get(files.url_for(row)).status_code == 200
    staff.sign_out(session, api_client.cookies.get(STAFF_COOKIE))
    session.commit()
    assert api_client.get(files.url_for(row)).status_code == 404


def test_a_cached_copy_is_revalidated_and_only_for_readers(api_client, session, acme):
    row = upload(session, png(), "art.png", acme["id"])
    etag = f'"{row.sha256}"'
    assert api_client.get(files.url_for(row), headers={"If-None-Match": etag}).status_code == 404
    sign_in_staff(api_client, session)
    response = api_client.get(files.url_for(row), headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.content == b""
    assert_private_headers(response)


def test_non_ascii_names_use_rfc_6266_filename_star(api_client, session, acme):
    row = upload(session, png(), "Müller Trikots – Rückseite 日本.png", acme["id"])
    sign_in_staff(api_client, session)
    url = files.url_for(row)
    assert url == f"/api/files/{row.id}/" + quote("Müller Trikots – Rückseite 日本.png", safe="")
    response = api_client.get(url)
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('inline; filename="Muller Trikots ')
    assert "filename*=UTF-8''M%C3%BCller%20Trikots%20%E2%80%93%20R%C3%BCckseite%20%E6%97%A5%E6%9C%AC.png" in disposition
    disposition.encode("ascii")  # the header itself is plain ASCII


def test_a_name_cannot_inject_headers(api_client, session, acme):
    row = upload(session, png(), 'x.png"\r\nSet-Cookie: kontrol_staff=stolen; x="', acme["id"])
    sign_in_staff(api_client, session)
    response = api_client.get(files.url_for(row))
    assert response.status_code == 200
    assert "stolen" not in (response.headers.get("set-cookie") or "")
    assert "\n" not in response.headers["content-disposition"]


def test_svg_with_script_is_only_ever_a_download(api_client, session, acme):
    row = upload(session, SVG_WITH_SCRIPT, "logo.svg", acme["id"])
    sign_in_staff(api_client, session)
    response = api_client.get(files.url_for(row))
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="logo.svg"'
    assert response.headers["content-type"] == "application/octet-stream"
    assert "sandbox" in response.headers["content-security-policy"]
    assert_private_headers(response)


def test_a_pdf_shows_inline_and_downloads_on_request(api_client, session, acme):
    row = upload(session, pdf(), "proof.pdf", acme["id"])
    sign_in_staff(api_client, session)
    shown = api_client.get(files.url_for(row))
    assert shown.status_code == 200 and shown.headers["content-type"] == "application/pdf"
    assert shown.headers["content-disposition"] == 'inline; filename="proof.pdf"'
    downloaded = api_client.get(files.url_for(row, download=True))
    assert downloaded.headers["content-disposition"] == 'attachment; filename="proof.pdf"'
    assert downloaded.content == shown.content == files.blob_path(row.sha256).read_bytes()
    assert_private_headers(downloaded)


@pytest.mark.parametrize("file_id", ["0", "99999999999999999999", "-1", "1e3", "abc"])
def test_odd_ids_are_a_plain_404(api_client, session, acme, file_id):
    sign_in_staff(api_client, session)
    assert api_client.get(f"/api/files/{file_id}/x.png").status_code == 404


def test_a_message_attachment_is_read_by_its_customers_clients_and_staff_only(api_client, session, owner, acme, rival):
    """Issue 10: another customer's client, or nobody signed in, get the same 404 as an unknown id."""
    from kontrol_app.models import CustomerContact, MessageAttachment
    from kontrol_app.services import messages
    from kontrol_app.services.portal_view import PortalViewer

    contact = session.exec(select(CustomerContact).where(CustomerContact.customer_id == acme["id"])).first()
    viewer = PortalViewer(acme["id"], "Acme Apparel", "Ann", acme["email"], False, contact.id)
    messages.start_thread_client(session, viewer, "Our crest", subject="Logo", attachments=[("crest.pdf", pdf())])
    session.commit()
    row = session.get(StoredFile, session.exec(select(MessageAttachment.file_id)).one())
    assert api_client.get(files.url_for(row)).status_code == 404
    sign_in_client(api_client, session, rival)
    assert api_client.get(files.url_for(row)).status_code == 404
    api_client.cookies.clear()
    sign_in_client(api_client, session, acme)
    mine = api_client.get(files.url_for(row))
    assert mine.status_code == 200 and mine.content == pdf()
    api_client.cookies.clear()
    sign_in_staff(api_client, session)
    assert api_client.get(files.url_for(row)).status_code == 200
