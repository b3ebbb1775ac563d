"""The client portal: branding, email-code sign-in, and the five tabs."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from kontrol_app.services import portal_auth, portal_orders, portal_view
from kontrol_app.services.portal_orders import PortalJob
from kontrol_app.services.errors import NotFound, ServiceError
from kontrol_app.services.portal_links import PORTAL_PREFIX
from kontrol_app.ui.components.forms import field, form_error, secure_form, submit_button
from kontrol_app.ui.components.status import status_badge
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


def _header() -> rx.Component:
    return rx.hstack(
        rx.hstack(
            rx.cond(
                PortalState.shop_logo != "",
                rx.image(src=PortalState.shop_logo, alt="Shop logo", max_height="44px", max_width="140px", object_fit="contain"),
            ),
            rx.vstack(
                rx.text(PortalState.shop_name, weight="bold", size="4", id="portal-shop-name"),
                rx.cond(PortalState.shop_email != "", rx.link(PortalState.shop_email, href="mailto:" + PortalState.shop_email, size="2", color_scheme="gray")),
                spacing="0",
            ),
            align="center",
            spacing="3",
        ),
        rx.spacer(),
        rx.cond(
            PortalState.signed_in & ~PortalState.preview,
            rx.button("Sign out", variant="soft", color_scheme="gray", size="2", on_click=PortalState.sign_out),
        ),
        padding="12px 16px",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        align="center",
        width="100%",
    )


def _sign_in() -> rx.Component:
    errors = PortalState.errors
    return rx.center(
        rx.card(
            rx.cond(
                PortalState.step == "email",
                secure_form(
                    rx.vstack(
                        rx.heading("Sign in to your portal", size="5"),
                        rx.text("Enter your email address and we'll send you a 6-digit code. No password needed.", size="2", color_scheme="gray"),
                        form_error(errors.get("form", "")),
                        field("Email", rx.input(name="email", type="email", auto_complete="email", width="100%", size="3"), errors.get("email", "")),
                        submit_button("Send me a code", width="100%", size="3"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=PortalState.request_code,
                ),
                secure_form(
                    rx.vstack(
                        rx.heading("Check your email", size="5"),
                        rx.text(
                            "If ", rx.text.strong(PortalState.sign_in_email), " is on file with ", PortalState.shop_name,
                            ", a 6-digit code is on its way. It works once, for 10 minutes.",
                            size="2",
                        ),
                        field(
                            "Code",
                            rx.input(name="code", inputmode="numeric", auto_complete="one-time-code", max_length=6, width="100%", size="3", placeholder="123456"),
                            errors.get("code", ""),
                        ),
                        submit_button("Sign in", width="100%", size="3"),
                        rx.button("Use a different email", variant="ghost", type="button", on_click=PortalState.use_another_email),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=PortalState.verify_code,
                    reset_on_submit=False,
                ),
            ),
            width="100%",
            max_width="420px",
            padding="20px",
        ),
        padding="32px 16px",
    )


def _empty(text: str, hint: str = "") -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("inbox", size=32, color=rx.color("gray", 8)),
            rx.text(text, size="3", weight="medium"),
            rx.text(hint, size="2", color_scheme="gray", text_align="center") if hint else rx.fragment(),
            align="center",
            spacing="2",
        ),
        padding="48px 16px",
    )


def _timeline(job: rx.Var) -> rx.Component:
    def step(item: rx.Var) -> rx.Component:
        return rx.vstack(
            rx.match(
                item.state,
                ("done", rx.icon("circle-check", size=18, color=rx.color("green", 9))),
                ("current", rx.icon("circle-dot", size=18, color=rx.color("blue", 9))),
                rx.icon("circle", size=18, color=rx.color("gray", 7)),
            ),
            rx.text(item.label, size="1", weight=rx.cond(item.state == "current", "bold", "regular"), text_align="center"),
            rx.text(item.when, size="1", color_scheme="gray"),
            align="center",
            spacing="1",
            min_width="72px",
            class_name="timeline-step " + item.state.to(str),
        )

    return rx.flex(rx.foreach(job.steps, step), wrap="wrap", gap="6px", class_name="timeline")


def _tracking(job: rx.Var) -> rx.Component:
    return rx.cond(
        job.tracking_number != "",
        rx.hstack(
            rx.icon("truck", size=16),
            rx.cond(
                job.tracking_url != "",
                rx.link(job.tracking_carrier + " " + job.tracking_number, href=job.tracking_url, is_external=True, class_name="tracking-link"),
                rx.text(job.tracking_carrier + " " + job.tracking_number, size="2"),
            ),
            align="center",
        ),
    )


def _order_card(job: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(job.title, weight="bold", size="3"),
                rx.spacer(),
                status_badge(job.status_label),
                width="100%",
                align="center",
            ),
            rx.text(job.pieces, rx.cond(job.due != "", " · " + job.due, ""), size="2", color_scheme="gray"),
            rx.progress(value=job.progress, max=100, width="100%"),
            _tracking(job),
            rx.button("View details", variant="ghost", size="1", on_click=PortalState.open_job(job.id)),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="order-card",
    )


def _job_detail() -> rx.Component:
    job = PortalState.job
    return rx.card(
        rx.vstack(
            rx.button(rx.icon("arrow-left", size=14), "All orders", variant="ghost", size="1", on_click=PortalState.close_job),
            rx.hstack(rx.heading(job.title, size="5"), rx.spacer(), status_badge(job.status_label, id="portal-job-status"), width="100%", align="center"),
            rx.text(job.pieces, rx.cond(job.due != "", " · " + job.due, ""), size="2", color_scheme="gray"),
            rx.cond(job.garment != "", rx.text(job.garment, rx.cond(job.colour != "", " — " + job.colour, ""), size="2")),
            rx.progress(value=job.progress, max=100, width="100%"),
            rx.cond(job.side_note != "", rx.callout("This order is " + job.side_note + ".", icon="info", size="1")),
            _timeline(job),
            _tracking(job),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="portal-job-detail",
    )


def _orders_tab() -> rx.Component:
    return rx.box(
        rx.cond(
            PortalState.job_open,
            _job_detail(),
            rx.vstack(
                rx.cond(
                    PortalState.orders.length() == 0,
                    _empty("No active orders yet", "When the shop starts a job for you, you'll follow it here."),
                    rx.vstack(rx.foreach(PortalState.orders, _order_card), spacing="3", width="100%"),
                ),
                rx.cond(
                    PortalState.showing_past,
                    rx.vstack(
                        rx.heading("Past orders", size="3", margin_top="12px"),
                        rx.cond(
                            PortalState.past_orders.length() == 0,
                            rx.text("No past orders.", size="2", color_scheme="gray"),
                            rx.vstack(rx.foreach(PortalState.past_orders, _order_card), spacing="3", width="100%"),
                        ),
                        width="100%",
                    ),
                    rx.button("Show past orders", variant="soft", size="2", on_click=PortalState.show_past, margin_top="8px"),
                ),
                spacing="3",
                width="100%",
                padding_top="12px",
            ),
        ),
        # Poll for status changes while the portal is open (no reload needed).
        rx.moment(interval=POLL_MS, on_change=PortalState.poll, display="none"),
    )


def _branding_tab() -> rx.Component:
    return rx.vstack(
        rx.heading(PortalState.customer_name, size="4"),
        rx.cond(PortalState.customer_phone != "", rx.text(PortalState.customer_phone, size="2")),
        rx.cond(PortalState.customer_address != "", rx.text(PortalState.customer_address, size="2", white_space="pre-line")),
        rx.text("People who can sign in", size="2", weight="medium", margin_top="12px"),
        rx.foreach(PortalState.contacts, lambda c: rx.text(c["name"], " · ", c["email"], size="2")),
        rx.text("To change these details, message or call ", PortalState.shop_name, ".", size="2", color_scheme="gray", margin_top="12px"),
        spacing="1",
        padding="16px 0",
    )


def _tabs() -> rx.Component:
    return rx.tabs.root(
        rx.scroll_area(
            rx.tabs.list(*[rx.tabs.trigger(tab, value=tab) for tab in TABS], size="2"),
            scrollbars="horizontal",
            type="auto",
        ),
        rx.tabs.content(_orders_tab(), value="Active Orders"),
        rx.tabs.content(_empty("No invoices yet", "Invoices from the shop will appear here."), value="Invoices"),
        rx.tabs.content(_empty("No messages yet"), value="Messages"),
        rx.tabs.content(_empty("Quote requests aren't open here yet", "Email the shop for a quote in the meantime."), value="Request a Quote"),
        rx.tabs.content(_branding_tab(), value="My Branding"),
        value=PortalState.tab,
        on_change=PortalState.set_tab,
        width="100%",
    )


def _preview_banner() -> rx.Component:
    return rx.cond(
        PortalState.preview,
        rx.callout(
            "Preview — viewing as " + PortalState.customer_name + ". Actions are disabled.",
            icon="eye",
            color_scheme="amber",
            width="100%",
            id="preview-banner",
        ),
    )


def portal_page() -> rx.Component:
    return rx.box(
        rx.cond(
            ~PortalState.link_valid,
            rx.center(rx.text(portal_auth.LINK_NOT_VALID, size="4"), min_height="80vh", padding="24px"),
            rx.box(
                _preview_banner(),
                _header(),
                rx.cond(
                    PortalState.loaded,
                    rx.cond(
                        PortalState.signed_in,
                        rx.box(
                            rx.cond(
                                ~PortalState.preview,
                                rx.text("Hi ", PortalState.viewer_name, " — ", PortalState.customer_name, size="2", color_scheme="gray", margin_bottom="8px"),
                            ),
                            _tabs(),
                            padding="16px",
                            max_width="960px",
                            margin="0 auto",
                        ),
                        _sign_in(),
                    ),
                    rx.center(rx.spinner(size="3"), padding="48px"),
                ),
            ),
        ),
        min_height="100vh",
    )
