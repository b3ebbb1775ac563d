"""In a real browser, both sides through the UI (issue 10's acceptance): the client starts a
thread about a job with a PDF attachment; staff see the unread badge, open it and reply; the
client's open portal shows the reply and the badge live; each notice email lands once; staff
promote the attachment to a mockup version."""

from __future__ import annotations

import re

from fpdf import FPDF
from playwright.sync_api import expect

from kontrol_app.models import EmailKind

from .conftest import OWNER_NAME
from .pages import staff_page_live, toast

LIVE_MS = 10_000  # both sides poll every 3 s


def _pdf(path) -> str:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=24)
    document.text(20, 40, "Team crest, final")
    document.output(str(path))
    return str(path)


def test_a_conversation_about_a_job_both_sides_live(
    shop, make_customer, make_job, new_context, sign_in_as, portal_sign_in, outbox, tmp_path
):
    acme = make_customer("Acme Uniforms", email="sarah@acme.example", contact_name="Sarah Smith")
    job_id = make_job(acme.id, "Spring League Tees", status="artwork")

    # The client writes about the job, with a PDF.
    client = new_context().new_page()
    client.set_viewport_size({"width": 390, "height": 844})
    portal_sign_in(client, acme.portal_url, acme.email)
    client.get_by_role("button", name="View details").click()
    client.get_by_role("button", name="Message the shop about this order").click()
    client.get_by_label("Message", exact=True).fill("Here is our crest — which file do you need?")
    client.get_by_label("Attach files").set_input_files(_pdf(tmp_path / "crest.pdf"))
    client.get_by_role("button", name="Send", exact=True).click()
    expect(client.locator(".message.mine")).to_have_count(1)

    # The shop is told once: the bell and one email to the shop's address.
    [notice] = outbox(EmailKind.MESSAGE_TO_SHOP)
    assert "which file do you need?" in notice.text_body

    # Staff: the badge, the thread, a reply.
    staff = new_context().new_page()
    sign_in_as(staff, shop, "/")
    staff_page_live(staff, OWNER_NAME)
    expect(staff.locator("#dashboard-unread-messages")).to_have_text("1 unread message")
    badge = staff.locator("#messages-unread")
    expect(badge).to_have_text("1 unread", timeout=LIVE_MS)
    staff.get_by_role("link", name="Messages").click()
    expect(staff.locator("#messages-unread-total")).to_have_text("1 unread message")
    staff.locator(".thread-item button").filter(has_text="Spring League Tees").click()
    expect(staff.locator("#thread-subject")).to_have_text("Spring League Tees")
    expect(staff.locator("#messages-unread-total")).to_have_text("0 unread messages")
    expect(staff.locator(".message-client .attachment-name")).to_have_text("crest.pdf")
    expect(badge).to_have_count(0)
    staff.get_by_label("Reply").fill("The PDF is perfect — proof tomorrow.")
    staff.get_by_role("button", name="Send", exact=True).click()
    expect(staff.locator(".message-shop .message-body")).to_have_text("The PDF is perfect — proof tomorrow.")

    # The client's open portal shows it without a reload, and the tab's badge while elsewhere.
    theirs = client.locator(".message.theirs")
    expect(theirs.locator(".message-body")).to_have_text("The PDF is perfect — proof tomorrow.", timeout=LIVE_MS)
    [to_client] = outbox(EmailKind.MESSAGE_TO_CLIENT, to=acme.email)
    assert "proof tomorrow" in to_client.text_body and re.search(r"\?thread=\d+", to_client.text_body)
    staff.get_by_label("Reply").fill("Sizes confirmed too.")
    staff.get_by_role("button", name="Send", exact=True).click()
    expect(theirs).to_have_count(2, timeout=LIVE_MS)
    # Within the 10 minutes: no second notice for the same thread and side.
    assert len(outbox(EmailKind.MESSAGE_TO_CLIENT, to=acme.email)) == 1
    assert len(outbox(EmailKind.MESSAGE_TO_SHOP)) == 1

    # Staff make the client's PDF a mockup version of the job.
    staff.get_by_role("button", name="Make a mockup version from crest.pdf").click()
    expect(toast(staff, "v1 added to the job's mockups.")).to_be_visible()
    staff.goto(f"/jobs/{job_id}")
    staff_page_live(staff, OWNER_NAME)
    staff.get_by_role("tab", name="Mockups").click()
    expect(staff.locator(".mockup-version[data-label='v1']")).to_contain_text("crest.pdf")
