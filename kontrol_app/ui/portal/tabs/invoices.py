"""Portal -> Invoices: the client's sent invoices, Pay Now through Stripe Checkout, the PDF,
and the page Stripe sends the client back to (`?paid=<session id>`)."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import invoices, payments, portal_live
from kontrol_app.services.errors import NotFound, ServiceError
from kontrol_app.services.invoices import PortalInvoice
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.ui.components.empty import empty_state
from kontrol_app.ui.portal.live import watch
from kontrol_app.ui.portal.session import PortalSession, portal_event, ui_event
from kontrol_app.ui.portal.tabs.nav import PortalTabs, Tab
from kontrol_app.ui.services import call, visit

INVOICES = "invoices"
RETURN_MESSAGES = {
    "paid": ("Thank you — your payment was received.", "green"),
    "already_paid": ("Thank you — your payment was received.", "green"),
    "processing": ("Thanks — your payment is being confirmed. This page updates when it is.", "blue"),
    "failed": ("The payment did not go through. You have not been charged.", "red"),
    "mismatch": ("We could not match this payment to your invoice. The shop has been told and will contact you.", "red"),
    "unknown": ("We could not find that payment. If you were charged, contact the shop.", "red"),
}


class InvoicesTab(PortalSession):
    invoices: list[PortalInvoice] = []
    open_count: int = 0  # invoices with something to pay
    pay_error: str = ""
    return_message: str = ""
    return_color: str = "green"

    async def _fill(self, viewer: PortalViewer) -> None:
        """The cards; and, coming back from Stripe (`?paid=`) or a "View and pay" link
        (`?invoice=`, `?tab=invoices`), this tab opened."""
        query = self.router.url.query_parameters
        paid = query.get("paid", "")
        if paid and len(paid) <= 255:
            try:
                outcome = (await call(payments.return_from_checkout, viewer.customer_id, paid)).outcome
            except NotFound:
                outcome = "unknown"
            self.return_message, self.return_color = RETURN_MESSAGES.get(outcome, RETURN_MESSAGES["processing"])
        await self._load(viewer.customer_id)
        if paid or query.get("tab", "") == INVOICES or query.get("invoice", ""):
            (await self.get_state(PortalTabs)).tab = INVOICES

    async def _load(self, customer_id: int) -> None:
        self.invoices = await call(invoices.portal_cards, customer_id)
        self.open_count = sum(1 for card in self.invoices if card.pay_label)

    async def _reload(self, viewer: PortalViewer) -> None:
        """The portal's poll saw an invoice change: a payment confirmed by Stripe's webhook
        shows without a reload."""
        await self._load(viewer.customer_id)

    async def _checkout(self, viewer: PortalViewer, invoice_ids: list[int] | None):
        """Off to Stripe's page; on a refusal the message shows above the cards, nothing changes."""
        self.pay_error = ""
        try:
            url = await call(payments.start_checkout, viewer.customer_id, viewer.contact_id, viewer.email, invoice_ids)
        except ServiceError as error:
            self.pay_error = error.message
            return None
        return visit(url)

    @portal_event(write=True)
    async def pay(self, viewer: PortalViewer, invoice_id: int):
        return await self._checkout(viewer, [int(invoice_id)])

    @portal_event(write=True)
    async def pay_all(self, viewer: PortalViewer):
        return await self._checkout(viewer, None)

    @ui_event
    def dismiss_return(self):
        self.return_message = ""


def _card(invoice: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(rx.cond(invoice.job_title != "", invoice.job_title, invoice.number), weight="bold", size="3"),
                rx.spacer(),
                rx.badge(invoice.status_label, color_scheme=invoice.status_color, variant="soft", size="2", class_name="invoice-status"),
                width="100%",
                align="center",
            ),
            rx.hstack(
                rx.text(invoice.heading, size="2", color_scheme="gray"),
                rx.spacer(),
                rx.text(invoice.amount, weight="bold", size="3"),
                width="100%",
                align="center",
            ),
            rx.cond(invoice.note != "", rx.text(invoice.note, size="2", color_scheme="gray")),
            rx.flex(
                rx.cond(
                    invoice.pay_label != "",
                    rx.button(
                        rx.icon("credit-card", size=16),
                        invoice.pay_label,
                        on_click=InvoicesTab.pay(invoice.id),
                        class_name="pay-now",
                    ),
                ),
                rx.link(
                    rx.button(rx.icon("download", size=16), "Download PDF", variant="soft"),
                    href=invoice.pdf_url,
                    is_external=True,
                    aria_label="Download PDF of " + invoice.number,
                ),
                gap="8px",
                wrap="wrap",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="invoice-card",
        id="invoice-" + invoice.id.to(str),
    )


def invoices_tab() -> rx.Component:
    return rx.vstack(
        rx.cond(
            InvoicesTab.return_message != "",
            rx.callout(
                InvoicesTab.return_message,
                icon="info",
                color_scheme=InvoicesTab.return_color,
                width="100%",
                id="payment-return",
                role="status",
            ),
        ),
        rx.cond(
            InvoicesTab.pay_error != "",
            rx.callout(InvoicesTab.pay_error, icon="triangle-alert", color_scheme="red", width="100%", id="pay-error", role="alert"),
        ),
        rx.cond(
            InvoicesTab.invoices.length() == 0,
            empty_state("No invoices yet", "Invoices from the shop will appear here."),
            rx.vstack(
                # One checkout for everything owed, when there is more than one invoice to pay.
                rx.cond(
                    InvoicesTab.open_count > 1,
                    rx.button("Pay all open invoices", variant="outline", on_click=InvoicesTab.pay_all),
                ),
                rx.foreach(InvoicesTab.invoices, _card),
                spacing="3",
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
        padding_top="12px",
    )


watch(portal_live.INVOICES, InvoicesTab, "_reload")
TAB = Tab(INVOICES, "Invoices", invoices_tab)
