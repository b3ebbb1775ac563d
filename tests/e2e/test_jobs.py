"""In a real browser against the production build: jobs made and moved by staff,
followed live by the client in the portal; the list, the board, and the checklist."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from playwright.sync_api import expect
from sqlmodel import select

from kontrol_app.models import EmailKind, Job, JobStatus, StatusAutomation
from kontrol_app.services import mockups
from kontrol_app.ui.portal.live import PortalLive
from kontrol_app.ui.portal.session import PortalSession
from kontrol_app.ui.portal.tabs import PortalTabs
from kontrol_app.ui.portal.tabs.orders import OrdersTab

from .conftest import ROOT, WEB_WORKDIR, owner_principal
from .pages import at, choose, expect_portal_tabs, field_of, staff_page_live, toast
from .sockets import PortalSocket, event_name

JOB_ID_URL = re.compile(r"^https?://[^/]+/jobs/(\d+)/?(\?.*)?$")
PIPELINE = ["Quote", "Artwork", "Awaiting Approval", "Art Approved", "In Production", "Ready", "Shipped", "Completed"]
TRACKING_NUMBER = "1Z999AA10123456784"
TRACKING_URL = f"https://www.ups.com/track?tracknum={TRACKING_NUMBER}"
LIVE_MS = 5_000  # "an open portal shows the new status within 5 seconds"
SHIPPED_SWITCH = "Email the client when a job moves to Shipped"


def _day(value: date) -> str:
    return f"{value:%b} {value.day}"


def _expect_timeline(page, current: str) -> None:
    """Steps before `current` are done, `current` is current, the rest are next."""
    index = PIPELINE.index(current)
    steps = page.locator("#portal-job-detail .timeline-step")
    expect(steps).to_have_count(len(PIPELINE))
    expect(page.locator("#portal-job-detail .timeline-step.current")).to_have_text(re.compile("^" + re.escape(current)))
    expect(page.locator("#portal-job-detail .timeline-step.done")).to_have_count(index)
    expect(page.locator("#portal-job-detail .timeline-step.next")).to_have_count(len(PIPELINE) - 1 - index)
    for label in PIPELINE[:index]:
        expect(steps.filter(has_text=label).first).to_have_class(re.compile(r"\bdone\b"))


def test_a_job_moves_through_the_pipeline_and_the_open_portal_follows(
    shop, make_customer, new_context, sign_in_as, portal_sign_in, outbox, db_session
):
    customer = make_customer("Riverside Runners", email="sam@riverside.example", contact_name="Sam Rivers")
    due = date.today() + timedelta(days=40)

    staff_context = new_context()
    staff = staff_context.new_page()
    sign_in_as(staff, shop, f"/customers/{customer.id}")
    expect(staff.get_by_role("heading", name=customer.name)).to_be_visible()
    staff.get_by_role("link", name="New job").click()
    expect(staff).to_have_url(at("/jobs/new", query=rf"customer={customer.id}"))
    expect(staff.locator("#chosen-customer")).to_have_text(customer.name)  # the form's loader has run
    staff_page_live(staff, shop.name)

    typed = {"title": "Spring League T-Shirts", "quantity": "a gross", "due_date": due.isoformat()}
    for name, value in typed.items():
        staff.locator(f"input[name={name}]").fill(value)
    save = staff.get_by_role("button", name="Save job")
    save.click()
    expect(field_of(staff, "quantity").get_by_role("alert")).to_have_text(
        "Enter the quantity as a whole number of pieces, like 144."
    )
    for name, value in typed.items():
        expect(staff.locator(f"input[name={name}]")).to_have_value(value)
    expect(staff.locator("#chosen-customer")).to_have_text(customer.name)
    expect(staff).to_have_url(at("/jobs/new", query="customer="))
    with db_session() as session:
        assert session.exec(select(Job)).first() is None

    staff.locator("input[name=quantity]").fill("144")
    save.click()
    expect(staff).to_have_url(JOB_ID_URL)
    job_id = int(JOB_ID_URL.match(staff.url).group(1))
    status = staff.locator("#job-status")
    expect(status).to_have_text("Quote")
    with db_session() as session:
        job = session.get(Job, job_id)
        assert (job.title, job.quantity, job.due_date, job.customer_id) == ("Spring League T-Shirts", 144, due, customer.id)
        # The approval gate of Art Approved and In Production (tests/e2e/test_mockups.py walks the
        # approval): no artwork needed.
        mockups.record_offline_approval(
            session, owner_principal(shop), job_id, approved_by="Sam Rivers", method="no_artwork", note=""
        )

    # Settings -> Automations: email the client when a job ships.
    automations = staff_context.new_page()
    automations.goto("/settings/automations")
    switch = automations.get_by_role("switch", name=SHIPPED_SWITCH)
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()
    expect(toast(automations, "Shipped: emails on.")).to_be_visible()
    expect(switch).to_have_attribute("aria-checked", "true")
    with db_session() as session:
        assert session.get(StatusAutomation, JobStatus.SHIPPED.value).enabled is True
    automations.close()

    # The client, signed in to the portal, sees the job and opens it.
    client = new_context().new_page()
    portal_sign_in(client, customer.portal_url, customer.email)
    card = client.locator(".order-card").filter(has_text="Spring League T-Shirts")
    expect(card).to_contain_text(f"144 pcs · Due {_day(due)}")
    expect(card.locator(".status-badge")).to_have_text("Quote")
    card.get_by_role("button", name="View details").click()
    detail = client.locator("#portal-job-detail")
    expect(detail).to_contain_text("Spring League T-Shirts")
    expect(detail).to_contain_text(f"144 pcs · Due {_day(due)}")
    portal_status = client.locator("#portal-job-status")
    expect(portal_status).to_have_text("Quote")
    _expect_timeline(client, "Quote")
    client.evaluate("window.__kontrolNoReload = true")  # gone if the page ever reloads

    move = staff.locator("#move-next")
    for label in ["Artwork", "Art Approved", "In Production", "Ready"]:
        expect(move).to_have_text(f"Move to {label}")
        move.click()
        expect(status).to_have_text(label)
        expect(portal_status).to_have_text(label, timeout=LIVE_MS)
        _expect_timeline(client, label)
        if label == "Artwork":
            # Awaiting Approval comes with Send for Approval: set by hand it says how, and stays put.
            choose(staff, "Set status", "Awaiting Approval")
            expect(staff.get_by_role("alert").filter(has_text="Send for Approval")).to_have_text(
                "A job is Awaiting Approval once its artwork is sent: upload it on the Mockups tab and click Send for Approval."
            )
            expect(status).to_have_text("Artwork")

    choose(staff, "Carrier", "UPS")
    staff.locator("input[name=tracking_number]").fill(TRACKING_NUMBER)
    staff.get_by_role("button", name="Save tracking").click()
    expect(toast(staff, "Tracking saved.")).to_be_visible()
    tracking = client.locator("#portal-job-detail .tracking-link")
    expect(tracking).to_have_attribute("href", TRACKING_URL, timeout=LIVE_MS)
    expect(tracking).to_have_text(f"UPS {TRACKING_NUMBER}")
    assert outbox(EmailKind.JOB_STATUS) == []  # only Shipped emails the client

    expect(move).to_have_text("Move to Shipped")
    move.click()
    expect(status).to_have_text("Shipped")
    expect(portal_status).to_have_text("Shipped", timeout=LIVE_MS)
    _expect_timeline(client, "Shipped")
    expect(tracking).to_have_attribute("href", TRACKING_URL)
    assert client.evaluate("window.__kontrolNoReload === true"), "the portal reloaded"

    [email] = outbox(EmailKind.JOB_STATUS)
    assert email.to_email == customer.email
    assert email.subject == "Spring League T-Shirts has shipped"
    assert TRACKING_URL in email.text_body and TRACKING_URL in email.html_body

    # Back in the list, the client's card says Shipped too.
    client.get_by_role("button", name="All orders").click()
    expect(card.locator(".status-badge")).to_have_text("Shipped")
    expect(card.locator(".tracking-link")).to_have_attribute("href", TRACKING_URL)

    staff.get_by_role("tab", name="History").click()
    rows = staff.locator(".history-row")
    walked = [step for step in PIPELINE[:7] if step != "Awaiting Approval"]  # approved offline: no proof sent
    expected = ["Created as Quote"] + [f"{a} → {b}" for a, b in zip(walked, walked[1:], strict=False)]
    expect(rows).to_have_count(len(expected))
    for row, change in zip(rows.all(), reversed(expected), strict=False):  # newest first
        expect(row.locator("td").nth(0)).to_have_text(change)
        expect(row.locator("td").nth(1)).to_have_text(shop.name)


def test_jobs_list_filters_and_the_board_moves_a_job_one_step(shop, make_customer, make_job, page, sign_in_as, db_session):
    acme = make_customer("Acme Uniforms", email="buyer@acme.example")
    river = make_customer("Riverside Runners", email="sam@riverside.example")
    banner = make_job(acme.id, "Banner Run", due_date="2030-03-01")
    make_job(acme.id, "Hoodies for Fall", due_date="2030-03-02", status="artwork")
    make_job(river.id, "Caps Order", due_date="2030-03-03", status="in_production")
    make_job(acme.id, "Old Polo Shirts", due_date="2029-01-01", status="completed")

    sign_in_as(page, shop, "/jobs")
    staff_page_live(page, shop.name)
    rows = page.locator(".job-row")
    # Active jobs by default, due soonest first.
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Banner Run")
    expect(rows.nth(1)).to_contain_text("Hoodies for Fall")
    expect(rows.nth(2)).to_contain_text("Caps Order")
    expect(rows.nth(2)).to_contain_text("Riverside Runners")
    expect(page.get_by_text("Page 1 of 1 · 3 jobs", exact=True)).to_be_visible()

    page.locator("input[name=search]").fill("HOOD")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Hoodies for Fall")
    expect(page.get_by_text("Page 1 of 1 · 1 job", exact=True)).to_be_visible()
    expect(rows.first).to_contain_text("Artwork")
    page.locator("input[name=search]").fill("")
    expect(rows).to_have_count(3)

    choose(page, "Status filter", "In Production")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Caps Order")
    choose(page, "Status filter", "All jobs")
    expect(rows).to_have_count(4)
    expect(page.get_by_text("Old Polo Shirts")).to_be_visible()
    choose(page, "Status filter", "Completed")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Old Polo Shirts")
    page.locator("input[name=search]").fill("banner")
    expect(page.get_by_text("No jobs match these filters.")).to_be_visible()

    page.goto("/jobs/board")

    def column(label: str):
        return page.locator(".board-column").filter(has=page.locator(".status-badge", has_text=re.compile(f"^{label}$")))

    quote_card = column("Quote").locator(".board-card").filter(has_text="Banner Run")
    expect(quote_card).to_have_count(1)
    expect(column("Quote")).to_contain_text("1")
    quote_card.get_by_role("button", name="→ Artwork").click()

    expect(toast(page, "Moved to Artwork.")).to_be_visible()
    expect(column("Quote").locator(".board-card")).to_have_count(0)
    moved = column("Artwork").locator(".board-card").filter(has_text="Banner Run")
    expect(moved).to_have_count(1)
    expect(moved.get_by_role("button", name="→ Art Approved")).to_be_visible()
    expect(column("Artwork").locator(".board-card")).to_have_count(2)
    with db_session() as session:
        assert session.get(Job, banner).status == JobStatus.ARTWORK
    # Wider than a 1280 px screen, the board scrolls inside the page: the header and the
    # navigation stay put, and the last column is a scroll away.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the board pushes the page sideways"
    # The pipeline up to In Production shows without scrolling, and the scrollbar sits right
    # under the cards (not at the screen's foot), so the columns past the edge are seen to be there.
    expect(column("In Production")).to_be_in_viewport(ratio=1)
    scrollbar = page.locator(".rt-ScrollAreaScrollbar")
    expect(scrollbar).to_be_visible()
    cards_end = page.evaluate("Math.max(...[...document.querySelectorAll('.board-column')].map(c => c.getBoundingClientRect().bottom))")
    assert 0 <= scrollbar.bounding_box()["y"] - cards_end <= 24, (scrollbar.bounding_box(), cards_end)
    last = page.locator(".board-column").last
    expect(last).not_to_be_in_viewport(ratio=1)
    last.scroll_into_view_if_needed()
    expect(last).to_be_in_viewport(ratio=1)


# --------------------------------------------------------------------------- another customer's job

def _opened_job(update: str) -> dict | None:
    """The job an update opens in the portal's detail view, if it does."""
    for state in json.loads(update).get("delta", {}).values():
        if state.get("job_open_rx_state_") is True and "job_rx_state_" in state:
            return state["job_rx_state_"]
    return None


