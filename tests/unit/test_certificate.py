"""The approval certificate PDF: built from real approval records (through the services), then
read back with pdfium's text extraction: the names as typed (any script), the email, the full
SHA-256, the version, the ticks, both times; offline approvals; a shop without a logo; who may
have one. On SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import select

from kontrol_app.models import ApprovalRecord, CustomerContact, MockupVersion, StoredFile
from kontrol_app.services import certificate, files, mockups
from kontrol_app.services import shop as shop_service
from kontrol_app.services.clock import shop_time
from kontrol_app.services.errors import NotFound
from kontrol_app.services.portal_auth import PortalPrincipal
from tests.factories import make_customer, make_job
from tests.helpers.pdf import image_count, page_texts

UA = "Mozilla/5.0 (X11; Linux x86_64) CertificateTest/1.0"
CHECKLIST = ["Spelling of names checked", "Ink colours: PMS 286 C + white"]


def png(size=(900, 600), color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def pdf_text(data: bytes) -> tuple[str, str]:
    """(the first page's text, every page's text)."""
    texts = page_texts(data)
    return texts[0], " ".join(texts)


@pytest.fixture
def world(session, owner):
    customer_id = make_customer(
        session, owner, "Łódź Print Club", "zoe@lodz.example", contact_name="Zoë Ñúñez",
    )
    other_id = make_customer(session, owner, "Pixel Labs", "pat@pixel.example", contact_name="Pat Pixel")
    job_id = make_job(session, owner, customer_id, "Σοφία Team Shirts", path=["artwork"])
    shop_row = shop_service.get_shop(session)
    shop_row.timezone = "Europe/Warsaw"
    shop_row.email, shop_row.phone = "hello@printco.example", "+48 22 123 45 67"
    session.add(shop_row)
    session.commit()
    zoe = session.exec(select(CustomerContact).where(CustomerContact.email == "zoe@lodz.example")).one()
    return {"customer": customer_id, "other": other_id, "job": job_id, "zoe": zoe.id}


def approved_record(session, owner, world, *, checklist=CHECKLIST, typed="Zoë Ñúñez") -> ApprovalRecord:
    mockups.set_checklist(session, owner, world["job"], list(checklist))
    version = mockups.upload_version(session, owner, world["job"], png(), name="front-logo.png")
    session.commit()
    mockups.send_for_approval(session, owner, version.id, message="Here it is.")
    session.commit()
    mockups.decide(
        session, world["customer"], world["zoe"], version.id, decision="approved", typed_name=typed, agreed=True,
        ticked=list(range(len(checklist))), ip="203.0.113.9", user_agent=UA,
    )
    session.commit()
    return session.exec(select(ApprovalRecord).where(ApprovalRecord.version_id == version.id)).one()


def test_the_certificate_holds_the_records_facts_in_any_script(session, owner, world):
    shop_service.save_logo(session, owner, png((400, 160), (20, 60, 200)))
    session.commit()
    record = approved_record(session, owner, world)
    data = certificate.certificate_pdf(session, record.id)
    assert data.startswith(b"%PDF-")
    first, text = pdf_text(data)

    # What settles a dispute is on the first page: who, and which bytes.
    assert "Artwork approval certificate" in first
    assert "Zoë Ñúñez" in first and record.sha256 in first and len(record.sha256) == 64
    for expected in (
        "Test Print Co.", "hello@printco.example", "Σοφία Team Shirts", "Łódź Print Club", "v1", "front-logo.png",
        "zoe@lodz.example", "203.0.113.9", UA, "Approved",
        f"{shop_time(record.created_at, 'Europe/Warsaw')} (Europe/Warsaw)",
        record.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "☑ Spelling of names checked", "☑ Ink colours: PMS 286 C + white",
        "approved the artwork identified by the SHA-256 fingerprint above",
    ):
        assert expected in text, expected
    assert "☐" not in text
    assert image_count(data) == 2  # the logo and the preview


def test_greek_and_polish_typed_names_come_out_as_typed(session, owner, world):
    record = approved_record(session, owner, world, typed="Σοφία Łódź-Żółć", checklist=[])
    _, text = pdf_text(certificate.certificate_pdf(session, record.id))
    assert "Σοφία Łódź-Żółć" in text
    assert "Print checklist" not in text  # no checklist on this job: no empty section


def test_a_shop_without_a_logo_still_gets_a_certificate(session, owner, world):
    record = approved_record(session, owner, world)
    data = certificate.certificate_pdf(session, record.id)
    assert image_count(data) == 1  # only the preview
    assert "Test Print Co." in pdf_text(data)[0]


def test_an_offline_approval_says_who_recorded_it_how_and_the_note(session, owner, world):
    version = mockups.upload_version(session, owner, world["job"], png(), name="back.png")
    session.commit()
    mockups.record_offline_approval(
        session, owner, world["job"], approved_by="Zoë Ñúñez", method="phone", note="Zoë said yes on the phone at 3 pm.",
    )
    session.commit()
    record = session.exec(select(ApprovalRecord).where(ApprovalRecord.version_id == version.id)).one()
    first, text = pdf_text(certificate.certificate_pdf(session, record.id))
    assert record.sha256 in first
    for expected in ("Approved offline", "Zoë Ñúñez", "Phone", "Olivia Owner", "Zoë said yes on the phone at 3 pm.",
                     "back.png", "v1", "The approval was given by phone"):
        assert expected in text, expected
    assert "IP address" not in text  # the client did not click anything: no address to show


def test_no_artwork_needed_has_no_fingerprint(session, owner, world):
    mockups.record_offline_approval(session, owner, world["job"], approved_by="Zoë Ñúñez", method="no_artwork", note="Blanks.")
    session.commit()
    record = session.exec(select(ApprovalRecord).where(ApprovalRecord.job_id == world["job"])).one()
    data = certificate.certificate_pdf(session, record.id)
    _, text = pdf_text(data)
    assert "No artwork needed" in text and "needs no artwork" in text
    assert "SHA-256" not in text and image_count(data) == 0
    assert certificate.certificate_name(session, record) == "approval-σοφία-team-shirts.pdf"


def test_only_approvals_have_a_certificate(session, owner, world):
    version = mockups.upload_version(session, owner, world["job"], png(), name="art.png")
    session.commit()
    mockups.send_for_approval(session, owner, version.id)
    session.commit()
    mockups.decide(session, world["customer"], world["zoe"], version.id, decision="revisions", notes="Bigger logo.")
    session.commit()
    record = session.exec(select(ApprovalRecord).where(ApprovalRecord.job_id == world["job"])).one()
    with pytest.raises(NotFound):
        certificate.certificate_pdf(session, record.id)
    with pytest.raises(NotFound):
        certificate.certificate_pdf(session, record.id + 1000)
    assert certificate.readable_record(session, record.id, staff=owner, portal=None) is None


def test_who_may_have_it(session, owner, world):
    record = approved_record(session, owner, world)
    own = PortalPrincipal(world["customer"], world["zoe"], "Zoë Ñúñez", "zoe@lodz.example")
    other = PortalPrincipal(world["other"], world["zoe"] + 1, "Pat Pixel", "pat@pixel.example")
    assert certificate.readable_record(session, record.id, staff=owner, portal=None) == record
    assert certificate.readable_record(session, record.id, staff=None, portal=own) == record
    assert certificate.readable_record(session, record.id, staff=None, portal=other) is None
    assert certificate.readable_record(session, record.id, staff=None, portal=None) is None
    assert certificate.readable_record(session, 2**40, staff=owner, portal=None) is None
    assert certificate.certificate_name(session, record) == "approval-σοφία-team-shirts-v1.pdf"
    # A draft approved offline was never shown to the client: not theirs to download.
    draft = mockups.upload_version(session, owner, world["job"], png(color=(0, 0, 0)), name="v2.png")
    session.commit()
    mockups.record_offline_approval(session, owner, world["job"], approved_by="Zoë", method="email", note="")
    session.commit()
    offline = session.exec(select(ApprovalRecord).where(ApprovalRecord.version_id == draft.id)).one()
    assert certificate.readable_record(session, offline.id, staff=None, portal=own) is None
    assert certificate.readable_record(session, offline.id, staff=owner, portal=None) == offline


def test_the_staff_tab_and_the_portal_name_the_record(session, owner, world):
    record = approved_record(session, owner, world)
    view = mockups.job_mockups(session, owner, world["job"])
    assert [r.id for r in view.records] == [record.id]
    proof = mockups.portal_proof(session, world["customer"], world["job"])
    assert proof.record_id == record.id
    assert certificate.certificate_url(record.id) == f"/api/approvals/{record.id}/certificate.pdf"


def test_the_portal_has_no_certificate_before_an_approval(session, owner, world):
    version = mockups.upload_version(session, owner, world["job"], png(), name="art.png")
    session.commit()
    mockups.send_for_approval(session, owner, version.id)
    session.commit()
    assert mockups.portal_proof(session, world["customer"], world["job"]).record_id == 0


def test_without_dejavu_the_core_font_replaces_what_it_cannot_show(session, owner, world, tmp_path, monkeypatch):
    monkeypatch.setattr(certificate, "FONT_REGULAR", tmp_path / "missing.ttf")
    record = approved_record(session, owner, world)
    first, text = pdf_text(certificate.certificate_pdf(session, record.id))
    assert record.sha256 in first
    assert "Zoë Ñúñez" in text  # Latin-1 survives
    assert "?ódz Print Club" in text and "[x] Spelling of names checked" in text  # Ł is replaced, never an error


def test_a_missing_preview_file_leaves_the_certificate_whole(session, owner, world):
    record = approved_record(session, owner, world)
    version = session.get(MockupVersion, record.version_id)
    files.blob_path(session.get(StoredFile, version.preview_file_id).sha256).unlink()
    data = certificate.certificate_pdf(session, record.id)
    assert image_count(data) == 0 and record.sha256 in pdf_text(data)[0]
