"""The portal's My Branding tab as the browser drives it (its state, through Reflex's handlers):
what was typed stays when a save is refused, a refused logo keeps the kit, colours save with
their swatches, the email change steps, another customer's file id is refused."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
import reflex as rx
from reflex.state import State
from sqlmodel import Session, select

import kontrol_app.kontrol_app  # noqa: F401  (registers the portal page and its `link` route arg)
from kontrol_app.api.cookies import PORTAL_COOKIE
from kontrol_app.models import BrandFile, Customer, CustomerContact, EmailKind, OutboxEmail, utcnow
from kontrol_app.models import PortalSession as PortalSessionRow
from kontrol_app.services import branding, portal_links
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.services.tokens import new_token, token_hash
from kontrol_app.ui.portal.session import PortalSession
from kontrol_app.ui.portal.tabs.branding import BrandingTab
from tests.factories import make_customer
from tests.helpers.artwork import image_bytes, pdf_bytes
from tests.helpers.states import browser_tab, run_handler, screen


@pytest.fixture
def client(session: Session, owner) -> dict:
    customer_id = make_customer(session, owner, "Acme Uniforms", "sarah@acme.example", contact_name="Sarah Smith", phone="555-0100")
    contact = session.exec(select(CustomerContact).where(CustomerContact.customer_id == customer_id)).first()
    token = new_token()
    session.add(PortalSessionRow(customer_id=customer_id, contact_id=contact.id, token_hash=token_hash(token), expires_at=utcnow() + timedelta(days=1)))
    other_id = make_customer(session, owner, "Other Customer", "other@example.com")
    other = session.exec(select(CustomerContact).where(CustomerContact.customer_id == other_id)).first()
    kit = branding.add_print_file(session, PortalViewer(other_id, "Other", "", other.email, False, other.id), pdf_bytes(1), name="secret.pdf")
    session.commit()
    link = portal_links.portal_path(session.get(Customer, customer_id)).rsplit("/", 1)[1]
    return {"link": link, "cookie": f"{PORTAL_COOKIE}={token}", "customer_id": customer_id, "other_file": kit.files[0].id}


def _open(client: dict) -> State:
    root = browser_tab(cookie=client["cookie"], query={"link": client["link"]}, path=f"/public/portal/{client['link']}")
    run_handler(screen(root, PortalSession), "load")
    return root


def _upload(name: str, data: bytes) -> rx.UploadFile:
    return rx.UploadFile(file=io.BytesIO(data), path=Path(name), size=len(data))


def test_a_refused_save_keeps_what_was_typed_and_names_the_field(client, session):
    root = _open(client)
    tab = screen(root, BrandingTab)
    assert (tab.company_name, tab.customer_phone, tab.sign_in_email) == ("Acme Uniforms", "555-0100", "sarah@acme.example")
    run_handler(tab, "set_company_name", "")
    run_handler(tab, "set_shipping_address", "Dock 4\n9 Side Rd")
    run_handler(tab, "save_details")
    assert tab.errors == {"name": "Enter the company name."}
    assert tab.company_name == "" and tab.shipping_address == "Dock 4\n9 Side Rd"
    run_handler(tab, "set_company_name", "Acme Uniforms Ltd")
    run_handler(tab, "save_details")
    assert tab.errors == {}
    session.expire_all()
    customer = session.get(Customer, client["customer_id"])
    assert (customer.name, customer.shipping_address) == ("Acme Uniforms Ltd", "Dock 4\n9 Side Rd")
    assert screen(root, PortalSession).customer_name == "Acme Uniforms Ltd"
    assert tab.updated.startswith("Updated by Sarah Smith on ")


def test_colours_show_swatches_as_typed_and_a_wrong_row_is_named(client):
    tab = screen(_open(client), BrandingTab)
    for _ in range(2):
        run_handler(tab, "add_colour")
    run_handler(tab, "set_colour", 0, "#0a3d91")
    run_handler(tab, "set_colour", 1, "#12")
    assert tab.swatches == ["#0A3D91", ""]
    run_handler(tab, "save_colours")
    assert list(tab.errors) == ["colour_1"] and tab.colours == ["#0a3d91", "#12"]
    run_handler(tab, "set_colour", 1, "PMS 286 C")
    run_handler(tab, "save_colours")
    assert tab.errors == {} and tab.colours == ["#0A3D91", "PMS 286 C"] and tab.swatches == ["#0A3D91", ""]
    run_handler(tab, "remove_colour", 0)
    run_handler(tab, "set_colour", 9, "ignored")
    assert tab.colours == ["PMS 286 C"]


def test_a_refused_logo_says_why_and_a_good_one_shows(client, session):
    tab = screen(_open(client), BrandingTab)
    run_handler(tab, "upload_logo", [_upload("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>')])
    assert tab.errors == {"logo": branding.LOGO_REJECTED} and tab.logo_url == ""
    run_handler(tab, "upload_logo", [_upload("logo.png", image_bytes("PNG", (40, 20)))])
    assert tab.errors == {} and re.fullmatch(r"/api/files/\d+/logo\.png", tab.logo_url)
    run_handler(tab, "add_print_files", [_upload("brand.pdf", pdf_bytes(1)), _upload("notes.txt", b"hello"), _upload("x.png", image_bytes("PNG", (4, 4)))])
    assert [f.name for f in tab.files] == ["brand.pdf"]  # the refused one stops the rest, the first is kept
    assert tab.errors["print_file"].startswith("notes.txt: ")


def test_another_customers_file_id_is_refused(client, session):
    tab = screen(_open(client), BrandingTab)
    for file_id in (client["other_file"], "x", -3):
        run_handler(tab, "remove_print_file", file_id)
        assert tab.errors == {"files_list": branding.FILE_NOT_IN_KIT}
    session.expire_all()
    assert session.get(BrandFile, client["other_file"]) is not None


def test_the_email_change_steps(client, session):
    root = _open(client)
    tab = screen(root, BrandingTab)
    run_handler(tab, "start_email_change")
    run_handler(tab, "set_new_email", "not-an-email")
    run_handler(tab, "send_email_code")
    assert tab.email_step == "email" and "valid email" in tab.errors["new_email"] and tab.new_email == "not-an-email"
    run_handler(tab, "set_new_email", "sarah.new@acme.example")
    run_handler(tab, "send_email_code")
    assert tab.email_step == "code" and tab.pending_email == "sarah.new@acme.example"
    # A reload shows the code step again.
    root = _open(client)
    tab = screen(root, BrandingTab)
    assert tab.email_step == "code" and tab.pending_email == "sarah.new@acme.example"
    body = session.exec(select(OutboxEmail.text_body).where(OutboxEmail.kind == EmailKind.EMAIL_CHANGE_CODE)).one()
    code = re.search(r"^(\d{6})$", body, re.M).group(1)
    run_handler(tab, "set_code", "000000" if code != "000000" else "111111")
    run_handler(tab, "confirm_email")
    assert tab.email_step == "code" and "not right" in tab.errors["code"]
    run_handler(tab, "set_code", code)
    run_handler(tab, "confirm_email")
    assert tab.email_step == "" and tab.sign_in_email == "sarah.new@acme.example" and tab.errors == {}
    assert screen(root, PortalSession).viewer_email == "sarah.new@acme.example"
    assert [c["email"] for c in tab.contacts] == ["sarah.new@acme.example"]
