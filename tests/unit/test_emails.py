"""Email templates: every kind renders from its two template files, with the shop's branding,
escaped HTML, absolute links, and a text part that says what the HTML part says."""

from __future__ import annotations

import dataclasses
import html as html_lib
import re

import pytest
from jinja2 import UndefinedError

from kontrol_app.models import EmailKind
from kontrol_app.services import emails
from kontrol_app.services.emails import TEMPLATE_DIR, render
from kontrol_app.services.shop import UNNAMED_SHOP, ShopInfo

BASE_URL = "https://shop.example"
PORTAL = f"{BASE_URL}/public/portal/acme-apparel-0123456789abcdefghijklmnop"
TRACKING = "https://www.ups.com/track?loc=en_US&tracknum=1Z999AA10123456784"

# One sample per kind. A kind added to EmailKind without a sample here (or without its two
# templates) fails test_every_kind_has_its_templates_and_a_sample.
SAMPLES: dict[EmailKind, dict[str, str]] = {
    EmailKind.SIGN_IN_CODE: {"code": "042917", "portal_url": PORTAL},
    EmailKind.PORTAL_LINK: {
        "message": f"Hey Ann — here's your order portal link.\n\nBookmark it: {PORTAL}\n\n— Olivia",
        "portal_url": PORTAL,
    },
    EmailKind.JOB_STATUS: {
        "subject": "Spring League T-Shirts has shipped",
        "body": f'Hi Sarah,\n\nYour order "Spring League T-Shirts" is on its way.\n\nTrack it here: {TRACKING}\n\n— Ink & Thread',
        "job_url": f"{PORTAL}?job=7",
        "job_title": "Spring League T-Shirts",
        "status": "Shipped",
    },
    EmailKind.ARTWORK_READY: {
        "job_title": "Spring League T-Shirts",
        "version_label": "v2",
        "message": "Hi Sarah — here is v2 with the bigger logo.\n\nLet us know what you think.",
        "preview_name": "Spring League T-Shirts v2 preview.png",
        "job_url": f"{PORTAL}?job=7",
        "approve_by_text": "Approve by Apr 3 to keep your Apr 12 due date",
    },
    EmailKind.APPROVAL_REMINDER: {
        "job_title": "Spring League T-Shirts",
        "version_label": "v2",
        "days_waiting": "4",
        "job_url": f"{PORTAL}?job=7",
        "approve_by_text": "Approve by Apr 3 to keep your Apr 12 due date",
    },
    EmailKind.APPROVAL_DECISION: {
        "subject": "Sarah Smith requested revisions on v2 — Spring League T-Shirts",
        "title": "Sarah Smith requested revisions on v2 of Spring League T-Shirts",
        "notes": "Make the logo bigger.\n\nAnd the names in white, please.",
        "job_url": f"{BASE_URL}/jobs/7",
    },
    EmailKind.INVOICE_SENT: {
        "number": "INV-0112",
        "job_title": "Spring League T-Shirts",
        "total": "$1,240.00",
        "balance": "$1,240.00",
        "due_date": "Apr 3, 2026",
        "deposit": "$620.00",
        "invoice_url": f"{PORTAL}?invoice=12",
        "pay_online": "1",
        "how_to_pay": "",
    },
    EmailKind.PAYMENT_RECEIPT: {
        "number": "INV-0112",
        "amount": "$620.00",
        "method": "Card (Stripe)",
        "balance": "$620.00",
        "paid_in_full": "",  # the callers pass a bool; "" is the partly paid case here
        "invoice_url": f"{PORTAL}?invoice=12",
    },
    EmailKind.PAYMENT_RECEIVED: {
        "customer_name": "Smith Embroidery",
        "number": "INV-0112",
        "amount": "$620.00",
        "method": "Card (Stripe)",
        "balance": "$620.00",
        "paid_in_full": "",
        "invoice_url": f"{BASE_URL}/invoices/12",
    },
    EmailKind.INVOICE_REMINDER: {
        "number": "INV-0112",
        "job_title": "Spring League T-Shirts",
        "balance": "$620.00",
        "due_date": "Apr 3, 2026",
        "days_overdue": "7",
        "invoice_url": f"{PORTAL}?invoice=12",
        "pay_online": "1",
        "how_to_pay": "",
    },
    EmailKind.MESSAGE_TO_CLIENT: {
        "sender_name": "Olivia Owner",
        "topic": "Spring League T-Shirts",
        "message": "Hi Sarah — the proof is attached.\n\nDetails: https://example.com/spec",
        "thread_url": f"{PORTAL}?thread=5",
    },
    EmailKind.MESSAGE_TO_SHOP: {
        "subject": "Sarah Smith wrote about Spring League T-Shirts",
        "title": "Sarah Smith (Smith Embroidery) wrote about Spring League T-Shirts",
        "notes": "Can we make the logo bigger?\n\n<script>alert(1)</script>",
        "thread_url": f"{BASE_URL}/messages?thread=5",
    },
    EmailKind.QUOTE_REQUEST_CONFIRMATION: {
        "number": "QR-0001",
        "contact_name": "Sarah <b>Smith</b>",
        "summary": "What: 48 T-shirts (Gildan 5000, Navy)\nS 12 · M 24 · L 12\nNotes: <script>alert(1)</script>",
        "portal_url": PORTAL,
    },
    EmailKind.QUOTE_REQUEST_RECEIVED: {
        "subject": "New quote request QR-0001 from Smith Embroidery",
        "title": "Sarah Smith (Smith Embroidery) asked for a quote: QR-0001",
        "notes": "What: 48 T-shirts\nDecoration: Screen print <script>alert(1)</script>",
        "job_url": f"{BASE_URL}/quotes?request=1",
    },
    EmailKind.QUOTE_REQUEST_DECLINED: {
        "number": "QR-0001",
        "contact_name": "Sarah Smith",
        "message": "We are booked until June.\n\nDetails: https://example.com/calendar",
        "portal_url": PORTAL,
    },
    EmailKind.EMAIL_CHANGE_CODE: {"in_use": "", "code": "604213", "portal_url": PORTAL},
    EmailKind.EMAIL_CHANGE_NOTICE: {"new_email": "sarah.new@smith.example", "changed": "", "portal_url": PORTAL},
}


