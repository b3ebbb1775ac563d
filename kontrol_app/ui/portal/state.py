"""The portal's state: who is looking (re-checked on every event), sign-in steps, orders."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from kontrol_app.services import portal_auth, portal_orders, portal_view
from kontrol_app.services.portal_orders import PortalJob
from kontrol_app.services.errors import NotFound, ServiceError
from kontrol_app.services.portal_links import PORTAL_PREFIX
from kontrol_app.ui.services import call, client_ip, current_client, current_staff, portal_token, visit


NO_JOB = PortalJob(0, "", "", "", "", "", "gray", 0, [], "", "", "", "", "", "")
POLL_MS = 3000  # "an open portal shows the new status within 5 seconds"

TABS = ["Active Orders", "Invoices", "Messages", "Request a Quote", "My Branding"]


class PortalState(rx.State):
    link_valid: bool = True
    loaded: bool = False
    signed_in: bool = False
    preview: bool = False
    shop_name: str = ""
    shop_email: str = ""
    shop_logo: str = ""
    customer_name: str = ""
    viewer_name: str = ""
    viewer_email: str = ""
    step: str = "email"  # "email", then "code"
    sign_in_email: str = ""
    errors: dict[str, str] = {}
    contacts: list[dict[str, str]] = []
    customer_phone: str = ""
    customer_address: str = ""
    orders: list[PortalJob] = []
    past_orders: list[PortalJob] = []
    showing_past: bool = False
    job: PortalJob = NO_JOB
    job_open: bool = False
    tab: str = "Active Orders"
    _customer_id: int | None = None
    _orders_stamp: str = ""

    def _link(self) -> str:
        path = self.router.url.path or ""
        return path[len(PORTAL_PREFIX) :].strip("/") if path.startswith(PORTAL_PREFIX) else ""

    @rx.event
    async def load(self):
        self.loaded = False
        self.errors = {}
        link = self._link()
        try:
            header = await call(portal_view.header_for_link, link)
        except NotFound:
            self.link_valid = False
            self.signed_in = False
            self.loaded = True
            return
        self.link_valid = True
        self.shop_name, self.shop_email, self.shop_logo = header.shop_name, header.shop_email, header.shop_logo
        self.customer_name = header.customer_name
        want_preview = self.router.url.query_parameters.get("preview") == "1"
        client = await current_client(self)
        staff = await current_staff(self) if want_preview else None
        viewer = await call(portal_view.viewer_for, link, client, staff, want_preview)
        self.signed_in = viewer is not None
        self.preview = bool(viewer and viewer.preview)
        self._customer_id = viewer.customer_id if viewer else None
        if viewer is not None:
            # Signed in: the code step is over. Left as it was, signing out would show
            # "Check your email" for the old address instead of the sign-in form.
            self.step, self.sign_in_email = "email", ""
            self.viewer_name, self.viewer_email = viewer.name, viewer.email
            await self._load_orders()
            job = self.router.url.query_parameters.get("job", "")
            if job.isdigit():
                await self._open_job(int(job))
            details = await call(portal_view.contact_details, viewer.customer_id)
            self.customer_phone, self.customer_address = details.phone, details.address
            self.contacts = [{"name": name, "email": email} for name, email in details.contacts]
        self.loaded = True

    async def _viewer_customer(self) -> int | None:
        """The customer this browser may see right now: re-checked on every event."""
        if self._customer_id is None:
            return None
        link = self._link()
        client = await current_client(self)
        staff = await current_staff(self) if self.preview else None
        viewer = await call(portal_view.viewer_for, link, client, staff, self.preview)
        if viewer is None or viewer.customer_id != self._customer_id:
            self._customer_id = None
            self.signed_in = False
            self.orders, self.past_orders, self.job_open = [], [], False
            return None
        return viewer.customer_id

    async def _load_orders(self) -> None:
        customer_id = self._customer_id
        self._orders_stamp = await call(portal_orders.orders_stamp, customer_id)
        self.orders = await call(portal_orders.customer_orders, customer_id)
        if self.showing_past:
            self.past_orders = await call(portal_orders.customer_orders, customer_id, past=True)
        if self.job_open:
            await self._open_job(self.job.id)

    async def _open_job(self, job_id: int) -> None:
        try:
            self.job = await call(portal_orders.customer_order, self._customer_id, job_id)
            self.job_open = True
            self.tab = "Active Orders"
        except NotFound:
            self.job_open = False

    @rx.event
    async def poll(self, _tick=None):  # noqa: ANN001
        """Runs every few seconds while the portal is open; reloads only when a job changed."""
        if await self._viewer_customer() is None:
            return
        stamp = await call(portal_orders.orders_stamp, self._customer_id)
        if stamp != self._orders_stamp:
            await self._load_orders()

    @rx.event
    async def open_job(self, job_id: int):
        if await self._viewer_customer() is None:
            return
        await self._open_job(int(job_id))

    @rx.event
    def close_job(self):
        self.job_open = False

    @rx.event
    async def show_past(self):
        if await self._viewer_customer() is None:
            return
        self.showing_past = True
        self.past_orders = await call(portal_orders.customer_orders, self._customer_id, past=True)

    @rx.event
    def set_tab(self, tab: str):
        self.tab = tab

    @rx.event
    async def request_code(self, form: dict):
        self.errors = {}
        email = form.get("email", "")
        try:
            await call(portal_auth.request_code, link=self._link(), email=email, ip=client_ip(self))
        except ServiceError as error:
            self.errors = {error.field or "form": error.message}
            return
        self.sign_in_email = email.strip().lower()
        self.step = "code"

    @rx.event
    def use_another_email(self):
        self.step = "email"
        self.errors = {}

    @rx.event
    async def verify_code(self, form: dict):
        self.errors = {}
        try:
            ticket = await call(portal_auth.verify_code, link=self._link(), email=self.sign_in_email, code=form.get("code", ""))
        except ServiceError as error:
            self.errors = {error.field or "form": error.message}
            return
        return visit(f"/api/portal/session?ticket={quote(ticket)}")

    @rx.event
    async def sign_out(self):
        await call(portal_auth.sign_out, portal_token(self))
        self.signed_in = False
        self.step, self.sign_in_email = "email", ""
        return visit(f"/api/portal/signed-out?next={quote(self.router.url.path)}")
