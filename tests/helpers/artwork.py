"""Artwork for the approval tests: real image and PDF bytes, a customer world, and the
steps (upload, send, approve) through the services."""

from __future__ import annotations

import io

from fpdf import FPDF
from PIL import Image
from sqlmodel import Session, select

from kontrol_app.models import CustomerContact
from kontrol_app.services import mockups
from tests.factories import make_customer, make_job


def image_bytes(image_format: str, size: tuple[int, int] = (2400, 1200)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    for x in range(0, size[0], 7):
        image.putpixel((x, x % size[1]), (x % 256, 10, 200))
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def pdf_bytes(pages: int = 3, page_mm: tuple[float, float] | None = None) -> bytes:
    pdf = FPDF(format=page_mm) if page_mm else FPDF()
    pdf.set_font("helvetica", size=14)
    for number in range(pages):
        pdf.add_page()
        pdf.cell(text=f"Proof page {number + 1}")
    return bytes(pdf.output())


def truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((300, 200), 90).convert("RGB").save(buffer, "JPEG", quality=95)
    data = buffer.getvalue()
    return data[: len(data) // 2]


def artwork_customers(session: Session, owner) -> dict[str, int]:
    """A customer with two contacts who have an email and one who has none, a job, and
    another customer with a job of its own."""
    customer_id = make_customer(
        session, owner, "Smith Embroidery", "sarah@smith.example", contact_name="Sarah Smith",
        contacts=[("Tom Smith", "tom@smith.example")],
    )
    session.add(CustomerContact(customer_id=customer_id, name="No Email", email=None))
    other_id = make_customer(session, owner, "Pixel Labs", "pat@pixel.example", contact_name="Pat Pixel")
    job_id = make_job(session, owner, customer_id, "Spring League T-Shirts", path=["artwork"])
    other_job = make_job(session, owner, other_id, "Pixel Hoodies", path=["artwork"])
    session.commit()
    sarah = session.exec(select(CustomerContact).where(CustomerContact.email == "sarah@smith.example")).one()
    tom = session.exec(select(CustomerContact).where(CustomerContact.email == "tom@smith.example")).one()
    pat = session.exec(select(CustomerContact).where(CustomerContact.email == "pat@pixel.example")).one()
    return {"customer": customer_id, "job": job_id, "sarah": sarah.id, "tom": tom.id,
            "other": other_id, "other_job": other_job, "pat": pat.id}


def upload(session, owner, job_id, data=None, name="logo.png", note="") -> mockups.VersionView:
    view = mockups.upload_version(session, owner, job_id, data if data is not None else image_bytes("PNG"), name=name, note=note)
    session.commit()
    return view


def sent_version(session, owner, job_id, message="Here is the logo.") -> mockups.VersionView:
    view = upload(session, owner, job_id)
    mockups.send_for_approval(session, owner, view.id, message=message)
    session.commit()
    return view


def approve(session, shop, version_id, contact="sarah", name="Sarah Smith", **kwargs) -> str:
    answer = mockups.decide(
        session, shop["customer"], shop[contact], version_id, decision="approved", typed_name=name, agreed=True,
        ip="203.0.113.9", user_agent="Mozilla/5.0 Test", **kwargs,
    )
    session.commit()
    return answer
