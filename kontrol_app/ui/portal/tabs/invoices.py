"""Portal -> Invoices: the client's sent invoices, View (lines, totals, payments), Pay Now
through Stripe Checkout (offered only when the shop can take cards: otherwise how to pay the
shop instead), the PDF, and the page Stripe sends the client back to (`?paid=<session id>`)."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import invoices, payments, portal_live
from kontrol_app.services.errors import NotFound, ServiceError
from kontrol_app.services.invoices import PortalInvoice
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.ui.components.empty import empty_state
from kontrol_app.ui.components.invoice_view import invoice_totals, line_rows, total_rows
from kontrol_app.ui.components.links import link_button
from kontrol_app.ui.portal.live import watch
from kontrol_app.ui.portal.session import PortalSession, portal_event
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
    # The shop can take cards (payments.pay_options); `pay_offline` says how else to pay.
    card_payments: bool = False
    pay_offline: str = ""
    # View: one invoice's lines, totals and payments, under its card (0: none open).
    detail_id: int = 0
    detail_lines: list[dict[str, str]] = []
    detail_totals: list[dict[str, str]] = []
    detail_payments: list[dict[str, str]] = []
    detail_notes: str = ""
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
        wanted = query.get("invoice", "")
        if wanted.isascii() and wanted.isdigit() and len(wanted) <= 9 and any(card.id == int(wanted) for card in self.invoices):
            await self._show(viewer.customer_id, int(wanted))  # an emailed "View and pay" link opens it
        if paid or query.get("tab", "") == INVOICES or wanted:
            (await self.get_state(PortalTabs)).tab = INVOICES

    async def _load(self, customer_id: int) -> None:
        self.invoices = await call(invoices.portal_cards, customer_id)
        self.open_count = sum(1 for card in self.invoices if card.pay_label)
        options = await call(payments.pay_options)
        self.card_payments, self.pay_offline = options.card, options.offline
        if self.detail_id:
            await self._show(customer_id, self.detail_id)  # a payment may have just landed

    async def _show(self, customer_id: int, invoice_id: int) -> None:
        """View: the invoice's detail under its card; only this customer's sent invoices."""
        try:
            detail = await call(invoices.portal_detail, customer_id, invoice_id)
        except NotFound:
            self._hide()
            return
        self.detail_id = detail.id
        self.detail_lines, self.detail_totals = line_rows(detail), total_rows(detail)
        self.detail_payments = [
            {"received_on": p.received_on, "kind": "Refund" if p.is_refund else "Payment", "amount": p.amount, "method": p.method}
            for p in detail.payments
        ]
        self.detail_notes = detail.notes

    def _hide(self) -> None:
        self.detail_id = 0
        self.detail_lines, self.detail_totals, self.detail_payments, self.detail_notes = [], [], [], ""

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

    @portal_event
    async def view_invoice(self, viewer: PortalViewer, invoice_id: int):
        """View / Hide details: a second click on the open one closes it."""
        if int(invoice_id) == self.detail_id:
            self._hide()
        else:
            await self._show(viewer.customer_id, int(invoice_id))


def _details(invoice: rx.Var) -> rx.Component:
    """What the invoice says, as on its PDF: lines, totals, payments, notes."""
    return rx.vstack(
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Description"),
                        rx.table.column_header_cell("Qty", text_align="right"),
                        rx.table.column_header_cell("Unit price", text_align="right"),
                        rx.table.column_header_cell("Amount", text_align="right"),
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        InvoicesTab.detail_lines,
                        lambda line: rx.table.row(
                            rx.table.cell(line["description"], white_space="pre-wrap"),
                            rx.table.cell(line["quantity"], text_align="right"),
                            rx.table.cell(line["unit_price"], text_align="right", white_space="nowrap"),
                            rx.table.cell(line["amount"], text_align="right", white_space="nowrap"),
                            class_name="invoice-line",
                        ),
                    )
                ),
                variant="surface",
                size="1",
                width="100%",
            ),
            width="100%",
            overflow_x="auto",
        ),
        invoice_totals(InvoicesTab.detail_totals, max_width="320px"),
        rx.cond(
            InvoicesTab.detail_payments.length() > 0,
            rx.vstack(
                rx.text("Payments", weight="bold", size="2"),
                rx.foreach(
                    InvoicesTab.detail_payments,
                    lambda p: rx.text(p["received_on"], " · ", p["kind"], " ", p["amount"], " · ", p["method"], size="2", class_name="invoice-payment"),
                ),
                spacing="1",
                width="100%",
            ),
        ),
        rx.cond(InvoicesTab.detail_notes != "", rx.text("Notes: ", InvoicesTab.detail_notes, size="2", white_space="pre-wrap")),
        spacing="3",
        width="100%",
        class_name="invoice-details",
        id="invoice-details-" + invoice.id.to(str),
    )


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
            # The shop's payment instructions (beside Pay Now, or in its place while the shop
            # can't take cards: never a button that fails).
            rx.cond(
                (invoice.pay_label != "") & (InvoicesTab.pay_offline != ""),
                rx.text(InvoicesTab.pay_offline, size="2", white_space="pre-wrap", class_name="pay-offline"),
            ),
            rx.cond(InvoicesTab.detail_id == invoice.id, _details(invoice)),
            rx.flex(
                rx.cond(
                    (invoice.pay_label != "") & InvoicesTab.card_payments,
                    rx.button(
                        rx.icon("credit-card", size=16),
                        invoice.pay_label,
                        on_click=InvoicesTab.pay(invoice.id),
                        class_name="pay-now",
                    ),
                ),
                rx.button(
                    rx.icon("file-text", size=16),
                    rx.cond(InvoicesTab.detail_id == invoice.id, "Hide details", "View"),
                    variant="soft",
                    on_click=InvoicesTab.view_invoice(invoice.id),
                    aria_expanded=rx.cond(InvoicesTab.detail_id == invoice.id, "true", "false"),
                    aria_label=rx.cond(InvoicesTab.detail_id == invoice.id, "Hide details of ", "View ") + invoice.number,
                    class_name="invoice-view",
                ),
                link_button(
                    rx.icon("download", size=16), "Download PDF", href=invoice.pdf_url, new_tab=True,
                    label="Download PDF of " + invoice.number, variant="soft",
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
                    (InvoicesTab.open_count > 1) & InvoicesTab.card_payments,
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
