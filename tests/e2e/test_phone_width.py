"""At phone width (390 x 844) in a real browser: the portal with a shop logo and the staff
screens never scroll sideways, every portal tab and every staff section is on screen and
reachable, and a mockup's long state badge wraps instead of being clipped."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect
from sqlmodel import select

from kontrol_app.models import CustomerContact
from kontrol_app.models.jobs import JobStatus
from kontrol_app.services import messages, mockups
from kontrol_app.services import shop as shop_service
from kontrol_app.services import staff as staff_service
from kontrol_app.services.portal_view import PortalViewer

from .a11y import assert_accessible
from .conftest import OWNER_NAME, owner_principal
from .pages import PORTAL_TABS, at, staff_page_live, user_menu
from .test_quote_requests_staff import submit_request

PHONE = {"width": 390, "height": 844}
LIVE_MS = 10_000  # the navigation's badges ride on the bell's 3 s poll
SECTIONS = ("Dashboard", "Customers", "Jobs", "Invoices", "Messages", "Quote Requests", "Settings")


def _png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class World:
    portal_url: str
    email: str
    job_id: int


@pytest.fixture
def world(shop, make_customer, make_job, e2e_server, db_session) -> World:
    """A shop with a wide logo and a long email; a client whose job has a version they asked
    revisions on; an unread client message and an unopened quote request (both badges)."""
    owner = owner_principal(shop)
    with db_session() as session:
        shop_service.save_logo(session, owner, _png((280, 80), (20, 110, 60)), e2e_server.files_dir)
        info = shop_service.shop_info(session)
        shop_service.update_shop_info(
            session, owner, name=info.name, email="hello@smith-embroidery.example", phone=info.phone,
            address=info.address, currency=info.currency, timezone=info.timezone,
        )
    customer = make_customer("Riverside Runners", email="sarah@riverside.example", contact_name="Sarah Smith")
    job = make_job(customer.id, "Spring League T-Shirts", status=JobStatus.ARTWORK)
    with db_session() as session:
        version = mockups.upload_version(session, owner, job, _png((400, 300), (200, 30, 30)), name="front.png")
        mockups.send_for_approval(session, owner, version.id, message="Here is the front.")
    with db_session() as session:
        contact = session.exec(select(CustomerContact).where(CustomerContact.customer_id == customer.id)).one()
        mockups.decide(session, customer.id, contact.id, version.id, decision="revisions", notes="Make the crest bigger.")
        sarah = PortalViewer(customer.id, customer.name, contact.name, contact.email, False, contact.id)
        messages.start_thread_client(session, sarah, "Can we add sleeves?", job_id=job)
    submit_request(db_session, customer.email)
    with db_session() as session:  # a colleague: the Team table's row with every account button
        staff_service.add_staff(session, owner, name="Jamie Production-Lead", email="jamie.production@smith-embroidery.example", password="temporary-pass")
    return World(customer.portal_url, customer.email, job)


def _fits_the_width(page: Page) -> bool:
    """Neither the page nor a table in it is wider than the screen (a table scrolls inside its
    own box, which the page's width does not show)."""
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
        " && [...document.querySelectorAll('table, table *')].every(e => e.getBoundingClientRect().right <= window.innerWidth + 0.5)"
    )


