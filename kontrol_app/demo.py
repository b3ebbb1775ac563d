"""`make demo`: a realistic demo shop in the local database, to look around at once."""

from __future__ import annotations

import io
from datetime import date, timedelta

from sqlmodel import select

from kontrol_app.db import session_scope
from kontrol_app.models import Carrier, Customer, CustomerContact, Decoration, Invoice, JobStatus, utcnow
from kontrol_app.services import customers, invoices, jobs, messages, mockups, portal_links, quotes, staff, stripe_account
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.services.shop import save_logo, update_shop_info
from kontrol_app.services.statuses import PIPELINE, SIDE_STATES

OWNER_EMAIL = "owner@demo.kontrol.local"
OWNER_PASSWORD = "kontrol-demo"
PAYMENT_INSTRUCTIONS = "Pay by check to Demo Print Co., 12 Press Street, Springfield, or by bank transfer (account 0012 3456, routing 021000021). Put the invoice number on it."

CUSTOMERS = [
    ("Smith Embroidery", "Sarah Smith", "sarah@smithembroidery.example", "(555) 210-4400", [("Tom Reyes", "tom@smithembroidery.example")]),
    ("Riverside Youth League", "Dana Park", "dana@riversideleague.example", "(555) 301-2290", []),
    ("Brew & Bean Coffee", "Marcus Lee", "marcus@brewbean.example", "(555) 118-7733", [("Ana Cruz", "ana@brewbean.example")]),
    ("Northside Fire Dept.", "Chief Alvarez", "alvarez@northsidefd.example", "(555) 911-0100", []),
    ("Pixel Labs", "Jordan Kim", "jordan@pixellabs.example", "", []),
    ("Walk-in: Maria Gonzalez", "Maria Gonzalez", "", "(555) 640-2211", []),
]

# Each job's customer is an index into CUSTOMERS. The client whose link `make demo` prints,
# Smith Embroidery, has what the guide shows: a job awaiting approval, one ready with an open
# invoice, and a completed one, paid.
JOBS = [
    ("Spring League T-Shirts", 144, Decoration.SCREEN_PRINT, "Gildan 5000 T-shirt", "Royal blue", 1),
    ("Staff Polos — Navy", 36, Decoration.EMBROIDERY, "Port Authority K500 polo", "Navy", 1),
    ("Holiday Hoodies", 60, Decoration.SCREEN_PRINT, "Independent SS4500 hoodie", "Heather grey", 0),
    ("Barista Aprons", 24, Decoration.EMBROIDERY, "Canvas bib apron", "Black", 2),
    ("5K Fun Run Tees", 300, Decoration.DTG, "Bella+Canvas 3001", "White", 4),
    ("Trucker Caps", 48, Decoration.EMBROIDERY, "Richardson 112", "Charcoal/White", 0),
    ("Event Tote Bags", 200, Decoration.HEAT_TRANSFER, "Natural canvas tote", "Natural", 1),
    ("Crew Jackets", 12, Decoration.EMBROIDERY, "Soft-shell jacket", "Black", 0),
    ("Volunteer Shirts", 80, Decoration.SCREEN_PRINT, "Comfort Colors 1717", "Pepper", 3),
    ("Launch Party Tees", 150, Decoration.DTG, "Next Level 3600", "Midnight navy", 4),
    ("Coaches' Quarter-Zips", 18, Decoration.EMBROIDERY, "Sport-Tek quarter-zip", "Forest green", 3),
    ("Sample Run", 6, Decoration.OTHER, "Mixed", "Mixed", 2),
]


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _logo_png() -> bytes:
    """The demo shop's logo: its initials in a round badge, drawn here (nothing to download)."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGBA", (240, 240), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 232, 232), fill="#2d4a7a")
    draw.text((120, 120), "DP", fill="white", anchor="mm", font=ImageFont.load_default(size=96))
    return _png(image)


def _mockup_png(title: str, colour: str) -> bytes:
    """A plain stand-in for a mockup: the job's title on a garment-coloured panel."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (800, 600), "#2d4a7a")
    draw = ImageDraw.Draw(image)
    draw.rectangle((200, 150, 600, 450), outline="white", width=6)
    draw.text((400, 280), title, fill="white", anchor="mm", font=ImageFont.load_default(size=36))  # Pillow's own font
    draw.text((400, 330), f"{colour} · front", fill="#dfe7f5", anchor="mm", font=ImageFont.load_default(size=24))
    return _png(image)


