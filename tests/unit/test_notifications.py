"""Staff notifications: a client's decision tells the staff (the bell) and the shop (an email)
in the decision's own transaction; read state per staff member; the cheap stamp for polling.
On SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import Session, func, select

from kontrol_app.models import CustomerContact, EmailKind, Notification, NotificationRead, OutboxEmail, Shop
from kontrol_app.services import automations, mockups, notifications
from kontrol_app.services.errors import InvalidInput, NotAllowed
from kontrol_app.settings import get_settings
from tests.factories import make_customer, make_job, make_staff
from tests.helpers.sql import statements

SHOP_EMAIL = "owner@example.com"  # the shop's address: make_owner's email, as Create your shop sets it


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def world(session: Session, owner):
    customer_id = make_customer(session, owner, "Smith Embroidery", "sarah@smith.example", contact_name="Sarah Smith")
    job_id = make_job(session, owner, customer_id, "Spring League T-Shirts", path=["artwork"])
    sarah = session.exec(select(CustomerContact).where(CustomerContact.email == "sarah@smith.example")).one()
    return {"customer": customer_id, "job": job_id, "sarah": sarah.id}


def send_version(session: Session, owner, job_id: int) -> int:
    version = mockups.upload_version(session, owner, job_id, png(), name="front.png")
    mockups.send_for_approval(session, owner, version.id, message="Here it is.")
    session.commit()
    return version.id


def decide(session: Session, world, version_id: int, decision: str, **kwargs) -> str:
    defaults = {"approved": {"typed_name": "Sarah Smith", "agreed": True}}.get(decision, {"notes": "Make the logo bigger"})
    return mockups.decide(
        session, world["customer"], world["sarah"], version_id, decision=decision, **(defaults | kwargs)
    )


def shop_emails(session: Session) -> list[OutboxEmail]:
    session.expire_all()
    return list(session.exec(select(OutboxEmail).where(OutboxEmail.kind == EmailKind.APPROVAL_DECISION)).all())


def count(session: Session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def add(session: Session, title: str = "Sarah Smith approved v1 of Tees", **kwargs) -> Notification:
    row = notifications.notify(session, kind=kwargs.pop("kind", "approved"), title=title, link="/jobs/1", **kwargs)
    session.commit()
    return row


# --- a decision notifies, in its own transaction ----------------------------------------------


@pytest.mark.parametrize(
    ("decision", "title", "subject"),
    [
        ("approved", "Sarah Smith approved v1 of Spring League T-Shirts", "Sarah Smith approved v1 — Spring League T-Shirts"),
        ("revisions", "Sarah Smith requested revisions on v1 of Spring League T-Shirts",
         "Sarah Smith requested revisions on v1 — Spring League T-Shirts"),
        ("declined", "Sarah Smith declined v1 of Spring League T-Shirts", "Sarah Smith declined v1 — Spring League T-Shirts"),
    ],
)
def test_a_client_decision_makes_one_notification_and_one_shop_email(session, owner, world, decision, title, subject):
    version_id = send_version(session, owner, world["job"])
    decide(session, world, version_id, decision)
    session.commit()

    [row] = session.exec(select(Notification)).all()
    assert (row.kind, row.title, row.job_id, row.link) == (decision, title, world["job"], f"/jobs/{world['job']}")
    assert row.body == ("" if decision == "approved" else "Make the logo bigger")
    [email] = shop_emails(session)
    assert email.to_email == SHOP_EMAIL and email.subject == subject
    job_url = f"{get_settings().base_url}/jobs/{world['job']}"
    assert f"Open the job: {job_url}" in email.text_body and f'href="{job_url}"' in email.html_body
    if decision != "approved":
        assert "Make the logo bigger" in email.text_body and "Make the logo bigger" in email.html_body


def test_the_notification_and_email_belong_to_the_decisions_transaction(session, owner, world):
    version_id = send_version(session, owner, world["job"])
    decide(session, world, version_id, "revisions")
    session.rollback()  # the decision did not happen: neither did its notification nor its email
    assert count(session, Notification) == 0 and shop_emails(session) == []
    decide(session, world, version_id, "revisions")
    session.commit()
    assert count(session, Notification) == 1 and len(shop_emails(session)) == 1


def test_a_refused_decision_notifies_nobody(session, owner, world):
    version_id = send_version(session, owner, world["job"])
    with pytest.raises(InvalidInput):
        decide(session, world, version_id, "approved", typed_name="")
    session.rollback()
    with pytest.raises(InvalidInput):
        decide(session, world, version_id, "revisions", notes="  ")
    session.rollback()
    assert count(session, Notification) == 0 and shop_emails(session) == []

    decide(session, world, version_id, "approved")
    session.commit()
    with pytest.raises(NotAllowed):  # deciding twice: refused, and still one of each
        decide(session, world, version_id, "declined", notes="Changed my mind")
    session.rollback()
    assert count(session, Notification) == 1 and len(shop_emails(session)) == 1


def test_the_automation_email_to_the_client_still_goes_once(session, owner, world):
    rule = next(r for r in automations.list_rules(session) if r.status == "art_approved")
    automations.save_rule(session, owner, status="art_approved", enabled=True, subject=rule.subject, body=rule.body)
    session.commit()
    version_id = send_version(session, owner, world["job"])
    decide(session, world, version_id, "approved")
    session.commit()
    session.expire_all()
    to_client = session.exec(
        select(OutboxEmail).where(OutboxEmail.kind == EmailKind.JOB_STATUS, OutboxEmail.to_email == "sarah@smith.example")
    ).all()
    assert len(to_client) == 1
    assert [e.to_email for e in shop_emails(session)] == [SHOP_EMAIL]


def test_without_a_shop_address_the_bell_still_rings(session, owner, world):
    session.get(Shop, 1).email = ""
    session.commit()
    version_id = send_version(session, owner, world["job"])
    decide(session, world, version_id, "declined", notes="Too expensive")
    session.commit()
    assert count(session, Notification) == 1 and shop_emails(session) == []


def test_long_notes_are_clipped_on_the_bell_and_whole_in_the_email(session, owner, world):
    version_id = send_version(session, owner, world["job"])
    notes = "Make it bigger. " * 100
    decide(session, world, version_id, "revisions", notes=notes)
    session.commit()
    [row] = notifications.latest(session, owner)
    assert len(row.body) <= notifications.BODY_MAX and row.body.endswith("…")
    [email] = shop_emails(session)
    assert notes.strip() in email.text_body


# --- read state, latest, stamp ----------------------------------------------------------------


def test_unread_counts_are_per_staff_member(session, owner):
    member = make_staff(session, owner)
    assert notifications.unread_count(session, owner) == notifications.unread_count(session, member) == 0
    add(session)
    add(session, "Pat declined v1 of Hoodies", kind="declined")
    assert notifications.unread_count(session, owner) == notifications.unread_count(session, member) == 2

    notifications.mark_read(session, owner)
    session.commit()
    assert notifications.unread_count(session, owner) == 0
    assert notifications.unread_count(session, member) == 2  # shared events, own read state

    add(session, "Sarah Smith requested revisions on v2 of Tees", kind="revisions")
    assert notifications.unread_count(session, owner) == 1
    assert notifications.unread_count(session, member) == 3


def test_mark_read_up_to_what_was_shown_and_never_backwards(session, owner):
    first, second = add(session, "first"), add(session, "second")
    assert notifications.mark_read(session, owner, up_to=first.id) == first.id
    session.commit()
    assert notifications.unread_count(session, owner) == 1  # the one that came after the bell opened
    assert notifications.mark_read(session, owner, up_to=second.id + 99) == second.id  # not past the newest
    session.commit()
    assert notifications.mark_read(session, owner, up_to=first.id) == second.id  # an older tab cannot undo it
    session.commit()
    assert notifications.unread_count(session, owner) == 0
    assert count(session, NotificationRead) == 1  # one row per person, however often


def test_latest_is_newest_first_with_unread_flags_and_a_limit(session, owner):
    rows = [add(session, f"event {n}") for n in range(10)]
    notifications.mark_read(session, owner, up_to=rows[7].id)
    session.commit()
    shown = notifications.latest(session, owner)
    assert [v.title for v in shown] == [f"event {n}" for n in range(9, 1, -1)]  # 8, newest first
    assert [v.unread for v in shown[:3]] == [True, True, False]
    assert shown[0].link == "/jobs/1" and shown[0].when
    assert len(notifications.latest(session, owner, limit=3)) == 3


def test_the_stamp_is_the_newest_id_and_changes_only_with_a_new_event(session, owner):
    assert notifications.stamp(session) == 0
    first = add(session)
    assert notifications.stamp(session) == first.id
    notifications.mark_read(session, owner)
    session.commit()
    assert notifications.stamp(session) == first.id  # reading changes nothing for the others
    second = add(session)
    assert notifications.stamp(session) == second.id > first.id


# --- the bell's state: polls cheaply, opening marks read ----------------------------------------


def test_the_bell_polls_with_one_query_and_reloads_only_when_something_is_new(session, owner, world):
    import kontrol_app.kontrol_app  # noqa: F401  (registers every state)
    from kontrol_app.ui.staff.notifications import NotificationsState
    from tests.helpers.states import browser_tab, run_handler, screen, staff_cookie

    member = make_staff(session, owner)
    bell = screen(browser_tab(cookie=staff_cookie(session)), NotificationsState)
    run_handler(bell, "load", "")
    assert (bell.unread, bell.items) == (0, [])

    def asked(sent: list[str]) -> list[str]:
        return [s for s in sent if "staff_notification" in s]

    with statements() as sent:
        run_handler(bell, "load", "2026-01-01T00:00:03")
    assert asked(sent) == []  # nothing written anywhere since the last tick: the session check alone
    make_customer(session, owner, "Walk-in Customer")  # a write, but nothing for the bell
    session.commit()
    with statements() as sent:
        run_handler(bell, "load", "2026-01-01T00:00:04")
    assert len(asked(sent)) == 1 and "max" in asked(sent)[0].lower()  # nothing new: the stamp only

    version_id = send_version(session, owner, world["job"])
    decide(session, world, version_id, "revisions")
    session.commit()
    with statements() as sent:
        run_handler(bell, "load", "2026-01-01T00:00:06")
    assert len(asked(sent)) > 1
    assert bell.unread == 1 and bell.unread_text == "1" and bell.bell_label == "Notifications, 1 unread"
    [item] = bell.items
    assert item.title == "Sarah Smith requested revisions on v1 of Spring League T-Shirts"
    assert item.link == f"/jobs/{world['job']}" and item.unread

    run_handler(bell, "toggle", True)  # opening marks it read, for this staff member only
    assert bell.unread == 0 and bell.items[0].unread  # still bold while open
    run_handler(bell, "toggle", False)
    assert not bell.items[0].unread
    assert notifications.unread_count(session, owner) == 0
    assert notifications.unread_count(session, member) == 1


def test_an_unknown_kind_is_a_bug_not_a_notification(session, owner):
    with pytest.raises(ValueError, match="unknown notification kind"):
        notifications.notify(session, kind="bogus", title="x")
    session.rollback()
    assert count(session, Notification) == 0