def shop_info(**changes: str) -> ShopInfo:
    shop = ShopInfo(
        name="Ink & Thread Co.",
        email="hello@inkthread.example",
        phone="555-0100",
        address="1 Press Lane\nSpringfield",
        currency="USD",
        timezone="UTC",
        logo_file="",
    )
    return dataclasses.replace(shop, **changes)


def with_logo() -> ShopInfo:
    """A shop with a logo, however ShopInfo records it: logo_path is what emails use."""
    shop = shop_info()
    field = next(f.name for f in dataclasses.fields(ShopInfo) if f.name.startswith("logo"))
    shop = dataclasses.replace(shop, **{field: "logo-1a2b3c.png" if field != "logo_file_id" else 12})
    assert shop.logo_path
    return shop


def visible_text(html: str) -> str:
    """What a reader of the HTML part sees: tags dropped, entities decoded, spaces folded."""
    body = html.split("<body", 1)[1]
    body = re.sub(r'<div style="display:none[^"]*">.*?</div>', "", body, count=1)  # the preheader
    body = re.sub(r"<br\s*/?>", "\n", body)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", body))


def folded(text: str) -> str:
    return " ".join(text.split())


def kind_files() -> set[str]:
    """Kinds the template directory holds: every file but the shared base and _parts."""
    return {
        path.stem
        for path in TEMPLATE_DIR.iterdir()
        if path.is_file() and not path.name.startswith(("_", "base."))
    }


# --- every kind --------------------------------------------------------------------------------


