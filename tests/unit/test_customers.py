"""Customers and their contacts (staff side): validation, unique emails, edits that keep
or end portal access, and the SQL-paged, searchable list."""

from __future__ import annotations

import re
import threading

import pytest
from sqlmodel import Session, select

from kontrol_app import db
from kontrol_app.models import CustomerContact, EmailKind, OutboxEmail
from kontrol_app.services import customers, portal_auth, portal_links
from kontrol_app.services.customers import ContactInput, CustomerInput
from kontrol_app.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from tests.factories import customer_input, make_customer, make_owner
from tests.helpers.sql import statements

# --- helpers ---------------------------------------------------------------------------------


def update(session: Session, actor, customer_id: int, name: str, email: str = "", contacts=(), **fields) -> None:
    customers.update_customer(session, actor, customer_id, customer_input(name, email, contacts, **fields))
    session.commit()


def contact_id(session: Session, email: str) -> int:
    return session.exec(select(CustomerContact.id).where(CustomerContact.email == email)).one()


def sign_in(session: Session, customer_id: int, email: str) -> str:
    """The whole client sign-in: code by email, verify, redeem; returns the cookie token."""
    customer = portal_links._customer(session, customer_id)
    link = portal_links.portal_path(customer)[len(portal_links.PORTAL_PREFIX) :]
    portal_auth.request_code(session, link=link, email=email)
    session.commit()
    code = latest_code(session, email)
    ticket = portal_auth.verify_code(session, link=link, email=email, code=code)
    session.commit()
    token, _ = portal_auth.redeem_ticket(session, ticket)
    session.commit()
    assert portal_auth.principal_for_token(session, token) is not None
    return token


def latest_code(session: Session, email: str) -> str:
    row = session.exec(
        select(OutboxEmail)
        .where(OutboxEmail.kind == EmailKind.SIGN_IN_CODE, OutboxEmail.to_email == email)
        .order_by(OutboxEmail.id.desc())
    ).first()
    assert row is not None, f"no sign-in code was emailed to {email}"
    return re.search(r"^(\d{6})$", row.text_body, re.M).group(1)


def refused(call, field: str) -> str:
    with pytest.raises(InvalidInput) as raised:
        call()
    assert raised.value.field == field, raised.value.message
    return raised.value.message


# --- create and validate ---------------------------------------------------------------------


def test_create_then_detail_round_trip(session, owner):
    customer_id = make_customer(
        session,
        owner,
        "  Bright Signs  ",
        "  Ana@Bright.Test ",
        contacts=[("Ben", "BEN@bright.test"), ("", ""), ("Cara", "cara@bright.test")],
        contact_name="Ana Alvarez",
        phone="555-0101",
        address="1 Main St",
        notes="Prefers email",
    )
    detail = customers.customer_detail(session, owner, customer_id)
    assert detail.name == "Bright Signs"
    assert detail.contact_name == "Ana Alvarez"
    assert detail.email == "ana@bright.test"  # trimmed and lower-cased
    assert detail.phone == "555-0101"
    assert detail.address == "1 Main St"
    assert detail.notes == "Prefers email"
    # The empty row the form sent is dropped; emails are lower-cased.
    assert detail.contacts == [ContactInput("Ben", "ben@bright.test"), ContactInput("Cara", "cara@bright.test")]
    assert detail.stats.active_jobs == 0 and detail.stats.total_orders == 0
    assert "/public/portal/bright-signs-" in detail.portal_url
    form = customers.customer_form(session, owner, customer_id)
    assert form.email == "ana@bright.test" and form.contacts == detail.contacts


def test_customer_without_email_is_allowed(session, owner):
    customer_id = make_customer(session, owner, "Walk-in Will")
    assert customers.customer_detail(session, owner, customer_id).email == ""


def test_name_is_required(session, owner):
    refused(lambda: customers.create_customer(session, owner, CustomerInput(name="   ", email="a@b.test")), "name")


