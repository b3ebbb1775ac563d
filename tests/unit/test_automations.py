"""Settings -> Automations: rules per status, template checks, and the emails a status change queues."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from kontrol_app.models import Carrier, Customer, EmailKind, Job, JobStatusChange, OutboxEmail, StatusAutomation
from kontrol_app.services import automations, jobs, portal_links, staff, statuses
from kontrol_app.services.errors import InvalidInput, NotAllowed
from kontrol_app.services.tracking import tracking_url
from tests.factories import approve_offline, make_customer, make_job, make_staff

TRACKING = "1Z999AA10123456784"


@pytest.fixture
def member(session, owner) -> staff.StaffPrincipal:
    return make_staff(session, owner)


def _outbox(session: Session) -> list[OutboxEmail]:
    return list(session.exec(select(OutboxEmail).order_by(OutboxEmail.id)).all())


def _turn_on(session: Session, owner, status: str) -> None:
    rule = next(r for r in automations.list_rules(session) if r.status == status)
    automations.save_rule(session, owner, status=status, enabled=True, subject=rule.subject, body=rule.body)
    session.commit()


# --- rules ----------------------------------------------------------------------------------


def test_list_rules_gives_a_rule_per_status_with_defaults_all_off(session, owner):
    rules = automations.list_rules(session)
    assert [r.status for r in rules] == [s.value for s in statuses.ALL_STATUSES]
    assert [r.label for r in rules] == [statuses.label(s) for s in statuses.ALL_STATUSES]
    assert not any(r.enabled for r in rules)
    by_status = {r.status: r for r in rules}
    assert by_status["shipped"].subject == "{job_title} has shipped"
    assert "{tracking_link}" in by_status["shipped"].body and "{portal_link}" in by_status["shipped"].body
    assert by_status["ready"].subject == "{job_title} is ready"
    assert by_status["in_production"].subject == "{job_title} is now {status}"
    for rule in rules:  # every default is a valid template
        automations.check_template(rule.subject, "subject")
        automations.check_template(rule.body, "body")
    assert session.exec(select(func.count()).select_from(StatusAutomation)).one() == 0


def test_save_rule_is_for_the_owner_only(session, owner, member):
    with pytest.raises(NotAllowed):
        automations.save_rule(session, member, status="shipped", enabled=True, subject="Shipped", body="On its way")
    session.rollback()
    assert not any(r.enabled for r in automations.list_rules(session))


def test_save_rule_saves_and_updates_one_row(session, owner):
    saved = automations.save_rule(
        session, owner, status="ready", enabled=True, subject="  {job_title} is ready for pickup ", body="Come by, {contact_name}."
    )
    session.commit()
    assert saved == automations.AutomationRule("ready", "Ready", True, "{job_title} is ready for pickup", "Come by, {contact_name}.")
    ready = next(r for r in automations.list_rules(session) if r.status == "ready")
    assert ready == saved

    automations.save_rule(session, owner, status="ready", enabled=False, subject="Ready", body="Ready now")
    session.commit()
    ready = next(r for r in automations.list_rules(session) if r.status == "ready")
    assert (ready.enabled, ready.subject, ready.body) == (False, "Ready", "Ready now")
    assert session.exec(select(func.count()).select_from(StatusAutomation)).one() == 1
    assert [r.status for r in automations.list_rules(session) if r.enabled] == []


def test_save_rule_names_both_wrong_boxes_at_once(session, owner):
    with pytest.raises(InvalidInput) as refused:
        automations.save_rule(session, owner, status="ready", enabled=True, subject="", body="Hi {nobody}")
    assert list(refused.value.errors) == ["subject", "body"]
    assert "Unknown placeholder {nobody}" in refused.value.errors["body"]
    with pytest.raises(InvalidInput) as refused:
        automations.preview(session, status="ready", subject="{job_title:d}", body="{")
    assert list(refused.value.errors) == ["subject", "body"]


@pytest.mark.parametrize(
    ("subject", "body", "field"),
    [
        ("", "Text", "subject"),
        ("   ", "Text", "subject"),
        ("S" * 301, "Text", "subject"),
        ("Subject", "", "body"),
        ("Subject", "B" * 5001, "body"),
        ("{foo} shipped", "Text", "subject"),
        ("Subject", "Hi {foo}", "body"),
        ("Subject", "Hi {Contact_Name}", "body"),
        ("Subject", "Hi {contact_name.upper}", "body"),
        ("Subject", "Hi {0}", "body"),
        ("Subject", "Hi {}", "body"),
        ("Subject", "Use { braces", "body"),
        ("Stray } brace", "Text", "subject"),
        ("Subject", "{job_title:d}", "body"),  # fills fine here, fails when the email is made
        ("Subject", "{job_title!x}", "body"),
        ("{status:{job_title}}", "Text", "subject"),
    ],
)
def test_save_rule_refuses_bad_templates_naming_the_field(session, owner, subject, body, field):
    with pytest.raises(InvalidInput) as refused:
        automations.save_rule(session, owner, status="shipped", enabled=True, subject=subject, body=body)
    assert refused.value.field == field
    if "{" in subject + body or "}" in subject + body:  # the preview checks the template the same way
        with pytest.raises(InvalidInput) as preview_refused:
            automations.preview(session, status="shipped", subject=subject, body=body)
        assert preview_refused.value.field == field
    session.rollback()
    assert session.exec(select(func.count()).select_from(StatusAutomation)).one() == 0


def test_unknown_placeholder_message_lists_the_ones_to_use(session, owner):
    with pytest.raises(InvalidInput) as refused:
        automations.save_rule(session, owner, status="shipped", enabled=True, subject="Hi {foo}", body="x")
    assert "{foo}" in refused.value.message and "{job_title}" in refused.value.message


def test_save_rule_refuses_an_unknown_status(session, owner):
    with pytest.raises(InvalidInput) as refused:
        automations.save_rule(session, owner, status="lost", enabled=True, subject="S", body="B")
    assert refused.value.field == "status"


def test_preview_fills_sample_values(session, owner):
    rule = next(r for r in automations.list_rules(session) if r.status == "shipped")
    subject, body = automations.preview(session, status="shipped", subject=rule.subject, body=rule.body)
    assert subject == "Spring League T-Shirts has shipped"
    assert "Hi Sarah," in body
    assert tracking_url("ups", TRACKING) in body
    assert "/public/portal/" in body
    assert body.rstrip().endswith("— Test Print Co.")
    assert "{" not in subject + body
    subject, body = automations.preview(session, status="ready", subject="Now {status}", body="{customer_name}: {job_title}")
    assert (subject, body) == ("Now Ready", "Smith Embroidery: Spring League T-Shirts")


def test_the_previews_portal_link_is_on_the_shops_own_address(session, monkeypatch):
    from kontrol_app.settings import get_settings

    monkeypatch.setenv("KONTROL_PUBLIC_URL", "https://portal.inkthread.example/")
    get_settings.cache_clear()
    try:
        _, body = automations.preview(session, status="ready", subject="S", body="Track it: {portal_link}")
    finally:
        get_settings.cache_clear()
    assert body.startswith("Track it: https://portal.inkthread.example/public/portal/smith-embroidery-"), body


# --- the emails ------------------------------------------------------------------------------


@pytest.fixture
def shop_with_customers(session, owner):
    """Customer A (two contacts with email), customer B (one), and a job of A's with UPS tracking."""
    a = make_customer(
        session, owner, "Smith Embroidery", "sarah@smith.example", [("Tom Reyes", "tom@smith.example")], contact_name="Sarah Smith"
    )
    b = make_customer(session, owner, "Pixel Labs", "jordan@pixel.example", contact_name="Jordan Kim")
    job_id = make_job(session, owner, a)
    approve_offline(session, owner, job_id)  # the approval gate: it may go on to Ready and Shipped
    jobs.set_tracking(session, owner, job_id, carrier=Carrier.UPS, number=TRACKING)
    session.commit()
    return a, b, job_id


