"""/api/approvals/{id}/certificate.pdf over HTTP: staff and the record's own client download it
(attachment, private, nosniff); another customer's client, no session, an unknown id and a
record that is not an approval all get the same 404."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from PIL import Image
from sqlmodel import select

from kontrol_app.api.cookies import STAFF_COOKIE
from kontrol_app.models import ApprovalRecord, CustomerContact
from kontrol_app.services import certificate, mockups, staff
from tests.api.test_files_routes import customer, sign_in_client, sign_in_staff
from tests.helpers.pdf import first_page_text as pdf_text
from tests.factories import make_job


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()



@pytest.fixture
def acme(session, owner) -> dict:
    return customer(session, owner, "Acme Apparel", "ann@acme.test")


@pytest.fixture
def rival(session, owner) -> dict:
    return customer(session, owner, "Rival Teams", "rob@rival.test")


@pytest.fixture
def approved(session, owner, acme) -> ApprovalRecord:
    """Ann approves v1 of the Acme job in the portal."""
    job_id = make_job(session, owner, acme["id"], "Spring League T-Shirts", path=["artwork"])
    version = mockups.upload_version(session, owner, job_id, png(), name="front.png")
    session.commit()
    mockups.send_for_approval(session, owner, version.id)
    session.commit()
    ann = session.exec(select(CustomerContact).where(CustomerContact.email == acme["email"])).one()
    mockups.decide(session, acme["id"], ann.id, version.id, decision="approved", typed_name="Ann Ångström", agreed=True,
                   ip="198.51.100.7", user_agent="TestBrowser/1.0")
    session.commit()
    return session.exec(select(ApprovalRecord).where(ApprovalRecord.version_id == version.id)).one()


def assert_certificate(response, record: ApprovalRecord) -> None:
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="approval-spring-league-t-shirts-v1.pdf"'
    assert response.headers["cache-control"].startswith("private")
    assert response.headers["x-content-type-options"] == "nosniff"
    text = pdf_text(response.content)
    assert "Ann Ångström" in text and record.sha256 in text and "ann@acme.test" in text


def test_staff_download_the_certificate(api_client, session, approved):
    sign_in_staff(api_client, session)
    assert_certificate(api_client.get(certificate.certificate_url(approved.id)), approved)


def test_the_records_own_client_downloads_it(api_client, session, acme, approved):
    sign_in_client(api_client, session, acme)
    assert_certificate(api_client.get(certificate.certificate_url(approved.id)), approved)


def test_another_customers_client_gets_a_404_like_an_unknown_id(api_client, session, rival, approved):
    sign_in_client(api_client, session, rival)
    refused = api_client.get(certificate.certificate_url(approved.id))
    unknown = api_client.get(certificate.certificate_url(approved.id + 1000))
    assert refused.status_code == unknown.status_code == 404
    assert refused.content == unknown.content and b"%PDF" not in refused.content
    assert refused.headers["x-content-type-options"] == "nosniff"


def test_without_a_session_it_is_a_404(api_client, session, approved):
    response = api_client.get(certificate.certificate_url(approved.id))
    assert response.status_code == 404 and b"%PDF" not in response.content
    assert api_client.get(f"/api/approvals/{2**40}/certificate.pdf").status_code == 404  # past an INTEGER column


def test_a_revoked_staff_session_gets_a_404(api_client, session, approved):
    sign_in_staff(api_client, session)
    staff.sign_out(session, api_client.cookies.get(STAFF_COOKIE))
    session.commit()
    assert api_client.get(certificate.certificate_url(approved.id)).status_code == 404


def test_a_request_for_revisions_has_no_certificate(api_client, session, owner, acme):
    job_id = make_job(session, owner, acme["id"], "Hoodies", path=["artwork"])
    version = mockups.upload_version(session, owner, job_id, png(), name="hoodie.png")
    session.commit()
    mockups.send_for_approval(session, owner, version.id)
    session.commit()
    ann = session.exec(select(CustomerContact).where(CustomerContact.email == acme["email"])).one()
    mockups.decide(session, acme["id"], ann.id, version.id, decision="revisions", notes="Bigger.")
    session.commit()
    record = session.exec(select(ApprovalRecord).where(ApprovalRecord.version_id == version.id)).one()
    sign_in_staff(api_client, session)
    assert api_client.get(certificate.certificate_url(record.id)).status_code == 404


def test_a_job_title_in_another_script_gets_a_utf8_file_name(api_client, session, owner, acme):
    job_id = make_job(session, owner, acme["id"], "Σοφία Shirts", path=["artwork"])
    mockups.record_offline_approval(session, owner, job_id, approved_by="Σοφία", method="no_artwork", note="")
    session.commit()
    record = session.exec(select(ApprovalRecord).where(ApprovalRecord.job_id == job_id)).one()
    sign_in_staff(api_client, session)
    response = api_client.get(certificate.certificate_url(record.id))
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert f"filename*=UTF-8''{quote('approval-σοφία-shirts.pdf', safe='')}" in disposition
    assert "Σοφία" in pdf_text(response.content)
