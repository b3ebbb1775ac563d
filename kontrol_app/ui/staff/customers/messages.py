"""The customer page's Messages card: the customer's newest conversations, each a link to it
on the Messages page, and a link to all of them there."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import messages
from kontrol_app.services.messages import ThreadSummary
from kontrol_app.ui.guard import StaffPrincipal, StaffState, staff_event
from kontrol_app.ui.services import call

SHOWN = 10


class CustomerMessagesState(StaffState, rx.State):
    threads: list[ThreadSummary] = []
    total: int = 0
    all_href: str = ""

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        self.reset()  # another customer's conversations never show while this one loads
        customer_id = self._route_id("customer_id")
        if customer_id is None:
            return
        result = await call(messages.staff_threads, principal, customer_id=customer_id, page_size=SHOWN)
        self.threads, self.total = result.threads, result.total
        self.all_href = f"/messages?customer={customer_id}"


def _thread(t: rx.Var) -> rx.Component:
    return rx.flex(
        rx.link(t.subject, href="/messages?thread=" + t.id.to_string(), size="2", weight="medium", style={"overflow_wrap": "anywhere"}),
        rx.cond(t.unread > 0, rx.badge(t.unread.to_string() + " unread", color_scheme="red", variant="solid")),
        rx.cond(t.closed, rx.badge("Closed", color_scheme="gray", variant="soft")),
        rx.text(t.last_when, size="1", color_scheme="gray"),
        gap="8px",
        align="center",
        wrap="wrap",
        class_name="customer-thread",
    )


def messages_card() -> rx.Component:
    state = CustomerMessagesState
    return rx.card(
        rx.vstack(
            rx.heading("Messages", size="4", as_="h2"),
            rx.cond(
                state.total == 0,
                rx.text("No conversations yet. Start one from a job's Messages tab.", size="2", color_scheme="gray"),
                rx.vstack(
                    rx.foreach(state.threads, _thread),
                    rx.link(
                        rx.cond(state.total == 1, "The conversation in Messages", "All " + state.total.to(str) + " conversations"),
                        href=state.all_href, size="2",
                    ),
                    spacing="2",
                ),
            ),
            spacing="2",
        ),
        width="100%",
        id="customer-messages",
    )