def test_shipped_rule_on_emails_each_contact_of_that_customer_once(session, owner, shop_with_customers):
    a, b, job_id = shop_with_customers
    _turn_on(session, owner, "shipped")
    assert _outbox(session) == []

    assert jobs.change_status(session, owner, job_id, "ready")  # its rule is off
    session.commit()
    assert _outbox(session) == []

    assert jobs.change_status(session, owner, job_id, "shipped")
    session.commit()
    emails = _outbox(session)
    assert sorted(e.to_email for e in emails) == ["sarah@smith.example", "tom@smith.example"]
    assert all(e.kind == EmailKind.JOB_STATUS for e in emails)
    portal = portal_links.portal_url(session.get(Customer, a))
    track = tracking_url("ups", TRACKING)
    for email in emails:
        assert email.subject == "Spring League T-Shirts has shipped"
        assert track in email.text_body and portal in email.text_body
        assert portal in email.html_body and track.replace("&", "&amp;") in email.html_body
        assert f"?job={job_id}" in email.text_body
        assert "jordan@pixel.example" != email.to_email
    by_address = {e.to_email: e for e in emails}
    assert "Hi Sarah," in by_address["sarah@smith.example"].text_body
    assert "Hi Tom," in by_address["tom@smith.example"].text_body

    # The same change again (a retry, a second worker): nothing more.
    job = session.get(Job, job_id)
    change = session.exec(
        select(JobStatusChange).where(JobStatusChange.job_id == job_id).order_by(JobStatusChange.id.desc())
    ).first()
    assert change.to_status == "shipped"
    assert automations.queue_status_emails(session, job, change) == 0
    session.commit()
    assert len(_outbox(session)) == 2
    # A second click on Shipped changes nothing and sends nothing.
    assert jobs.change_status(session, owner, job_id, "shipped") is False
    session.commit()
    assert len(_outbox(session)) == 2