def test_every_kind_has_its_templates_and_a_sample():
    kinds = {kind.value for kind in EmailKind}
    assert kind_files() == kinds, "each template pair needs an EmailKind, and each EmailKind its templates"
    for kind in kinds:
        assert (TEMPLATE_DIR / f"{kind}.html").is_file() and (TEMPLATE_DIR / f"{kind}.txt").is_file(), kind
    assert set(SAMPLES) == set(EmailKind), "add a sample above for every new kind"
    assert {path.name for path in TEMPLATE_DIR.iterdir()} >= {"base.html", "base.txt"}


@pytest.mark.parametrize("kind", list(EmailKind), ids=lambda kind: kind.value)
def test_every_kind_renders_with_the_shops_branding(kind):
    shop = shop_info()
    content = render(kind, SAMPLES[kind], shop, BASE_URL)

    assert content.subject and "\n" not in content.subject and "\r" not in content.subject
    assert content.html.startswith("<!doctype html>")
    assert f"<title>{html_lib.escape(content.subject, quote=False)}</title>" in content.html
    # The footer, in both parts.
    seen = visible_text(content.html)
    for fact in ("Ink & Thread Co.", shop.email, shop.phone, "1 Press Lane", "Springfield"):
        assert fact in content.text and fact in seen, fact
    assert f'href="mailto:{shop.email}"' in content.html
    assert content.text.endswith("Springfield\n")


@pytest.mark.parametrize("kind", list(EmailKind), ids=lambda kind: kind.value)
def test_text_part_says_what_the_html_part_says(kind):
    data = SAMPLES[kind]
    content = render(kind, data, shop_info(), BASE_URL)
    seen = folded(visible_text(content.html))
    text = folded(content.text)
    for key, value in data.items():
        if key == "subject":
            continue  # the subject is the email's subject (and the HTML's title)
        for line in value.splitlines():
            if line.strip():
                assert folded(line) in text, (key, line)
                assert folded(line) in seen, (key, line)
    # Every link of the data is a link in the HTML, and written out in the text.
    for key, url in data.items():
        if key.endswith("_url"):
            assert f'href="{html_lib.escape(url)}"' in content.html
            assert url in content.text


@pytest.mark.parametrize("kind", list(EmailKind), ids=lambda kind: kind.value)
def test_hostile_shop_details_are_escaped_in_every_kind(kind):
    shop = shop_info(name="<script>alert(1)</script> & Sons", phone='"><img src=x onerror=alert(1)>')
    content = render(kind, SAMPLES[kind], shop, BASE_URL)
    assert "<script" not in content.html and "<img src=x" not in content.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sons" in content.html
    assert "<script>alert(1)</script> & Sons" in content.text  # text/plain is not HTML


# --- sign-in code --------------------------------------------------------------------------


def test_sign_in_code_has_the_code_on_its_own_line_and_the_button():
    content = render(EmailKind.SIGN_IN_CODE, SAMPLES[EmailKind.SIGN_IN_CODE], shop_info(), BASE_URL)
    assert content.subject == "Your sign-in code for Ink & Thread Co."
    assert re.findall(r"^(\d{6})$", content.text, re.M) == ["042917"]
    assert f"Open your portal: {PORTAL}" in content.text
    assert re.search(rf'<a href="{re.escape(PORTAL)}"[^>]*>Open your portal</a>', content.html)
    # Only where it belongs: not in the preheader inboxes show next to the subject.
    assert content.html.count("042917") == 1


# --- job status: the shop's own text --------------------------------------------------------


def test_job_title_and_automation_text_are_escaped():
    data = SAMPLES[EmailKind.JOB_STATUS] | {
        "subject": "<script>x</script> & co is Shipped",
        "body": "Hi <b>Sam</b> & team,\n\nYour order <script>alert(1)</script> shipped.",
        "job_title": "<script>alert(2)</script> & Tees",
    }
    content = render(EmailKind.JOB_STATUS, data, shop_info(), BASE_URL)
    assert "<script" not in content.html and "<b>" not in content.html
    assert "Hi &lt;b&gt;Sam&lt;/b&gt; &amp; team," in content.html
    assert "&lt;script&gt;alert(2)&lt;/script&gt; &amp; Tees" in content.html  # the preheader
    assert "<title>&lt;script&gt;x&lt;/script&gt; &amp; co is Shipped</title>" in content.html
    assert content.subject == "<script>x</script> & co is Shipped"
    assert "Hi <b>Sam</b> & team," in content.text


