"""The staff header's bell: the newest events (a client approved, asked for revisions,
declined), each a link to its job, with this staff member's unread count.

Every staff page polls every 3 s (`rx.moment`), like the portal: the handler asks for the
cheap stamp (the newest id) first and reloads only when it changed; while nothing at all was
written since its last tick (the data version the guard read), it reads nothing more. Opening the bell marks what it shows
as read (for this staff member only)."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import notifications
from kontrol_app.services.notifications import NotificationView
from kontrol_app.ui.guard import StaffPrincipal, StaffState, staff_event
from kontrol_app.ui.services import call, read

POLL_MS = 3000  # "updating within ~5 s without reload"


class NotificationsState(StaffState, rx.State):
    unread: int = 0
    items: list[NotificationView] = []
    _stamp: int = -1  # the newest id when last loaded (-1: never loaded)

    @rx.var
    def unread_text(self) -> str:
        return "9+" if self.unread > 9 else str(self.unread)

    @rx.var
    def bell_label(self) -> str:
        return f"Notifications, {self.unread} unread" if self.unread else "Notifications"

    async def _reload(self, principal: StaffPrincipal) -> None:
        bell = await call(notifications.bell, principal)
        self._stamp, self.unread, self.items = bell.stamp, bell.unread, bell.latest

    @staff_event(quiet=True)  # also the poll: the page guard already redirects a signed-out tab
    async def load(self, principal: StaffPrincipal, _tick: str = ""):
        """On mount and every few seconds: reload only when there is something new."""
        if self._written_since_last_poll() and await read(notifications.stamp) != self._stamp:
            await self._reload(principal)

    @staff_event
    async def toggle(self, principal: StaffPrincipal, open_: bool):
        """Opening the bell marks what it shows as read; what was new stays bold until it closes."""
        if open_ is True and self.items:
            await call(notifications.mark_read, principal, self.items[0].id)
            self.unread = await call(notifications.unread_count, principal)
        elif open_ is not True:
            await self._reload(principal)


def _item(item: rx.Var) -> rx.Component:
    return rx.link(
        rx.vstack(
            rx.text(item.title, size="2", weight=rx.cond(item.unread, "bold", "regular")),
            rx.cond(item.body != "", rx.text(item.body, size="1", color_scheme="gray", white_space="pre-line", class_name="notification-body")),
            rx.text(item.when, size="1", color_scheme="gray"),
            spacing="1",
            align="start",
        ),
        href=item.link,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
        display="block",
        padding="8px",
        border_radius="6px",
        background=rx.cond(item.unread, rx.color("blue", 3), "transparent"),
        _hover={"background": rx.color("gray", 3)},
        class_name="notification",
    )


def notifications_bell(*also_poll) -> rx.Component:
    """The bell for the staff header (and its poll; `also_poll`: other handlers that tick with it)."""
    return rx.fragment(
        rx.popover.root(
            rx.popover.trigger(
                rx.icon_button(
                    rx.icon("bell", size=18),
                    rx.cond(
                        NotificationsState.unread > 0,
                        rx.badge(
                            NotificationsState.unread_text,
                            color_scheme="red",
                            variant="solid",
                            radius="full",
                            position="absolute",
                            top="-6px",
                            right="-6px",
                            id="notifications-count",
                        ),
                    ),
                    variant="soft",
                    color_scheme="gray",
                    position="relative",
                    aria_label=NotificationsState.bell_label,
                    title="Notifications",
                    id="notifications-bell",
                )
            ),
            rx.popover.content(
                rx.vstack(
                    rx.heading("Notifications", size="3", as_="h2"),
                    rx.cond(
                        NotificationsState.items.length() > 0,
                        rx.vstack(rx.foreach(NotificationsState.items, _item), spacing="1", width="100%"),
                        rx.text("Nothing yet. Client approvals and revision requests show here.", size="2", color_scheme="gray"),
                    ),
                    spacing="2",
                    width="100%",
                ),
                aria_label="Notifications",
                id="notifications-popover",
                align="end",
                width="min(380px, 92vw)",
                max_height="70vh",
                overflow_y="auto",
            ),
            on_open_change=NotificationsState.toggle,
        ),
        rx.moment(interval=POLL_MS, on_change=[NotificationsState.load, *also_poll], display="none"),
    )