def _assert_on_screen(locator: Locator, what: str) -> None:
    """Wholly inside the 390 px viewport, left to right (not cut, not off to the side)."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None, what
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"{what} is not on screen: {box}"


def test_the_portal_with_a_shop_logo_fits_a_phone(world, new_context, portal_sign_in):
    client = new_context().new_page()
    client.set_viewport_size(PHONE)
    portal_sign_in(client, world.portal_url, world.email)
    logo = client.get_by_role("img", name="Shop logo")
    client.wait_for_function("img => img.complete && img.naturalWidth === 280", arg=logo.element_handle())
    _assert_on_screen(logo, "the shop logo")
    _assert_on_screen(client.get_by_role("button", name="Sign out"), "Sign out")
    for name in PORTAL_TABS:
        _assert_on_screen(client.get_by_role("tab", name=name, exact=True), f"the {name} tab")

    for name in PORTAL_TABS:
        tab = client.get_by_role("tab", name=name, exact=True)
        tab.click()
        expect(tab).to_have_attribute("aria-selected", "true")
        expect(client.get_by_role("tabpanel")).to_be_visible()
        assert _fits_the_width(client), f"the portal scrolls sideways on {name} at 390 px"
    client.get_by_role("tab", name="Active Orders", exact=True).click()
    expect(client.get_by_text("Spring League T-Shirts")).to_be_visible()
    assert_accessible(client, "the portal at 390 px")


def test_every_staff_section_is_reachable_on_a_phone(world, shop, page, sign_in_as):
    page.set_viewport_size(PHONE)
    sign_in_as(page, shop, "/")
    staff_page_live(page, OWNER_NAME)
    expect(page.locator("#messages-unread")).to_have_text("1 unread", timeout=LIVE_MS)
    expect(page.locator("#quotes-unread")).to_have_text("1 new", timeout=LIVE_MS)
    _assert_on_screen(page.locator("#messages-unread"), "the Messages badge")
    _assert_on_screen(page.locator("#quotes-unread"), "the Quote Requests badge")
    _assert_on_screen(user_menu(page, OWNER_NAME), "the user menu")
    nav = page.get_by_role("navigation", name="Sections")
    for name in SECTIONS:
        _assert_on_screen(nav.get_by_role("link", name=name), f"the {name} link")
    assert _fits_the_width(page), "the dashboard scrolls sideways at 390 px"
    page.mouse.move(0, 0)  # not hovering a link (axe would judge its hover colour)
    assert_accessible(page, "the dashboard at 390 px")

    # Each list shows the columns that fit (the row opens the whole record); a long status
    # badge ("Revisions Requested") wraps.
    for name, path, row in (
        ("Invoices", "/invoices", None),
        ("Jobs", "/jobs", "Spring League T-Shirts"),
        ("Customers", "/customers", "Riverside Runners"),
        ("Quote Requests", "/quotes", "Riverside Runners"),
    ):
        nav.get_by_role("link", name=name).click()
        expect(page).to_have_url(at(path))
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
        if row:
            expect(page.get_by_role("row").filter(has_text=row)).to_be_visible()
        assert _fits_the_width(page), f"{name} scrolls sideways at 390 px"

    # Messages: a conversation's unread badge stays inside the list, in line with the page.
    nav.get_by_role("link", name="Messages").click()
    expect(page).to_have_url(at("/messages"))
    badge = page.locator(".thread-unread")
    expect(badge).to_have_text("1 unread")
    listed = page.get_by_role("list", name="Conversations").bounding_box()
    box = badge.bounding_box()
    assert box["x"] + box["width"] <= listed["x"] + listed["width"], f"the unread badge sticks out of the list: {box} vs {listed}"

    nav.get_by_role("link", name="Settings").click()
    expect(page).to_have_url(at("/settings/shop"))
    page.get_by_role("link", name="Team", exact=True).click()
    expect(page.get_by_role("button", name="Sign out everywhere")).to_be_visible()
    assert _fits_the_width(page), "Settings → Team scrolls sideways at 390 px"

    # On a wide screen the same links stand in a sidebar, with a border, as wide with its
    # badges (the widest: "Quote Requests 99+") as without them: the page does not move.
    page.set_viewport_size({"width": 1366, "height": 900})
    expect(nav).to_have_css("flex-direction", "column")
    expect(nav).to_have_css("min-width", "256px")
    assert nav.bounding_box()["width"] == 256
    expect(nav).to_have_css("border-right-width", "1px")


def test_a_long_mockup_state_wraps_on_a_phone(world, shop, page, sign_in_as):
    page.set_viewport_size(PHONE)
    sign_in_as(page, shop, f"/jobs/{world.job_id}")
    staff_page_live(page, OWNER_NAME)
    for tab in ("Details", "Mockups", "Invoices", "Messages", "History"):  # the list wraps: none off to the side
        _assert_on_screen(page.get_by_role("tab", name=tab, exact=True), f"the job's {tab} tab")
    page.get_by_role("tab", name="Mockups").click()
    state = page.locator(".mockup-version[data-label='v1'] .mockup-state")
    expect(state).to_contain_text("Revisions requested by Sarah Smith on ")
    card = page.locator(".mockup-version[data-label='v1']").bounding_box()
    box = state.bounding_box()
    assert box["x"] + box["width"] <= card["x"] + card["width"], f"the state badge sticks out of its card: {box} vs {card}"
    assert _fits_the_width(page), "the Mockups tab scrolls sideways at 390 px"
