"""The database keeps invoices by status and due day (InvoiceDueTotal), whatever changes an
invoice; the Invoices page and the dashboard add up those rows."""

from __future__ import annotations

from datetime import date, timedelta

from alembic import command
from sqlalchemy import text

from kontrol_app import db
from kontrol_app.manage import alembic_config
from kontrol_app.services import invoices
from tests.factories import make_customer, make_invoice, make_job, make_owner

TRUTH = """
SELECT status, COALESCE(due_date, :none), count(*), sum(CASE WHEN total_cents > paid_cents THEN 1 ELSE 0 END),
       sum(total_cents - paid_cents)
FROM invoice GROUP BY status, COALESCE(due_date, :none)
"""


def _counted(session) -> dict:
    """The truth: every invoice read."""
    rows = session.connection().execute(text(TRUTH), {"none": date(9999, 12, 31)}).all()
    return {(status, str(day)): (n, owing, owed) for status, day, n, owing, owed in rows}


def _kept(session) -> dict:
    """What the database keeps, without the rows no invoice is counted in any more."""
    rows = session.connection().execute(text("SELECT status, due_date, invoices, owing, owed_cents FROM invoice_due_total")).all()
    return {(status, str(day)): (n, owing, owed) for status, day, n, owing, owed in rows if n}


def _job(session):
    owner = make_owner(session)
    return owner, make_job(session, owner, make_customer(session, owner, "Acme", email="pay@acme.example"))


def test_the_kept_rows_follow_an_invoice_from_draft_to_paid_refunded_and_void(session):
    owner, job_id = _job(session)
    due = (date.today() + timedelta(days=30)).isoformat()
    draft = make_invoice(session, owner, job_id, [("Shirts", "10", "12.50")])  # 125.00, no due date yet
    assert _kept(session) == _counted(session) == {("draft", "9999-12-31"): (1, 1, 12_500)}

    data = invoices.InvoiceInput(lines=[invoices.LineInput("Shirts", "20", "12.50")], due_date=due, version=1)
    invoices.update_draft(session, owner, draft, data)
    invoices.send_invoice(session, owner, draft)
    session.commit()
    assert _kept(session) == _counted(session) == {("sent", due): (1, 1, 25_000)}

    invoices.record_payment(session, owner, draft, amount="100.00", method="cash", email_client=False)
    session.commit()
    assert _kept(session) == _counted(session) == {("partially_paid", due): (1, 1, 15_000)}
    invoices.record_payment(session, owner, draft, amount="150.00", method="cash", email_client=False)
    session.commit()
    assert _kept(session) == _counted(session) == {("paid", due): (1, 0, 0)}
    invoices.record_refund(session, owner, draft, amount="50.00")
    session.commit()
    assert _kept(session) == _counted(session) == {("partially_paid", due): (1, 1, 5_000)}

    other = make_invoice(session, owner, job_id, send=True, due_date=due)
    invoices.void_invoice(session, owner, other, reason="Entered twice")
    session.commit()
    assert _kept(session) == _counted(session)

    # Changes made outside the services are kept too: the triggers are the database's.
    connection = session.connection()
    connection.execute(text("UPDATE invoice SET due_date = NULL WHERE id = :id"), {"id": draft})
    connection.execute(text("UPDATE invoice SET notes = 'seen', status = status WHERE id = :id"), {"id": other})
    session.commit()
    assert _kept(session) == _counted(session)
    assert _kept(session)[("partially_paid", "9999-12-31")] == (1, 1, 5_000)


def test_a_rolled_back_change_leaves_the_kept_rows_alone(session):
    owner, job_id = _job(session)
    invoice_id = make_invoice(session, owner, job_id, due_date=date.today().isoformat())
    before = _kept(session)
    invoices.send_invoice(session, owner, invoice_id)
    session.rollback()
    assert _kept(session) == before == _counted(session)


def test_the_invoices_page_and_the_dashboard_add_up_the_kept_rows(session):
    owner, job_id = _job(session)
    today = date.today()
    past, later = (today - timedelta(days=3)).isoformat(), (today + timedelta(days=3)).isoformat()
    overdue = make_invoice(session, owner, job_id, [("Shirts", "4", "10.00")], send=True, due_date=past)
    make_invoice(session, owner, job_id, [("Caps", "2", "10.00")], send=True, due_date=later)
    make_invoice(session, owner, job_id, [("Bags", "1", "10.00")], send=True)  # no due date: never overdue
    make_invoice(session, owner, job_id)  # a draft
    page = invoices.list_invoices(session, owner, invoices.InvoiceFilters(status="open"))
    assert (page.total, page.open_total, page.overdue_total) == (3, "$70.00", "$40.00")
    assert invoices.list_invoices(session, owner, invoices.InvoiceFilters(status="overdue")).total == 1
    assert invoices.list_invoices(session, owner, invoices.InvoiceFilters()).total == 4
    assert invoices.list_invoices(session, owner, invoices.InvoiceFilters(status="draft")).total == 1

    # Nudge the kept rows only: a page that still read the invoices would not see it.
    session.connection().execute(
        text("UPDATE invoice_due_total SET invoices = invoices + 5, owed_cents = owed_cents + 500 WHERE status = 'sent' AND due_date = :day"),
        {"day": past},
    )
    session.commit()
    page = invoices.list_invoices(session, owner, invoices.InvoiceFilters(status="open"))
    assert (page.total, page.open_total, page.overdue_total) == (8, "$75.00", "$45.00")
    assert invoices.open_totals(session, today) == (7_500, 4_500)  # the dashboard's
    # A search still counts the invoices it finds.
    number = session.connection().execute(text("SELECT number FROM invoice WHERE id = :id"), {"id": overdue}).scalar_one()
    assert invoices.list_invoices(session, owner, invoices.InvoiceFilters(status="open", search=number)).total == 1


def test_the_migration_keeps_the_invoices_already_there(database, session):
    owner, job_id = _job(session)
    make_invoice(session, owner, job_id, send=True, due_date=date.today().isoformat())
    make_invoice(session, owner, job_id, send=True)
    make_invoice(session, owner, job_id)
    truth = _counted(session)
    session.close()
    db.reset_engine()  # no pooled connection may hold the table the downgrade drops
    command.downgrade(alembic_config(database), "-1")
    command.upgrade(alembic_config(database), "head")
    with db.read_scope() as fresh:
        assert _kept(fresh) == truth and len(truth) == 3
        fresh.connection().execute(text("UPDATE invoice SET status = 'void' WHERE status = 'draft'"))
        assert _kept(fresh) == _counted(fresh)