@pytest.mark.parametrize("bad", ["not-an-email", "a@b", "a b@c.test", "@c.test", "a@@c.test", "x" * 250 + "@c.test"])
def test_email_format_is_checked(session, owner, bad):
    message = refused(lambda: customers.create_customer(session, owner, CustomerInput(name="Acme", email=bad)), "email")
    assert "valid email" in message


def test_extra_contact_email_format_is_checked_with_its_row_field(session, owner):
    data = CustomerInput(name="Acme", email="a@acme.test", contacts=[ContactInput("Ok", "ok@acme.test"), ContactInput("Bad", "nope")])
    refused(lambda: customers.create_customer(session, owner, data), "contact_1_email")


def test_extra_contact_needs_an_email(session, owner):
    data = CustomerInput(name="Acme", contacts=[ContactInput("No Email", "")])
    message = refused(lambda: customers.create_customer(session, owner, data), "contact_0_email")
    assert "email" in message


def test_one_save_names_every_bad_box_of_the_customer_form(session, owner):
    data = CustomerInput(name="", email="nope", phone="1\n2", contacts=[ContactInput("Ok", "ok@acme.test"), ContactInput("Bad", "nope"), ContactInput("No email", "")])
    with pytest.raises(InvalidInput) as refused:
        customers.create_customer(session, owner, data)
    assert list(refused.value.errors) == ["name", "email", "phone", "contact_1_email", "contact_2_email"]
    session.rollback()
    assert customers.list_customers(session, owner).total == 0


def test_extra_contacts_are_capped(session, owner):
    contacts = [ContactInput(f"P{i}", f"p{i}@acme.test") for i in range(customers.MAX_EXTRA_CONTACTS + 1)]
    refused(lambda: customers.create_customer(session, owner, CustomerInput(name="Acme", contacts=contacts)), "contacts")


# --- one email, one portal -------------------------------------------------------------------


def test_duplicate_primary_email_across_customers_is_refused_naming_the_owner(session, owner):
    make_customer(session, owner, "Acme", "shared@example.test")
    message = refused(
        lambda: customers.create_customer(session, owner, CustomerInput(name="Other", email="SHARED@example.test")), "email"
    )
    assert "Acme" in message and "already uses this email" in message
    # Nothing was written for the refused customer.
    assert customers.list_customers(session, owner).total == 1


def test_extra_contact_email_used_by_another_customer_is_refused(session, owner):
    make_customer(session, owner, "Acme", "boss@acme.test", contacts=[("Helper", "helper@acme.test")])
    data = CustomerInput(name="Other", email="me@other.test", contacts=[ContactInput("X", "boss@acme.test")])
    assert "Acme" in refused(lambda: customers.create_customer(session, owner, data), "contact_0_email")
    data = CustomerInput(name="Other", email="helper@acme.test")
    assert "Acme" in refused(lambda: customers.create_customer(session, owner, data), "email")


def test_duplicate_inside_one_form_is_refused(session, owner):
    data = CustomerInput(name="Acme", email="a@acme.test", contacts=[ContactInput("B", "b@acme.test"), ContactInput("A2", "A@acme.test")])
    message = refused(lambda: customers.create_customer(session, owner, data), "contact_1_email")
    assert "twice" in message
    data = CustomerInput(name="Acme", contacts=[ContactInput("B", "b@acme.test"), ContactInput("B2", "b@acme.test")])
    refused(lambda: customers.create_customer(session, owner, data), "contact_1_email")


def test_duplicate_field_names_the_row_shown_in_the_form_even_after_an_empty_row(session, owner):
    # The form's rows are numbered as sent; an empty row before the culprit must not shift it.
    data = CustomerInput(name="Acme", email="a@acme.test", contacts=[ContactInput("", ""), ContactInput("Dup", "a@acme.test")])
    refused(lambda: customers.create_customer(session, owner, data), "contact_1_email")
    make_customer(session, owner, "Taken", "taken@x.test")
    data = CustomerInput(name="Acme", contacts=[ContactInput("", ""), ContactInput("", ""), ContactInput("T", "taken@x.test")])
    refused(lambda: customers.create_customer(session, owner, data), "contact_2_email")


