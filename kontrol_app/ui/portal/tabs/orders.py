"""Portal -> Active Orders: job cards, the live timeline, a job's details, past orders."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import portal_live, portal_orders
from kontrol_app.services.errors import NotFound
from kontrol_app.services.portal_orders import PortalJob
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.ui.components.empty import empty_state
from kontrol_app.ui.portal.live import watch
from kontrol_app.ui.portal.session import PortalSession, portal_event, ui_event
from kontrol_app.ui.portal.tabs.approval import ApprovalTab, approval_section, awaiting_note
from kontrol_app.ui.portal.tabs.messages import MessagesTab
from kontrol_app.ui.portal.tabs.nav import ORDERS, PortalTabs, Tab
from kontrol_app.ui.portal.tabs.quote import QuoteTab
from kontrol_app.ui.services import call

NO_JOB = PortalJob(0, "", "", "", "", "", "gray", 0, [], "", "", "", "", "", "")


class OrdersTab(PortalSession):
    orders: list[PortalJob] = []
    past_orders: list[PortalJob] = []
    showing_past: bool = False
    job: PortalJob = NO_JOB
    job_open: bool = False

    async def _fill(self, viewer: PortalViewer) -> None:
        """Called by the page's loader: the cards, and the job of a `?job=` link."""
        await self._load_orders(viewer.customer_id)
        job = self.router.url.query_parameters.get("job", "")
        if job.isascii() and job.isdigit() and await self._open_job(viewer.customer_id, int(job)):
            (await self.get_state(PortalTabs)).tab = ORDERS

    async def _load_orders(self, customer_id: int) -> None:
        self.orders = await call(portal_orders.customer_orders, customer_id)
        await (await self.get_state(ApprovalTab))._load_banner(customer_id)
        if self.showing_past:
            self.past_orders = await call(portal_orders.customer_orders, customer_id, past=True)
        if self.job_open:
            await self._open_job(customer_id, self.job.id)

    async def _open_job(self, customer_id: int, job_id: int) -> bool:
        # A card already here is this customer's and as fresh as the poll keeps it.
        card = next((job for job in (*self.orders, *self.past_orders) if job.id == job_id), None)
        try:
            self.job = card or await call(portal_orders.customer_order, customer_id, job_id)
            self.job_open = True
        except NotFound:
            self.job, self.job_open = NO_JOB, False
        # The artwork sent for approval on this job, if any (the `?job=` link comes here too).
        await (await self.get_state(ApprovalTab))._show(customer_id, self.job.id if self.job_open else 0)
        return self.job_open

    async def _reload(self, viewer: PortalViewer) -> None:
        """The portal's poll saw a job change (ui/portal/live.py)."""
        await self._load_orders(viewer.customer_id)

    @portal_event(reads=portal_orders.opening)
    async def open_job(self, viewer: PortalViewer, opening: portal_orders.Opening, job_id: int):
        """The card and its artwork come in the re-check's own trip to the database."""
        self.job, self.job_open = (opening.job, True) if opening.job is not None else (NO_JOB, False)
        (await self.get_state(ApprovalTab))._apply(opening.proof if self.job_open else None)

    @ui_event
    def close_job(self):
        self.job_open = False

    @portal_event
    async def show_past(self, viewer: PortalViewer):
        self.showing_past = True
        self.past_orders = await call(portal_orders.customer_orders, viewer.customer_id, past=True)


def job_badge(job: rx.Var, **props) -> rx.Component:
    """The colour comes with the job (picked from its status value on the server)."""
    return rx.badge(job.status_label, color_scheme=job.status_color, variant="soft", size="2", class_name="status-badge", **props)


def reorder_button(job: rx.Var, **props) -> rx.Component:
    """Reorder on a shipped or completed order: Request a Quote, pre-filled from it."""
    return rx.cond(
        (job.status == "shipped") | (job.status == "completed"),
        rx.button(rx.icon("repeat", size=14), "Reorder", variant="soft", size="1", on_click=QuoteTab.reorder(job.id), disabled=PortalSession.preview, **props),
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
                job_badge(job),
                width="100%",
                align="center",
            ),
            rx.text(job.pieces, rx.cond(job.due != "", " · " + job.due, ""), size="2", color_scheme="gray"),
            awaiting_note(job),
            rx.progress(value=job.progress, max=100, width="100%", aria_label="Order progress"),
            _tracking(job),
            rx.hstack(
                rx.button("View details", variant="ghost", size="1", on_click=OrdersTab.open_job(job.id)),
                reorder_button(job, aria_label="Reorder " + job.title),
                spacing="3",
                align="center",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="order-card",
    )


def _job_detail() -> rx.Component:
    job = OrdersTab.job
    return rx.card(
        rx.vstack(
            rx.button(rx.icon("arrow-left", size=14), "All orders", variant="ghost", size="1", on_click=OrdersTab.close_job),
            rx.hstack(rx.heading(job.title, size="5", as_="h2"), rx.spacer(), job_badge(job, id="portal-job-status"), width="100%", align="center"),
            rx.text(job.pieces, rx.cond(job.due != "", " · " + job.due, ""), size="2", color_scheme="gray"),
            rx.cond(job.garment != "", rx.text(job.garment, rx.cond(job.colour != "", " — " + job.colour, ""), size="2")),
            rx.progress(value=job.progress, max=100, width="100%", aria_label="Order progress"),
            rx.cond(job.side_note != "", rx.callout(job.side_note, icon="info", size="1")),
            _timeline(job),
            _tracking(job),
            rx.button(
                rx.icon("message-square", size=16),
                "Message the shop about this order",
                variant="soft",
                size="2",
                on_click=MessagesTab.about_job(job.id),
                id="message-about-order",
            ),
            reorder_button(job, id="portal-job-reorder"),
            approval_section(),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="portal-job-detail",
    )


def orders_tab() -> rx.Component:
    return rx.box(
        rx.cond(
            OrdersTab.job_open,
            _job_detail(),
            rx.vstack(
                rx.cond(
                    OrdersTab.orders.length() == 0,
                    empty_state("No active orders yet", "When the shop starts a job for you, you'll follow it here."),
                    rx.vstack(rx.foreach(OrdersTab.orders, _order_card), spacing="3", width="100%"),
                ),
                rx.cond(
                    OrdersTab.showing_past,
                    rx.vstack(
                        rx.heading("Past orders", size="3", margin_top="12px", as_="h2"),
                        rx.cond(
                            OrdersTab.past_orders.length() == 0,
                            rx.text("No past orders.", size="2", color_scheme="gray"),
                            rx.vstack(rx.foreach(OrdersTab.past_orders, _order_card), spacing="3", width="100%"),
                        ),
                        width="100%",
                    ),
                    rx.button("Show past orders", variant="soft", size="2", on_click=OrdersTab.show_past, margin_top="8px"),
                ),
                spacing="3",
                width="100%",
                padding_top="12px",
            ),
        ),
    )


watch(portal_live.ORDERS, OrdersTab, "_reload")
TAB = Tab(ORDERS, "Active Orders", orders_tab)
