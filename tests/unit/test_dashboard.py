"""Dashboard -> "Get a client onto the portal": each item ticked only by real data."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image
from sqlmodel import Session, select

from kontrol_app.models import CustomerContact, PortalSession, utcnow
from kontrol_app.services import automations, dashboard, jobs, portal_links
from kontrol_app.services.shop import save_logo
from kontrol_app.settings import get_settings
from tests.factories import make_customer, make_job

ITEMS = ["shop", "customer", "copied", "sent", "job", "moved", "stripe", "automations"]


def ticked(session: Session) -> set[str]:
    items = dashboard.getting_started(session)
    assert len(items) == len(ITEMS)
    return {name for name, item in zip(ITEMS, items, strict=True) if item.done}


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "navy").save(buffer, format="PNG")
    return buffer.getvalue()


def test_checklist_items_have_labels_and_links(session, owner):
    items = dashboard.getting_started(session)
    assert items[0].label == "Shop name, email, and logo saved in Settings → Shop Info"
    assert items[0].href == "/settings/shop"
    # The guide's order: Stripe, then automations (tests/unit/test_stripe_account.py ticks Stripe).
    assert [item.label for item in items[-2:]] == ["Stripe connected so clients can pay online", "Automatic notifications turned on"]
    assert all(item.href.startswith("/") and item.action for item in items)


def test_nothing_is_ticked_on_an_empty_database(database, session):
    assert ticked(session) == set()


def test_each_item_is_ticked_only_when_its_data_exists(session, owner):
    # The shop has a name and email from sign-up, but no logo yet.
    assert ticked(session) == set()
    save_logo(session, owner, png(), get_settings().files_dir)
    session.commit()
    assert ticked(session) == {"shop"}

    walk_in = make_customer(session, owner, "Walk-in", contact_name="Maria")
    assert ticked(session) == {"shop"}  # no email on file
    customer_id = make_customer(session, owner, "Smith Embroidery", "sarah@smith.example", contact_name="Sarah")
    assert ticked(session) == {"shop", "customer"}

    portal_links.mark_link_copied(session, owner, walk_in)
    session.commit()
    assert ticked(session) == {"shop", "customer", "copied"}

    portal_links.email_link(session, owner, customer_id, "Here's your portal link.")
    session.commit()
    assert ticked(session) == {"shop", "customer", "copied", "sent"}

    job_id = make_job(session, owner, customer_id, "Tees")
    assert ticked(session) == {"shop", "customer", "copied", "sent", "job"}  # created is not moved forward

    jobs.change_status(session, owner, job_id, "artwork")
    session.commit()
    assert ticked(session) == {"shop", "customer", "copied", "sent", "job", "moved"}

    rule = next(r for r in automations.list_rules(session) if r.status == "shipped")
    automations.save_rule(session, owner, status="shipped", enabled=False, subject=rule.subject, body=rule.body)
    session.commit()
    assert "automations" not in ticked(session)  # saved but off
    automations.save_rule(session, owner, status="shipped", enabled=True, subject=rule.subject, body=rule.body)
    session.commit()
    assert ticked(session) == set(ITEMS) - {"stripe"}  # only a successful Test connection ticks it


def test_a_signed_in_client_counts_as_the_link_sent(session, owner):
    customer_id = make_customer(session, owner, "Smith Embroidery", "sarah@smith.example", contact_name="Sarah")
    assert "sent" not in ticked(session)
    contact = session.exec(select(CustomerContact).where(CustomerContact.customer_id == customer_id)).one()
    session.add(
        PortalSession(customer_id=customer_id, contact_id=contact.id, token_hash="0" * 64, expires_at=utcnow() + timedelta(days=30))
    )
    session.commit()
    assert ticked(session) == {"customer", "sent"}


def test_regenerating_the_link_unticks_copied_and_sent(session, owner):
    customer_id = make_customer(session, owner, "Smith Embroidery", "sarah@smith.example", contact_name="Sarah")
    portal_links.mark_link_copied(session, owner, customer_id)
    portal_links.email_link(session, owner, customer_id, "Your link")
    session.commit()
    assert {"copied", "sent"} <= ticked(session)
    portal_links.regenerate_link(session, owner, customer_id)
    session.commit()
    assert not {"copied", "sent"} & ticked(session)


def test_needs_attention_counts_unread_client_messages_and_money_owed(session, owner):
    from datetime import date

    from kontrol_app.services import invoices, messages
    from kontrol_app.services.portal_view import PortalViewer
    from tests.factories import make_invoice

    assert dashboard.at_a_glance(session, owner) == dashboard.AtAGlance(0, "$0.00", "", 0, 0)
    customer = make_customer(session, owner, "Acme", "sarah@acme.test")
    job = make_job(session, owner, customer)
    contact = session.exec(select(CustomerContact).where(CustomerContact.customer_id == customer)).first()
    viewer = PortalViewer(customer, "Acme", "Sarah", "sarah@acme.test", False, contact.id)
    thread = messages.start_thread_client(session, viewer, "Which file do you need?", job_id=job)
    messages.post_client(session, viewer, thread, "And the sizes are attached.")
    make_invoice(session, owner, job, [("Shirts", "1", "100")], send=True)
    make_invoice(session, owner, job, [("Caps", "1", "40")], due_date=(date.today() - timedelta(days=3)).isoformat(), send=True)
    session.commit()
    assert dashboard.at_a_glance(session, owner) == dashboard.AtAGlance(2, "$140.00", "$40.00", 0, 0)
    messages.open_thread_staff(session, owner, thread)
    session.commit()
    assert dashboard.at_a_glance(session, owner).unread_messages == 0
    assert invoices.open_totals(session, date.today()) == (14_000, 4_000)


def test_needs_attention_counts_new_quote_requests_and_jobs_with_revisions_requested(session, owner):
    from kontrol_app.models import QuoteRequest, utcnow

    customer = make_customer(session, owner, "Acme", "sarah@acme.test")
    make_job(session, owner, customer, path=["artwork", "awaiting_approval", "revisions_requested"])
    make_job(session, owner, customer, path=["artwork"])
    for number in ("QR-0001", "QR-0002"):
        session.add(QuoteRequest(number=number, customer_id=customer, item_type="t_shirt", decoration="screen_print"))
    session.commit()
    glance = dashboard.at_a_glance(session, owner)
    assert (glance.new_quote_requests, glance.revisions_requested) == (2, 1)
    first = session.exec(select(QuoteRequest).where(QuoteRequest.number == "QR-0001")).one()
    first.read_by_staff_at = utcnow()  # opened (quotes.request_detail marks it so)
    session.add(first)
    session.commit()
    assert dashboard.at_a_glance(session, owner).new_quote_requests == 1