def test_update_may_keep_its_own_emails_but_not_take_another_customers(session, owner):
    acme = make_customer(session, owner, "Acme", "a@acme.test", contacts=[("B", "b@acme.test")])
    make_customer(session, owner, "Zeta", "z@zeta.test")
    update(session, owner, acme, "Acme Inc", "a@acme.test", contacts=[("B", "b@acme.test")])
    assert customers.customer_detail(session, owner, acme).name == "Acme Inc"
    data = CustomerInput(name="Acme Inc", email="a@acme.test", contacts=[ContactInput("Z", "z@zeta.test")])
    assert "Zeta" in refused(lambda: customers.update_customer(session, owner, acme, data), "contact_0_email")


def test_unknown_customer_is_not_found(session, owner):
    with pytest.raises(NotFound):
        customers.customer_detail(session, owner, 999_999)
    with pytest.raises(NotFound):
        customers.update_customer(session, owner, 999_999, CustomerInput(name="X"))


# --- edits keep contacts, or end their access ------------------------------------------------


def test_update_keeps_extra_contacts_matched_by_email(session, owner):
    customer_id = make_customer(session, owner, "Acme", "a@acme.test", contacts=[("Ben", "ben@acme.test"), ("Cara", "cara@acme.test")])
    ben, cara = contact_id(session, "ben@acme.test"), contact_id(session, "cara@acme.test")
    # Reordered, renamed, one removed, one added.
    update(session, owner, customer_id, "Acme", "a@acme.test", contacts=[("Dan", "dan@acme.test"), ("Cara C.", "CARA@acme.test")])
    assert contact_id(session, "cara@acme.test") == cara  # same row: its sessions survive
    assert session.get(CustomerContact, cara).name == "Cara C."
    session.expire_all()
    assert session.get(CustomerContact, ben) is None
    detail = customers.customer_detail(session, owner, customer_id)
    assert {(c.name, c.email) for c in detail.contacts} == {("Dan", "dan@acme.test"), ("Cara C.", "cara@acme.test")}


def test_removing_a_contact_revokes_only_that_contacts_sessions(session, owner):
    customer_id = make_customer(session, owner, "Acme", "a@acme.test", contacts=[("Ben", "ben@acme.test"), ("Cara", "cara@acme.test")])
    ben_token = sign_in(session, customer_id, "ben@acme.test")
    cara_token = sign_in(session, customer_id, "cara@acme.test")
    primary_token = sign_in(session, customer_id, "a@acme.test")
    update(session, owner, customer_id, "Acme", "a@acme.test", contacts=[("Cara", "cara@acme.test")])
    assert portal_auth.principal_for_token(session, ben_token) is None
    assert portal_auth.principal_for_token(session, cara_token).email == "cara@acme.test"
    assert portal_auth.principal_for_token(session, primary_token).email == "a@acme.test"


def test_removed_contact_cannot_use_a_code_it_already_received(session, owner):
    customer_id = make_customer(session, owner, "Acme", "a@acme.test", contacts=[("Ben", "ben@acme.test")])
    link = portal_links.portal_path(portal_links._customer(session, customer_id))[len(portal_links.PORTAL_PREFIX) :]
    portal_auth.request_code(session, link=link, email="ben@acme.test")
    session.commit()
    code = latest_code(session, "ben@acme.test")
    update(session, owner, customer_id, "Acme", "a@acme.test")
    with pytest.raises(InvalidInput):
        portal_auth.verify_code(session, link=link, email="ben@acme.test", code=code)