def load_demo() -> str:
    with session_scope() as session:
        if staff.has_staff(session):
            return "This database already has a shop, so the demo was not loaded (it never overwrites real data)."
        owner = staff.create_shop(
            session, shop_name="Demo Print Co.", name="Demo Owner", email=OWNER_EMAIL, password=OWNER_PASSWORD
        )
        update_shop_info(
            session,
            owner,
            name="Demo Print Co.",
            email="hello@demoprint.example",
            phone="(555) 555-0199",
            address="12 Press Street\nSpringfield",
            currency="USD",
            timezone="America/New_York",
        )
        save_logo(session, owner, _logo_png())  # it heads the staff pages, the portal and every email
        # What clients read on an invoice until Stripe is set up (then Pay Now too).
        current = stripe_account.payment_settings(session, owner)
        stripe_account.update_payment_settings(
            session, owner, tax_rate=current.tax_rate, invoice_prefix=current.invoice_prefix,
            invoice_next_number=current.invoice_next_number, payment_terms_days=current.payment_terms_days,
            payment_instructions=PAYMENT_INSTRUCTIONS,
        )
        customer_ids = []
        for name, contact, email, phone, extra in CUSTOMERS:
            customer_ids.append(
                customers.create_customer(
                    session,
                    owner,
                    customers.CustomerInput(
                        name=name,
                        contact_name=contact,
                        email=email,
                        phone=phone,
                        contacts=[customers.ContactInput(n, e) for n, e in extra],
                    ),
                )
            )
        # One job in every status: walk each one down the pipeline, like a real shop would.
        targets = PIPELINE + SIDE_STATES
        today = date.today()
        job_ids = []
        for index, (title, quantity, decoration, garment, colour, customer) in enumerate(JOBS):
            job_id = jobs.create_job(
                session,
                owner,
                jobs.JobInput(
                    title=title,
                    customer_id=customer_ids[customer],
                    quantity=str(quantity),
                    due_date=(today + timedelta(days=3 + 4 * index)).isoformat(),
                    decoration=decoration,
                    garment=garment,
                    colour=colour,
                ),
            )
            job_ids.append(job_id)
            target = targets[index % len(targets)]
            path = PIPELINE[1 : PIPELINE.index(target) + 1] if target in PIPELINE else [JobStatus.ARTWORK, target]
            if jobs.APPROVAL_GATED.intersection(path):
                # Art Approved and production need an approval: an offline one, recorded while the job is a quote.
                mockups.record_offline_approval(
                    session, owner, job_id, approved_by="Demo client", method="no_artwork", note="Demo data."
                )
            for status in path:
                if status == JobStatus.SHIPPED:
                    jobs.set_tracking(session, owner, job_id, carrier=Carrier.UPS, number="1Z999AA10123456784")
                if status == JobStatus.AWAITING_APPROVAL:
                    if target == status:  # with artwork the client can approve
                        version = mockups.upload_version(session, owner, job_id, _mockup_png(title, colour), name="front.png")
                        mockups.send_for_approval(session, owner, version.id, message="Here is the front print. Approve it or tell us what to change.")
                    continue  # the others need no artwork: approved offline, they go straight on
                jobs.change_status(session, owner, job_id, status)
        _demo_invoices(session, owner, job_ids, today)
        _demo_client_side(session, owner, job_ids, today)
        # A client's side too: the first customer's private link, and how their contact signs in.
        name, _, email, _, _ = CUSTOMERS[0]
        link = portal_links.portal_url(session.get(Customer, customer_ids[0]))
    return (
        f"Demo shop loaded. Sign in at the app with {OWNER_EMAIL} / {OWNER_PASSWORD}\n"
        f"{name}'s client portal: {link}\n"
        f"  (sign in there as {email}; the code arrives in the local mailbox, Settings → Email)"
    )


