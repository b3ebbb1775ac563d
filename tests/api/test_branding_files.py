"""My Branding's files over HTTP (issue 11): a brand logo or print file is read by that
customer's clients and by staff only; anyone else gets the 404 of an unknown id. An SVG print
file is only ever a download."""

from __future__ import annotations

import pytest
from sqlmodel import select

from kontrol_app.models import CustomerContact, StoredFile
from kontrol_app.services import branding, files
from kontrol_app.services.portal_view import PortalViewer
from tests.api.test_files_routes import SVG_WITH_SCRIPT, customer, pdf, png, sign_in_client, sign_in_staff


@pytest.fixture
def acme(session, owner) -> dict:
    return customer(session, owner, "Acme Apparel", "ann@acme.test")


@pytest.fixture
def rival(session, owner) -> dict:
    return customer(session, owner, "Rival Teams", "rob@rival.test")


def viewer(session, who: dict) -> PortalViewer:
    contact = session.exec(select(CustomerContact).where(CustomerContact.customer_id == who["id"])).first()
    return PortalViewer(who["id"], "Acme Apparel", "Ann", who["email"], False, contact.id)


@pytest.mark.parametrize("what", ["logo", "pdf", "svg"])
def test_a_brand_file_is_read_by_its_customers_clients_and_staff_only(api_client, session, acme, rival, what):
    ann = viewer(session, acme)
    if what == "logo":
        branding.set_logo(session, ann, png(), name="logo.png")
    else:
        branding.add_print_file(session, ann, pdf() if what == "pdf" else SVG_WITH_SCRIPT, name=f"brand.{what}")
    session.commit()
    row = session.exec(select(StoredFile)).one()
    url = files.url_for(row)
    unknown = api_client.get(f"/api/files/{row.id + 100}/x.png")
    nobody = api_client.get(url)
    assert nobody.status_code == unknown.status_code == 404 and nobody.content == unknown.content

    sign_in_client(api_client, session, rival)
    assert api_client.get(url).status_code == 404
    assert api_client.get(files.url_for(row, download=True)).status_code == 404

    api_client.cookies.clear()
    sign_in_client(api_client, session, acme)
    mine = api_client.get(url)
    assert mine.status_code == 200 and mine.content == files.blob_path(row.sha256).read_bytes()
    if what == "svg":
        assert mine.headers["content-disposition"].startswith("attachment;")
        assert mine.headers["content-type"] == "application/octet-stream"
    else:
        assert mine.headers["content-disposition"].startswith("inline;")

    api_client.cookies.clear()
    sign_in_staff(api_client, session)
    assert api_client.get(url).status_code == 200
    assert api_client.get(files.url_for(row, download=True)).headers["content-disposition"].startswith("attachment;")


def test_a_removed_print_file_is_gone(api_client, session, acme):
    kit = branding.add_print_file(session, viewer(session, acme), pdf(), name="brand.pdf")
    session.commit()
    row = session.exec(select(StoredFile)).one()
    sign_in_staff(api_client, session)
    assert api_client.get(files.url_for(row)).status_code == 200
    branding.remove_print_file(session, viewer(session, acme), kit.files[0].id)
    session.commit()
    assert api_client.get(files.url_for(row)).status_code == 404