def test_changing_the_primary_email_revokes_its_sessions_and_pending_codes(session, owner):
    customer_id = make_customer(session, owner, "Acme", "old@acme.test", contacts=[("Ben", "ben@acme.test")], contact_name="Ann")
    old_token = sign_in(session, customer_id, "old@acme.test")
    ben_token = sign_in(session, customer_id, "ben@acme.test")
    link = portal_links.portal_path(portal_links._customer(session, customer_id))[len(portal_links.PORTAL_PREFIX) :]
    portal_auth.request_code(session, link=link, email="old@acme.test")
    session.commit()
    pending = latest_code(session, "old@acme.test")

    # A name-only edit ends nothing.
    update(session, owner, customer_id, "Acme", "old@acme.test", contacts=[("Ben", "ben@acme.test")], contact_name="Ann B.")
    assert portal_auth.principal_for_token(session, old_token) is not None

    update(session, owner, customer_id, "Acme", "new@acme.test", contacts=[("Ben", "ben@acme.test")], contact_name="Ann B.")
    assert portal_auth.principal_for_token(session, old_token) is None
    assert portal_auth.principal_for_token(session, ben_token) is not None
    # The old address's unused code no longer opens the (now someone else's) primary contact.
    with pytest.raises(InvalidInput):
        portal_auth.verify_code(session, link=link, email="old@acme.test", code=pending)
    # The new address signs in normally.
    assert portal_auth.principal_for_token(session, sign_in(session, customer_id, "new@acme.test")).email == "new@acme.test"


def test_clearing_the_primary_email_revokes_its_sessions(session, owner):
    customer_id = make_customer(session, owner, "Acme", "a@acme.test")
    token = sign_in(session, customer_id, "a@acme.test")
    update(session, owner, customer_id, "Acme", "")
    assert portal_auth.principal_for_token(session, token) is None
    assert customers.customer_detail(session, owner, customer_id).email == ""


def test_promoting_an_extra_contact_to_primary(session, owner):
    # The primary and an extra contact swap addresses in one save.
    customer_id = make_customer(session, owner, "Acme", "a@acme.test", contacts=[("Ben", "ben@acme.test")], contact_name="Ann")
    update(session, owner, customer_id, "Acme", "ben@acme.test", contacts=[("Ann", "a@acme.test")], contact_name="Ben")
    detail = customers.customer_detail(session, owner, customer_id)
    assert (detail.contact_name, detail.email) == ("Ben", "ben@acme.test")
    assert detail.contacts == [ContactInput("Ann", "a@acme.test")]


# --- the list: search and SQL paging ---------------------------------------------------------


@pytest.fixture
def directory(session, owner) -> dict[str, int]:
    ids = {
        "acme": make_customer(session, owner, "Acme Apparel", "orders@acme.test", contact_name="Wile Coyote", phone="555-0100"),
        "bright": make_customer(
            session, owner, "bright signs", "ana@bright.test", contacts=[("Rosa Diaz", "rosa@printing.test")], phone="(212) 555-7788"
        ),
        "cotton": make_customer(session, owner, "100% Cotton", "hello@cotton.test", phone="777-0000"),
        "plain": make_customer(session, owner, "100 Cotton Mill", "mill@cotton.test"),
        "under": make_customer(session, owner, "a_b Studio", "studio@ab.test"),
        "x": make_customer(session, owner, "axb Works", "works@axb.test"),
        "mail": make_customer(session, owner, "Mail Only", "first_last@mail.test"),
        "mail2": make_customer(session, owner, "Mail Other", "firstxlast@mail.test"),
    }
    return ids


def names(page) -> list[str]:
    return [row.name for row in page.rows]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("acme", ["Acme Apparel"]),  # customer name
        ("BRIGHT", ["bright signs"]),  # case-insensitive
        ("coyote", ["Acme Apparel"]),  # primary contact name
        ("ROSA diaz", ["bright signs"]),  # extra contact name
        ("ORDERS@ACME", ["Acme Apparel"]),  # primary email, any case
        ("printing.test", ["bright signs"]),  # extra contact email
        ("555-77", ["bright signs"]),  # phone
        ("  acme  ", ["Acme Apparel"]),  # surrounding spaces ignored
        ("nothing-matches", []),
    ],
)
def test_search_covers_name_contact_email_and_phone(session, owner, directory, search, expected):
    page = customers.list_customers(session, owner, search=search)
    assert names(page) == expected
    assert page.total == len(expected)


