"""The staff guard layer: every event handler of every staff screen, called by a browser
with no session, changes nothing and reveals nothing; a handler cannot skip the guard."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
import reflex as rx
from sqlmodel import Session

import kontrol_app.kontrol_app  # noqa: F401  (registers every page, state and route var)
from kontrol_app.services import jobs, staff
from kontrol_app.ui.guard import SESSION_ENDED, StaffState, staff_event
from kontrol_app.ui.marks import handler_kind
from kontrol_app.services.errors import ServiceError
from kontrol_app.ui.staff.customers.customer_form import CustomerFormState
from kontrol_app.ui.staff.customers.customer_page import CustomerPageState
from kontrol_app.ui.staff.jobs.job_form import JobFormState
from kontrol_app.ui.staff.jobs.job_page import JobPageState
from kontrol_app.ui.staff.settings_team import TeamState
from kontrol_app.ui.staff.shell import StaffShellState
from tests.factories import make_customer, make_job, make_owner, make_staff
from tests.helpers.states import browser_tab, database_rows, run_handler, screen, staff_cookie

SECRET = "Zebra Secret Printing"  # only the database knows it
SECRET_EMAIL = "zebra.secret@example.com"


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    owner = make_owner(session, shop_name="Guarded Print Co")
    customer_id = make_customer(session, owner, SECRET, email=SECRET_EMAIL)
    job_id = make_job(session, owner, customer_id, "Zebra Secret Jersey")
    return {"owner": owner, "customer_id": customer_id, "job_id": job_id}


def _sample_args(fn: Any, world: dict[str, Any]) -> list[Any]:
    """Plausible arguments, as a browser (or an attacker) would send them."""
    by_name = {
        "status": "shipped",
        "from_status": "quote",
        "job_id": world["job_id"],
        "customer_id": world["customer_id"],
        "member_id": world["owner"].id,
        "email_id": 1,
        "page": 1,
        "index": 0,
        "key": "name",
        "name": "name",
        "value": "typed",
        "text": "Zebra",
        "enabled": True,
        "open_": False,
        "_tick": "2026-01-01T00:00:00",
        "files": [],
        "version_id": 1,
        "invoice_id": 1,
        "thread_id": 1,
        "attachment_id": 1,
        "job_file_id": 1,
        "label": "v1",
        "rejected": [],
        "form": {"email": "", "password": "", "name": "", "shop_name": ""},
    }
    params = list(inspect.signature(fn).parameters)[1:]
    missing = [p for p in params if p not in by_name]
    assert not missing, f"{fn.__qualname__}: add a sample for {missing}"
    return [by_name[p] for p in params]


def _handlers() -> list[tuple[type[rx.State], str]]:
    return [
        (cls, name)
        for cls in StaffState.screens
        for name in cls.event_handlers
        if name != "setvar"  # it only calls the state's own set_* handlers, walked here too
    ]


def test_every_staff_screen_is_guarded():
    names = {cls.__name__ for cls in StaffState.screens}
    assert {"StaffShellState", "CustomerPageState", "JobPageState", "AutomationsState", "TeamState"} <= names
    for cls, name in _handlers():
        assert handler_kind(cls.event_handlers[name].fn) in {"staff", "owner", "form", "open"}, (cls, name)


def test_every_staff_handler_without_a_session_changes_and_reveals_nothing(world):
    before = database_rows()
    query = {"customer_id": str(world["customer_id"]), "job_id": str(world["job_id"])}
    called = 0
    for cls, name in _handlers():
        root = browser_tab(query=query, path=f"/jobs/{world['job_id']}")
        state = screen(root, cls)
        fn = cls.event_handlers[name].fn
        result = run_handler(state, name, *_sample_args(fn, world))
        called += 1
        shown = json.dumps(root.dict(), default=str)
        assert SECRET not in shown and SECRET_EMAIL not in shown, f"{cls.__name__}.{name} revealed data"
        if handler_kind(fn) in {"staff", "owner"} and name != "load":
            # Told why, and sent to sign in (as a list of events: toast + redirect).
            assert SESSION_ENDED in repr(result), f"{cls.__name__}.{name} did not say the session ended"
    assert called > 40
    assert database_rows() == before


def test_a_signed_in_load_reads_the_record_from_the_route_var(world, session):
    """The control for the test above: with a session, the same calls do reveal the data."""
    root = browser_tab(cookie=staff_cookie(session), query={"customer_id": str(world["customer_id"])})
    page = screen(root, CustomerPageState)
    run_handler(page, "load")
    assert page.found and page.name == SECRET and page.portal_url


def test_a_session_that_ends_mid_page_clears_thescreen(world, session):
    cookie = staff_cookie(session)
    root = browser_tab(cookie=cookie, query={"job_id": str(world["job_id"])})
    page = screen(root, JobPageState)
    run_handler(page, "load")
    assert page.job["title"] == "Zebra Secret Jersey"
    staff.sign_out(session, cookie.split("=", 1)[1])
    session.commit()
    result = run_handler(page, "move_to", "shipped")
    assert SESSION_ENDED in repr(result)
    assert page.job == {} and page.history == []


def test_sign_out_clears_every_staffscreen(world, session):
    root = browser_tab(cookie=staff_cookie(session), query={"customer_id": str(world["customer_id"])})
    customer_page, team = screen(root, CustomerPageState), screen(root, TeamState)
    run_handler(customer_page, "load")
    run_handler(team, "load")
    assert customer_page.portal_url and team.members
    run_handler(screen(root, StaffShellState), "sign_out")
    assert customer_page.portal_url == "" and customer_page.name == "" and team.members == []


def test_a_service_refusal_shows_next_to_its_field(world, session):
    root = browser_tab(cookie=staff_cookie(session), query={"job_id": str(world["job_id"])})
    page = screen(root, JobPageState)
    run_handler(page, "load")
    page.tracking_number = "x" * 61  # the service owns the limit; the screen does not clip it
    run_handler(page, "save_tracking")
    assert "tracking" in page.errors.get("tracking_number", "").lower()


def test_owner_only_handlers_refuse_staff(world, session):
    make_staff(session, world["owner"])
    root = browser_tab(cookie=staff_cookie(session, "sam@example.com", "battery staple"))
    team = screen(root, TeamState)
    before = database_rows()
    result = run_handler(team, "add_staff", {"name": "Eve", "email": "eve@example.com", "password": "long enough pw"})
    assert "Only the shop owner" in repr(result)
    assert database_rows() == before


def test_a_handler_without_a_guard_cannot_be_defined():
    with pytest.raises(TypeError, match="forgot"):

        class ForgetfulState(StaffState, rx.State):
            @rx.event
            async def forgot(self):
                pass

    class CarefulState(StaffState, rx.State):
        @staff_event
        async def remembered(self, principal):
            pass

    assert CarefulState in StaffState.screens
    StaffState.screens.remove(CarefulState)


def _a_form_someone_else_saved_first(session, query: dict[str, str]) -> CustomerFormState:
    """The customer's form, opened in two tabs: the first saved a phone, this one's name is typed."""
    first, second = (screen(browser_tab(cookie=staff_cookie(session), query=query), CustomerFormState) for _ in range(2))
    run_handler(first, "load")
    run_handler(second, "load")
    run_handler(first, "set_field", "phone", "555 0101")
    run_handler(first, "save")
    run_handler(second, "set_field", "name", "Overwritten Co")
    return second


def test_a_stale_customer_form_is_refused_and_changes_nothing(world, session):
    query = {"customer_id": str(world["customer_id"])}
    second = _a_form_someone_else_saved_first(session, query)
    result = run_handler(second, "save")
    assert second.errors["form"] == "Someone else changed this customer — reload to see their changes"
    assert "Someone else changed this customer" in repr(result)
    detail = screen(browser_tab(cookie=staff_cookie(session), query=query), CustomerPageState)
    run_handler(detail, "load")
    assert (detail.name, detail.phone) == (SECRET, "555 0101")


def test_a_stale_job_form_is_refused(world, session):
    query = {"job_id": str(world["job_id"])}
    first, second = (screen(browser_tab(cookie=staff_cookie(session), query=query), JobFormState) for _ in range(2))
    run_handler(first, "load")
    run_handler(second, "load")
    run_handler(first, "set_field", "title", "First edit")
    run_handler(first, "save")
    run_handler(second, "set_field", "title", "Second edit")
    run_handler(second, "save")
    assert second.errors["form"] == "Someone else changed this job — reload to see their changes"


def test_the_owner_deactivates_resets_and_reactivates_a_member(world, session):
    member = make_staff(session, world["owner"])
    member_cookie = staff_cookie(session, "sam@example.com", "battery staple")
    team = screen(browser_tab(cookie=staff_cookie(session)), TeamState)
    run_handler(team, "load")
    row = next(m for m in team.members if m["email"] == "sam@example.com")
    assert row["managed"] == "yes" and row["active"] == "yes"
    assert next(m for m in team.members if m["role"] == "Owner")["managed"] == "no"

    run_handler(team, "deactivate", member.id)
    assert next(m for m in team.members if m["id"] == str(member.id))["active"] == "no"
    # Their open tab is signed out, and signing in answers as for a wrong password.
    their_tab = screen(browser_tab(cookie=member_cookie), TeamState)
    assert SESSION_ENDED in repr(run_handler(their_tab, "change_password", {}))
    with pytest.raises(ServiceError, match=staff.WRONG_CREDENTIALS):
        staff.sign_in(session, email="sam@example.com", password="battery staple")
    session.rollback()

    run_handler(team, "reactivate", member.id)
    run_handler(team, "open_reset", str(member.id), "Sam Staff")
    run_handler(team, "reset_password", {"new_password": "short"})
    assert "8 characters" in team.errors.get("password", "")
    run_handler(team, "reset_password", {"new_password": "a brand new secret"})
    assert team.resetting == {}
    assert staff.sign_in(session, email="sam@example.com", password="a brand new secret")


def test_anyone_changes_their_own_password_and_stays_signed_in(world, session):
    cookie, other_device = staff_cookie(session), staff_cookie(session)
    team = screen(browser_tab(cookie=cookie), TeamState)
    run_handler(team, "change_password", {"current_password": "wrong", "new_password": "a brand new secret"})
    assert team.errors == {"current_password": "Your current password is not right."}
    result = run_handler(team, "change_password", {"current_password": "correct horse", "new_password": "a brand new secret"})
    assert "Signed out of 1 other session" in repr(result)
    assert run_handler(team, "load") is None and team.members  # this tab is still signed in
    assert SESSION_ENDED in repr(run_handler(screen(browser_tab(cookie=other_device), TeamState), "deactivate", 1))


def test_one_refusal_toast_at_a_time_and_the_next_answer_takes_it_away(world, session):
    query = {"customer_id": str(world["customer_id"])}
    second = _a_form_someone_else_saved_first(session, query)
    refused = repr(run_handler(second, "save"))
    assert "Someone else changed this customer" in refused and '["id"] : "refusal"' in refused  # one id: replaced, not stacked
    assert "dismiss('refusal')" not in repr(run_handler(second, "load"))  # answers nothing: the refusal keeps its time
    run_handler(second, "set_field", "name", "Renamed Co")
    saved = run_handler(second, "save")
    assert "dismiss('refusal')" in repr(saved[0]) and "/customers/" in repr(saved[1])
    run_handler(second, "load")
    run_handler(second, "set_field", "name", "Renamed again Co")
    assert "dismiss('refusal')" not in repr(run_handler(second, "save"))  # once only


def test_a_poll_leaves_the_pages_messages_until_they_no_longer_apply(world, session):
    root = browser_tab(cookie=staff_cookie(session), query={"job_id": str(world["job_id"])})
    page = screen(root, JobPageState)
    run_handler(page, "load")
    run_handler(page, "set_tracking_number", "x" * 61)
    run_handler(page, "save_tracking")
    assert set(page.errors) == {"tracking_number"}
    run_handler(page, "poll", "tick")  # every 3 s: nothing changed, the message stays
    assert set(page.errors) == {"tracking_number"}
    run_handler(page, "move_to", "in_production")  # a click clears the last one's; the approval gate says no
    assert set(page.errors) == {"status"}
    page.errors = {**page.errors, "tracking_number": "Keep the tracking number under 60 characters."}
    jobs.change_status(session, world["owner"], world["job_id"], "artwork")  # a colleague moves it
    session.commit()
    run_handler(page, "poll", "tick")
    assert page.job["status"] == "Artwork" and set(page.errors) == {"tracking_number"}  # said of a status it left


def test_save_tracking_says_what_it_did(world, session):
    page = screen(browser_tab(cookie=staff_cookie(session), query={"job_id": str(world["job_id"])}), JobPageState)
    run_handler(page, "load")
    assert "There is no tracking number to save." in repr(run_handler(page, "save_tracking"))
    run_handler(page, "set_tracking_number", "1Z999AA10123456784")
    assert "Tracking saved." in repr(run_handler(page, "save_tracking"))
    run_handler(page, "set_tracking_number", "  ")
    assert "Tracking removed." in repr(run_handler(page, "save_tracking"))
    assert page.job["tracking"] == "" and page.tracking_number == ""
