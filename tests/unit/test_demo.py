"""`make demo`: loads a realistic shop once, and never over real data."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from kontrol_app import db, demo
from kontrol_app.models import Customer, Job, JobStatusChange, OutboxEmail, Shop, StaffUser
from kontrol_app.services import mockups, portal_links, staff, statuses
from kontrol_app.services.shop import shop_info


def counts(session: Session) -> tuple[int, int, int, int]:
    return tuple(
        session.exec(select(func.count()).select_from(model)).one() for model in (Shop, StaffUser, Customer, Job)
    )


def test_load_demo_fills_a_shop_with_a_job_in_every_status(database, session):
    message = demo.load_demo()
    assert demo.OWNER_EMAIL in message and demo.OWNER_PASSWORD in message
    smith = session.exec(select(Customer).where(Customer.name == "Smith Embroidery")).one()
    assert portal_links.portal_url(smith) in message and "sarah@smithembroidery.example" in message  # a client's side too

    shop = session.exec(select(Shop)).one()
    assert (shop.name, shop.timezone) == ("Demo Print Co.", "America/New_York")
    assert shop.payment_instructions == demo.PAYMENT_INSTRUCTIONS  # what an invoice says until Stripe is set up
    assert shop.logo_file_id is not None and shop_info(session).logo_path  # the portal's header and the emails show it
    assert counts(session) == (1, 1, len(demo.CUSTOMERS), len(demo.JOBS))

    all_jobs = session.exec(select(Job)).all()
    assert {job.status for job in all_jobs} == {s.value for s in statuses.ALL_STATUSES}
    [shipped] = [job for job in all_jobs if job.status == "shipped"]
    assert (shipped.tracking_carrier, shipped.tracking_number) == ("ups", "1Z999AA10123456784")
    assert all(job.due_date is not None and job.quantity > 0 for job in all_jobs)

    # Each job got there step by step, and its history ends where it stands.
    for job in all_jobs:
        changes = session.exec(
            select(JobStatusChange).where(JobStatusChange.job_id == job.id).order_by(JobStatusChange.id)
        ).all()
        assert changes[0].from_status is None and changes[0].to_status == "quote"
        assert changes[-1].to_status == job.status
        assert all(later.from_status == earlier.to_status for earlier, later in zip(changes, changes[1:], strict=False))
    # The job awaiting approval has artwork the client can approve. The emails queued are what
    # the demo's clients and shop did (no automation is on in the demo, no invoice was emailed).
    [waiting] = [job for job in all_jobs if job.status == "awaiting_approval"]
    proof = mockups.portal_proof(session, waiting.customer_id, waiting.id)
    assert proof is not None and proof.can_decide and proof.preview_url
    assert waiting.customer_id == smith.id  # the client whose link is printed sees it first
    kinds = session.exec(select(OutboxEmail.kind)).all()
    assert set(kinds) == {"artwork_ready", "message_to_shop", "message_to_client", "quote_request_confirmation", "quote_request_received"}

    ticket = staff.sign_in(session, email=demo.OWNER_EMAIL, password=demo.OWNER_PASSWORD)
    assert isinstance(ticket, str) and len(ticket) > 20
    token = staff.redeem_ticket(session, ticket)
    principal = staff.principal_for_token(session, token)
    assert principal is not None and principal.is_owner and principal.email == demo.OWNER_EMAIL


def test_the_demo_has_invoices_in_each_state(database, session):
    from kontrol_app.models import Invoice
    from kontrol_app.services import invoices

    demo.load_demo()
    rows = session.exec(select(Invoice).order_by(Invoice.id)).all()
    assert [row.status for row in rows] == ["paid", "sent", "sent", "draft"]
    assert rows[0].paid_cents == rows[0].total_cents and session.get(Job, rows[0].job_id).status == "completed"
    assert invoices.balance(rows[1]) == 84_000  # the guide's open $840
    assert invoices.due_now(rows[2])[0] == "deposit"


def test_the_demo_has_a_conversation_and_a_quote_request_waiting_for_the_shop(database, session):
    from kontrol_app.services import messages, quotes

    demo.load_demo()
    owner = staff.principal_for_token(session, staff.redeem_ticket(session, staff.sign_in(session, email=demo.OWNER_EMAIL, password=demo.OWNER_PASSWORD)))
    # The Messages badge and the dashboard count the client's last message, about a job.
    assert messages.staff_unread_total(session) == 1
    [thread] = messages.staff_threads(session, owner).threads
    assert (thread.customer_name, thread.job_title, thread.unread, thread.last_sender) == ("Smith Embroidery", "Trucker Caps", 1, "Sarah Smith")
    view = messages.open_thread_staff(session, owner, thread.id)
    assert [m.side for m in view.messages] == ["client", "shop", "client"]
    # The Quote Requests badge: one new request, from Pixel Labs.
    assert quotes.unread_count(session, owner) == 1
    [request] = quotes.list_requests(session, owner).rows
    assert (request.customer_name, request.status, request.unread) == ("Pixel Labs", "new", True)


def test_load_demo_runs_once(database, session):
    demo.load_demo()
    before = counts(session)
    message = demo.load_demo()
    assert "already has a shop" in message
    with Session(db.get_engine()) as fresh:
        assert counts(fresh) == before


def test_load_demo_refuses_a_database_with_a_real_shop(database, session):
    staff.create_shop(session, shop_name="Real Shop", name="Real Owner", email="real@example.com", password="correct horse")
    session.commit()
    message = demo.load_demo()
    assert "already has a shop" in message and "not loaded" in message
    with Session(db.get_engine()) as fresh:
        assert counts(fresh) == (1, 1, 0, 0)
        assert fresh.exec(select(Shop.name)).one() == "Real Shop"