def test_search_wildcards_are_literal(session, owner, directory):
    assert names(customers.list_customers(session, owner, search="100%")) == ["100% Cotton"]
    assert names(customers.list_customers(session, owner, search="%")) == ["100% Cotton"]
    assert names(customers.list_customers(session, owner, search="a_b")) == ["a_b Studio"]
    assert names(customers.list_customers(session, owner, search="first_last")) == ["Mail Only"]
    assert names(customers.list_customers(session, owner, search="_")) == ["a_b Studio", "Mail Only"]
    assert customers.list_customers(session, owner, search="\\").total == 0


def test_search_folds_letters_beyond_ascii(session, owner):
    """SQLite's own lower() folds only A-Z: "ŁÓDŹ" must still find "Łódź" (and "zoë" "ZOË")."""
    make_customer(session, owner, "Łódź Lacrosse", "coach@lodz.test")
    make_customer(session, owner, "ZOË ÆRØSKØBING Prints", "zoe@prints.test")
    assert names(customers.list_customers(session, owner, search="ŁÓDŹ")) == ["Łódź Lacrosse"]
    assert names(customers.list_customers(session, owner, search="zoë ærø")) == ["ZOË ÆRØSKØBING Prints"]
    assert names(customers.list_customers(session, owner, search="lacrosse")) == ["Łódź Lacrosse"]


def test_list_rows_show_the_primary_contact(session, owner, directory):
    row = next(r for r in customers.list_customers(session, owner, search="bright").rows)
    assert (row.id, row.name, row.email, row.phone) == (directory["bright"], "bright signs", "ana@bright.test", "(212) 555-7788")
    acme = customers.list_customers(session, owner, search="acme").rows[0]
    assert acme.contact_name == "Wile Coyote"


def test_list_is_ordered_by_name_ignoring_case(session, owner, directory):
    listed = names(customers.list_customers(session, owner))
    assert listed == sorted(listed, key=str.lower)
    assert len(listed) == len(directory)


