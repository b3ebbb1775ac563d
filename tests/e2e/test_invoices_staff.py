"""In a real browser: staff invoice a job from its Invoices tab (two lines, 10% discount,
8.875% tax, live totals), save a draft without a number, send it (INV-0001, the email with
its PDF in the local mailbox), record a partial cash payment, are refused a Void while money
is held, and see it all on the Invoices page and the customer's Open Invoices card; the
editor stays usable on a phone."""

from __future__ import annotations

import email
import email.policy
from datetime import date, timedelta

from playwright.sync_api import Page, expect
from sqlmodel import select

from kontrol_app.models import EmailKind, Invoice
from kontrol_app.models.jobs import JobStatus
from kontrol_app.services import invoices

from .a11y import assert_accessible
from .conftest import OWNER_NAME, eventually, owner_principal
from .pages import at, choose, downloaded, staff_page_live, table_row, toast


def _type(page: Page, selector: str, text: str) -> None:
    box = page.locator(selector)
    box.fill(text)
    box.press("Tab")  # the debounced box sends on blur


def _open_tab(page: Page) -> None:
    page.get_by_role("tab", name="Invoices").click()
    expect(page.get_by_role("button", name="Create Invoice")).to_be_visible()


def test_create_save_send_pay_and_see_it_everywhere(shop, page, sign_in_as, make_customer, make_job, outbox, e2e_server):
    customer = make_customer("Riverside Runners", email="sam@riverside.example", contact_name="Sam Rivers")
    job = make_job(customer.id, "Spring League T-Shirts", quantity=144, status=JobStatus.IN_PRODUCTION)
    sign_in_as(page, shop, f"/jobs/{job}")
    staff_page_live(page, OWNER_NAME)
    _open_tab(page)
    expect(page.get_by_text("No invoices for this job yet.")).to_be_visible()

    # The editor: the first line from the job; live totals through the money rule.
    page.get_by_role("button", name="Create Invoice").click()
    editor = page.locator("#invoice-editor")
    expect(editor.get_by_text("A draft has no number until it is sent.")).to_be_visible()
    expect(page.locator("#line-0-description")).to_have_value("Spring League T-Shirts")
    expect(page.locator("#line-0-quantity")).to_have_value("144")
    _type(page, "#line-0-unit_price", "12.50")
    expect(editor.locator(".line-amount").first).to_have_text("$1,800.00")
    editor.get_by_role("button", name="Add line").click()
    expect(page.locator("#line-1-description")).to_be_visible()
    _type(page, "#line-1-description", "Screen setup")
    _type(page, "#line-1-unit_price", "abc")
    expect(editor.locator(".line-amount").nth(1)).to_have_text("—")
    _type(page, "#line-1-unit_price", "25")
    choose(page, "Discount type", "Percent (%)")
    _type(page, "input[name=discount]", "10")
    _type(page, "input[name=tax_rate]", "8.875")
    totals = page.locator("#invoice-totals")
    expect(totals.locator(".total-subtotal")).to_have_text("$1,825.00")
    expect(totals.locator(".total-discount")).to_have_text("-$182.50")
    expect(totals.locator(".total-tax")).to_have_text("$145.77")  # 8.875% of 1,642.50 = 145.771875
    expect(totals.locator(".total-total")).to_have_text("$1,788.27")
    expect(editor.get_by_role("button", name="Remove line 2")).to_be_visible()
    assert_accessible(page, "the invoice editor")

    # Save Draft: no number yet, said so.
    editor.get_by_role("button", name="Save Draft").click()
    expect(toast(page, "Draft saved. A draft has no number until it is sent.")).to_be_visible()
    assert_accessible(page, "the page with a success toast")  # sonner's light green text, darkened in contrast.css
    detail = page.locator("#invoice-detail")
    expect(page.locator("#invoice-title")).to_have_text("Draft invoice")
    expect(page.locator("#invoice-status")).to_have_text("Draft")
    expect(page.locator(".invoice-row")).to_have_count(1)
    expect(page.locator(".invoice-row")).to_contain_text("Draft — numbered when sent")
    expect(detail.get_by_text("A draft has no number until it is sent.")).to_be_visible()

    # Send: INV-0001, the email with its PDF lands in the local mailbox.
    detail.get_by_role("button", name="Send Invoice").click()
    expect(toast(page, "INV-0001 sent to the client.")).to_be_visible()
    expect(page.locator("#invoice-title")).to_have_text("INV-0001")
    expect(page.locator("#invoice-status")).to_have_text("Sent")
    with e2e_server.session() as session:
        [invoice_id] = session.exec(select(Invoice.id).where(Invoice.job_id == job)).all()
    expect(detail.get_by_role("link", name="Download PDF")).to_have_attribute("href", f"/api/invoices/{invoice_id}/pdf")
    assert downloaded(page, detail.get_by_role("link", name="Download PDF")).startswith(b"%PDF")
    expect(detail.get_by_role("button", name="Email again")).to_be_visible()
    [queued] = outbox(EmailKind.INVOICE_SENT, to=customer.email)
    assert "INV-0001" in queued.subject
    eml = eventually(lambda: list(e2e_server.mail_dir.glob("*-invoice_sent.eml")), what="the invoice email in the mailbox")
    message = email.message_from_bytes(eml[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == customer.email and "INV-0001" in message["Subject"]
    [pdf] = [part for part in message.iter_attachments() if part.get_filename() == "INV-0001.pdf"]
    assert pdf.get_content().startswith(b"%PDF")

    # A partial cash payment: Partially Paid, the balance drops.
    detail.get_by_role("button", name="Record Payment").click()
    dialog = page.get_by_role("dialog")
    amount = dialog.get_by_label("Amount")
    expect(amount).to_have_value("1788.27")  # prefilled with the balance
    assert_accessible(page, "the Record Payment dialog")
    amount.fill("500")
    amount.press("Tab")
    choose(page, "Method", "Cash")
    dialog.get_by_role("button", name="Record payment").click()
    expect(toast(page, "Payment recorded. INV-0001 is Partially Paid.")).to_be_visible()
    expect(dialog).to_have_count(0)
    expect(page.locator("#invoice-status")).to_have_text("Partially Paid")
    expect(page.locator("#invoice-detail-totals .total-balance")).to_have_text("$1,288.27")
    expect(detail.locator(".invoice-payment")).to_contain_text("Payment $500.00 · Cash")

    # Void is refused while money is held: the service's message, in the dialog.
    detail.get_by_role("button", name="Void").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Reason")).to_be_visible()
    assert_accessible(page, "the Void dialog")
    dialog.get_by_label("Reason").fill("Customer cancelled")
    dialog.get_by_label("Reason").press("Tab")
    dialog.get_by_role("button", name="Void invoice").click()
    expect(dialog.get_by_text("This invoice has payments of $500.00. Refund them before voiding it.")).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator("#invoice-status")).to_have_text("Partially Paid")

    # Another customer's invoice, sent and past due, for the Overdue filter.
    other = make_customer("Łódź Lacrosse", email="coach@lodz.example")
    other_job = make_job(other.id, "Team Hoodies", quantity=20)
    past = (date.today() - timedelta(days=5)).isoformat()
    with e2e_server.session() as session:
        data = invoices.InvoiceInput(lines=[invoices.LineInput("Hoodies", "20", "30")], due_date=past)
        late = invoices.create_draft(session, owner_principal(shop), other_job, data)
    with e2e_server.session() as session:
        invoices.send_invoice(session, owner_principal(shop), late)

    # The Invoices page: the open and overdue totals, the filter, links to the job and customer.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Invoices").click()
    expect(page).to_have_url(at("/invoices"))
    expect(page.locator("#open-total")).to_have_text("$1,888.27")
    expect(page.locator("#overdue-total")).to_have_text("$600.00")
    expect(page.locator("#overdue-total").locator("xpath=..")).to_have_attribute("data-accent-color", "red")  # gray at $0.00
    expect(page.locator(".invoice-list-row")).to_have_count(2)
    ours = table_row(page, "INV-0001")
    expect(ours).to_contain_text("Partially Paid")
    expect(ours).to_contain_text("$1,288.27")
    choose(page, "Status filter", "Overdue")
    expect(page.locator(".invoice-list-row")).to_have_count(1)
    expect(table_row(page, "INV-0002")).to_contain_text("Overdue")
    assert_accessible(page, "the Invoices page with an overdue invoice")
    choose(page, "Status filter", "All")
    search = page.get_by_label("Search invoices by number, customer or job")
    search.fill("riverside")
    expect(page.locator(".invoice-list-row")).to_have_count(1)
    table_row(page, "INV-0001").get_by_role("link", name="INV-0001").click()
    expect(page).to_have_url(at(f"/jobs/{job}", query="tab=invoices"))
    expect(page.locator("#invoice-title")).to_have_text("INV-0001")
    expect(page.get_by_role("tab", name="Invoices")).to_have_attribute("aria-selected", "true")

    # The customer's Open Invoices card: what they still owe.
    page.goto("/invoices")
    table_row(page, "INV-0001").get_by_role("link", name="Riverside Runners").click()
    expect(page).to_have_url(at(f"/customers/{customer.id}"))
    expect(page.locator(".stat-card").filter(has_text="Open Invoices")).to_contain_text("$1,288.27")


def test_the_invoice_editor_fits_a_phone(shop, new_context, sign_in_as, make_customer, make_job):
    customer = make_customer("Riverside Runners", email="sam@riverside.example")
    job = make_job(customer.id, "Spring League T-Shirts with a rather long title for a small screen", quantity=144)
    page = new_context().new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_as(page, shop, f"/jobs/{job}?tab=invoices")
    staff_page_live(page, OWNER_NAME)
    page.get_by_role("button", name="Create Invoice").click()
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("#line-1-description")).to_be_visible()
    # A line stacks: description above quantity above the price, each as wide as it can be.
    description, price = page.locator("#line-0-description").bounding_box(), page.locator("#line-0-unit_price").bounding_box()
    assert price["y"] > description["y"] + description["height"] - 1
    _type(page, "#line-0-unit_price", "12.50")
    expect(page.locator("#invoice-totals .total-total")).to_have_text("$1,800.00")
    for name in ("Remove line 2", "Add line", "Save Draft", "Send Invoice"):
        button = page.get_by_role("button", name=name, exact=True)
        button.scroll_into_view_if_needed()
        expect(button).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways"