def test_automation_text_is_data_never_a_template():
    data = SAMPLES[EmailKind.JOB_STATUS] | {"subject": "{{ 7 * 7 }}", "body": "{{ 6 * 7 }} {% if true %}x{% endif %}"}
    content = render(EmailKind.JOB_STATUS, data, shop_info(), BASE_URL)
    assert content.subject == "{{ 7 * 7 }}"
    assert "{{ 6 * 7 }} {% if true %}x{% endif %}" in content.text
    assert "42" not in content.text and "49" not in content.html


def test_web_addresses_in_written_text_become_links_and_paragraphs_stay():
    content = render(EmailKind.JOB_STATUS, SAMPLES[EmailKind.JOB_STATUS], shop_info(), BASE_URL)
    escaped = TRACKING.replace("&", "&amp;")
    assert f'<a href="{escaped}" rel="noopener">{escaped}</a>' in content.html
    assert content.html.count('<p style="margin:0 0 14px">') == 4  # the body's four paragraphs
    assert "Track it here: " + TRACKING in content.text


@pytest.mark.parametrize("subject", ["Shipped\r\nBcc: everyone@example.com", "Shipped\nBcc: x", "A\u2028B", "  A \r B  "])
def test_a_subject_never_holds_a_line_break(subject):
    data = SAMPLES[EmailKind.JOB_STATUS] | {"subject": subject}
    content = render(EmailKind.JOB_STATUS, data, shop_info(), BASE_URL)
    assert len(content.subject.splitlines()) == 1 and content.subject == content.subject.strip()
    assert not set(content.subject) & {"\r", "\n", "\u2028"}


# --- links ---------------------------------------------------------------------------------


def test_logo_is_linked_absolutely_with_the_shop_name_as_alt_text():
    shop = with_logo()
    content = render(EmailKind.SIGN_IN_CODE, SAMPLES[EmailKind.SIGN_IN_CODE], shop, BASE_URL + "/")
    [src] = re.findall(r'<img src="([^"]+)"', content.html)
    assert src == BASE_URL + shop.logo_path
    assert re.search(r'<img src="[^"]+" alt="Ink &amp; Thread Co\."', content.html)


def test_without_a_logo_the_header_shows_the_name():
    content = render(EmailKind.SIGN_IN_CODE, SAMPLES[EmailKind.SIGN_IN_CODE], shop_info(), BASE_URL)
    assert "<img" not in content.html
    assert '<div style="font-size:18px;font-weight:600">Ink &amp; Thread Co.</div>' in content.html


@pytest.mark.parametrize(
    "url", ["/public/portal/acme", "javascript:alert(1)", "portal.example/x", "ftp://shop.example/x", ""]
)
def test_links_must_be_absolute_http(url):
    with pytest.raises(ValueError, match="portal_url"):
        render(EmailKind.SIGN_IN_CODE, {"code": "123456", "portal_url": url}, shop_info(), BASE_URL)


def test_a_relative_base_url_is_refused():
    with pytest.raises(ValueError, match="base_url"):
        render(EmailKind.SIGN_IN_CODE, SAMPLES[EmailKind.SIGN_IN_CODE], shop_info(), "/")


# --- mistakes fail loudly --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["approval_certificate", "staff_welcome", "nope"])
def test_an_unknown_kind_is_refused(kind):
    with pytest.raises(ValueError):
        render(kind, {}, shop_info(), BASE_URL)


def test_missing_data_fails_instead_of_sending_a_blank():
    with pytest.raises(UndefinedError):
        render(EmailKind.SIGN_IN_CODE, {"portal_url": PORTAL}, shop_info(), BASE_URL)