def test_pages_have_the_page_size_total_and_page_count(session, owner):
    for i in range(23):
        customers.create_customer(session, owner, CustomerInput(name=f"Customer {i:02d}", email=f"c{i}@list.test"))
    session.commit()
    first = customers.list_customers(session, owner, page=1, page_size=10)
    assert (len(first.rows), first.total, first.page, first.pages) == (10, 23, 1, 3)
    assert names(first) == [f"Customer {i:02d}" for i in range(10)]
    second = customers.list_customers(session, owner, page=2, page_size=10)
    assert names(second) == [f"Customer {i:02d}" for i in range(10, 20)]
    last = customers.list_customers(session, owner, page=3, page_size=10)
    assert names(last) == [f"Customer {i:02d}" for i in range(20, 23)]
    # Past the end shows the last page; before the start shows the first.
    clamped = customers.list_customers(session, owner, page=99, page_size=10)
    assert (clamped.page, names(clamped)) == (3, names(last))
    assert customers.list_customers(session, owner, page=0, page_size=10).page == 1
    assert customers.list_customers(session, owner, page=-5, page_size=10).page == 1
    # The default page size.
    default = customers.list_customers(session, owner)
    assert (len(default.rows), default.pages) == (min(23, customers.PAGE_SIZE), -(-23 // customers.PAGE_SIZE))
    # Search and paging together.
    searched = customers.list_customers(session, owner, search="customer 1", page=2, page_size=4)
    assert (searched.total, searched.pages, searched.page, names(searched)) == (10, 3, 2, [f"Customer {i}" for i in range(14, 18)])


def test_empty_list_has_one_empty_page(session, owner):
    page = customers.list_customers(session, owner, page=5)
    assert (page.rows, page.total, page.page, page.pages) == ([], 0, 1, 1)


def test_paging_happens_in_sql(session, owner):
    for i in range(12):
        customers.create_customer(session, owner, CustomerInput(name=f"Customer {i:02d}", email=f"c{i}@list.test"))
    session.commit()
    with statements() as sent:
        page = customers.list_customers(session, owner, page=2, page_size=5)
    assert names(page) == [f"Customer {i:02d}" for i in range(5, 10)]
    assert any("count(" in s.lower() for s in sent)
    listing = [s for s in sent if "LIMIT" in s.upper() and "OFFSET" in s.upper()]
    assert listing, sent


# --- edit versions: a stale form never overwrites a colleague's save----------------


def test_customer_form_and_detail_carry_the_version_and_each_save_bumps_it(session, owner):
    customer_id = make_customer(session, owner, "Acme", "ann@acme.test")
    form = customers.customer_form(session, owner, customer_id)
    assert form.version == customers.customer_detail(session, owner, customer_id).version == 1
    form.phone = "555-0101"
    customers.update_customer(session, owner, customer_id, form, expected_version=form.version)
    session.commit()
    assert customers.customer_form(session, owner, customer_id).version == 2
    assert customers.customer_detail(session, owner, customer_id).phone == "555-0101"


def test_saving_a_stale_customer_form_changes_nothing(session, owner):
    customer_id = make_customer(session, owner, "Acme", "ann@acme.test", [("Bo", "bo@acme.test")], phone="555-0100")
    mine = customers.customer_form(session, owner, customer_id)
    theirs = customers.customer_form(session, owner, customer_id)
    theirs.phone = "555-0199"
    customers.update_customer(session, owner, customer_id, theirs, expected_version=theirs.version)
    session.commit()

    mine.name, mine.notes, mine.contacts = "Acme Renamed", "My notes", []
    with pytest.raises(Conflict) as stale:
        customers.update_customer(session, owner, customer_id, mine, expected_version=mine.version)
    session.rollback()
    assert stale.value.message == "Someone else changed this customer — reload to see their changes"
    assert isinstance(stale.value, ServiceError)
    detail = customers.customer_detail(session, owner, customer_id)
    assert (detail.name, detail.phone, detail.notes, detail.version) == ("Acme", "555-0199", "", 2)
    assert [c.email for c in detail.contacts] == ["bo@acme.test"]


def test_two_saves_of_the_same_customer_version_at_the_same_moment_let_one_win(database):
    """The version check is one conditional UPDATE: the second save waits for the first, then fails."""
    engine = db.get_engine()
    with Session(engine, expire_on_commit=False) as setup:
        owner = make_owner(setup)
        customer_id = make_customer(setup, owner, "Acme", "ann@acme.test")
    result: dict[str, object] = {}

    def second_save() -> None:
        try:
            with Session(engine) as second:
                customers.update_customer(second, owner, customer_id, customer_input("Second", "ann@acme.test"), expected_version=1)
                second.commit()
                result["saved"] = True
        except Exception as error:
            result["error"] = error

    with Session(engine) as first:
        customers.update_customer(first, owner, customer_id, customer_input("First", "ann@acme.test"), expected_version=1)
        thread = threading.Thread(target=second_save)
        thread.start()
        thread.join(timeout=1.0)  # it now waits for the first save's transaction
        first.commit()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert isinstance(result.get("error"), Conflict), result
    with Session(engine) as check:
        detail = customers.customer_detail(check, owner, customer_id)
        assert (detail.name, detail.version) == ("First", 2)


@pytest.mark.parametrize("field_name", ["name", "contact_name", "phone"])
@pytest.mark.parametrize("value", ["Acme\nApparel", "Acme\r\nApparel", "Acme\u2028Apparel"])
def test_single_line_customer_fields_refuse_line_breaks(session, owner, field_name, value):
    data = customer_input("Acme", "ann@acme.test")
    setattr(data, field_name, value)
    message = refused(lambda: customers.create_customer(session, owner, data), field_name)
    assert "one line" in message


def test_address_and_notes_keep_their_lines(session, owner):
    customer_id = make_customer(session, owner, "Acme", address="1 Press Lane\nSpringfield", notes="Line one\nLine two")
    detail = customers.customer_detail(session, owner, customer_id)
    assert (detail.address, detail.notes) == ("1 Press Lane\nSpringfield", "Line one\nLine two")