def _demo_invoices(session, owner, job_ids: list[int], today: date) -> None:
    """A paid invoice for a completed job, the guide's open $840, an overdue one with a deposit
    asked, a draft. Marked sent without emailing anyone (the demo's clients are made up)."""

    def invoice(job_index: int, lines: list[tuple[str, str, str]], **fields) -> int:
        data = invoices.InvoiceInput(lines=[invoices.LineInput(*line) for line in lines], **fields)
        return invoices.create_draft(session, owner, job_ids[job_index], data)

    paid = invoice(7, [("Crew Jackets, embroidered left chest and back", "12", "95.00"), ("Digitizing", "1", "45.00")], tax_rate="8.875")
    invoices.send_invoice(session, owner, paid, email_client=False)
    owed = invoices.balance(session.get(Invoice, paid))
    invoices.record_payment(session, owner, paid, amount=f"{owed // 100}.{owed % 100:02d}", method="check", reference="Check #1043", email_client=False)
    invoices.send_invoice(session, owner, invoice(5, [("Trucker Caps, embroidered front", "12", "70.00")]), email_client=False)
    overdue = invoice(
        1, [("Staff Polos — embroidered left chest", "36", "22.00")], deposit_kind="percent", deposit="50",
        due_date=(today - timedelta(days=9)).isoformat(),
    )
    invoices.send_invoice(session, owner, overdue, email_client=False)
    invoice(2, [("Holiday Hoodies, 1 colour front", "60", "28.00")], discount_kind="percent", discount="10")


def _client(session, email: str) -> PortalViewer:
    """What a client signed in to the portal as `email` writes as."""
    contact = session.exec(select(CustomerContact).where(CustomerContact.email == email)).one()
    customer = session.get(Customer, contact.customer_id)
    return PortalViewer(customer.id, customer.name, contact.name, contact.email, False, contact.id)


def _demo_client_side(session, owner, job_ids: list[int], today: date) -> None:
    """What clients send in: a conversation about the Trucker Caps whose last message the shop
    has not read yet (the Messages badge, the dashboard), and a quote request nobody opened
    yet (the Quote Requests badge)."""
    sarah, now = _client(session, "sarah@smithembroidery.example"), utcnow()
    thread = messages.start_thread_client(
        session, sarah, "Could we add our website under the logo, on the back of the caps?",
        job_id=job_ids[5], now=now - timedelta(days=2),
    )
    messages.post_staff(
        session, owner, thread, "Yes: a one-line back embroidery is $2.50 a cap. Shall we add it to the invoice?",
        now=now - timedelta(days=1, hours=20),
    )
    messages.open_thread_client(session, sarah, thread)  # she read the answer, then wrote back
    messages.post_client(session, sarah, thread, "Yes please, go ahead: smithembroidery.example", now=now - timedelta(hours=3))

    jordan = _client(session, "jordan@pixellabs.example")
    answers = (
        {"item_type": "hoodies", "garment": "Independent SS4500", "colour": "Black", "size_mode": "adult",
         "quantities": {"S": "6", "M": "14", "L": "14", "XL": "6"}},
        {"decoration": "embroidery", "placements": {"left_chest": "1"}, "notes": "Our logo, white thread."},
        {"in_hands_date": (today + timedelta(days=30)).isoformat(), "delivery": "pickup"},
    )
    for step, data in enumerate(answers, start=1):
        quotes.save_draft(session, jordan, step, data, go_to=step + 1)
    quotes.submit(session, jordan)