def test_the_portal_handler_names_are_the_ones_the_build_uses(e2e_server):
    bundle = ROOT / WEB_WORKDIR / "build" / "client"
    names = {event_name(h) for h in (OrdersTab.open_job, PortalLive.poll, PortalTabs.set_tab, PortalSession.sign_out)}
    found = {n for path in bundle.rglob("*.js") for n in names if n in path.read_text(errors="ignore")}
    assert found == names


def test_a_client_never_sees_another_customers_job(shop, make_customer, make_job, new_context, portal_sign_in, e2e_server):
    acme = make_customer("Acme Uniforms", email="buyer@acme.example")
    river = make_customer("Riverside Runners", email="sam@riverside.example")
    secret_job = make_job(acme.id, "Secret Prototype Jerseys", quantity=12, status="in_production")
    own_job = make_job(river.id, "Caps Order", quantity=300)

    context = new_context()
    client = context.new_page()
    portal_sign_in(client, river.portal_url, river.email)
    expect(client.locator(".order-card").filter(has_text="Caps Order")).to_have_count(1)
    expect(client.locator(".order-card")).to_have_count(1)
    expect(client.get_by_text("Secret Prototype Jerseys")).to_have_count(0)
    # Nor through the link's ?job= parameter (a new tab: nothing shown comes from before).
    own = context.new_page()
    own.goto(f"{river.portal_url}?job={own_job}")
    expect(own.locator("#portal-job-detail")).to_contain_text("Caps Order")
    other = context.new_page()
    other.goto(f"{river.portal_url}?job={secret_job}")
    expect_portal_tabs(other)
    expect(other.locator(".order-card")).to_have_count(1)
    expect(other.locator("#portal-job-detail")).to_have_count(0)
    expect(other.get_by_text("Secret Prototype Jerseys")).to_have_count(0)

    # A script with the same session calls open_job with the other customer's job id.
    [cookie] = [c for c in context.cookies() if c["name"] == "kontrol_portal"]
    socket = PortalSocket(e2e_server.base_url, f"kontrol_portal={cookie['value']}", river.portal_path)
    try:
        socket.send(PortalSession.load, {})
        socket.wait_for(lambda u: "Caps Order" in u)  # signed in: its own orders arrived
        socket.send(OrdersTab.open_job, {"job_id": secret_job})
        # Control: the same call for its own job opens it, so the handler really ran above.
        socket.send(OrdersTab.open_job, {"job_id": own_job})
        opened = _opened_job(socket.wait_for(lambda u: _opened_job(u) is not None))
    finally:
        socket.close()
    assert opened["id"] == own_job and opened["title"] == "Caps Order"
    assert not [u for u in socket.seen if "Secret Prototype Jerseys" in u or "Acme" in u]
    assert [_opened_job(u) for u in socket.seen if _opened_job(u) is not None] == [opened]


