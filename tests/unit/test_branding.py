"""My Branding (issue 11): the brand kit (logo, print files, colours), the contact details and a
contact's new sign-in email confirmed by a code; scoped to the signed-in customer, refused in
Preview. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from kontrol_app.models import (
    BrandFile,
    BrandKit,
    ContactEmailChange,
    Customer,
    CustomerContact,
    EmailKind,
    OutboxEmail,
    StoredFile,
    utcnow,
)
from kontrol_app.services import branding, customers, files, portal_auth, portal_links
from kontrol_app.services.errors import Conflict, InvalidInput, NotAllowed, NotFound, Throttled
from kontrol_app.services.portal_view import PortalViewer
from tests.factories import make_customer, make_job
from tests.helpers.artwork import image_bytes, pdf_bytes
from tests.helpers.concurrency import all_at_once

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>'
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto 10 10 lineto stroke\n%%EOF\n"


def png() -> bytes:
    return image_bytes("PNG", (64, 32))


def viewer_for(session: Session, email: str, *, preview: bool = False) -> PortalViewer:
    contact = session.exec(select(CustomerContact).where(CustomerContact.email == email)).one()
    if preview:
        return PortalViewer(contact.customer_id, "Customer", "Olivia Owner", "owner@example.com", True, None)
    return PortalViewer(contact.customer_id, "Customer", contact.name, contact.email, False, contact.id)


@pytest.fixture
def world(session: Session, owner):
    smith = make_customer(
        session, owner, "Smith Embroidery", "sarah@smith.example", [("Tom Smith", "tom@smith.example")],
        contact_name="Sarah Smith", phone="555-0100", address="1 Main St",
    )
    jones = make_customer(session, owner, "Jones Athletics", "jo@jones.example", contact_name="Jo Jones")
    return {
        "owner": owner,
        "customer": smith,
        "other": jones,
        "sarah": viewer_for(session, "sarah@smith.example"),
        "tom": viewer_for(session, "tom@smith.example"),
        "jo": viewer_for(session, "jo@jones.example"),
        "preview": viewer_for(session, "sarah@smith.example", preview=True),
    }


def emails(session: Session, kind: str, to: str | None = None) -> list[OutboxEmail]:
    session.expire_all()
    query = select(OutboxEmail).where(OutboxEmail.kind == kind)
    if to is not None:
        query = query.where(OutboxEmail.to_email == to)
    return list(session.exec(query.order_by(OutboxEmail.id)).all())


def code_in(email: OutboxEmail) -> str:
    return re.search(r"^(\d{6})$", email.text_body, re.M).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def count(session: Session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


# --- the kit ----------------------------------------------------------------------------------------


def test_a_new_customer_has_no_kit(session, world):
    kit = branding.brand_kit(session, world["sarah"])
    assert not kit.exists and kit.logo_url == "" and kit.files == [] and kit.colours == [] and kit.updated == ""
    staff_kit = branding.staff_brand_kit(session, world["owner"], world["customer"])
    assert not staff_kit.exists


def test_the_logo_is_kept_replaced_and_removed(session, world):
    kit = branding.set_logo(session, world["sarah"], png(), name="logo.png")
    session.commit()
    assert kit.exists and re.fullmatch(r"/api/files/\d+/logo\.png", kit.logo_url) and kit.logo_name == "logo.png"
    first = session.exec(select(BrandKit)).one().logo_file_id
    row = session.get(StoredFile, first)
    assert row.kind == branding.LOGO_KIND and row.customer_id == world["customer"] and row.inline
    assert kit.updated_by == "Sarah Smith" and kit.updated.startswith("Updated by Sarah Smith on ")

    kit = branding.set_logo(session, world["tom"], image_bytes("JPEG", (40, 40)), name="logo-v2.jpg")
    session.commit()
    assert kit.logo_name == "logo-v2.jpg" and kit.updated_by == "Tom Smith"
    assert session.get(StoredFile, first) is None  # the old logo's row is gone
    assert count(session, StoredFile) == 1

    kit = branding.remove_logo(session, world["tom"])
    session.commit()
    assert kit.logo_url == "" and count(session, StoredFile) == 0


@pytest.mark.parametrize(
    ("data", "name"),
    [(SVG, "logo.svg"), (pdf_bytes(1), "logo.pdf"), (EPS, "logo.eps")],
)
def test_a_vector_file_is_refused_as_the_logo_with_a_clear_message(session, world, data, name):
    with pytest.raises(InvalidInput) as refused:
        branding.set_logo(session, world["sarah"], data, name=name)
    assert refused.value.field == "logo"
    assert refused.value.message == branding.LOGO_REJECTED
    assert "PNG, JPEG or WebP" in refused.value.message and "Print files" in refused.value.message
    session.rollback()
    assert count(session, StoredFile) == 0


def test_a_damaged_logo_says_so(session, world):
    with pytest.raises(InvalidInput, match="damaged") as refused:
        branding.set_logo(session, world["sarah"], b"\x89PNG\r\n\x1a\n not really", name="logo.png")
    assert refused.value.field == "logo"


def test_print_files_are_added_previewed_where_possible_and_removed(session, world):
    for data, name in ((SVG, "logo.svg"), (pdf_bytes(2), "brand.pdf"), (png(), "mark.png"), (EPS, "logo.eps")):
        branding.add_print_file(session, world["sarah"], data, name=name)
    session.commit()
    kit = branding.brand_kit(session, world["tom"])
    shown = {f.name: f for f in kit.files}
    assert list(shown) == ["logo.svg", "brand.pdf", "mark.png", "logo.eps"]
    assert (shown["logo.svg"].label, shown["logo.svg"].image, shown["logo.svg"].pdf) == ("SVG", False, False)
    assert shown["brand.pdf"].pdf and not shown["brand.pdf"].image
    assert shown["mark.png"].image and not shown["mark.png"].pdf
    assert not shown["logo.eps"].image and not shown["logo.eps"].pdf
    assert shown["logo.svg"].download_url.endswith("?download=1")
    svg_row = session.exec(select(StoredFile).where(StoredFile.file_type == "svg")).one()
    assert svg_row.kind == branding.FILE_KIND and not svg_row.inline  # never shown inline
    readable = files.readable(session, svg_row.id, staff=world["owner"], portal=None)
    assert readable is not None and not readable.inline

    kit = branding.remove_print_file(session, world["tom"], shown["logo.svg"].id)
    session.commit()
    assert [f.name for f in kit.files] == ["brand.pdf", "mark.png", "logo.eps"]
    assert session.get(StoredFile, svg_row.id) is None
    assert kit.updated_by == "Tom Smith"


def test_a_print_file_of_another_type_is_refused(session, world):
    with pytest.raises(InvalidInput) as refused:
        branding.add_print_file(session, world["sarah"], b"PK\x05\x06" + b"\0" * 18, name="art.zip")
    assert refused.value.field == "print_file" and refused.value.message == branding.FILE_REJECTED


def test_a_kit_holds_at_most_twenty_print_files(session, world, monkeypatch):
    monkeypatch.setattr(branding, "MAX_FILES", 2)
    branding.add_print_file(session, world["sarah"], png(), name="a.png")
    branding.add_print_file(session, world["sarah"], pdf_bytes(1), name="b.pdf")
    with pytest.raises(InvalidInput, match="at most 2 print files"):
        branding.add_print_file(session, world["sarah"], SVG, name="c.svg")


# --- scoping ------------------------------------------------------------------------------------------


def test_another_customers_print_file_is_not_found_and_stays(session, world):
    kit = branding.add_print_file(session, world["sarah"], pdf_bytes(1), name="brand.pdf")
    session.commit()
    file_id = kit.files[0].id
    for viewer in (world["jo"],):
        with pytest.raises(NotFound, match="not in your brand kit"):
            branding.remove_print_file(session, viewer, file_id)
    for odd in (999_999, -1, "1"):
        with pytest.raises(NotFound):
            branding.remove_print_file(session, world["sarah"], odd)
    session.rollback()
    assert count(session, BrandFile) == 1
    # Jones's own kit shows none of Smith's.
    assert branding.brand_kit(session, world["jo"]).files == []


def test_the_viewer_names_the_customer_never_the_browser(session, world):
    branding.set_colours(session, world["jo"], ["#123456"])
    session.commit()
    assert branding.brand_kit(session, world["sarah"]).colours == []
    kits = {k.customer_id: json.loads(k.colours) for k in session.exec(select(BrandKit)).all()}
    assert kits == {world["other"]: ["#123456"]}


def test_a_viewer_whose_contact_belongs_elsewhere_is_refused(session, world):
    forged = PortalViewer(world["customer"], "Smith", "Jo", "jo@jones.example", False, world["jo"].contact_id)
    with pytest.raises(NotAllowed):
        branding.set_colours(session, forged, ["#FFF"])
    gone = PortalViewer(world["customer"], "Smith", "Ghost", "ghost@x.example", False, 987654)
    with pytest.raises(NotAllowed):
        branding.save_contact_details(session, gone, {"name": "Hijack"})


def test_preview_reads_and_changes_nothing(session, world):
    branding.set_colours(session, world["sarah"], ["#FFF"])
    session.commit()
    preview = world["preview"]
    assert [c.text for c in branding.brand_kit(session, preview).colours] == ["#FFF"]
    assert branding.contact_details(session, preview).name == "Smith Embroidery"
    attempts = [
        lambda: branding.set_logo(session, preview, png(), name="x.png"),
        lambda: branding.remove_logo(session, preview),
        lambda: branding.add_print_file(session, preview, png(), name="x.png"),
        lambda: branding.remove_print_file(session, preview, 1),
        lambda: branding.set_colours(session, preview, ["#000"]),
        lambda: branding.save_contact_details(session, preview, {"name": "X"}),
        lambda: branding.request_email_change(session, preview, "new@smith.example"),
        lambda: branding.confirm_email_change(session, preview, "123456"),
        lambda: branding.cancel_email_change(session, preview),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed, match="Preview is read-only"):
            attempt()
    session.rollback()
    assert count(session, StoredFile) == 0 and count(session, ContactEmailChange) == 0
    assert json.loads(session.exec(select(BrandKit)).one().colours) == ["#FFF"]


# --- colours ------------------------------------------------------------------------------------------


def test_colours_are_kept_as_hex_or_names_with_swatches(session, world):
    kit = branding.set_colours(session, world["sarah"], ["#0a3d91", " PMS  286 C ", "", "#fff", "ff6600", "Reflex Blue"])
    session.commit()
    assert [(c.text, c.swatch) for c in kit.colours] == [
        ("#0A3D91", "#0A3D91"),
        ("PMS 286 C", ""),
        ("#FFF", "#FFF"),
        ("#FF6600", "#FF6600"),
        ("Reflex Blue", ""),
    ]
    assert kit.updated_by == "Sarah Smith"


@pytest.mark.parametrize(
    ("entries", "field", "message"),
    [
        (["#0A3D91", "#12345"], "colour_1", "Colour 2: “#12345” is not a hex colour"),
        (["#GGGGGG"], "colour_0", "Colour 1: “#GGGGGG” is not a hex colour"),
        (["PMS 286 C", "x" * 41], "colour_1", "Colour 2: keep it under 40 characters."),
        (["red;background:url(x)"], "colour_0", "Colour 1: use a hex code like #0A3D91 or a colour name like PMS 286 C."),
        (["<script>"], "colour_0", "Colour 1: use a hex code"),
        (["286"], "colour_0", "Colour 1: use a hex code"),
        (["Navy\nBlue"], "colour_0", "Colour 1: keep it on one line."),
        (["#fff", "#FFF"], "colour_1", "Colour 2: #FFF is already listed (colour 1)."),
        ([f"PMS {n} C" for n in range(21)], "colours", "List at most 20 colours (there are 21)."),
        ("#FFF", "colours", "Enter the colours as a list."),
        ([7], "colour_0", "Colour 1: enter it as text."),
    ],
)
def test_each_wrong_colour_is_named(session, world, entries, field, message):
    with pytest.raises(InvalidInput) as refused:
        branding.set_colours(session, world["sarah"], entries)
    assert refused.value.field == field and refused.value.message.startswith(message), refused.value.message
    session.rollback()
    assert count(session, BrandKit) == 0


def test_twenty_colours_of_forty_characters_are_fine(session, world):
    entries = [f"PMS {n} C".ljust(40, "x") for n in range(20)]
    assert len(branding.set_colours(session, world["sarah"], entries).colours) == 20


def test_colours_saved_over_a_colleagues_newer_list_are_refused(session, world):
    branding.set_colours(session, world["sarah"], ["#FFF"])
    session.commit()
    branding.set_colours(session, world["tom"], ["#FFF", "#000"], expected=["#FFF"])
    session.commit()
    with pytest.raises(Conflict):
        branding.set_colours(session, world["sarah"], ["#FFF", "PMS 286 C"], expected=["#FFF"])
    session.rollback()
    assert [c.text for c in branding.brand_kit(session, world["sarah"]).colours] == ["#FFF", "#000"]


def test_first_changes_at_once_make_one_kit(session, world):
    sarah = world["sarah"]
    results = all_at_once(4, lambda s: branding.set_colours(s, sarah, ["#111"]))
    assert not any(isinstance(r, Exception) for r in results), results
    assert count(session, BrandKit) == 1


# --- contact details ------------------------------------------------------------------------------------


def test_contact_details_are_saved_with_the_version_bumped(session, world):
    details = branding.contact_details(session, world["sarah"])
    assert (details.name, details.phone, details.address, details.shipping_address) == ("Smith Embroidery", "555-0100", "1 Main St", "")
    assert details.sign_in_email == "sarah@smith.example"
    assert ("Tom Smith", "tom@smith.example") in details.contacts
    saved = branding.save_contact_details(
        session, world["sarah"],
        {"name": " Smith Embroidery Ltd ", "phone": "555-0199", "address": "1 Main St\nSpringfield", "shipping_address": "Dock 4\n9 Side Rd"},
        expected_version=details.version,
    )
    session.commit()
    assert saved.version == details.version + 1
    customer = session.get(Customer, world["customer"])
    assert (customer.name, customer.phone, customer.address, customer.shipping_address) == (
        "Smith Embroidery Ltd", "555-0199", "1 Main St\nSpringfield", "Dock 4\n9 Side Rd",
    )
    assert branding.shipping_address(session, world["customer"]) == "Dock 4\n9 Side Rd"
    # The staff form loaded before it is refused, not saved over it.
    assert customers.customer_detail(session, world["owner"], world["customer"]).version == saved.version
    kit = branding.staff_brand_kit(session, world["owner"], world["customer"])
    assert kit.updated_by == "Sarah Smith" and kit.exists


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the company name."),
        ({"name": "x" * 161}, "name", "Keep the company name under 160 characters."),
        ({"name": "A\nB"}, "name", "Keep the company name on one line."),
        ({"name": "Smith", "phone": "5" * 41}, "phone", "Keep the phone number under 40 characters."),
        ({"name": "Smith", "address": "x" * 501}, "address", "Keep the billing address under 500 characters."),
        ({"name": "Smith", "shipping_address": "x" * 501}, "shipping_address", "Keep the shipping address under 500 characters."),
    ],
)
def test_contact_details_are_checked_like_the_staff_form(session, world, data, field, message):
    with pytest.raises(InvalidInput) as refused:
        branding.save_contact_details(session, world["sarah"], data)
    assert (refused.value.field, refused.value.message) == (field, message)


def test_contact_details_name_every_bad_box_at_once(session, world):
    with pytest.raises(InvalidInput) as refused:
        branding.save_contact_details(session, world["sarah"], {"name": "", "phone": "5" * 41, "shipping_address": "x" * 501})
    assert list(refused.value.errors) == ["name", "phone", "shipping_address"]


def test_details_saved_after_the_shop_changed_them_are_refused(session, world):
    loaded = branding.contact_details(session, world["sarah"]).version
    form = customers.customer_form(session, world["owner"], world["customer"])
    form.phone = "555-7777"
    customers.update_customer(session, world["owner"], world["customer"], form, expected_version=form.version)
    session.commit()
    with pytest.raises(Conflict, match="Someone else changed these details"):
        branding.save_contact_details(session, world["sarah"], {"name": "Mine"}, expected_version=loaded)
    session.rollback()
    assert session.get(Customer, world["customer"]).name == "Smith Embroidery"


# --- a new sign-in email ------------------------------------------------------------------------------


def link_of(session: Session, customer_id: int) -> str:
    session.expire_all()
    return portal_links.portal_path(session.get(Customer, customer_id))[len(portal_links.PORTAL_PREFIX) :]


def no_code_for(session: Session, customer_id: int, email: str) -> bool:
    """Asking to sign in with `email` sends nothing: it is not on file."""
    portal_auth.request_code(session, link=link_of(session, customer_id), email=email)
    session.commit()
    return emails(session, EmailKind.SIGN_IN_CODE, to=email) == []


def sign_in(session: Session, customer_id: int, email: str) -> str:
    link = link_of(session, customer_id)
    portal_auth.request_code(session, link=link, email=email)
    session.commit()
    [*_, latest] = emails(session, EmailKind.SIGN_IN_CODE, to=email)
    ticket = portal_auth.verify_code(session, link=link, email=email, code=code_in(latest))
    session.commit()
    return ticket


def test_a_new_email_applies_only_with_the_code_sent_to_it(session, world):
    sarah = world["sarah"]
    assert branding.request_email_change(session, sarah, " Sarah.New@Smith.example ") == "sarah.new@smith.example"
    session.commit()
    [sent] = emails(session, EmailKind.EMAIL_CHANGE_CODE)
    assert sent.to_email == "sarah.new@smith.example"
    [notice] = emails(session, EmailKind.EMAIL_CHANGE_NOTICE)
    assert notice.to_email == "sarah@smith.example" and "sarah.new@smith.example" in notice.text_body
    assert code_in(sent) not in notice.text_body
    assert branding.contact_details(session, sarah).pending_email == "sarah.new@smith.example"
    # Nothing changed yet: the old email still signs in, the new one does not.
    assert sign_in(session, world["customer"], "sarah@smith.example")
    assert no_code_for(session, world["customer"], "sarah.new@smith.example")

    with pytest.raises(InvalidInput, match="not right"):
        branding.confirm_email_change(session, sarah, wrong(code_in(sent)))
    session.rollback()
    assert session.get(CustomerContact, sarah.contact_id).email == "sarah@smith.example"
    version = session.get(Customer, world["customer"]).version

    assert branding.confirm_email_change(session, sarah, code_in(sent)) == "sarah.new@smith.example"
    session.commit()
    session.expire_all()
    assert session.get(CustomerContact, sarah.contact_id).email == "sarah.new@smith.example"
    assert session.get(Customer, world["customer"]).version == version + 1
    assert branding.contact_details(session, sarah).pending_email == ""
    done = emails(session, EmailKind.EMAIL_CHANGE_NOTICE)[-1]
    assert done.to_email == "sarah@smith.example" and "no longer signs you in" in done.text_body
    # The new email signs in; the old one no longer does; the code works once.
    assert sign_in(session, world["customer"], "sarah.new@smith.example")
    before = len(emails(session, EmailKind.SIGN_IN_CODE, to="sarah@smith.example"))
    portal_auth.request_code(session, link=link_of(session, world["customer"]), email="sarah@smith.example")
    session.commit()
    assert len(emails(session, EmailKind.SIGN_IN_CODE, to="sarah@smith.example")) == before
    with pytest.raises(InvalidInput):
        branding.confirm_email_change(session, sarah, code_in(sent))


def test_a_code_sent_to_the_old_address_stops_working_after_the_change(session, world):
    link = link_of(session, world["customer"])
    portal_auth.request_code(session, link=link, email="sarah@smith.example")
    session.commit()
    old_code = code_in(emails(session, EmailKind.SIGN_IN_CODE, to="sarah@smith.example")[-1])
    branding.request_email_change(session, world["sarah"], "sarah.new@smith.example")
    session.commit()
    branding.confirm_email_change(session, world["sarah"], code_in(emails(session, EmailKind.EMAIL_CHANGE_CODE)[-1]))
    session.commit()
    with pytest.raises(InvalidInput):
        portal_auth.verify_code(session, link=link, email="sarah@smith.example", code=old_code)


def test_five_wrong_codes_end_the_change(session, world):
    branding.request_email_change(session, world["sarah"], "sarah.new@smith.example")
    session.commit()
    code = code_in(emails(session, EmailKind.EMAIL_CHANGE_CODE)[-1])
    for attempt in range(5):
        with pytest.raises(InvalidInput) as refused:
            branding.confirm_email_change(session, world["sarah"], wrong(code))
        assert ("Too many wrong tries" in refused.value.message) == (attempt == 4)
    with pytest.raises(InvalidInput):
        branding.confirm_email_change(session, world["sarah"], code)
    session.rollback()
    assert session.get(CustomerContact, world["sarah"].contact_id).email == "sarah@smith.example"


def test_an_expired_code_is_refused(session, world):
    branding.request_email_change(session, world["sarah"], "sarah.new@smith.example")
    session.commit()
    code = code_in(emails(session, EmailKind.EMAIL_CHANGE_CODE)[-1])
    row = session.exec(select(ContactEmailChange)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert branding.contact_details(session, world["sarah"]).pending_email == ""
    with pytest.raises(InvalidInput, match="not valid or has expired"):
        branding.confirm_email_change(session, world["sarah"], code)
    session.rollback()
    assert session.get(CustomerContact, world["sarah"].contact_id).email == "sarah@smith.example"


def test_only_the_newest_code_counts_and_cancel_ends_it(session, world):
    branding.request_email_change(session, world["sarah"], "first@smith.example")
    branding.request_email_change(session, world["sarah"], "second@smith.example")
    session.commit()
    first, second = emails(session, EmailKind.EMAIL_CHANGE_CODE)
    if code_in(first) != code_in(second):
        with pytest.raises(InvalidInput):
            branding.confirm_email_change(session, world["sarah"], code_in(first))
        session.rollback()
    branding.cancel_email_change(session, world["sarah"])
    session.commit()
    with pytest.raises(InvalidInput, match="no email change waiting"):
        branding.confirm_email_change(session, world["sarah"], code_in(second))


@pytest.mark.parametrize(("taken", "owner_email"), [("tom@smith.example",) * 2, ("JO@jones.example", "jo@jones.example")])
def test_an_email_already_used_is_answered_like_any_other(session, world, taken, owner_email):
    """The asker can't tell a taken address from a free one: the address's owner gets a notice
    (no code, no link to the asker's portal) and no code the asker types makes the change."""
    sarah = world["sarah"]
    assert branding.request_email_change(session, sarah, taken) == owner_email
    session.commit()
    [sent] = emails(session, EmailKind.EMAIL_CHANGE_CODE)
    assert sent.to_email == owner_email and sent.subject.startswith("Your email already signs in with")
    assert "no code was sent and nothing changed" in sent.text_body
    assert re.search(r"^\d{6}$", sent.text_body, re.M) is None
    assert link_of(session, world["customer"]) not in sent.text_body + sent.html_body
    [notice] = emails(session, EmailKind.EMAIL_CHANGE_NOTICE)
    assert notice.to_email == "sarah@smith.example"
    assert branding.contact_details(session, sarah).pending_email == owner_email
    for code in ("000000", "123456", "999999"):
        with pytest.raises(InvalidInput, match="not right"):
            branding.confirm_email_change(session, sarah, code)
        session.commit()
    assert session.get(CustomerContact, sarah.contact_id).email == "sarah@smith.example"


@pytest.mark.parametrize(
    ("email", "message"),
    [("", "Enter an email address."), ("not-an-email", "Enter a valid email address"), ("sarah@smith.example", "already your sign-in email")],
)
def test_a_wrong_new_email_is_named(session, world, email, message):
    with pytest.raises(InvalidInput, match=message) as refused:
        branding.request_email_change(session, world["sarah"], email)
    assert refused.value.field == "new_email"


def test_an_email_taken_before_the_code_is_typed_is_refused_then(session, world, owner):
    branding.request_email_change(session, world["sarah"], "shared@smith.example")
    session.commit()
    code = code_in(emails(session, EmailKind.EMAIL_CHANGE_CODE)[-1])
    make_customer(session, owner, "Late Comer", "shared@smith.example")
    with pytest.raises(InvalidInput, match="already used for a portal sign-in"):
        branding.confirm_email_change(session, world["sarah"], code)
    session.rollback()
    assert session.get(CustomerContact, world["sarah"].contact_id).email == "sarah@smith.example"


def test_codes_are_throttled(session, world):
    for n in range(3):
        branding.request_email_change(session, world["sarah"], f"n{n}@smith.example")
        session.commit()
    with pytest.raises(Throttled):
        branding.request_email_change(session, world["sarah"], "n9@smith.example")


# --- staff -----------------------------------------------------------------------------------------------


def test_staff_see_the_kit_on_the_customer_and_the_job(session, world, owner):
    branding.set_logo(session, world["sarah"], png(), name="logo.png")
    branding.add_print_file(session, world["sarah"], SVG, name="logo.svg")
    branding.set_colours(session, world["sarah"], ["#0A3D91", "PMS 286 C"])
    session.commit()
    kit = branding.staff_brand_kit(session, owner, world["customer"])
    assert kit.exists and kit.logo_url and [f.name for f in kit.files] == ["logo.svg"]
    assert [c.text for c in kit.colours] == ["#0A3D91", "PMS 286 C"]
    assert re.fullmatch(r"Updated by Sarah Smith on [A-Z][a-z]{2} \d{1,2}", kit.updated)
    job_id = make_job(session, owner, world["customer"], "Spring Tees")
    assert branding.staff_brand_kit_for_job(session, owner, job_id) == kit
    assert branding.logo_file(session, world["customer"]).original_name == "logo.png"
    with pytest.raises(NotFound):
        branding.staff_brand_kit(session, owner, 999_999)
    with pytest.raises(NotFound):
        branding.staff_brand_kit_for_job(session, owner, 999_999)


def test_the_updated_day_is_the_shops(session, world):
    from datetime import UTC, datetime

    moment = datetime(2026, 4, 4, 2, 30, tzinfo=UTC)  # Apr 3 in New York
    assert branding._day(moment, "America/New_York").startswith("Apr 3")
    assert branding._day(moment, "UTC").startswith("Apr 4")