def test_the_database_refuses_a_second_email_for_the_same_change(session, owner, shop_with_customers):
    _, _, job_id = shop_with_customers
    _turn_on(session, owner, "shipped")
    jobs.change_status(session, owner, job_id, "shipped")
    session.commit()
    first = _outbox(session)[0]
    assert first.dedupe_key
    session.add(
        OutboxEmail(
            kind=first.kind,
            to_email=first.to_email,
            subject=first.subject,
            html_body="x",
            text_body="x",
            idempotency_key="another-key",
            dedupe_key=first.dedupe_key,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert len(_outbox(session)) == 2


def test_rule_off_queues_nothing(session, owner, shop_with_customers):
    _, _, job_id = shop_with_customers
    rule = next(r for r in automations.list_rules(session) if r.status == "shipped")
    automations.save_rule(session, owner, status="shipped", enabled=False, subject=rule.subject, body=rule.body)
    session.commit()
    for status in ("artwork", "in_production", "shipped", "completed"):  # approved offline (the fixture)
        assert jobs.change_status(session, owner, job_id, status)
    session.commit()
    assert _outbox(session) == []


def test_every_status_can_email_and_contacts_without_email_are_skipped(session, owner):
    walk_in = make_customer(session, owner, "Walk-in: Maria Gonzalez", contact_name="Maria Gonzalez")
    a = make_customer(session, owner, "Smith Embroidery", "sarah@smith.example")
    _turn_on(session, owner, "in_production")
    walk_in_job = make_job(session, owner, walk_in, "Walk-in job")
    approve_offline(session, owner, walk_in_job)  # the production gate; the job is still a quote
    jobs.change_status(session, owner, walk_in_job, "in_production")
    session.commit()
    assert _outbox(session) == []

    job_id = make_job(session, owner, a, "Staff Polos")
    approve_offline(session, owner, job_id)
    jobs.change_status(session, owner, job_id, "in_production")
    session.commit()
    [email] = _outbox(session)
    assert email.to_email == "sarah@smith.example"
    assert email.subject == "Staff Polos is now In Production"
    # No contact name: greeted by the customer's name; no tracking yet.
    assert "Hi Smith," in email.text_body


def test_other_customers_contacts_get_nothing(session, owner, shop_with_customers):
    a, b, job_id = shop_with_customers
    _turn_on(session, owner, "shipped")
    b_job = make_job(session, owner, b, "Pixel Hoodies")
    approve_offline(session, owner, b_job)
    jobs.change_status(session, owner, job_id, "shipped")
    session.commit()
    assert "jordan@pixel.example" not in {e.to_email for e in _outbox(session)}
    jobs.change_status(session, owner, b_job, "shipped")
    session.commit()
    b_emails = [e for e in _outbox(session) if "Pixel Hoodies" in e.subject]
    assert [e.to_email for e in b_emails] == ["jordan@pixel.example"]
    assert "(no tracking number yet)" in b_emails[0].text_body


def test_a_subject_longer_than_its_column_is_clipped_and_the_status_change_succeeds(session, owner):
    """Long names fill a subject past the 300-character column (PostgreSQL refuses it): the
    subject is clipped with an ellipsis and the status change still commits."""
    name = "Ünïcödé Sports & Leisure Wear " * 5  # 150 characters
    customer_id = make_customer(session, owner, name.strip(), "ann@acme.test", contact_name="Ann Lee")
    title = "Spring League Championship Tournament Shirts, Hoodies and Caps — " * 3  # 195 characters
    job_id = make_job(session, owner, customer_id, title.strip()[:200])
    automations.save_rule(
        session, owner, status="artwork", enabled=True,
        subject="{customer_name}: {job_title} is now {status} at {shop_name}", body="Hi {contact_name}",
    )
    session.commit()

    assert jobs.change_status(session, owner, job_id, "artwork")
    session.commit()

    assert session.get(Job, job_id).status == "artwork"
    [email] = _outbox(session)
    assert len(email.subject) == 300
    assert email.subject.endswith("…")
    assert email.subject.startswith(name.strip()[:40])


def test_names_with_line_breaks_in_old_rows_still_make_a_one_line_subject(session, owner):
    customer_id = make_customer(session, owner, "Acme", "ann@acme.test")
    job_id = make_job(session, owner, customer_id, "Tees")
    # A title saved before titles were kept to one line.
    job = session.get(Job, job_id)
    job.title = "Tees\r\nBcc: everyone@example.com"
    session.add(job)
    automations.save_rule(session, owner, status="artwork", enabled=True, subject="{job_title} is now {status}", body="Hi")
    session.commit()

    assert jobs.change_status(session, owner, job_id, "artwork")
    session.commit()
    [email] = _outbox(session)
    assert email.subject == "Tees Bcc: everyone@example.com is now Artwork"


def test_a_subject_template_must_be_one_line(session, owner):
    with pytest.raises(InvalidInput) as refused:
        automations.save_rule(session, owner, status="ready", enabled=True, subject="{job_title}\r\nis ready", body="Hi")
    assert refused.value.field == "subject" and "one line" in refused.value.message
