"""The job page's Mockups tab, driven as the browser drives it (signed in, real database):
an upload becomes a version, a refused file says why next to the field and keeps the
note, Send for Approval moves the page's status, and the gate shows on the page."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from sqlmodel import Session

import kontrol_app.kontrol_app  # noqa: F401  (registers every page, state and route var)
from kontrol_app.services import jobs
from kontrol_app.ui.staff.jobs.job_page import JobPageState
from kontrol_app.ui.staff.jobs.mockups import MockupsState
from tests.factories import make_customer, make_job, make_owner
from tests.helpers.states import browser_tab, database_rows, run_handler, screen, staff_cookie


class Upload:
    """What Reflex hands an upload handler: a name and an async read."""

    def __init__(self, data: bytes, filename: str) -> None:
        self.filename = filename
        self._data = io.BytesIO(data)

    async def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


def _png(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def tab(session: Session) -> dict[str, Any]:
    owner = make_owner(session)
    customer_id = make_customer(session, owner, "Riverside Runners", email="sam@riverside.example")
    job_id = make_job(session, owner, customer_id, path=["artwork"])
    root = browser_tab(cookie=staff_cookie(session), query={"job_id": str(job_id)}, path=f"/jobs/{job_id}")
    page, mockups = screen(root, JobPageState), screen(root, MockupsState)
    run_handler(page, "load")
    run_handler(mockups, "load")
    return {"page": page, "mockups": mockups, "job_id": job_id, "owner": owner}


def test_an_upload_becomes_v1_and_a_fake_png_is_refused_keeping_the_note(tab):
    state = tab["mockups"]
    assert state.versions == [] and state.approval_text
    run_handler(state, "set_note", "First proof")
    result = run_handler(state, "upload", [Upload(_png(), "front.png")])
    assert "v1 uploaded." in repr(result)
    [v1] = state.versions
    assert (v1["label"], v1["file_name"], v1["note"], v1["can_send"]) == ("v1", "front.png", "First proof", "yes")
    assert v1["preview_url"].startswith("/api/files/") and v1["file_url"].startswith("/api/files/")
    assert state.note == ""

    run_handler(state, "set_note", "Bigger logo")
    before = database_rows()
    run_handler(state, "upload", [Upload(b"<html><script>alert(1)</script></html>\n", "sneaky.png")])
    assert state.errors.get("mockup")
    assert state.note == "Bigger logo"
    assert len(state.versions) == 1
    assert database_rows() == before


def test_send_for_approval_moves_the_page_and_the_gate_shows_next_to_status(tab):
    state, page = tab["mockups"], tab["page"]
    run_handler(state, "upload", [Upload(_png(), "front.png")])
    run_handler(state, "set_checklist_text", "Spelling of names checked\n\n  \nInk: PMS 286 C")
    run_handler(state, "save_checklist")
    assert state.checklist_text == "Spelling of names checked\nInk: PMS 286 C"

    run_handler(state, "open_send", int(state.versions[0]["id"]), "v1")
    assert state.send_open and state.send_label == "v1"
    run_handler(state, "set_send_message", "Here is v1.")
    result = run_handler(state, "send")
    assert "Sent to 1 contact." in repr(result)
    assert not state.send_open
    assert page.job["status"] == "Awaiting Approval"  # the page above the tab, refreshed
    assert state.versions[0]["can_send"] == ""

    for target in ("art_approved", "in_production"):  # the status select
        run_handler(page, "move_to", target)
        assert page.errors.get("status", "") == jobs.APPROVAL_GATE
        assert page.job["status"] == "Awaiting Approval"

    run_handler(state, "set_offline_open", True)
    for name, value in (("approved_by", "Sam Rivers"), ("method", "phone"), ("note", "On the phone")):
        run_handler(state, "set_offline_field", name, value)
    result = run_handler(state, "save_offline")
    assert "Offline approval recorded." in repr(result), state.errors
    assert state.approved and len(state.records) == 1 and "Sam Rivers" in state.records[0]["summary"]
    run_handler(page, "move_to", "in_production")
    assert page.job["status"] == "In Production"


def test_withdraw_hides_nothing_from_staff_and_stops_sending(tab):
    state = tab["mockups"]
    run_handler(state, "upload", [Upload(_png(), "front.png")])
    version_id = int(state.versions[0]["id"])
    run_handler(state, "withdraw", version_id)
    [v1] = state.versions
    assert v1["state"] == "withdrawn" and v1["can_send"] == "" and v1["can_withdraw"] == ""


def test_compare_shows_the_two_newest_side_by_side_and_keeps_a_choice(tab):
    state = tab["mockups"]
    run_handler(state, "set_note", "First proof")
    run_handler(state, "upload", [Upload(_png(), "front.png")])
    assert state.compare_pair == []  # one version: nothing to compare
    run_handler(state, "set_note", "Bigger logo")
    run_handler(state, "upload", [Upload(_png((30, 30, 200)), "front-v2.png")])
    v2, v1 = state.versions
    assert (state.compare_left, state.compare_right) == (v1["id"], v2["id"])
    left, right = state.compare_pair
    assert (left["label"], left["note"], right["label"], right["note"]) == ("v1", "First proof", "v2", "Bigger logo")
    assert left["preview_url"].startswith("/api/files/") and right["uploaded"].startswith("Uploaded by ")

    run_handler(state, "set_compare_left", v2["id"])
    run_handler(state, "set_compare_right", v1["id"])
    assert [row["label"] for row in state.compare_pair] == ["v2", "v1"]
    run_handler(state, "set_compare_right", "999999")  # not a version of this job: back to the default
    assert [row["label"] for row in state.compare_pair] == ["v2", "v2"]

    # A new upload compares the two newest again.
    run_handler(state, "upload", [Upload(_png((30, 200, 30)), "front-v3.png")])
    assert [row["label"] for row in state.compare_pair] == ["v2", "v3"]


def test_a_move_from_a_page_someone_else_moved_first_says_so_and_keeps_the_note(tab, session):
    page = tab["page"]
    assert jobs.change_status(session, tab["owner"], tab["job_id"], "on_hold")  # another tab, first
    session.commit()
    run_handler(page, "set_status_note", "Waiting for blanks")
    result = run_handler(page, "move_to", "on_hold")  # this page still shows Artwork
    assert "Nothing changed: the job is at On Hold now." in repr(result)
    assert page.job["status"] == "On Hold" and page.status_note == "Waiting for blanks"


def test_a_drop_the_browser_refused_whole_says_why_next_to_the_field(tab):
    state = tab["mockups"]
    run_handler(state, "set_note", "Bigger logo")
    run_handler(state, "upload", [])  # what arrives after the browser refused every file dropped
    assert state.errors == {"mockup": "The file must be a PNG, JPEG, WebP or PDF up to 25 MB."}
    assert state.note == "Bigger logo" and state.versions == []