def test_an_unnamed_shop_still_signs_its_emails():
    content = render(EmailKind.SIGN_IN_CODE, SAMPLES[EmailKind.SIGN_IN_CODE], shop_info(name=""), BASE_URL)
    assert content.subject == f"Your sign-in code for {UNNAMED_SHOP}"
    assert UNNAMED_SHOP in content.text


def test_templates_are_read_next_to_the_package_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the app may be started from anywhere; no packaging step
    assert TEMPLATE_DIR.is_absolute() and TEMPLATE_DIR.parent.parent.name == "kontrol_app"
    emails._env.cache.clear()  # read the files again, from here
    content = render(EmailKind.PORTAL_LINK, SAMPLES[EmailKind.PORTAL_LINK], shop_info(), BASE_URL)
    assert content.subject == "Your order portal at Ink & Thread Co."


# --- artwork ready ---------------------------------------------------------------------------


def test_artwork_ready_has_the_subject_the_attached_preview_and_the_review_button():
    data = SAMPLES[EmailKind.ARTWORK_READY]
    content = render(EmailKind.ARTWORK_READY, data, shop_info(), BASE_URL)
    assert content.subject == "Artwork ready for your approval — Spring League T-Shirts"
    assert re.search(rf'<a href="{re.escape(data["job_url"])}"[^>]*>Review the artwork</a>', content.html)
    assert "A preview of v2 is attached: Spring League T-Shirts v2 preview.png." in content.text
    assert "Spring League T-Shirts v2 preview.png</strong>" in content.html
    assert "/api/files/" not in content.html + content.text  # nothing that needs the portal's sign-in
    assert f"Review the artwork: {data['job_url']}" in content.text


def test_artwork_ready_without_a_message_or_preview_still_reads_well():
    data = {k: v for k, v in SAMPLES[EmailKind.ARTWORK_READY].items() if k != "preview_name"} | {"message": ""}
    content = render(EmailKind.ARTWORK_READY, data, shop_info(), BASE_URL)
    assert "attached" not in content.html and "attached" not in content.text
    assert "v2 is ready for your approval" in content.text


# --- invoices and payments --------------------------------------------------------------------


def test_invoice_sent_names_the_invoice_the_shop_the_deposit_and_the_pay_button():
    data = SAMPLES[EmailKind.INVOICE_SENT]
    content = render(EmailKind.INVOICE_SENT, data, shop_info(), BASE_URL)
    assert content.subject == "Invoice INV-0112 from Ink & Thread Co."
    assert re.search(rf'<a href="{re.escape(data["invoice_url"])}"[^>]*>View and pay</a>', content.html)
    assert "A deposit of $620.00 is due now" in content.text
    assert "Due date: Apr 3, 2026" in content.text and "The PDF is attached." in content.text


@pytest.mark.parametrize("kind", [EmailKind.INVOICE_SENT, EmailKind.INVOICE_REMINDER])
def test_without_card_payments_an_invoice_email_says_how_to_pay_and_offers_no_pay_button(kind):
    data = SAMPLES[kind] | {"pay_online": "", "how_to_pay": "Checks payable to Ink & Thread Co.\nBank: 000-111"}
    content = render(kind, data, shop_info(), BASE_URL)
    assert "How to pay:\nChecks payable to Ink & Thread Co.\nBank: 000-111" in content.text
    assert f"View invoice: {data['invoice_url']}" in content.text and "View and pay" not in content.text + content.html
    assert re.search(rf'<a href="{re.escape(data["invoice_url"])}"[^>]*>View invoice</a>', content.html)
    assert "Checks payable to Ink &amp; Thread Co." in content.html


def test_a_shop_name_ending_in_a_full_stop_ends_the_sentence_once():
    content = render(EmailKind.INVOICE_SENT, SAMPLES[EmailKind.INVOICE_SENT], shop_info(name="Demo Print Co."), BASE_URL)
    assert "Here is invoice INV-0112 from Demo Print Co. The PDF is attached." in content.text
    assert "Co.." not in content.text + visible_text(content.html)
    plain = render(EmailKind.INVOICE_SENT, SAMPLES[EmailKind.INVOICE_SENT], shop_info(name="Ink & Thread"), BASE_URL)
    assert "from Ink & Thread. The PDF" in plain.text


