"""/api/invoices/{id}/pdf over HTTP: staff download any invoice (a draft as draft-invoice-<id>.pdf),
a client only their own customer's sent ones (INV-0001.pdf); a draft asked for by its client,
another customer's client, no session, a revoked session and an unknown id all get the same 404."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from kontrol_app.api.cookies import PORTAL_COOKIE, STAFF_COOKIE
from kontrol_app.models import EmailKind, Invoice, OutboxEmail
from kontrol_app.services import customers, invoice_pdf, portal_auth, portal_links, staff
from kontrol_app.services.customers import CustomerInput
from tests.helpers.pdf import first_page_text as pdf_text
from tests.factories import OWNER_EMAIL, OWNER_PASSWORD, make_invoice, make_job


def customer(session: Session, owner: staff.StaffPrincipal, name: str, email: str) -> dict:
    customer_id = customers.create_customer(session, owner, CustomerInput(name=name, email=email))
    session.commit()
    path = portal_links.portal_path(portal_links._customer(session, customer_id))
    return {"id": customer_id, "email": email, "link": path[len(portal_links.PORTAL_PREFIX) :]}


def sign_in_client(api_client, session: Session, who: dict) -> None:
    """The real portal sign-in: emailed code -> ticket -> the HttpOnly portal cookie."""
    portal_auth.request_code(session, link=who["link"], email=who["email"])
    session.commit()
    body = session.exec(select(OutboxEmail.text_body).where(OutboxEmail.kind == EmailKind.SIGN_IN_CODE).order_by(OutboxEmail.id.desc())).first()
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
    return customer(session, owner, "Łódź Apparel", "ann@acme.test")


@pytest.fixture
def rival(session, owner) -> dict:
    return customer(session, owner, "Rival Teams", "rob@rival.test")


@pytest.fixture
def sent(session, owner, acme) -> Invoice:
    job_id = make_job(session, owner, acme["id"], "Spring League T-Shirts")
    return session.get(Invoice, make_invoice(session, owner, job_id, send=True))


@pytest.fixture
def draft(session, owner, acme) -> Invoice:
    job_id = make_job(session, owner, acme["id"], "Hoodies")
    return session.get(Invoice, make_invoice(session, owner, job_id))


def assert_pdf(response, name: str, *facts: str) -> None:
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    text = pdf_text(response.content)
    for fact in facts:
        assert fact in text, fact


def assert_same_404(api_client, url: str) -> None:
    refused = api_client.get(url)
    unknown = api_client.get(invoice_pdf.pdf_url(987654))
    assert refused.status_code == unknown.status_code == 404
    assert refused.content == unknown.content and b"%PDF" not in refused.content
    assert refused.headers["x-content-type-options"] == "nosniff"


def test_staff_download_a_sent_invoice(api_client, session, sent):
    sign_in_staff(api_client, session)
    assert sent.number == "INV-0001"
    assert_pdf(api_client.get(invoice_pdf.pdf_url(sent.id)), "INV-0001.pdf", "INV-0001", "Łódź Apparel", "ann@acme.test")


def test_staff_download_a_draft_under_its_draft_name(api_client, session, draft):
    sign_in_staff(api_client, session)
    assert_pdf(api_client.get(invoice_pdf.pdf_url(draft.id)), f"draft-invoice-{draft.id}.pdf", "DRAFT — no number until sent")


def test_the_customers_own_client_downloads_a_sent_invoice(api_client, session, acme, sent):
    sign_in_client(api_client, session, acme)
    assert_pdf(api_client.get(invoice_pdf.pdf_url(sent.id)), "INV-0001.pdf", "INV-0001", "Łódź Apparel")


def test_a_client_never_gets_their_own_draft(api_client, session, acme, draft):
    sign_in_client(api_client, session, acme)
    assert_same_404(api_client, invoice_pdf.pdf_url(draft.id))


def test_another_customers_client_gets_a_404_like_an_unknown_id(api_client, session, rival, sent):
    sign_in_client(api_client, session, rival)
    assert_same_404(api_client, invoice_pdf.pdf_url(sent.id))


def test_without_a_session_it_is_a_404(api_client, session, sent, draft):
    assert_same_404(api_client, invoice_pdf.pdf_url(sent.id))
    assert_same_404(api_client, invoice_pdf.pdf_url(draft.id))
    assert api_client.get(f"/api/invoices/{2**40}/pdf").status_code == 404  # past an INTEGER column
    assert api_client.get("/api/invoices/abc/pdf").status_code == 404


def test_a_revoked_staff_session_gets_a_404(api_client, session, sent):
    sign_in_staff(api_client, session)
    staff.sign_out(session, api_client.cookies.get(STAFF_COOKIE))
    session.commit()
    assert_same_404(api_client, invoice_pdf.pdf_url(sent.id))
