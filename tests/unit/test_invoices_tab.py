"""The job page's Invoices tab and the Invoices page, driven as the browser drives them
(signed in, real database): the editor's live totals, a refused line keeping what was typed,
Save Draft / Send Invoice, payments, refunds, Void, a stale edit, the list with its totals,
and the customer's Open Invoices card."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

import kontrol_app.kontrol_app  # noqa: F401  (registers every page, state and route var)
from kontrol_app.models import EmailKind, OutboxEmail
from kontrol_app.services import customers, invoices
from kontrol_app.ui.staff.invoice_list import InvoiceListState
from kontrol_app.ui.staff.jobs.invoices import DASH, JobInvoicesState, preview
from kontrol_app.ui.staff.jobs.job_page import JobPageState
from tests.factories import make_customer, make_invoice, make_job, make_owner
from tests.helpers.states import browser_tab, database_rows, run_handler, screen, staff_cookie


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    owner = make_owner(session)
    customer_id = make_customer(session, owner, "Riverside Runners", email="sam@riverside.example")
    job_id = make_job(session, owner, customer_id, "Spring League T-Shirts", quantity="144")
    return {"owner": owner, "customer_id": customer_id, "job_id": job_id, "cookie": staff_cookie(session)}


def _tab(world: dict[str, Any], query: str = "") -> JobInvoicesState:
    path = f"/jobs/{world['job_id']}" + query
    root = browser_tab(cookie=world["cookie"], query={"job_id": str(world["job_id"])}, path=path)
    state = screen(root, JobInvoicesState)
    run_handler(state, "load")
    return state


def _type_invoice(state: JobInvoicesState) -> None:
    """Two lines, a 10% discount and 8.875% tax, as typed into the editor."""
    run_handler(state, "open_new")
    run_handler(state, "set_line", 0, "unit_price", "12.50")
    run_handler(state, "add_line")
    run_handler(state, "set_line", 1, "description", "Screen setup")
    run_handler(state, "set_line", 1, "unit_price", "25")
    run_handler(state, "set_field", "discount_kind", "percent")
    run_handler(state, "set_field", "discount", "10")
    run_handler(state, "set_field", "tax_rate", "8.875")


def test_the_editor_starts_from_the_job_and_totals_live_through_the_money_rule(world):
    state = _tab(world)
    assert state.rows == [] and not state.editing
    run_handler(state, "open_new")
    assert state.editing and state.editing_id == 0
    [line] = state.lines
    assert (line["description"], line["quantity"], line["unit_price"], line["amount"]) == ("Spring League T-Shirts", "144", "", DASH)
    assert state.form["due_date"] == (date.today() + timedelta(days=14)).isoformat()
    assert state.totals["incomplete"] == "yes"

    _type_invoice(state)
    assert [line["amount"] for line in state.lines] == ["$1,800.00", "$25.00"]
    # 1,825.00 - 10% = 1,642.50; 8.875% of it = 145.771875 -> 145.77
    assert {k: state.totals[k] for k in ("subtotal", "discount", "tax", "total")} == {
        "subtotal": "$1,825.00",
        "discount": "-$182.50",
        "tax": "$145.77",
        "total": "$1,788.27",
    }
    assert state.totals["incomplete"] == ""

    run_handler(state, "set_line", 1, "quantity", "1.5")  # not a whole quantity: not counted yet
    assert state.lines[1]["amount"] == DASH and state.totals["subtotal"] == "$1,800.00"
    run_handler(state, "set_field", "tax_rate", "8,875")
    assert state.totals["tax"] == DASH and state.totals["total"] == DASH and state.totals["subtotal"] == "$1,800.00"
    run_handler(state, "remove_line", 1)
    assert len(state.lines) == 1
    run_handler(state, "remove_line", 7)  # out of range: nothing happens
    run_handler(state, "set_line", 5, "description", "nowhere")
    assert len(state.lines) == 1


def test_preview_marks_what_is_not_a_number_yet():
    lines = [{"description": "A", "quantity": "2", "unit_price": "1.005"}, {"description": "B", "quantity": "3", "unit_price": "1"}]
    shown, totals = preview(lines, {"deposit_kind": "percent", "deposit": "50%"}, "USD")
    assert shown == [DASH, "$3.00"]
    assert totals["subtotal"] == "$3.00" and totals["deposit"] == "$1.50"
    shown, totals = preview(lines[1:], {"discount_kind": "amount", "discount": "abc", "deposit_kind": "amount", "deposit": "1"}, "USD")
    assert totals["discount"] == totals["total"] == totals["deposit"] == DASH
    _, totals = preview([{"quantity": "1", "unit_price": "100"}], {"deposit_kind": "amount", "deposit": "x"}, "USD")
    assert totals["total"] == "$100.00" and totals["deposit"] == DASH


def test_a_refused_line_is_marked_keeps_what_was_typed_and_saves_nothing(world):
    state = _tab(world)
    _type_invoice(state)
    run_handler(state, "set_line", 1, "unit_price", "twenty")
    run_handler(state, "set_field", "notes", "Thanks for your order")
    before = database_rows()
    result = run_handler(state, "save_draft")
    assert "The invoice was not saved" in repr(result)
    assert "unit price on line 2" in state.errors["lines.1.unit_price"]
    assert state.editing and state.lines[1]["unit_price"] == "twenty" and state.form["notes"] == "Thanks for your order"
    assert database_rows() == before

    # Several wrong boxes: one Save marks them all, each next to its box.
    quantity, due = state.lines[0]["quantity"], state.form["due_date"]
    run_handler(state, "set_field", "tax_rate", "120")
    run_handler(state, "set_field", "due_date", "soon")
    run_handler(state, "set_line", 0, "quantity", "a dozen")
    run_handler(state, "save_draft")
    assert set(state.errors) == {"lines.0.quantity", "lines.1.unit_price", "tax_rate", "due_date"} and state.editing
    assert database_rows() == before

    run_handler(state, "set_line", 0, "quantity", quantity)
    run_handler(state, "set_field", "due_date", due)
    run_handler(state, "set_line", 1, "unit_price", "25")
    run_handler(state, "save_draft")
    assert set(state.errors) == {"tax_rate"} and state.editing

    run_handler(state, "set_field", "tax_rate", "8.875")
    result = run_handler(state, "save_draft")
    assert "A draft has no number until it is sent." in repr(result), state.errors
    assert not state.editing
    [row] = state.rows
    assert (row["title"], row["status_label"]) == ("Draft — numbered when sent", "Draft")
    assert row["amounts"].startswith("Total $1,788.27 · Due ") and "Balance" not in row["amounts"]  # nothing owed on a draft
    assert state.detail["is_draft"] == "yes" and state.detail["title"] == "Draft invoice"
    assert [line["amount"] for line in state.detail_lines] == ["$1,800.00", "$25.00"]
    assert state.history[0]["text"] == "Draft created"


def test_a_stale_draft_edit_gets_the_conflict_message_and_changes_nothing(world):
    first, second = _tab(world), _tab(world)
    _type_invoice(first)
    run_handler(first, "save_draft")
    invoice_id = first.selected_id
    for state in (first, second):
        run_handler(state, "edit_draft", invoice_id)
        assert state.lines[1]["unit_price"] == "25.00" and state.form["discount_kind"] == "percent"
    run_handler(first, "set_field", "notes", "First edit")
    run_handler(first, "save_draft")
    run_handler(second, "set_field", "notes", "Second edit")
    before = database_rows()
    run_handler(second, "save_draft")
    assert second.errors["form"] == invoices.STALE_INVOICE
    assert second.editing and second.form["notes"] == "Second edit"
    assert database_rows() == before


def test_another_jobs_invoice_is_not_shown_here(world, session):
    other_job = make_job(session, world["owner"], world["customer_id"], "Other job")
    foreign = make_invoice(session, world["owner"], other_job)
    state = _tab(world, f"?invoice={foreign}")
    assert state.selected_id == 0 and state.rows == []
    run_handler(state, "select", foreign)
    assert state.selected_id == 0 and state.detail == {} and "does not exist" in state.errors["form"]


def test_send_pay_refund_void_and_the_open_invoices_card(world, session):
    state = _tab(world)
    _type_invoice(state)
    result = run_handler(state, "send")
    assert "INV-0001 sent to the client." in repr(result), state.errors
    assert not state.editing
    assert (state.detail["title"], state.detail["status_label"], state.detail["balance"]) == ("INV-0001", "Sent", "$1,788.27")
    assert state.rows[0]["amounts"].startswith("Total $1,788.27 · Balance $1,788.27 · Due ")
    assert state.detail["can_refund"] == ""  # nothing paid yet: no Refund button
    assert state.rows[0]["title"] == "INV-0001"
    [email] = session.exec(select(OutboxEmail).where(OutboxEmail.kind == EmailKind.INVOICE_SENT)).all()
    assert email.to_email == "sam@riverside.example"

    # Record Payment: prefilled with the balance and today; a partial cash payment.
    run_handler(state, "set_payment_open", True)
    assert state.payment["amount"] == "1788.27" and state.payment["received_on"] == state.today
    run_handler(state, "set_payment_field", "amount", "500")
    run_handler(state, "record_payment")
    assert state.errors == {"method": "Choose how it was paid."} and state.payment_open
    run_handler(state, "set_payment_field", "method", "cash")
    result = run_handler(state, "record_payment")
    assert "INV-0001 is Partially Paid" in repr(result)
    assert not state.payment_open
    totals = {row["key"]: row["amount"] for row in state.detail_totals}
    assert (totals["paid"], totals["balance"], state.detail["balance"]) == ("$500.00", "$1,288.27", "$1,288.27")
    assert state.detail["can_refund"] == "yes"
    assert state.payments[0]["method"] == "Cash" and state.payments[0]["kind"] == "Payment"
    stats = customers.customer_stats(session, world["customer_id"])
    assert stats.open_invoices == "$1,288.27"

    # Void is refused while money is held: the service's message, nothing changes.
    run_handler(state, "set_void_open", True)
    run_handler(state, "void")
    assert "void_reason" in state.errors
    run_handler(state, "set_void_reason", "Customer cancelled")
    before = database_rows()
    run_handler(state, "void")
    assert "Refund them before voiding it" in state.errors["form"] and state.void_open
    assert database_rows() == before

    # Email again keeps the number.
    result = run_handler(state, "send_selected")
    assert "INV-0001 emailed again." in repr(result)

    # A manual refund reopens the balance; then Void goes through.
    run_handler(state, "set_refund_open", True)
    run_handler(state, "set_refund_field", "amount", "500")
    run_handler(state, "record_refund")
    totals = {row["key"]: row["amount"] for row in state.detail_totals}
    assert (totals["balance"], totals["refunded"], state.detail["balance"]) == ("$1,788.27", "$500.00", "$1,788.27")
    assert state.detail["can_refund"] == ""  # all of it given back: nothing left to refund
    run_handler(state, "set_void_open", True)
    run_handler(state, "set_void_reason", "Customer cancelled")
    result = run_handler(state, "void")
    assert "INV-0001 is void." in repr(result), state.errors
    assert state.detail["status_label"] == "Void" and state.detail["can_pay"] == "" and state.detail["void_reason"] == "Customer cancelled"
    assert customers.customer_stats(session, world["customer_id"]).open_invoices == "$0.00"


def test_the_job_page_opens_the_invoices_tab_from_a_link(world, session):
    invoice_id = make_invoice(session, world["owner"], world["job_id"])
    path = f"/jobs/{world['job_id']}?tab=invoices&invoice={invoice_id}"  # the Invoices page's link
    root = browser_tab(cookie=world["cookie"], query={"job_id": str(world["job_id"])}, path=path)
    page, tab = screen(root, JobPageState), screen(root, JobInvoicesState)
    run_handler(page, "load")
    run_handler(tab, "load")
    assert page.tab == "invoices" and tab.selected_id == invoice_id
    run_handler(page, "set_tab", "nonsense")
    assert page.tab == "invoices"


def test_the_invoices_page_filters_searches_and_totals(world, session):
    owner, job = world["owner"], world["job_id"]
    past = (date.today() - timedelta(days=5)).isoformat()
    late = make_invoice(session, owner, job, [("Shirts", "2", "50")], due_date=past, send=True)
    make_invoice(session, owner, job, [("Hats", "1", "30")], send=True)
    draft = make_invoice(session, owner, job, [("Draft", "1", "5")])
    other = make_job(session, owner, make_customer(session, owner, "Łódź Lacrosse", "coach@example.com"), "Team Hoodies")
    make_invoice(session, owner, other, [("Hoodies", "1", "70")], send=True)

    state = screen(browser_tab(cookie=world["cookie"], path="/invoices"), InvoiceListState)
    run_handler(state, "load")
    assert state.total == 4 and (state.open_total, state.overdue_total) == ("$200.00", "$100.00")
    row = next(r for r in state.rows if r["id"] == str(late))
    assert row["status_label"] == "Overdue" and row["status"] == "overdue"
    assert row["href"] == f"/jobs/{job}?tab=invoices&invoice={late}"
    assert row["customer_href"] == f"/customers/{world['customer_id']}"
    assert next(r for r in state.rows if r["id"] == str(draft))["number"] == "Draft"

    run_handler(state, "set_filter", "status", "overdue")
    assert [r["id"] for r in state.rows] == [str(late)]
    run_handler(state, "set_filter", "status", "draft")
    assert [r["id"] for r in state.rows] == [str(draft)]
    run_handler(state, "set_filter", "status", "all")
    run_handler(state, "set_filter", "search", "hoodies")
    assert [r["job"] for r in state.rows] == ["Team Hoodies"]
    run_handler(state, "set_filter", "search", "LACROSSE")
    assert [r["customer"] for r in state.rows] == ["Łódź Lacrosse"]
    run_handler(state, "set_filter", "search", "INV-0001")
    assert [r["number"] for r in state.rows] == ["INV-0001"]
    run_handler(state, "set_filter", "status", "bogus")
    assert state.errors.get("status")


# --- Send Invoice while the shop cannot take cards -------------------------------------------------


def test_without_stripe_send_invoice_notes_clients_cannot_pay_by_card_and_still_sends(world, session):
    state = _tab(world)
    assert state.card_payments is False  # the note by Send Invoice shows
    run_handler(state, "open_new")
    run_handler(state, "set_line", 0, "unit_price", "5")
    run_handler(state, "send")
    assert not state.editing and state.detail["title"] == "INV-0001"  # sent all the same
    [email] = session.exec(select(OutboxEmail)).all()
    assert email.kind == EmailKind.INVOICE_SENT
    # The email offers nothing to pay with online: whom to contact instead, as the portal says.
    assert "To pay this invoice, contact Test Print Co." in email.text_body and "View and pay" not in email.text_body


def test_with_stripe_connected_there_is_no_card_payments_note(world, session, fake_stripe, monkeypatch):
    from kontrol_app.services import stripe_account
    from kontrol_app.settings import get_settings
    from tests.fakes.stripe_server import API_KEY

    monkeypatch.setenv("STRIPE_SECRET_KEY", API_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", fake_stripe.url)
    get_settings.cache_clear()
    try:
        assert _tab(world).card_payments is False  # a key Test connection has not accepted yet
        stripe_account.test_connection(session, world["owner"])
        session.commit()
        assert _tab(world).card_payments is True
        state = _tab(world)
        run_handler(state, "open_new")
        run_handler(state, "set_line", 0, "unit_price", "5")
        run_handler(state, "send")
        [email] = session.exec(select(OutboxEmail).where(OutboxEmail.kind == EmailKind.INVOICE_SENT)).all()
        assert "View and pay:" in email.text_body and "How to pay" not in email.text_body
    finally:
        get_settings.cache_clear()
