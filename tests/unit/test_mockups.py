"""Artwork approval: versions and previews, refused uploads, Send for Approval, the client's
decision, the immutable approval record, and the production gate; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from kontrol_app.models import (
    ApprovalRecord,
    EmailKind,
    Job,
    JobStatusChange,
    MockupVersion,
    OutboxEmail,
    StoredFile,
)
from kontrol_app.services import automations, files, jobs, mockups
from kontrol_app.services.errors import InvalidInput, NotAllowed, NotFound
from kontrol_app.services.portal_auth import PortalPrincipal
from kontrol_app.settings import get_settings
from tests.factories import make_job
from tests.helpers.artwork import approve, artwork_customers, image_bytes, pdf_bytes, sent_version, truncated_jpeg, upload
from tests.helpers.concurrency import all_at_once
from tests.helpers.sql import statements

@pytest.fixture
def files_dir(database) -> Path:
    return get_settings().files_dir


def blobs(files_dir: Path) -> list[Path]:
    return sorted(p for p in files_dir.rglob("*") if p.is_file()) if files_dir.exists() else []


@pytest.fixture
def shop(session, owner):
    return artwork_customers(session, owner)


def status(session, job_id) -> str:
    session.expire_all()
    return session.get(Job, job_id).status


def count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


# --- versions and previews --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "file_type", "pages"),
    [
        (image_bytes("PNG"), "logo.png", "png", 0),
        (image_bytes("JPEG"), "logo.jpg", "jpeg", 0),
        (image_bytes("WEBP"), "logo.webp", "webp", 0),
        (pdf_bytes(3), "proof.pdf", "pdf", 3),
    ],
    ids=["png", "jpeg", "webp", "pdf"],
)
def test_each_upload_is_a_new_numbered_version_with_a_preview(session, owner, shop, data, name, file_type, pages):
    first = upload(session, owner, shop["job"], data, name=name, note="First try")
    second = upload(session, owner, shop["job"], data, name=name, note="Bigger logo")
    assert (first.number, first.label, second.number, second.label) == (1, "v1", 2, "v2")
    assert (first.note, second.note, first.uploaded_by) == ("First try", "Bigger logo", "Olivia Owner")
    assert first.file_name == name and first.page_count == pages
    assert first.sha256 == hashlib.sha256(data).hexdigest()
    assert re.fullmatch(r"\d+(\.\d)? (MB|KB|bytes)", first.size_text)
    assert first.file_url.endswith("?download=1") and first.preview_url.startswith("/api/files/")
    assert re.match(r"[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2} [AP]M", first.uploaded_at)

    version = session.get(MockupVersion, first.id)
    original = session.get(StoredFile, version.file_id)
    preview = session.get(StoredFile, version.preview_file_id)
    assert (original.kind, original.file_type) == ("mockup", file_type)
    assert (preview.kind, preview.file_type, preview.customer_id) == ("mockup_preview", "png", shop["customer"])
    with Image.open(files.blob_path(preview.sha256)) as image:
        assert image.format == "PNG"
        assert max(image.size) <= mockups.PREVIEW_SIZE
        if file_type != "pdf":
            assert image.size == (1600, 800)  # 2400 x 1200 scaled, proportions kept
        else:
            assert max(image.size) >= 1500  # an A4 page rendered at ~1600 px
    listed = mockups.job_mockups(session, owner, shop["job"])
    assert [v.label for v in listed.versions] == ["v2", "v1"]
    assert [v.state for v in listed.versions] == ["draft", "replaced"]
    assert listed.versions[1].state_text == "This version was replaced by v2"


def test_versions_of_different_jobs_are_numbered_apart(session, owner, shop):
    upload(session, owner, shop["job"])
    assert upload(session, owner, shop["other_job"]).label == "v1"


REFUSED = {
    "html-named-png": (b"<html><body><script>alert(1)</script></body></html>", "logo.png", "This file type is not accepted here"),
    "zero-bytes": (b"", "logo.png", "Choose a file"),
    "truncated-jpeg": (truncated_jpeg(), "logo.jpg", "damaged"),
    "30-mb": (b"\x89PNG\r\n\x1a\n" + b"\0" * (30 * 1024 * 1024), "big.png", "larger than 25 MB"),
    "300-pages": (pdf_bytes(300), "catalogue.pdf", "300 pages"),
    "giant-page": (pdf_bytes(1, (5200, 5200)), "banner.pdf", "larger than 200 in"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_upload_says_why_next_to_the_field_and_leaves_nothing(session, owner, shop, files_dir, case):
    data, name, message = REFUSED[case]
    with pytest.raises(InvalidInput) as refused:
        mockups.upload_version(session, owner, shop["job"], data, name=name)
    session.rollback()
    assert refused.value.field == "mockup"
    assert message in refused.value.message
    assert count(session, MockupVersion) == 0 and count(session, StoredFile) == 0
    assert blobs(files_dir) == []


def test_a_refusal_after_an_accepted_upload_keeps_the_earlier_version(session, owner, shop, files_dir):
    kept = upload(session, owner, shop["job"])
    before = blobs(files_dir)
    with pytest.raises(InvalidInput):
        mockups.upload_version(session, owner, shop["job"], pdf_bytes(300), name="x.pdf")
    session.rollback()
    assert blobs(files_dir) == before
    assert [v.id for v in mockups.job_mockups(session, owner, shop["job"]).versions] == [kept.id]


def test_receive_upload_caps_at_25_mb(database):
    with pytest.raises(InvalidInput, match="larger than 25 MB") as refused:
        asyncio.run(mockups.receive_upload(b"x" * (mockups.MAX_MOCKUP_BYTES + 1)))
    assert refused.value.field == "mockup"
    received = asyncio.run(mockups.receive_upload(image_bytes("PNG", (20, 20))))
    assert received.field == "mockup" and received.size > 0
    received.discard()


def test_upload_to_a_missing_job_is_not_found(session, owner, files_dir):
    with pytest.raises(NotFound):
        mockups.upload_version(session, owner, 999, image_bytes("PNG", (20, 20)), name="x.png")
    session.rollback()
    assert blobs(files_dir) == []


# --- withdraw --------------------------------------------------------------------------------


def test_withdraw_hides_a_version_and_keeps_it_in_the_record(session, owner, shop):
    v1 = sent_version(session, owner, shop["job"])
    mockups.withdraw_version(session, owner, v1.id)
    session.commit()
    listed = mockups.job_mockups(session, owner, shop["job"])
    assert [(v.label, v.state) for v in listed.versions] == [("v1", "withdrawn")]
    assert listed.versions[0].state_text.startswith("Withdrawn on ")
    with pytest.raises(NotAllowed, match="already withdrawn"):
        mockups.withdraw_version(session, owner, v1.id)
    session.rollback()
    # Gone from the portal: no proof, nothing awaiting, the client can't decide or read the file.
    assert mockups.portal_proof(session, shop["customer"], shop["job"]) is None
    assert mockups.awaiting_approval(session, shop["customer"]) == []
    with pytest.raises(NotAllowed, match="withdrawn"):
        approve(session, shop, v1.id)
    version = session.get(MockupVersion, v1.id)
    client = PortalPrincipal(shop["customer"], shop["sarah"], "Sarah Smith", "sarah@smith.example")
    assert files.readable(session, version.file_id, staff=None, portal=client) is None
    assert count(session, ApprovalRecord) == 0


# --- checklist -------------------------------------------------------------------------------


def test_checklist_drops_blanks_and_refuses_too_much(session, owner, shop):
    saved = mockups.set_checklist(session, owner, shop["job"], ["  Spelling of names checked ", "", "Ink: PMS 286 C + white"])
    assert saved == ["Spelling of names checked", "Ink: PMS 286 C + white"]
    session.commit()
    assert mockups.job_mockups(session, owner, shop["job"]).checklist == saved
    with pytest.raises(InvalidInput) as refused:
        mockups.set_checklist(session, owner, shop["job"], [f"Point {n}" for n in range(13)])
    assert refused.value.field == "checklist"
    with pytest.raises(InvalidInput, match="200 characters"):
        mockups.set_checklist(session, owner, shop["job"], ["x" * 201])
    session.rollback()
    assert mockups.set_checklist(session, owner, shop["job"], []) == []


# --- send for approval --------------------------------------------------------------------------


def test_send_emails_every_contact_and_moves_the_job(session, owner, shop):
    v1 = upload(session, owner, shop["job"])
    assert mockups.send_for_approval(session, owner, v1.id, message="Hi Sarah — the logo, as discussed.") == 2
    session.commit()
    emails = session.exec(select(OutboxEmail).where(OutboxEmail.kind == EmailKind.ARTWORK_READY)).all()
    assert sorted(e.to_email for e in emails) == ["sarah@smith.example", "tom@smith.example"]
    assert {e.subject for e in emails} == {"Artwork ready for your approval — Spring League T-Shirts"}
    assert all(f"?job={shop['job']}" in e.text_body and "the logo, as discussed" in e.text_body for e in emails)
    assert all("Review the artwork" in e.html_body for e in emails)
    # The preview travels with the email (a link would need the portal's sign-in): the PNG made for v1.
    preview = session.get(StoredFile, session.get(MockupVersion, v1.id).preview_file_id)
    for email in emails:
        assert email.attachment_name == "Spring League T-Shirts v1 preview.png"
        assert session.get(StoredFile, email.attachment_file_id).sha256 == preview.sha256
        assert "A preview of v1 is attached" in email.text_body
    assert status(session, shop["job"]) == "awaiting_approval"
    last = session.exec(select(JobStatusChange).where(JobStatusChange.job_id == shop["job"]).order_by(JobStatusChange.id.desc())).first()
    assert (last.to_status, last.changed_by, last.note) == ("awaiting_approval", "Olivia Owner", "v1 sent for approval")
    assert mockups.job_mockups(session, owner, shop["job"]).versions[0].state == "sent"
    assert mockups.awaiting_approval(session, shop["customer"]) == [(shop["job"], "Spring League T-Shirts")]
    with pytest.raises(NotAllowed, match="already sent"):
        mockups.send_for_approval(session, owner, v1.id)
    session.rollback()
    assert count(session, OutboxEmail) == 2


def test_sending_a_newer_version_replaces_the_older_request(session, owner, shop):
    v1 = sent_version(session, owner, shop["job"])
    v2 = sent_version(session, owner, shop["job"], message="v2: bigger logo")
    states = {v.label: (v.state, v.state_text) for v in mockups.job_mockups(session, owner, shop["job"]).versions}
    assert states == {"v2": ("sent", "Awaiting the client"), "v1": ("replaced", "This version was replaced by v2")}
    with pytest.raises(NotAllowed, match=r"This version was replaced by v2"):
        approve(session, shop, v1.id)
    session.rollback()
    assert count(session, ApprovalRecord) == 0
    proof = mockups.portal_proof(session, shop["customer"], shop["job"])
    assert (proof.version_id, proof.label, proof.can_decide, proof.message) == (v2.id, "v2", True, "v2: bigger logo")
    assert mockups.awaiting_approval(session, shop["customer"]) == [(shop["job"], "Spring League T-Shirts")]


def test_only_the_newest_version_can_be_sent(session, owner, shop):
    v1 = upload(session, owner, shop["job"])
    upload(session, owner, shop["job"])
    with pytest.raises(NotAllowed, match="newest version can be sent: v2"):
        mockups.send_for_approval(session, owner, v1.id)


# --- the client's decision ---------------------------------------------------------------------


def test_approve_records_everything_and_moves_the_job_to_art_approved(session, owner, shop):
    mockups.set_checklist(session, owner, shop["job"], ["Spelling checked", "Placement: left chest"])
    session.commit()
    v1 = sent_version(session, owner, shop["job"])
    proof = mockups.portal_proof(session, shop["customer"], shop["job"])
    assert proof.checklist == ["Spelling checked", "Placement: left chest"] and proof.can_decide
    answer = approve(session, shop, v1.id, ticked=[0, 1])
    assert "v1 is approved" in answer
    assert status(session, shop["job"]) == "art_approved"
    [record] = session.exec(select(ApprovalRecord)).all()
    assert (record.decision, record.typed_name, record.contact_name, record.contact_email) == (
        "approved", "Sarah Smith", "Sarah Smith", "sarah@smith.example")
    assert (record.version_id, record.version_number, record.sha256) == (v1.id, 1, v1.sha256)
    assert (record.ip, record.user_agent, record.contact_id) == ("203.0.113.9", "Mozilla/5.0 Test", shop["sarah"])
    assert json.loads(record.checklist) == [{"text": "Spelling checked", "ticked": True}, {"text": "Placement: left chest", "ticked": True}]
    last = session.exec(select(JobStatusChange).where(JobStatusChange.job_id == shop["job"]).order_by(JobStatusChange.id.desc())).first()
    assert (last.to_status, last.changed_by, last.staff_user_id) == ("art_approved", "Sarah Smith", None)
    # The staff-visible record: name, email, version and the SHA-256's start.
    seen = mockups.job_mockups(session, owner, shop["job"])
    summary = seen.records[0].summary
    assert summary.startswith("Approved by Sarah Smith (sarah@smith.example) on ")
    assert f"— v1, SHA-256 {v1.sha256[:8]}…" in summary
    assert seen.records[0].checklist == [("Spelling checked", True), ("Placement: left chest", True)]
    assert seen.approved and seen.approval_text.startswith("v1 approved by Sarah Smith on ")
    assert seen.versions[0].state == "approved"
    after = mockups.portal_proof(session, shop["customer"], shop["job"])
    assert not after.can_decide and after.decided_text.startswith("Approved by Sarah Smith on ")
    assert mockups.awaiting_approval(session, shop["customer"]) == []


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"typed_name": "", "agreed": True}, "typed_name", "Type your full name."),
        ({"typed_name": "   ", "agreed": True}, "typed_name", "Type your full name."),
        ({"typed_name": "D", "agreed": True}, "typed_name", "Type your full name."),  # an initial is no signature
        ({"typed_name": "J.", "agreed": True}, "typed_name", "Type your full name."),
        ({"typed_name": "Sarah Smith", "agreed": False}, "agreed", 'Tick "I approve this artwork for production".'),
        ({"typed_name": "Sarah Smith", "agreed": True, "ticked": [0]}, "checklist", "Tick every point before approving."),
    ],
)
def test_approve_needs_the_name_the_tick_and_every_point(session, owner, shop, kwargs, field, message):
    mockups.set_checklist(session, owner, shop["job"], ["Spelling checked", "Sizes correct"])
    session.commit()
    v1 = sent_version(session, owner, shop["job"])
    with pytest.raises(InvalidInput) as refused:
        mockups.decide(session, shop["customer"], shop["sarah"], v1.id, decision="approved", **kwargs)
    assert (refused.value.field, refused.value.message) == (field, message)
    session.rollback()
    assert count(session, ApprovalRecord) == 0 and status(session, shop["job"]) == "awaiting_approval"
    assert session.get(MockupVersion, v1.id).decided_at is None


@pytest.mark.parametrize(
    ("decision", "job_status", "message", "start"),
    [
        ("revisions", "revisions_requested", "Say what should change.", "Revisions requested by Sarah Smith (sarah@smith.example)"),
        ("declined", "declined", "Say why you decline.", "Declined by Sarah Smith (sarah@smith.example)"),
    ],
)
def test_revisions_and_decline_need_notes(session, owner, shop, decision, job_status, message, start):
    v1 = sent_version(session, owner, shop["job"])
    with pytest.raises(InvalidInput) as refused:
        mockups.decide(session, shop["customer"], shop["sarah"], v1.id, decision=decision, notes="  ")
    assert (refused.value.field, refused.value.message) == ("notes", message)
    session.rollback()
    mockups.decide(session, shop["customer"], shop["sarah"], v1.id, decision=decision, notes="Make the logo bigger")
    session.commit()
    assert status(session, shop["job"]) == job_status
    [record] = session.exec(select(ApprovalRecord)).all()
    assert (record.decision, record.notes, record.typed_name) == (decision, "Make the logo bigger", "")
    view = mockups.job_mockups(session, owner, shop["job"])
    assert view.records[0].summary.startswith(start) and not view.approved
    assert view.versions[0].state == decision
    last = session.exec(select(JobStatusChange).where(JobStatusChange.job_id == shop["job"]).order_by(JobStatusChange.id.desc())).first()
    assert last.changed_by == "Sarah Smith" and "Make the logo bigger" in last.note


def test_the_clients_decision_fires_the_status_email_once(session, owner, shop):
    rule = next(r for r in automations.list_rules(session) if r.status == "art_approved")
    automations.save_rule(session, owner, status="art_approved", enabled=True, subject=rule.subject, body=rule.body)
    session.commit()
    v1 = sent_version(session, owner, shop["job"])
    approve(session, shop, v1.id)
    with pytest.raises(NotAllowed):
        approve(session, shop, v1.id, contact="tom", name="Tom Smith")
    session.rollback()
    sent = session.exec(select(OutboxEmail).where(OutboxEmail.kind == EmailKind.JOB_STATUS)).all()
    assert sorted(e.to_email for e in sent) == ["sarah@smith.example", "tom@smith.example"]
    assert {e.subject for e in sent} == {"Spring League T-Shirts is now Art Approved"}


def test_an_unknown_decision_is_refused(session, owner, shop):
    v1 = sent_version(session, owner, shop["job"])
    with pytest.raises(InvalidInput) as refused:
        mockups.decide(session, shop["customer"], shop["sarah"], v1.id, decision="maybe")
    assert refused.value.field == "decision"


def test_deciding_twice_is_refused_and_nothing_changes(session, owner, shop):
    v1 = sent_version(session, owner, shop["job"])
    approve(session, shop, v1.id)
    with pytest.raises(NotAllowed, match="^Already approved by Sarah Smith$"):
        approve(session, shop, v1.id, contact="tom", name="Tom Smith")
    with pytest.raises(NotAllowed, match="Already approved by Sarah Smith"):
        mockups.decide(session, shop["customer"], shop["tom"], v1.id, decision="declined", notes="No")
    session.rollback()
    assert count(session, ApprovalRecord) == 1 and status(session, shop["job"]) == "art_approved"


def test_a_draft_is_not_in_the_portal(session, owner, shop):
    v1 = upload(session, owner, shop["job"])
    assert mockups.portal_proof(session, shop["customer"], shop["job"]) is None
    with pytest.raises(NotFound):
        approve(session, shop, v1.id)
    client = PortalPrincipal(shop["customer"], shop["sarah"], "Sarah Smith", "sarah@smith.example")
    version = session.get(MockupVersion, v1.id)
    assert files.readable(session, version.file_id, staff=None, portal=client) is None
    mockups.send_for_approval(session, owner, v1.id)
    session.commit()
    assert files.readable(session, version.file_id, staff=None, portal=client) is not None
    assert files.readable(session, version.preview_file_id, staff=None, portal=client) is not None


def test_another_customers_version_is_not_found_and_nothing_changes(session, owner, shop):
    v1 = sent_version(session, owner, shop["job"])
    other = shop["other"]
    with pytest.raises(NotFound, match="That job is not in your portal."):
        mockups.portal_proof(session, other, shop["job"])
    with pytest.raises(NotFound, match="That job is not in your portal."):
        mockups.decide(session, other, shop["pat"], v1.id, decision="approved", typed_name="Pat", agreed=True)
    # Their own contact id with the right customer... but a contact of another customer.
    with pytest.raises(NotFound):
        mockups.decide(session, shop["customer"], shop["pat"], v1.id, decision="approved", typed_name="Pat", agreed=True)
    with pytest.raises(NotFound):
        mockups.decide(session, other, shop["pat"], 99999, decision="approved", typed_name="Pat", agreed=True)
    session.rollback()
    assert mockups.awaiting_approval(session, other) == []
    pat = PortalPrincipal(other, shop["pat"], "Pat Pixel", "pat@pixel.example")
    version = session.get(MockupVersion, v1.id)
    assert files.readable(session, version.file_id, staff=None, portal=pat) is None
    assert files.readable(session, version.preview_file_id, staff=None, portal=pat) is None
    assert count(session, ApprovalRecord) == 0
    assert status(session, shop["job"]) == "awaiting_approval"
    assert session.get(MockupVersion, v1.id).decided_at is None


def test_two_contacts_deciding_at_once_exactly_one_wins(session, owner, shop):
    v1 = sent_version(session, owner, shop["job"])
    contacts = iter([("sarah", "Sarah Smith"), ("tom", "Tom Smith")])

    def work(s: Session):
        key, name = next(contacts)
        return mockups.decide(s, shop["customer"], shop[key], v1.id, decision="approved", typed_name=name, agreed=True)

    results = all_at_once(2, work)
    wins = [r for r in results if isinstance(r, str)]
    losses = [r for r in results if not isinstance(r, str)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], NotAllowed) and losses[0].message.startswith("Already approved by ")
    assert count(session, ApprovalRecord) == 1
    changes = session.exec(select(JobStatusChange).where(JobStatusChange.job_id == shop["job"], JobStatusChange.to_status == "art_approved")).all()
    assert len(changes) == 1


def test_a_decision_racing_a_newer_send_never_both_win(session, owner, shop):
    v1 = sent_version(session, owner, shop["job"])
    v2 = upload(session, owner, shop["job"])
    order = iter(["send", "decide"])

    def work(s: Session):
        kind = next(order)
        try:
            if kind == "send":
                return kind, mockups.send_for_approval(s, owner, v2.id)
            return kind, mockups.decide(s, shop["customer"], shop["sarah"], v1.id, decision="revisions", notes="Bigger")
        except Exception as error:
            error.kind = kind
            raise

    results = {getattr(r, "kind", None) or r[0]: r if isinstance(r, Exception) else r[1] for r in all_at_once(2, work)}
    assert results["send"] == 2  # sending a newer version is never refused by an older decision
    records = count(session, ApprovalRecord)
    if records:  # the decision came first: it stands, and v2 is the new request
        assert isinstance(results["decide"], str)
    else:
        assert isinstance(results["decide"], NotAllowed) and "replaced by v2" in results["decide"].message
    proof = mockups.portal_proof(session, shop["customer"], shop["job"])
    assert (proof.label, proof.can_decide) == ("v2", True)


# --- the record is immutable -----------------------------------------------------------------


def test_the_database_refuses_to_change_or_delete_an_approval_record(session, owner, shop):
    v1 = sent_version(session, owner, shop["job"])
    approve(session, shop, v1.id)
    for statement in ("UPDATE approval_record SET typed_name = 'Mallory'", "DELETE FROM approval_record"):
        with pytest.raises(DBAPIError, match="immutable"):
            session.exec(text(statement))
        session.rollback()
    [record] = session.exec(select(ApprovalRecord)).all()
    assert record.typed_name == "Sarah Smith"


def test_no_service_function_updates_or_deletes_a_record(session, owner, shop):
    with statements() as sent:
        mockups.set_checklist(session, owner, shop["job"], ["Spelling checked"])
        v1 = sent_version(session, owner, shop["job"])
        mockups.decide(session, shop["customer"], shop["sarah"], v1.id, decision="revisions", notes="Bigger", ticked=[0])
        session.commit()
        v2 = sent_version(session, owner, shop["job"])
        approve(session, shop, v2.id, ticked=[0])
        v3 = upload(session, owner, shop["job"])
        mockups.record_offline_approval(session, owner, shop["job"], approved_by="Sarah Smith", method="phone", note="OK by phone")
        mockups.withdraw_version(session, owner, v3.id)
        mockups.set_checklist(session, owner, shop["job"], [])
        mockups.job_mockups(session, owner, shop["job"])
        mockups.portal_proof(session, shop["customer"], shop["job"])
        session.commit()
    writes = [s for s in sent if re.match(r"\s*(UPDATE|DELETE)\b.*\bapproval_record\b", s, re.I | re.S)]
    assert writes == []
    assert count(session, ApprovalRecord) == 3


# --- the approval gate: Art Approved and In Production -------------------------------------


GATE = re.escape("The current artwork isn't approved yet. Send it for approval, or record an offline approval.")


def _moves(session, job_id) -> list[tuple[str, str]]:
    session.expire_all()
    changes = session.exec(select(JobStatusChange).where(JobStatusChange.job_id == job_id).order_by(JobStatusChange.id)).all()
    return [(c.from_status, c.to_status) for c in changes]


def test_the_gate_refuses_every_path_until_approved(session, owner, shop):
    job_id = shop["job"]
    for target in ("art_approved", "in_production"):  # the job page's status select
        with pytest.raises(NotAllowed, match=GATE) as refused:
            jobs.change_status(session, owner, job_id, target)
        assert refused.value.field == "status"
        session.rollback()

    v1 = sent_version(session, owner, job_id)
    assert status(session, job_id) == "awaiting_approval"
    # The board offers no click here (the client's answer moves it), and a stale one does nothing.
    assert jobs.move_to_next(session, owner, job_id, expected_from="awaiting_approval") is None
    with pytest.raises(NotAllowed, match=GATE):
        jobs.change_status(session, owner, job_id, "in_production")
    session.rollback()
    assert status(session, job_id) == "awaiting_approval"
    assert not mockups.current_approved(session, job_id)

    approve(session, shop, v1.id)  # the client's Approve: its record first, then Art Approved
    assert status(session, job_id) == "art_approved"
    assert mockups.current_approved(session, job_id)
    assert jobs.move_to_next(session, owner, job_id, expected_from="art_approved") == "In Production"
    session.commit()
    assert status(session, job_id) == "in_production"


SEND_FIRST = re.escape(jobs.SEND_FOR_APPROVAL_FIRST)


def test_awaiting_approval_comes_with_send_for_approval_not_by_hand(session, owner, shop):
    """The client sees Awaiting Approval only when there is artwork for them to answer."""
    job_id = shop["job"]  # in Artwork, no artwork yet
    for _ in ("no artwork", "artwork uploaded, not sent"):
        with pytest.raises(NotAllowed, match=SEND_FIRST) as refused:
            jobs.change_status(session, owner, job_id, "awaiting_approval")
        assert refused.value.field == "status"
        session.rollback()
        assert status(session, job_id) == "artwork" and _moves(session, job_id)[-1][1] == "artwork"
        upload(session, owner, job_id)

    sent = sent_version(session, owner, job_id)  # Send for Approval moves it there
    assert status(session, job_id) == "awaiting_approval"
    assert jobs.change_status(session, owner, job_id, "on_hold")
    assert jobs.change_status(session, owner, job_id, "awaiting_approval")  # back: still unanswered
    session.commit()
    assert status(session, job_id) == "awaiting_approval"

    mockups.decide(session, shop["customer"], shop["sarah"], sent.id, decision="revisions", notes="Bigger")
    session.commit()
    assert status(session, job_id) == "revisions_requested"
    with pytest.raises(NotAllowed, match=SEND_FIRST):  # answered: a new version must be sent
        jobs.change_status(session, owner, job_id, "awaiting_approval")
    session.rollback()


def test_art_approved_by_hand_needs_an_approval_and_a_refusal_changes_nothing(session, owner, shop):
    job_id = shop["job"]
    rule = next(r for r in automations.list_rules(session) if r.status == "art_approved")
    automations.save_rule(session, owner, status="art_approved", enabled=True, subject=rule.subject, body=rule.body)
    upload(session, owner, job_id)
    assert jobs.change_status(session, owner, job_id, "on_hold")  # where an offline approval does not move it
    session.commit()
    before = (_moves(session, job_id), count(session, ApprovalRecord), count(session, OutboxEmail))
    with pytest.raises(NotAllowed, match=GATE) as refused:
        jobs.change_status(session, owner, job_id, "art_approved", note="Looks fine")
    assert refused.value.field == "status"
    session.rollback()
    assert status(session, job_id) == "on_hold"
    assert (_moves(session, job_id), count(session, ApprovalRecord), count(session, OutboxEmail)) == before

    mockups.record_offline_approval(session, owner, job_id, approved_by="Sarah Smith", method="email", note="")
    session.commit()
    assert status(session, job_id) == "on_hold"  # recorded; staff move it when they resume
    assert jobs.change_status(session, owner, job_id, "art_approved", note="Resumed")
    session.commit()
    assert status(session, job_id) == "art_approved"
    assert _moves(session, job_id)[-1] == ("on_hold", "art_approved")
    sent = session.exec(select(OutboxEmail).where(OutboxEmail.kind == EmailKind.JOB_STATUS)).all()
    assert {e.subject for e in sent} == {"Spring League T-Shirts is now Art Approved"}


def test_a_new_version_after_an_approval_closes_the_gate_again(session, owner, shop):
    job_id = shop["job"]
    v1 = sent_version(session, owner, job_id)
    approve(session, shop, v1.id)
    upload(session, owner, job_id, image_bytes("PNG", (40, 40)), name="logo-v2.png")
    assert not mockups.current_approved(session, job_id)
    seen = mockups.job_mockups(session, owner, job_id)
    assert (seen.approved, seen.approval_text) == (False, "v2 is not approved: v1 was")
    with pytest.raises(NotAllowed, match=GATE):
        jobs.change_status(session, owner, job_id, "in_production")
    session.rollback()


def test_withdrawing_the_new_version_brings_back_the_approved_one(session, owner, shop):
    job_id = shop["job"]
    v1 = sent_version(session, owner, job_id)
    approve(session, shop, v1.id)
    v2 = upload(session, owner, job_id)
    mockups.withdraw_version(session, owner, v2.id)
    session.commit()
    assert mockups.current_approved(session, job_id)


def test_offline_approval_opens_the_gate_for_the_current_version(session, owner, shop):
    job_id = shop["job"]
    v1 = sent_version(session, owner, job_id)
    with pytest.raises(InvalidInput) as refused:
        mockups.record_offline_approval(session, owner, job_id, approved_by="Sarah Smith", method="no_artwork", note="")
    assert refused.value.field == "method"
    with pytest.raises(InvalidInput) as refused:
        mockups.record_offline_approval(session, owner, job_id, approved_by="", method="phone", note="")
    assert refused.value.field == "approved_by"
    with pytest.raises(InvalidInput) as refused:
        mockups.record_offline_approval(session, owner, job_id, approved_by="Sarah", method="fax", note="")
    assert refused.value.field == "method"
    session.rollback()
    mockups.record_offline_approval(session, owner, job_id, approved_by="Sarah Smith", method="phone", note="Called at 10")
    session.commit()
    assert mockups.current_approved(session, job_id)
    assert status(session, job_id) == "art_approved"  # it was awaiting the client's answer
    [record] = session.exec(select(ApprovalRecord)).all()
    assert (record.decision, record.method, record.staff_name, record.staff_user_id) == (
        "approved_offline", "phone", "Olivia Owner", owner.id)
    assert (record.version_id, record.sha256) == (v1.id, v1.sha256)
    summary = mockups.job_mockups(session, owner, job_id).records[0].summary
    assert summary.startswith("Approved offline by Sarah Smith (phone), recorded by Olivia Owner on ")
    assert f"v1, SHA-256 {v1.sha256[:8]}…" in summary
    # The request in the portal is answered: the client can no longer decide it.
    proof = mockups.portal_proof(session, shop["customer"], job_id)
    assert not proof.can_decide and proof.decided_text.startswith("Approved by Sarah Smith on ")
    with pytest.raises(NotAllowed, match="Already approved by Sarah Smith"):
        approve(session, shop, v1.id)
    session.rollback()
    with pytest.raises(NotAllowed, match="already approved"):
        mockups.record_offline_approval(session, owner, job_id, approved_by="Sarah Smith", method="email", note="")
    session.rollback()
    assert jobs.change_status(session, owner, job_id, "in_production")
    session.commit()


def test_a_job_without_artwork_needs_the_no_artwork_record(session, owner, shop):
    job_id = make_job(session, owner, shop["customer"], "Blank tees")
    with pytest.raises(InvalidInput, match="No artwork needed") as refused:
        mockups.record_offline_approval(session, owner, job_id, approved_by="Sarah Smith", method="phone", note="")
    assert refused.value.field == "method"
    session.rollback()
    with pytest.raises(NotAllowed, match=GATE):
        jobs.change_status(session, owner, job_id, "in_production")
    session.rollback()
    mockups.record_offline_approval(session, owner, job_id, approved_by="Sarah Smith", method="no_artwork", note="Blanks")
    session.commit()
    assert status(session, job_id) == "quote"  # a quote stays a quote
    seen = mockups.job_mockups(session, owner, job_id)
    assert seen.approved and seen.approval_text.startswith("No artwork needed — approved offline by Sarah Smith")
    assert seen.records[0].summary.startswith("No artwork needed — approved offline by Sarah Smith, recorded by Olivia Owner")
    assert jobs.change_status(session, owner, job_id, "in_production")
    session.commit()
    # Artwork uploaded later must be approved in its turn.
    upload(session, owner, job_id)
    assert not mockups.current_approved(session, job_id)


def test_the_gate_holds_for_a_job_that_left_production(session, owner, shop):
    job_id = shop["job"]
    v1 = sent_version(session, owner, job_id)
    approve(session, shop, v1.id)
    assert jobs.change_status(session, owner, job_id, "in_production")
    assert jobs.change_status(session, owner, job_id, "on_hold")
    session.commit()
    upload(session, owner, job_id)
    with pytest.raises(NotAllowed, match=GATE):
        jobs.change_status(session, owner, job_id, "in_production")
    session.rollback()
    assert status(session, job_id) == "on_hold"


# --- wiring -----------------------------------------------------------------------------------


def test_the_upload_route_takes_a_25_mb_mockup_and_the_files_route_knows_its_readers():
    import kontrol_app.api.files  # noqa: F401  (the route's module registers the readers)
    from kontrol_app.api.limits import UPLOAD_LIMIT

    from kontrol_app.services import messages

    # Room for a message's five largest attachments in one request, and not much more.
    assert mockups.MAX_MOCKUP_BYTES < messages.MAX_ATTACHMENTS * messages.MAX_ATTACHMENT_BYTES < UPLOAD_LIMIT
    assert UPLOAD_LIMIT <= messages.MAX_ATTACHMENTS * messages.MAX_ATTACHMENT_BYTES + 1024 * 1024
    assert {"mockup", "mockup_preview"} <= set(files._kinds)


@pytest.mark.parametrize(
    ("pins", "message"),
    [
        ([{"x": 1.2, "y": 0.5, "note": "Off the image"}], "Pin 1 is not on the preview."),
        ([{"x": 0.5, "y": -0.01, "note": "Above it"}], "Pin 1 is not on the preview."),
        ([{"x": float("nan"), "y": 0.5, "note": "Nowhere"}], "Pin 1 is not on the preview."),
        ([{"x": "left", "y": 0.5, "note": "Words"}], "Pin 1 is not on the preview."),
        ([{"x": 0.1, "y": 0.1, "note": "Fine"}, {"x": 0.2, "y": 0.2, "note": "  "}], "Say what should change at pin 2."),
        ([{"x": 0.1, "y": 0.1, "note": "x" * 301}], "Keep pin 1's note under 300 characters."),
        ([{"x": 0.1, "y": 0.1, "note": "n"}] * 21, "Place at most 20 pins."),
    ],
)
def test_pins_are_checked_and_nothing_is_recorded_when_one_is_wrong(session, owner, shop, pins, message):
    v1 = sent_version(session, owner, shop["job"])
    with pytest.raises(InvalidInput) as refused:
        mockups.decide(session, shop["customer"], shop["sarah"], v1.id, decision="revisions", notes="See the pins", pins=pins)
    assert (refused.value.field, refused.value.message) == ("pins", message)
    session.rollback()
    assert count(session, ApprovalRecord) == 0 and session.get(MockupVersion, v1.id).decided_at is None


def test_revision_pins_are_kept_on_the_record_and_shown_to_staff_on_the_preview(session, owner, shop):
    v1 = sent_version(session, owner, shop["job"])
    with pytest.raises(InvalidInput) as refused:  # an approval has nothing to point at
        mockups.decide(
            session, shop["customer"], shop["sarah"], v1.id, decision="declined", notes="No", pins=[{"x": 0.5, "y": 0.5, "note": "n"}]
        )
    assert refused.value.field == "pins"
    session.rollback()
    pins = [{"x": 0.42, "y": 0.31, "note": " make the logo bigger "}, {"x": 1, "y": 0, "note": "Drop the sponsor line"}]
    mockups.decide(session, shop["customer"], shop["sarah"], v1.id, decision="revisions", notes="See the pins", pins=pins)
    session.commit()
    [record] = session.exec(select(ApprovalRecord)).all()
    assert json.loads(record.pins) == [
        {"x": 0.42, "y": 0.31, "note": "make the logo bigger"},
        {"x": 1.0, "y": 0.0, "note": "Drop the sponsor line"},
    ]
    view = mockups.job_mockups(session, owner, shop["job"])
    assert view.records[0].pins == ((0.42, 0.31, "make the logo bigger"), (1.0, 0.0, "Drop the sponsor line"))
    assert view.records[0].preview_url == view.versions[0].preview_url != ""


def test_the_job_stamp_moves_with_what_the_job_page_shows_and_only_that(session, owner, shop):
    """The open job page polls `jobs.job_stamp`: an upload, a send, the client's answer, a move and
    tracking each change it; another job's change does not."""
    job = shop["job"]
    seen = [jobs.job_stamp(session, job)]

    def changed() -> bool:
        now = jobs.job_stamp(session, job)
        moved = now not in seen
        seen.append(now)
        return moved

    jobs.job_stamp(session, shop["other_job"])
    jobs.set_tracking(session, owner, shop["other_job"], carrier="ups", number="1Z1")
    session.commit()
    assert not changed()
    version = upload(session, owner, job)
    assert changed()
    mockups.send_for_approval(session, owner, version.id, message="Here it is.")
    session.commit()
    assert changed()
    approve(session, shop, version.id)
    assert changed()
    jobs.set_tracking(session, owner, job, carrier="ups", number="1Z999AA10123456784")
    session.commit()
    assert changed()
    jobs.change_status(session, owner, job, "in_production")
    session.commit()
    assert changed()
    assert jobs.job_stamp(session, 10**9) == ""  # a job that does not exist
