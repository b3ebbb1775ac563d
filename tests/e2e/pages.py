"""Small helpers the browser tests share: where a page is, forms, toasts, fields."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


def at(path: str, *, query: str | None = None) -> re.Pattern[str]:
    """A URL pattern for `path` on any host; a trailing slash (static export) is fine.
    `query`, when given, is a regex the query string must start with."""
    tail = r"\?" + query + r".*$" if query is not None else r"(\?.*)?$"
    return re.compile(r"^https?://[^/]+" + re.escape(path.rstrip("/")) + r"/?" + tail)


def field_of(page: Page, name: str) -> Locator:
    """The labelled field (label, control, and its message) around the input named `name`."""
    return page.locator(f"[name='{name}']").locator("xpath=ancestor::div[.//label][1]")


def toast(page: Page, text: str) -> Locator:
    return page.locator("[data-sonner-toast]").filter(has_text=text)


def live_button(page: Page, name: str) -> Locator:
    """A form's submit button, once the page is live (it stays disabled until then)."""
    button = page.get_by_role("button", name=name, exact=True)
    expect(button).to_be_enabled()
    return button


def sign_in_with_form(page: Page, email: str, password: str, path: str = "/sign-in") -> None:
    if path:
        page.goto(path)
    button = live_button(page, "Sign in")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    button.click()


def user_menu(page: Page, staff_name: str) -> Locator:
    return page.get_by_role("button", name=staff_name)


def sign_out(page: Page, staff_name: str) -> None:
    user_menu(page, staff_name).click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page).to_have_url(at("/sign-in"))


def staff_page_live(page: Page, staff_name: str) -> None:
    """A staff page's guard has run (the user menu names the staff member); the page's own
    loader was queued with it, so what is typed from now on is not wiped by that loader."""
    expect(user_menu(page, staff_name)).to_be_visible()


def choose(page: Page, select_name: str, option: str) -> None:
    """Pick `option` in the Radix select labelled `select_name`."""
    page.get_by_role("combobox", name=select_name).click()
    page.get_by_role("option", name=option, exact=True).click()


# --- the client portal

PORTAL_TABS = ("Active Orders", "Invoices", "Messages", "Request a Quote", "My Branding")
LINK_NOT_VALID = "This link is not valid — ask your shop for a new one"


def expect_portal_tabs(page: Page) -> None:
    for tab in PORTAL_TABS:
        expect(page.get_by_role("tab", name=tab, exact=True)).to_be_visible()


def expect_portal_sign_in_form(page: Page) -> None:
    expect(page.get_by_role("heading", name="Sign in to your portal")).to_be_visible()
    expect(page.get_by_role("tab")).to_have_count(0)


def table_row(page: Page, text: str) -> Locator:
    """The table row (of any table on the page) that contains `text`."""
    return page.get_by_role("row").filter(has_text=text)


def downloaded(page: Page, link: Locator) -> bytes:
    """Click `link` as a person would and return the file the browser saved; the page stays
    where it was (a link routed inside the app would show its "404" page instead)."""
    url = page.url
    with page.expect_download() as arrived:
        link.click()
    assert page.url == url, f"the download left the page for {page.url}"
    with open(arrived.value.path(), "rb") as saved:
        return saved.read()