# --------------------------------------------------------------------------- dashboard


def test_the_dashboard_checklist_ticks_customer_and_job(shop, make_customer, make_job, page, sign_in_as):
    customer_item = page.locator(".checklist-item").filter(has_text="Customer created with their email address on file")
    job_item = page.locator(".checklist-item").filter(has_text="At least one job created and linked to the customer")

    def expect_ticked(item, ticked: bool, action: str) -> None:
        expect(item).to_have_count(1)
        expect(item.locator("svg.lucide-circle-check")).to_have_count(1 if ticked else 0)
        expect(item.get_by_role("link", name=action)).to_have_count(0 if ticked else 1)

    walk_in = make_customer("Walk-in Wendy")  # no email on file: does not count
    sign_in_as(page, shop, "/")
    expect(page.locator(".checklist-item")).to_have_count(8)  # a fresh page: this is the loader's answer
    expect_ticked(customer_item, False, "Add a customer →")
    expect_ticked(job_item, False, "Create a job →")

    make_customer("Riverside Runners", email="sam@riverside.example")
    page.reload()
    expect_ticked(customer_item, True, "Add a customer →")
    expect_ticked(job_item, False, "Create a job →")  # same answer as the tick above

    make_job(walk_in.id, "Spring League T-Shirts")
    page.reload()
    expect_ticked(job_item, True, "Create a job →")
    expect_ticked(customer_item, True, "Add a customer →")
