"""Portal -> Active Orders: job cards, the live timeline, a job's details, past orders."""

from __future__ import annotations


import reflex as rx

from kontrol_app.ui.components.status import status_badge
from kontrol_app.ui.portal.state import POLL_MS, PortalState
from kontrol_app.ui.components.empty import empty_state


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


def orders_tab() -> rx.Component:
    return rx.box(
        rx.cond(
            PortalState.job_open,
            _job_detail(),
            rx.vstack(
                rx.cond(
                    PortalState.orders.length() == 0,
                    empty_state("No active orders yet", "When the shop starts a job for you, you'll follow it here."),
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
