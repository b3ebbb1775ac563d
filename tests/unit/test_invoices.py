"""Invoices: the money rule at its edges, drafts, numbering (also under concurrency on
PostgreSQL), statuses, payments, refunds, void, deposits, the staff list and the portal's scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from kontrol_app.models import Invoice, InvoiceEvent, InvoicePayment, InvoiceStatus, OutboxEmail, Shop
from kontrol_app.services import invoices
from kontrol_app.services.clock import shop_today
from kontrol_app.services.shop import get_shop
from kontrol_app.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kontrol_app.services.invoices import InvoiceFilters, InvoiceInput, LineInput, totals
from kontrol_app.services.money import parse_amount, parse_percent, percent_of, round_half_up
from tests.factories import make_customer, make_invoice, make_job
from tests.helpers.concurrency import all_at_once

# --- the money rule -------------------------------------------------------------------------


def test_round_half_up_goes_away_from_zero_at_exactly_half():
    assert round_half_up(5, 10) == 1
    assert round_half_up(4, 10) == 0
    assert round_half_up(15, 10) == 2
    assert round_half_up(-5, 10) == -1
    assert round_half_up(-4, 10) == 0
    assert round_half_up(0, 7) == 0


def test_tax_is_on_the_discounted_subtotal_rounded_half_up():
    # 100.00 - 10% = 90.00; 8.875% of 90.00 = 7.9875 -> 7.99
    result = totals([10_000], discount_kind="percent", discount_value=10_000, tax_rate=8_875)
    assert (result.subtotal, result.discount, result.tax, result.total) == (10_000, 1_000, 799, 9_799)


def test_the_edges_zero_one_cent_and_99_995_percent():
    assert totals([]) == totals([0]) == invoices.Totals(0, 0, 0, 0, 0)
    assert totals([1], tax_rate=50_000).tax == 1  # half a cent rounds up
    assert totals([1], tax_rate=49_999).tax == 0
    assert totals([1], tax_rate=99_995).tax == 1
    # 99.995% of 200.00 = 199.99 exactly; of 1.00 = 0.99995 -> 1.00
    assert percent_of(20_000, 99_995) == 19_999
    assert percent_of(100, 99_995) == 100
    assert totals([100], discount_kind="percent", discount_value=99_995).total == 0


def test_ten_thousand_lines_add_up_exactly():
    amounts = [3 * 333 for _ in range(10_000)]  # 3 x 3.33 each
    result = totals(amounts, tax_rate=7_250)
    assert result.subtotal == 9_990_000
    assert result.tax == 724_275  # 7.25% of 99,900.00 = 7,242.75
    assert result.total == 10_714_275


def test_an_amount_discount_never_takes_the_subtotal_below_zero_and_a_deposit_never_exceeds_the_total():
    assert totals([500], discount_kind="amount", discount_value=900).total == 0
    assert totals([1_000], tax_rate=10_000, deposit_kind="percent", deposit_value=50_000).deposit == 550
    assert totals([1_000], deposit_kind="amount", deposit_value=5_000).deposit == 1_000


def test_credits_lower_the_subtotal_and_round_symmetrically():
    assert totals([1_000, -250], tax_rate=10_000).total == 825
    assert percent_of(-5, 10_000) == -1  # -0.5 cent -> -1 cent, the mirror of +0.5 -> +1


@pytest.mark.parametrize(
    ("text", "cents"),
    [("12.50", 1250), ("$1,234.5", 123_450), ("0.01", 1), (".5", 50), ("1,000", 100_000), ("7", 700)],
)
def test_amounts_are_read_as_people_type_them(text, cents):
    assert parse_amount(text, "USD") == cents


@pytest.mark.parametrize("text", ["", "abc", "1.234", "1,23", "--1", "1e3", "12.5.0", "٣"])
def test_what_is_not_an_amount_is_refused(text):
    assert parse_amount(text, "USD") is None


def test_percentages_take_three_decimals_and_stop_at_100():
    assert parse_percent("8.875") == 8_875
    assert parse_percent("99.995%") == 99_995
    assert parse_percent("100") == 100_000
    assert parse_percent("100.001") is None
    assert parse_percent("8.8755") is None
    assert parse_percent("-1") is None


# --- drafts ------------------------------------------------------------------------------------


@pytest.fixture
def job(session: Session, owner) -> int:
    customer = make_customer(session, owner, "Smith Embroidery", "sarah@example.com", contacts=[("Tom", "tom@example.com")])
    return make_job(session, owner, customer, "Staff Polos — Blue", quantity="48")


def _form(*lines: tuple[str, str, str], **fields) -> InvoiceInput:
    return InvoiceInput(lines=[LineInput(*line) for line in lines], **fields)


def test_a_new_invoice_starts_from_the_job_and_the_shop_defaults(session, owner, job):
    shop = session.exec(select(Shop)).one()
    shop.tax_rate, shop.payment_terms_days = 8_875, 30
    session.add(shop)
    session.commit()
    form = invoices.new_invoice_input(session, owner, job)
    assert form.lines == [LineInput("Staff Polos — Blue", "48", "")]
    assert form.tax_rate == "8.875"
    assert date.fromisoformat(form.due_date) >= date.today() + timedelta(days=29)


def test_a_draft_stores_integer_cents_and_has_no_number(session, owner, job):
    invoice_id = make_invoice(
        session, owner, job, [("Polos", "48", "18.75"), ("Setup", "1", "35")],
        discount_kind="percent", discount="10", tax_rate="8.875",
    )
    invoice = session.get(Invoice, invoice_id)
    assert invoice.number is None and invoice.status == InvoiceStatus.DRAFT
    assert invoice.subtotal_cents == 48 * 1875 + 3500 == 93_500
    assert invoice.discount_cents == 9_350
    assert invoice.tax_cents == 7_468  # 8.875% of 841.50 = 74.683...
    assert invoice.total_cents == 91_618
    view = invoices.invoice_detail(session, owner, invoice_id)
    assert view.title == "Draft invoice" and view.total == "$916.18" and view.tax_label == "Tax (8.875%)"
    # Nothing is owed on a draft, and the client never sees it.
    assert view.balance_cents == 0 and view.due_now == ""
    assert invoices.portal_cards(session, invoice.customer_id) == []


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (_form(), "lines"),
        (_form(("", "1", "5")), "lines.0.description"),
        (_form(("Shirts", "0", "5")), "lines.0.quantity"),
        (_form(("Shirts", "1.5", "5")), "lines.0.quantity"),
        (_form(("Shirts", "1", "five")), "lines.0.unit_price"),
        (_form(("Shirts", "1", "5"), ("Ink", "1", "1.234")), "lines.1.unit_price"),
        (_form(("Shirts", "1", "5"), tax_rate="101"), "tax_rate"),
        (_form(("Shirts", "1", "5"), discount_kind="percent", discount="x"), "discount"),
        (_form(("Shirts", "1", "5"), deposit_kind="percent", deposit="100"), "deposit"),
        (_form(("Shirts", "1", "5"), due_date="next week"), "due_date"),
        (_form(("Shirts", "1", "5"), ("Credit", "1", "-9")), "lines"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(session, owner, job, form, field):
    with pytest.raises(InvalidInput) as refused:
        invoices.create_draft(session, owner, job, form)
    assert refused.value.field == field and refused.value.message
    session.rollback()
    assert session.exec(select(Invoice)).all() == []


def test_a_draft_is_edited_with_its_version_and_a_stale_form_is_refused(session, owner, job):
    invoice_id = make_invoice(session, owner, job)
    form = invoices.invoice_input(session, owner, invoice_id)
    assert form.lines == [LineInput("Shirts, 2 colours front", "10", "12.50")]
    stale = invoices.invoice_input(session, owner, invoice_id)
    form.lines.append(LineInput("Rush fee", "1", "25.00"))
    invoices.update_draft(session, owner, invoice_id, form)
    session.commit()
    assert session.get(Invoice, invoice_id).total_cents == 15_000
    with pytest.raises(Conflict):
        invoices.update_draft(session, owner, invoice_id, stale)


# --- sending and numbers ---------------------------------------------------------------------------


def test_sending_numbers_the_invoice_and_emails_every_contact_with_the_pdf(session, owner, job):
    first = make_invoice(session, owner, job, send=True)
    second = make_invoice(session, owner, job, send=True)
    assert session.get(Invoice, first).number == "INV-0001"
    assert session.get(Invoice, second).number == "INV-0002"
    emails = session.exec(select(OutboxEmail).where(OutboxEmail.kind == "invoice_sent").order_by(OutboxEmail.id)).all()
    assert sorted(e.to_email for e in emails) == sorted(["sarah@example.com", "tom@example.com"] * 2)
    assert emails[0].subject == "Invoice INV-0001 from Test Print Co."
    assert emails[0].attachment_name == "INV-0001.pdf" and emails[0].attachment_file_id
    invoice = session.get(Invoice, first)
    assert invoice.status == InvoiceStatus.SENT and invoice.sent_at is not None and invoice.due_date is not None
    history = session.exec(select(InvoiceEvent.text).where(InvoiceEvent.invoice_id == first).order_by(InvoiceEvent.id)).all()
    assert history == ["Draft created", "Sent as INV-0001"]


def test_the_prefix_and_next_number_come_from_settings_and_used_numbers_are_skipped(session, owner, job):
    make_invoice(session, owner, job, send=True)  # INV-0001
    shop = session.exec(select(Shop)).one()
    shop.invoice_next_number = 1  # set back onto a used number
    session.add(shop)
    session.commit()
    assert session.get(Invoice, make_invoice(session, owner, job, send=True)).number == "INV-0002"
    shop = session.exec(select(Shop)).one()
    shop.invoice_prefix, shop.invoice_next_number = "SE-", 112
    session.add(shop)
    session.commit()
    assert session.get(Invoice, make_invoice(session, owner, job, send=True)).number == "SE-0112"


def test_a_zero_invoice_or_a_customer_without_email_cannot_be_sent(session, owner, job):
    free = make_invoice(session, owner, job, [("Sample", "1", "0")])
    with pytest.raises(InvalidInput):
        invoices.send_invoice(session, owner, free)
    session.rollback()
    lonely = make_job(session, owner, make_customer(session, owner, "Walk-in"), "Walk-in order")
    invoice_id = make_invoice(session, owner, lonely)
    with pytest.raises(NotAllowed, match="no email"):
        invoices.send_invoice(session, owner, invoice_id)
    session.rollback()
    assert session.get(Invoice, invoice_id).number is None
    assert session.exec(select(Shop.invoice_next_number)).one() == 1  # no number was used up


def test_twenty_concurrent_sends_get_twenty_distinct_consecutive_numbers(session, owner, job, database):
    drafts = [make_invoice(session, owner, job) for _ in range(20)]
    queue = list(drafts)

    def send(worker_session: Session) -> str:
        return invoices.send_invoice(worker_session, owner, queue.pop())

    results = all_at_once(20, send)
    assert all(isinstance(r, str) for r in results), results
    assert sorted(results) == [f"INV-{n:04d}" for n in range(1, 21)]
    assert session.exec(select(Shop.invoice_next_number)).one() == 21


# --- payments, statuses, void ------------------------------------------------------------------------


def test_payments_move_the_status_and_send_a_receipt(session, owner, job):
    invoice_id = make_invoice(session, owner, job, [("Shirts", "10", "84.00")], send=True)  # $840.00
    invoices.record_payment(session, owner, invoice_id, amount="340", method="cash", reference="counter")
    session.commit()
    invoice = session.get(Invoice, invoice_id)
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID and invoices.balance(invoice) == 50_000
    invoices.record_payment(session, owner, invoice_id, amount="500.00", method="check", reference="#1043")
    session.commit()
    invoice = session.get(Invoice, invoice_id)
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_at is not None
    view = invoices.invoice_detail(session, owner, invoice_id)
    assert [(p.amount, p.method) for p in view.payments] == [("$340.00", "Cash"), ("$500.00", "Check")]
    assert view.paid_on and view.due_now == ""
    receipts = session.exec(select(OutboxEmail).where(OutboxEmail.kind == "payment_receipt")).all()
    assert len(receipts) == 4  # two payments, two contacts


@pytest.mark.parametrize(
    ("amount", "method", "field", "received_on"),
    [("0", "cash", "amount", ""), ("-5", "cash", "amount", ""), ("841", "cash", "amount", ""), ("10", "stripe", "method", ""),
     ("10", "", "method", ""), ("10", "cash", "received_on", "last Tuesday"), ("10", "cash", "received_on", "2999-01-01")],
)
def test_a_bad_payment_is_refused_and_changes_nothing(session, owner, job, amount, method, field, received_on):
    invoice_id = make_invoice(session, owner, job, [("Shirts", "10", "84.00")], send=True)
    with pytest.raises(InvalidInput) as refused:
        invoices.record_payment(session, owner, invoice_id, amount=amount, method=method, received_on=received_on)
    assert refused.value.field == field
    session.rollback()
    assert session.get(Invoice, invoice_id).paid_cents == 0
    assert session.exec(select(InvoicePayment)).all() == []


def test_a_payment_with_every_box_wrong_names_them_all(session, owner, job):
    invoice_id = make_invoice(session, owner, job, [("Shirts", "10", "84.00")], send=True)
    with pytest.raises(InvalidInput) as refused:
        invoices.record_payment(session, owner, invoice_id, amount="lots", method="barter", received_on="2099-01-01", reference="x" * 201)
    assert set(refused.value.errors) == {"amount", "method", "received_on", "reference"}
    session.rollback()
    assert session.exec(select(InvoicePayment)).all() == []


def test_a_draft_takes_no_payment(session, owner, job):
    invoice_id = make_invoice(session, owner, job)
    with pytest.raises(NotAllowed, match="Send the invoice"):
        invoices.record_payment(session, owner, invoice_id, amount="10", method="cash")


def test_void_needs_a_reason_and_is_refused_while_money_is_held_until_refunded(session, owner, job):
    invoice_id = make_invoice(session, owner, job, [("Shirts", "10", "84.00")], send=True)
    invoices.record_payment(session, owner, invoice_id, amount="100", method="cash")
    session.commit()
    with pytest.raises(InvalidInput):
        invoices.void_invoice(session, owner, invoice_id, reason="  ")
    with pytest.raises(NotAllowed, match=r"payments of \$100.00"):
        invoices.void_invoice(session, owner, invoice_id, reason="Order cancelled")
    session.rollback()
    invoices.record_refund(session, owner, invoice_id, amount="100", reference="cash back")
    session.commit()
    invoice = session.get(Invoice, invoice_id)
    assert invoice.status == InvoiceStatus.SENT and invoice.refunded_cents == 10_000
    invoices.void_invoice(session, owner, invoice_id, reason="Order cancelled")
    session.commit()
    invoice = session.get(Invoice, invoice_id)
    assert invoice.status == InvoiceStatus.VOID and invoice.number == "INV-0001" and invoices.balance(invoice) == 0
    with pytest.raises(NotAllowed):
        invoices.record_payment(session, owner, invoice_id, amount="10", method="cash")
    session.rollback()
    # The number is never reused.
    assert session.get(Invoice, make_invoice(session, owner, job, send=True)).number == "INV-0002"


def test_a_refund_reopens_the_balance(session, owner, job):
    invoice_id = make_invoice(session, owner, job, [("Shirts", "10", "84.00")], send=True)
    invoices.record_payment(session, owner, invoice_id, amount="840", method="bank_transfer")
    invoices.record_refund(session, owner, invoice_id, amount="40")
    session.commit()
    invoice = session.get(Invoice, invoice_id)
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID and invoices.balance(invoice) == 4_000
    view = invoices.invoice_detail(session, owner, invoice_id)
    assert view.refunded == "$40.00" and view.history[-1].text == "Refunded $40.00"
    with pytest.raises(InvalidInput, match="more than was paid"):
        invoices.record_refund(session, owner, invoice_id, amount="900")


def test_a_deposit_is_due_first_then_the_balance(session, owner, job):
    invoice_id = make_invoice(session, owner, job, [("Shirts", "10", "84.00")], deposit_kind="percent", deposit="50", send=True)
    invoice = session.get(Invoice, invoice_id)
    assert invoices.due_now(invoice) == ("deposit", 42_000)
    invoices.record_payment(session, owner, invoice_id, amount="100", method="cash")
    session.commit()
    assert invoices.due_now(session.get(Invoice, invoice_id)) == ("deposit", 32_000)
    invoices.record_payment(session, owner, invoice_id, amount="320", method="cash")
    session.commit()
    assert invoices.due_now(session.get(Invoice, invoice_id)) == ("balance", 42_000)


def test_the_totals_rows_say_only_what_applies_the_same_for_staff_portal_and_pdf(session, owner, job):
    def rows(invoice_id: int) -> list[tuple[str, str, bool]]:
        return [(r.label, r.amount, r.bold) for r in invoices.invoice_detail(session, owner, invoice_id).totals]

    lines = [("Shirts", "10", "84.00")]
    draft = make_invoice(session, owner, job, lines)
    assert rows(draft) == [("Subtotal", "$840.00", False), ("Total", "$840.00", True)]  # owes nothing yet
    sent = make_invoice(session, owner, job, lines, discount_kind="percent", discount="10", tax_rate="8.875",
                        deposit_kind="amount", deposit="100", send=True)
    assert rows(sent) == [
        ("Subtotal", "$840.00", False), ("Discount (10%)", "-$84.00", False), ("Tax (8.875%)", "$67.10", False),
        ("Total", "$823.10", True), ("Deposit", "$100.00", False), ("Balance", "$823.10", True),
    ]
    invoices.record_payment(session, owner, sent, amount="200", method="cash")
    invoices.record_refund(session, owner, sent, amount="50")
    session.commit()
    assert rows(sent)[-3:] == [("Paid", "$150.00", False), ("Refunded", "$50.00", False), ("Balance", "$673.10", True)]
    customer_id = session.get(Invoice, sent).customer_id
    assert invoices.portal_detail(session, customer_id, sent).totals == invoices.invoice_detail(session, owner, sent).totals
    void = make_invoice(session, owner, job, lines, send=True)
    invoices.void_invoice(session, owner, void, reason="Sent twice")
    session.commit()
    assert [label for label, _, _ in rows(void)] == ["Subtotal", "Total"]


def test_overdue_is_computed_from_the_due_date_and_the_balance(session, owner, job):
    past = (date.today() - timedelta(days=10)).isoformat()
    late = make_invoice(session, owner, job, [("Shirts", "1", "10")], due_date=past, send=True)
    make_invoice(session, owner, job, [("Shirts", "1", "20")], send=True)
    make_invoice(session, owner, job, [("Draft", "1", "5")], due_date=past)
    page = invoices.list_invoices(session, owner, InvoiceFilters(status="overdue"))
    assert [row.id for row in page.rows] == [late]
    assert page.rows[0].status_label == "Overdue"
    assert (page.open_total, page.overdue_total, page.any_overdue) == ("$30.00", "$10.00", True)
    invoices.record_payment(session, owner, late, amount="10", method="cash")
    session.commit()
    assert invoices.list_invoices(session, owner, InvoiceFilters(status="overdue")).rows == []
    assert invoices.list_invoices(session, owner, InvoiceFilters()).any_overdue is False
    # A draft owes nothing yet: no balance beside its total.
    [draft] = [r for r in invoices.list_invoices(session, owner, InvoiceFilters()).rows if r.number == "Draft"]
    assert (draft.total, draft.balance) == ("$5.00", "—")


def test_the_list_searches_number_customer_and_job_and_pages_in_sql(session, owner, job):
    other = make_job(session, owner, make_customer(session, owner, "Łódź Lacrosse", "coach@example.com"), "Team Hoodies")
    for _ in range(3):
        make_invoice(session, owner, job, send=True)
    hoodies = make_invoice(session, owner, other, send=True)
    assert [r.id for r in invoices.list_invoices(session, owner, InvoiceFilters(search="lacrosse")).rows] == [hoodies]
    # Letters beyond ASCII fold too, on SQLite as on PostgreSQL.
    assert [r.id for r in invoices.list_invoices(session, owner, InvoiceFilters(search="łÓdź")).rows] == [hoodies]
    assert [r.id for r in invoices.list_invoices(session, owner, InvoiceFilters(search="hoodies")).rows] == [hoodies]
    assert [r.number for r in invoices.list_invoices(session, owner, InvoiceFilters(search="0002")).rows] == ["INV-0002"]
    page = invoices.list_invoices(session, owner, InvoiceFilters(), page=2, page_size=3)
    assert (page.total, page.pages, len(page.rows)) == (4, 2, 1)
    with pytest.raises(InvalidInput):
        invoices.list_invoices(session, owner, InvoiceFilters(status="bogus"))


def test_the_open_balance_counts_only_sent_and_partly_paid_invoices(session, owner, job):
    customer_id = session.get(Invoice, make_invoice(session, owner, job, [("A", "1", "500")], send=True)).customer_id
    partly = make_invoice(session, owner, job, [("B", "1", "400")], send=True)
    invoices.record_payment(session, owner, partly, amount="60", method="cash")
    make_invoice(session, owner, job, [("Draft", "1", "999")])
    voided = make_invoice(session, owner, job, [("C", "1", "77")], send=True)
    invoices.void_invoice(session, owner, voided, reason="Duplicate")
    session.commit()
    assert invoices.open_balance(session, customer_id) == 84_000


def test_the_portal_sees_only_its_own_sent_invoices(session, owner, job):
    mine = make_invoice(session, owner, job, send=True)
    draft = make_invoice(session, owner, job)
    customer_id = session.get(Invoice, mine).customer_id
    stranger = make_job(session, owner, make_customer(session, owner, "Other Co", "o@example.com"), "Other job")
    theirs = make_invoice(session, owner, stranger, send=True)
    assert [card.id for card in invoices.portal_cards(session, customer_id)] == [mine]
    assert invoices.portal_invoice(session, customer_id, mine).id == mine
    for foreign in (draft, theirs, 999_999):
        with pytest.raises(NotFound, match="not in your portal"):
            invoices.portal_invoice(session, customer_id, foreign)


def test_the_portal_says_the_year_of_a_due_date_that_is_not_this_years(session, owner, job):
    today = shop_today(get_shop(session).timezone)
    last_year = make_invoice(session, owner, job, send=True, due_date=f"{today.year - 1}-12-20")
    this_year = make_invoice(session, owner, job, send=True, due_date=f"{today.year}-12-31")
    customer_id = session.get(Invoice, last_year).customer_id
    notes = {card.id: card.note for card in invoices.portal_cards(session, customer_id)}
    assert notes[last_year].startswith(f"Due Dec 20, {today.year - 1}")  # overdue: never read as a date to come
    assert notes[this_year].startswith("Due Dec 31") and str(today.year) not in notes[this_year]


def test_a_number_too_big_is_told_the_limit_not_the_form(session, owner, job):
    lines = [
        invoices.LineInput("Shirts", "99999999999999999", "12.50"),
        invoices.LineInput("Setup", "1", "99999999999"),
        invoices.LineInput("Ink", "1", "999,999,999,999,999.00"),
        invoices.LineInput("Caps", "lots", "twelve"),
    ]
    with pytest.raises(InvalidInput) as refused:
        invoices.create_draft(session, owner, job, invoices.InvoiceInput(lines=lines))
    errors = refused.value.errors
    assert errors["lines.0.quantity"] == "Enter a quantity on line 1 from 1 to 10,000,000."
    assert errors["lines.1.unit_price"] == "Enter a unit price on line 2 of at most $100,000,000.00."
    assert errors["lines.2.unit_price"] == "Enter a unit price on line 3 of at most $100,000,000.00."
    assert errors["lines.3.quantity"] == "Enter the quantity on line 4 as a whole number, like 144."
    assert errors["lines.3.unit_price"].startswith("Enter the unit price on line 4 as an amount")