def test_invoice_sent_without_a_deposit_or_due_date_says_neither():
    data = {k: v for k, v in SAMPLES[EmailKind.INVOICE_SENT].items() if k != "deposit"} | {"due_date": ""}
    content = render(EmailKind.INVOICE_SENT, data, shop_info(), BASE_URL)
    assert "deposit" not in content.text.lower() and "deposit" not in visible_text(content.html).lower()
    assert "Due date" not in content.text


def test_payment_receipt_says_what_is_left_or_paid_in_full():
    data = SAMPLES[EmailKind.PAYMENT_RECEIPT]
    partly = render(EmailKind.PAYMENT_RECEIPT, data, shop_info(), BASE_URL)
    assert partly.subject == "Payment received — INV-0112"
    assert "Remaining balance: $620.00" in partly.text and "Paid in full" not in partly.text
    full = render(EmailKind.PAYMENT_RECEIPT, data | {"paid_in_full": True, "balance": "$0.00"}, shop_info(), BASE_URL)
    assert "Balance: Paid in full" in full.text and "Remaining" not in full.text
    assert "Paid in full" in visible_text(full.html)


def test_payment_received_tells_the_shop_who_paid_what():
    content = render(EmailKind.PAYMENT_RECEIVED, SAMPLES[EmailKind.PAYMENT_RECEIVED], shop_info(), BASE_URL)
    assert content.subject == "Smith Embroidery paid $620.00 on INV-0112"
    assert "Still owed: $620.00" in content.text


@pytest.mark.parametrize(
    ("days", "subject"),
    [("0", "Reminder: INV-0112 is due on Apr 3, 2026"), ("1", "INV-0112 is 1 day overdue"), ("7", "INV-0112 is 7 days overdue")],
)
def test_invoice_reminder_before_and_after_the_due_date(days, subject):
    data = SAMPLES[EmailKind.INVOICE_REMINDER] | {"days_overdue": days}
    content = render(EmailKind.INVOICE_REMINDER, data, shop_info(), BASE_URL)
    assert content.subject == subject
    assert "Balance due: $620.00" in content.text
    assert re.search(rf'<a href="{re.escape(data["invoice_url"])}"[^>]*>View and pay</a>', content.html)


# --- a contact's new sign-in email (My Branding) ------------------------------------------------


def test_email_change_code_has_the_code_on_its_own_line():
    content = render(EmailKind.EMAIL_CHANGE_CODE, SAMPLES[EmailKind.EMAIL_CHANGE_CODE], shop_info(), BASE_URL)
    assert content.subject == "Confirm your new sign-in email for Ink & Thread Co."
    assert re.findall(r"^(\d{6})$", content.text, re.M) == ["604213"]
    assert content.html.count("604213") == 1


def test_an_address_already_in_use_is_told_without_a_code_or_a_link():
    content = render(EmailKind.EMAIL_CHANGE_CODE, {"in_use": "1"}, shop_info(), BASE_URL)
    assert content.subject == "Your email already signs in with Ink & Thread Co."
    assert "no code was sent and nothing changed" in content.text and "no code was sent" in visible_text(content.html)
    assert re.search(r"\d{6}", content.text) is None and "Open your portal" not in content.text + content.html


def test_email_change_notice_says_asked_or_changed():
    data = SAMPLES[EmailKind.EMAIL_CHANGE_NOTICE]
    asked = render(EmailKind.EMAIL_CHANGE_NOTICE, data, shop_info(), BASE_URL)
    assert asked.subject == "Someone asked to change your sign-in email for Ink & Thread Co." and "keeps working" in asked.text and "sarah.new@smith.example" in asked.text
    done = render(EmailKind.EMAIL_CHANGE_NOTICE, data | {"changed": "1"}, shop_info(), BASE_URL)
    assert done.subject == "Your sign-in email for Ink & Thread Co. was changed"
    assert "no longer signs you in" in done.text and "no longer signs you in" in visible_text(done.html)
