"""The job page's Invoices tab: the job's invoices, Create Invoice (line items, discount, tax,
deposit, live totals), Save Draft / Send Invoice, and for one invoice its detail, Record
Payment, Record Refund, Void, Download PDF and Email again."""

from __future__ import annotations

import reflex as rx

from kontrol_app.models import InvoiceStatus
from kontrol_app.services import invoices, payments
from kontrol_app.services import shop as shop_service
from kontrol_app.services.clock import shop_today
from kontrol_app.services.errors import NotFound
from kontrol_app.services.money import format_money, parse_amount, parse_percent, plain_amount
from kontrol_app.ui.components.forms import field, form_dialog, form_error
from kontrol_app.ui.components.invoice_status import invoice_badge
from kontrol_app.ui.components.invoice_view import invoice_totals, line_rows, total_rows
from kontrol_app.ui.components.links import file_link
from kontrol_app.ui.guard import StaffPrincipal, StaffState, form_event, staff_event
from kontrol_app.ui.services import call
from kontrol_app.ui.staff.shell import StaffShellState

DASH = "—"
NO_NUMBER = "A draft has no number until it is sent."
LINE_FIELDS = ("description", "quantity", "unit_price")
FORM_FIELDS = ("discount_kind", "discount", "tax_rate", "deposit_kind", "deposit", "notes", "due_date")
# Radix selects cannot have an empty value: "none" on screen is "" for the service.
SHARE_KINDS = [("none", "None"), ("amount", "Amount"), ("percent", "Percent (%)")]
PAYMENT_FIELDS = ("amount", "method", "received_on", "reference")
REFUND_FIELDS = ("amount", "received_on", "reference")
METHOD_OPTIONS = [(m.value, invoices.METHOD_LABELS[m]) for m in invoices.STAFF_METHODS]
MAX_SCREEN_LINES = 500  # the service allows more (imports); a screen of 500 rows is already unwieldy
PAYMENTS_SETTINGS = "/settings/payments"


def pdf_url(invoice_id: int) -> str:
    return f"/api/invoices/{invoice_id}/pdf"


def _kind(screen_value: str) -> str:
    return "" if screen_value in ("", "none") else screen_value


def _share(kind: str, raw: str, currency: str) -> tuple[str, int] | None:
    """A discount or deposit as typed: ("", 0) for none, None while it is not a number yet."""
    kind, raw = _kind(kind), (raw or "").strip()
    if not kind or not raw:
        return "", 0
    value = parse_amount(raw, currency) if kind == "amount" else parse_percent(raw)
    return None if value is None else (kind, value)


def preview(lines: list[dict[str, str]], form: dict[str, str], currency: str) -> tuple[list[str], dict[str, str]]:
    """The editor's live totals through the one money rule (`invoices.totals`): each line's
    amount ("—" while it is not a whole quantity times a price; not counted), and the totals
    ("—" for what depends on a discount, tax rate or deposit that is not a number yet). The
    service checks everything again on save."""
    money = lambda cents: format_money(cents, currency)  # noqa: E731 - local shorthand
    amounts, shown = [], []
    for line in lines:
        quantity = (line.get("quantity") or "").strip().replace(",", "")
        unit = parse_amount(line.get("unit_price", ""), currency, allow_negative=True)
        if quantity.isascii() and quantity.isdigit() and len(quantity) <= 9 and unit is not None:
            amounts.append(int(quantity) * unit)
            shown.append(money(amounts[-1]))
        else:
            shown.append(DASH)
    discount = _share(form.get("discount_kind", ""), form.get("discount", ""), currency)
    deposit = _share(form.get("deposit_kind", ""), form.get("deposit", ""), currency)
    tax_raw = (form.get("tax_rate") or "").strip()
    tax_rate = parse_percent(tax_raw) if tax_raw else 0
    result = invoices.totals(
        amounts,
        discount_kind=(discount or ("", 0))[0],
        discount_value=(discount or ("", 0))[1],
        tax_rate=tax_rate or 0,
        deposit_kind=(deposit or ("", 0))[0],
        deposit_value=(deposit or ("", 0))[1],
    )
    totals = {
        "subtotal": money(result.subtotal),
        "discount": money(-result.discount) if result.discount else money(0),
        "tax": money(result.tax),
        "total": money(result.total),
        "deposit": money(result.deposit) if result.deposit else "",
        "incomplete": "yes" if DASH in shown else "",
    }
    if discount is None:
        totals.update(discount=DASH, tax=DASH, total=DASH, deposit=DASH if deposit != ("", 0) else "")
    if tax_rate is None:
        totals.update(tax=DASH, total=DASH, deposit=DASH if deposit != ("", 0) else "")
    if deposit is None:
        totals["deposit"] = DASH
    return shown, totals


def _row(v: invoices.InvoiceView) -> dict[str, str]:
    return {
        "id": str(v.id),
        "title": v.number or "Draft — numbered when sent",
        "status": v.status,
        "status_label": v.status_label,
        # Nothing is owed on a draft or a void invoice: its row says no balance rather than $0.00.
        "amounts": " · ".join(
            [f"Total {v.total}", *([f"Balance {v.balance}"] if v.status not in invoices.NOTHING_OWED else []), f"Due {v.due_date or 'not set'}"]
        ),
    }


def _detail(v: invoices.InvoiceView) -> dict[str, str]:
    return {
        "id": str(v.id),
        "title": v.title,
        "status": v.status,
        "status_label": v.status_label,
        "customer": v.customer_name,
        "balance": v.balance,  # the refund toast says it
        "issued": v.issued,
        "due_date": v.due_date or "No due date",
        "paid_on": v.paid_on,
        "notes": v.notes,
        "void_reason": v.void_reason,
        "pdf_url": pdf_url(v.id),
        "is_draft": "yes" if v.status == InvoiceStatus.DRAFT else "",
        "can_resend": "yes" if v.status not in (InvoiceStatus.DRAFT, InvoiceStatus.VOID) else "",
        "can_pay": "yes" if v.balance_cents > 0 else "",
        "can_refund": "yes" if v.paid_cents > 0 else "",  # the service's rule (record_refund)
        "can_void": "yes" if v.status != InvoiceStatus.VOID else "",
        "balance_plain": plain_amount(v.balance_cents, v.currency),
        "currency": v.currency,
    }


class JobInvoicesState(StaffState, rx.State):
    rows: list[dict[str, str]] = []
    # The editor: open for a new invoice (editing_id 0) or a draft; what is typed stays on error.
    editing: bool = False
    editing_id: int = 0
    version: int = 0
    currency: str = "USD"
    lines: list[dict[str, str]] = []  # description, quantity, unit_price, amount (preview)
    form: dict[str, str] = {}
    totals: dict[str, str] = {}
    # One invoice's detail.
    selected_id: int = 0
    selected_version: int = 0
    detail: dict[str, str] = {}
    detail_lines: list[dict[str, str]] = []
    detail_totals: list[dict[str, str]] = []  # components.invoice_view.total_rows
    payments: list[dict[str, str]] = []
    history: list[dict[str, str]] = []
    today: str = ""
    payment_open: bool = False
    payment: dict[str, str] = {}
    refund_open: bool = False
    refund: dict[str, str] = {}
    void_open: bool = False
    void_reason: str = ""
    # The client's portal offers Pay Now (payments.card_payments_available); if not, Send
    # Invoice says so (and still sends).
    card_payments: bool = True

    def _job_id(self) -> int | None:
        return self._route_id("job_id")

    async def _refresh(self, principal: StaffPrincipal) -> None:
        self.rows = [_row(v) for v in await call(invoices.job_invoices, principal, self._job_id())]

    async def _select(self, principal: StaffPrincipal, invoice_id: int) -> None:
        view = await call(invoices.invoice_detail, principal, invoice_id)
        if view.job_id != self._job_id():
            raise NotFound("That invoice does not exist.")  # another job's: not shown on this page
        self.selected_id, self.selected_version = view.id, view.version
        self.detail = _detail(view)
        self.detail_lines, self.detail_totals = line_rows(view), total_rows(view)
        self.payments = [
            {
                "kind": "Refund" if p.is_refund else "Payment",
                "amount": p.amount,
                "method": p.method,
                "received_on": p.received_on,
                "reference": p.reference,
                "recorded_by": p.recorded_by,
            }
            for p in view.payments
        ]
        self.history = [{"text": e.text, "actor": e.actor, "when": e.when} for e in view.history]
        self.today = shop_today(await call(shop_service.shop_timezone)).isoformat()

    def _fill(self, data: invoices.InvoiceInput) -> None:
        self.lines = [{"description": line.description, "quantity": line.quantity, "unit_price": line.unit_price, "amount": ""} for line in data.lines]
        self.form = {
            "discount_kind": data.discount_kind or "none",
            "discount": data.discount,
            "tax_rate": data.tax_rate,
            "deposit_kind": data.deposit_kind or "none",
            "deposit": data.deposit,
            "notes": data.notes,
            "due_date": data.due_date,
        }
        self.version = data.version or 0
        self.editing = True
        self._recompute()

    def _recompute(self) -> None:
        shown, self.totals = preview(self.lines, self.form, self.currency)
        for line, amount in zip(self.lines, shown, strict=True):
            line["amount"] = amount

    def _input(self) -> invoices.InvoiceInput:
        return invoices.InvoiceInput(
            lines=[invoices.LineInput(line["description"], line["quantity"], line["unit_price"]) for line in self.lines],
            discount_kind=_kind(self.form.get("discount_kind", "")),
            discount=self.form.get("discount", ""),
            tax_rate=self.form.get("tax_rate", ""),
            deposit_kind=_kind(self.form.get("deposit_kind", "")),
            deposit=self.form.get("deposit", ""),
            notes=self.form.get("notes", ""),
            due_date=self.form.get("due_date", ""),
            version=self.version or None,
        )

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        self.reset()  # another job's invoices never show while this one loads
        if self._job_id() is None:
            return
        self.card_payments = await call(payments.card_payments_available)
        try:
            await self._refresh(principal)
            wanted = self.router.url.query_parameters.get("invoice", "")
            if wanted.isdigit() and wanted in {row["id"] for row in self.rows}:
                await self._select(principal, int(wanted))
        except NotFound:
            self.rows = []  # the job page says the job does not exist

    # --- the editor

    @staff_event
    async def open_new(self, principal: StaffPrincipal):
        data = await call(invoices.new_invoice_input, principal, self._job_id())
        self.card_payments = await call(payments.card_payments_available)
        info = await call(shop_service.shop_info)
        self.currency = info.currency if info else "USD"
        self.editing_id = 0
        self._fill(data)

    @staff_event
    async def edit_draft(self, principal: StaffPrincipal, invoice_id: int):
        await self._select(principal, invoice_id)  # also proves it is this job's
        self.card_payments = await call(payments.card_payments_available)
        data = await call(invoices.invoice_input, principal, invoice_id)
        self.currency = self.detail["currency"]
        self.editing_id = invoice_id
        self._fill(data)

    @form_event
    def close_editor(self):
        self.editing = False
        self.errors = {}

    @form_event
    def set_field(self, name: str, value: str):
        if name in FORM_FIELDS and self.editing:
            self.form[name] = value
            self._recompute()

    @form_event
    def set_line(self, index: int, name: str, value: str):
        if name in LINE_FIELDS and 0 <= index < len(self.lines):
            self.lines[index][name] = value
            self._recompute()

    @form_event
    def add_line(self):
        if self.editing and len(self.lines) < MAX_SCREEN_LINES:
            self.lines.append({"description": "", "quantity": "1", "unit_price": "", "amount": ""})
            self._recompute()

    @form_event
    def remove_line(self, index: int):
        if 0 <= index < len(self.lines):
            self.lines.pop(index)
            # A message about line 3 would now point at the wrong row.
            self.errors = {k: v for k, v in self.errors.items() if not k.startswith("lines.")}
            self._recompute()

    async def _save(self, principal: StaffPrincipal) -> int:
        """Create or update the draft; afterwards the editor holds the saved version, so a
        Send that is then refused and a second Save do not make a second draft."""
        if self.editing_id:
            await call(invoices.update_draft, principal, self.editing_id, self._input())
        else:
            self.editing_id = await call(invoices.create_draft, principal, self._job_id(), self._input())
        await self._select(principal, self.editing_id)
        self.version = self.selected_version
        await self._refresh(principal)
        return self.editing_id

    @staff_event(field_toast="The invoice was not saved: see the fields marked in red.")
    async def save_draft(self, principal: StaffPrincipal):
        if not self.editing:
            return
        await self._save(principal)
        self.editing = False
        return rx.toast.success(f"Draft saved. {NO_NUMBER}")

    @staff_event(field_toast="The invoice was not sent: see the fields marked in red.")
    async def send(self, principal: StaffPrincipal):
        """Send Invoice from the editor: save, then send that saved version."""
        if not self.editing:
            return
        invoice_id = await self._save(principal)
        number = await call(invoices.send_invoice, principal, invoice_id, expected_version=self.selected_version)
        self.editing = False
        await self._select(principal, invoice_id)
        await self._refresh(principal)
        return rx.toast.success(f"{number} sent to the client.")

    # --- one invoice

    @staff_event
    async def select(self, principal: StaffPrincipal, invoice_id: int):
        await self._select(principal, invoice_id)

    @form_event
    def close_detail(self):
        self.selected_id = 0
        self.detail, self.detail_lines, self.detail_totals, self.payments, self.history = {}, [], [], [], []

    @staff_event
    async def send_selected(self, principal: StaffPrincipal):
        """Send Invoice for a saved draft, or Email again for a sent one (the number stays)."""
        if not self.selected_id:
            return
        first = self.detail.get("is_draft") == "yes"
        number = await call(invoices.send_invoice, principal, self.selected_id, expected_version=self.selected_version)
        await self._select(principal, self.selected_id)
        await self._refresh(principal)
        return rx.toast.success(f"{number} sent to the client." if first else f"{number} emailed again.")

    @form_event
    def set_payment_open(self, open_: bool):
        if open_:
            self.payment = {"amount": self.detail.get("balance_plain", ""), "method": "", "received_on": self.today, "reference": ""}
            self.errors = {}
        self.payment_open = open_

    @form_event
    def set_payment_field(self, name: str, value: str):
        if name in PAYMENT_FIELDS:
            self.payment[name] = value

    @staff_event(field_toast="The payment was not recorded.")
    async def record_payment(self, principal: StaffPrincipal):
        if not self.selected_id:
            return
        amount = self.payment.get("amount", "")
        await call(
            invoices.record_payment,
            principal,
            self.selected_id,
            amount=amount,
            method=self.payment.get("method", ""),
            received_on=self.payment.get("received_on", ""),
            reference=self.payment.get("reference", ""),
        )
        self.payment_open = False
        await self._select(principal, self.selected_id)
        await self._refresh(principal)
        return rx.toast.success(f"Payment recorded. {self.detail['title']} is {self.detail['status_label']}.")

    @form_event
    def set_refund_open(self, open_: bool):
        if open_:
            self.refund = {"amount": "", "received_on": self.today, "reference": ""}
            self.errors = {}
        self.refund_open = open_

    @form_event
    def set_refund_field(self, name: str, value: str):
        if name in REFUND_FIELDS:
            self.refund[name] = value

    @staff_event(field_toast="The refund was not recorded.")
    async def record_refund(self, principal: StaffPrincipal):
        if not self.selected_id:
            return
        await call(
            invoices.record_refund,
            principal,
            self.selected_id,
            amount=self.refund.get("amount", ""),
            received_on=self.refund.get("received_on", ""),
            reference=self.refund.get("reference", ""),
        )
        self.refund_open = False
        await self._select(principal, self.selected_id)
        await self._refresh(principal)
        return rx.toast.success(f"Refund recorded. The balance is {self.detail['balance']}.")

    @form_event
    def set_void_open(self, open_: bool):
        if open_:
            self.void_reason = ""
            self.errors = {}
        self.void_open = open_

    @form_event
    def set_void_reason(self, value: str):
        self.void_reason = value

    @staff_event
    async def void(self, principal: StaffPrincipal):
        if not self.selected_id:
            return
        await call(invoices.void_invoice, principal, self.selected_id, reason=self.void_reason)
        self.void_open = False
        await self._select(principal, self.selected_id)
        await self._refresh(principal)
        return rx.toast.success(f"{self.detail['title']} is void.")


# --- the screen ------------------------------------------------------------------------------


def _error(key: str | rx.Var) -> rx.Var:
    return JobInvoicesState.errors.get(key, "")


def _line_cell(label: str, key: str, line: rx.Var, index: rx.Var, **props) -> rx.Component:
    """A line's description, quantity or unit price: ids and error keys carry the line's index,
    so every row's label names its own box."""
    return rx.box(
        field(
            label,
            rx.input(
                value=line[key],
                on_change=lambda v: JobInvoicesState.set_line(index, key, v),
                name="line_" + key,
                **props,
                width="100%",
            ),
            _error("lines." + index.to_string() + "." + key),
            id="line-" + index.to_string() + f"-{key}",
        ),
        min_width="0",
    )


def _line_editor(line: rx.Var, index: rx.Var) -> rx.Component:
    state = JobInvoicesState
    number = (index + 1).to_string()
    return rx.box(
        _line_cell("Description", "description", line, index),
        _line_cell("Quantity", "quantity", line, index, input_mode="numeric"),
        _line_cell("Unit price", "unit_price", line, index, input_mode="decimal"),
        rx.vstack(
            rx.text("Amount", size="2", weight="medium"),
            rx.text(line["amount"], size="3", class_name="line-amount", padding_top="6px"),
            spacing="1",
        ),
        rx.box(
            rx.button(
                rx.icon("trash-2", size=14, aria_hidden="true"),
                "Remove line",
                variant="soft",
                color_scheme="red",
                size="2",
                type="button",
                on_click=state.remove_line(index),
                aria_label="Remove line " + number,
                disabled=state.lines.length() <= 1,
            ),
            padding_top=rx.breakpoints(initial="0", sm="24px"),
        ),
        # One row on a wide screen; stacked, every box full width, on a phone.
        display="grid",
        grid_template_columns=rx.breakpoints(initial="minmax(0, 1fr)", sm="minmax(0, 3fr) minmax(0, 1fr) minmax(0, 1.2fr) minmax(0, 1fr) auto"),
        gap="12px",
        align_items="start",
        width="100%",
        padding_bottom="8px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="invoice-line",
    )


def _kind_select(label: str, name: str) -> rx.Component:
    state = JobInvoicesState
    return field(
        label,
        rx.select.root(
            rx.select.trigger(),
            rx.select.content(*[rx.select.item(text, value=value) for value, text in SHARE_KINDS]),
            value=state.form.get(name + "_kind", "none"),
            on_change=lambda v: state.set_field(name + "_kind", v),
            name=name + "_kind",
        ),
    )


def _text_field(label: str, name: str, hint: str = "", **props) -> rx.Component:
    state = JobInvoicesState
    return field(
        label,
        rx.input(value=state.form.get(name, ""), on_change=lambda v: state.set_field(name, v), name=name, width="100%", **props),
        _error(name),
        hint,
    )


def _total_row(label: rx.Var | str, value: rx.Var, key: str, **props) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2"),
        rx.spacer(),
        rx.text(value, size="2", class_name="total-" + key, **props),
        width="100%",
    )


def _totals_preview() -> rx.Component:
    t = JobInvoicesState.totals
    return rx.vstack(
        _total_row("Subtotal", t["subtotal"], "subtotal"),
        _total_row("Discount", t["discount"], "discount"),
        _total_row("Tax", t["tax"], "tax"),
        rx.separator(),
        _total_row(rx.text("Total", weight="bold"), t["total"], "total", weight="bold"),
        rx.cond(t["deposit"] != "", _total_row("Deposit asked up front", t["deposit"], "deposit")),
        rx.cond(
            t["incomplete"] != "",
            rx.text("Lines marked — are not counted until they have a whole quantity and a price.", size="1", color_scheme="gray"),
        ),
        spacing="1",
        width="100%",
        max_width="360px",
        margin_left="auto",
        custom_attrs={"id": "invoice-totals", "aria-live": "polite"},
    )


def _editor() -> rx.Component:
    state = JobInvoicesState
    return rx.card(
        rx.vstack(
            rx.heading(rx.cond(state.editing_id == 0, "New invoice", "Edit draft"), size="4", as_="h3"),
            rx.text(NO_NUMBER, size="2", color_scheme="gray"),
            rx.heading("Line items", size="3", as_="h4"),
            rx.vstack(rx.foreach(state.lines, _line_editor), spacing="3", width="100%", custom_attrs={"id": "invoice-lines"}),
            rx.cond(
                _error("lines") != "",
                rx.text(_error("lines"), size="2", color_scheme="red", role="alert", class_name="field-error", custom_attrs={"id": "lines-error"}),
            ),
            rx.button(rx.icon("plus", size=14, aria_hidden="true"), "Add line", variant="soft", type="button", on_click=state.add_line),
            rx.grid(
                _kind_select("Discount type", "discount"),
                rx.cond(
                    state.form.get("discount_kind", "none") == "none",
                    rx.fragment(),
                    _text_field(rx.cond(state.form["discount_kind"] == "percent", "Discount %", "Discount amount"), "discount"),
                ),
                _text_field("Tax rate %", "tax_rate", input_mode="decimal"),
                _kind_select("Deposit type", "deposit"),
                rx.cond(
                    state.form.get("deposit_kind", "none") == "none",
                    rx.fragment(),
                    _text_field(rx.cond(state.form["deposit_kind"] == "percent", "Deposit %", "Deposit amount"), "deposit"),
                ),
                _text_field("Due date", "due_date", type="date"),
                columns={"initial": "1", "sm": "2", "md": "3"},
                spacing="3",
                width="100%",
            ),
            field(
                "Notes (shown on the invoice)",
                rx.text_area(value=state.form.get("notes", ""), on_change=lambda v: state.set_field("notes", v), name="notes", rows="3", width="100%"),
                _error("notes"),
            ),
            _totals_preview(),
            form_error(_error("form")),
            _card_payments_note(),
            rx.flex(
                rx.button("Cancel", variant="soft", color_scheme="gray", type="button", on_click=state.close_editor),
                rx.button("Save Draft", variant="soft", type="button", on_click=state.save_draft),
                rx.button(rx.icon("send", size=14, aria_hidden="true"), "Send Invoice", type="button", on_click=state.send),
                spacing="2",
                justify="end",
                wrap="wrap",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        custom_attrs={"id": "invoice-editor"},
    )


def _card_payments_note() -> rx.Component:
    """Next to Send Invoice while the shop cannot take cards: the client's portal will show how
    to pay the shop instead of Pay Now. A note, never a block: sending works all the same."""
    return rx.cond(
        ~JobInvoicesState.card_payments,
        rx.callout.root(
            rx.callout.icon(rx.icon("info", size=16)),
            rx.callout.text(
                "Clients can't pay by card yet: ",
                rx.cond(  # only the owner may open Settings -> Payments
                    StaffShellState.is_owner,
                    rx.fragment("connect Stripe in ", rx.link("Settings → Payments", href=PAYMENTS_SETTINGS, underline="always")),
                    "the shop's owner can connect Stripe in Settings → Payments",
                ),
                ". Sending still works: the portal tells clients how to pay you instead.",
            ),
            color_scheme="amber",
            size="1",
            width="100%",
            class_name="card-payments-note",
        ),
    )


def _invoice_card(row: rx.Var) -> rx.Component:
    state = JobInvoicesState
    return rx.card(
        rx.flex(
            rx.button(row["title"], variant="ghost", type="button", on_click=state.select(row["id"].to(int)), class_name="invoice-open"),
            invoice_badge(row["status"], row["status_label"]),
            rx.spacer(),
            rx.text(row["amounts"], size="2"),
            spacing="3",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
        class_name="invoice-row",
        custom_attrs={"data-id": row["id"]},
    )


def _field_for(store: str, label: str, name: str, **props) -> rx.Component:
    """A box of the payment or refund dialog (`store` is the state dict it writes)."""
    state = JobInvoicesState
    values = getattr(state, store)
    setter = getattr(state, f"set_{store}_field")
    return field(
        label,
        rx.input(value=values.get(name, ""), on_change=lambda v: setter(name, v), name=f"{store}_{name}", width="100%", **props),
        _error(name),
    )


def _payment_dialog() -> rx.Component:
    state = JobInvoicesState
    return form_dialog(
        "Record a payment on " + state.detail["title"],
        "Cash, a check, a bank transfer or a card taken elsewhere. The client gets a receipt.",
        _field_for("payment", "Amount", "amount", input_mode="decimal"),
        field(
            "Method",
            rx.select.root(
                rx.select.trigger(placeholder="Choose…", style={"& .rt-SelectTriggerInner": {"color": "var(--gray-11)"}}),
                rx.select.content(*[rx.select.item(label, value=value) for value, label in METHOD_OPTIONS]),
                value=state.payment.get("method", ""),
                on_change=lambda v: state.set_payment_field("method", v),
                name="payment_method",
            ),
            _error("method"),
        ),
        _field_for("payment", "Date received", "received_on", type="date"),
        _field_for("payment", "Reference (check number, bank reference)", "reference"),
        error=_error("form"),
        action=rx.button("Record payment", type="button", on_click=state.record_payment),
        open=state.payment_open,
        on_open_change=state.set_payment_open,
        trigger=rx.button(rx.icon("banknote", size=14, aria_hidden="true"), "Record Payment", type="button"),
    )


def _refund_dialog() -> rx.Component:
    state = JobInvoicesState
    return form_dialog(
        "Record a refund on " + state.detail["title"],
        "Money you gave back outside Stripe (card refunds made in Stripe arrive on their own). The balance reopens.",
        _field_for("refund", "Amount refunded", "amount", input_mode="decimal"),
        _field_for("refund", "Date refunded", "received_on", type="date"),
        _field_for("refund", "Reference", "reference"),
        error=_error("form"),
        action=rx.button("Record refund", type="button", on_click=state.record_refund),
        open=state.refund_open,
        on_open_change=state.set_refund_open,
        trigger=rx.button("Record Refund", variant="soft", type="button"),
    )


def _void_dialog() -> rx.Component:
    state = JobInvoicesState
    return form_dialog(
        "Void " + state.detail["title"] + "?",
        "The client can no longer pay it. Its number is kept, never reused. An invoice with payments must be refunded first.",
        field(
            "Reason",
            rx.text_area(value=state.void_reason, on_change=state.set_void_reason, name="void_reason", rows="3", width="100%"),
            _error("void_reason"),
        ),
        error=_error("form"),
        action=rx.button("Void invoice", color_scheme="red", type="button", on_click=state.void),
        open=state.void_open,
        on_open_change=state.set_void_open,
        trigger=rx.button("Void", variant="soft", color_scheme="red", type="button"),
    )


def _detail_section() -> rx.Component:
    state = JobInvoicesState
    d = state.detail
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.heading(d["title"], size="4", as_="h3", custom_attrs={"id": "invoice-title"}),
                invoice_badge(d["status"], d["status_label"], custom_attrs={"id": "invoice-status"}),
                rx.spacer(),
                rx.button("Close", variant="soft", color_scheme="gray", size="1", type="button", on_click=state.close_detail),
                spacing="3",
                align="center",
                width="100%",
            ),
            rx.cond(d["is_draft"] != "", rx.text(NO_NUMBER, size="2", color_scheme="gray")),
            rx.text(
                d["customer"],
                rx.cond(d["issued"] != "", " · Sent " + d["issued"], ""),
                " · Due ",
                d["due_date"],
                rx.cond(d["paid_on"] != "", " · Paid " + d["paid_on"], ""),
                size="2",
            ),
            rx.cond(d["void_reason"] != "", rx.callout("Void: " + d["void_reason"], color_scheme="gray", icon="ban")),
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in ("Description", "Qty", "Unit price", "Amount")])),
                    rx.table.body(
                        rx.foreach(
                            state.detail_lines,
                            lambda line: rx.table.row(
                                rx.table.cell(line["description"]),
                                rx.table.cell(line["quantity"]),
                                rx.table.cell(line["unit_price"]),
                                rx.table.cell(line["amount"]),
                            ),
                        )
                    ),
                    variant="surface",
                    width="100%",
                ),
                width="100%",
                overflow_x="auto",
            ),
            invoice_totals(state.detail_totals, max_width="360px", custom_attrs={"id": "invoice-detail-totals"}),
            rx.cond(d["notes"] != "", rx.text("Notes: ", d["notes"], size="2", white_space="pre-wrap")),
            # Send Invoice, or Email again for an invoice still to be paid.
            rx.cond((d["is_draft"] != "") | ((d["can_resend"] != "") & (d["can_pay"] != "")), _card_payments_note()),
            rx.flex(
                rx.cond(
                    d["is_draft"] != "",
                    rx.fragment(
                        rx.button("Edit draft", variant="soft", type="button", on_click=state.edit_draft(state.selected_id)),
                        rx.button(rx.icon("send", size=14, aria_hidden="true"), "Send Invoice", type="button", on_click=state.send_selected),
                    ),
                ),
                rx.cond(d["can_resend"] != "", rx.button("Email again", variant="soft", type="button", on_click=state.send_selected)),
                rx.cond(d["can_pay"] != "", _payment_dialog()),
                rx.cond(d["can_refund"] != "", _refund_dialog()),
                file_link(
                    rx.hstack(rx.icon("file-down", size=14, aria_hidden="true"), "Download PDF", spacing="1", align="center"),
                    href=d["pdf_url"],
                    size="2",
                    class_name="invoice-pdf",
                ),
                rx.cond(d["can_void"] != "", _void_dialog()),
                spacing="3",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            form_error(rx.cond(state.payment_open | state.refund_open | state.void_open | state.editing, "", _error("form"))),
            rx.cond(
                state.payments.length() > 0,
                rx.vstack(
                    rx.heading("Payments", size="3", as_="h4"),
                    rx.foreach(
                        state.payments,
                        lambda p: rx.text(
                            p["received_on"],
                            " · ",
                            p["kind"],
                            " ",
                            p["amount"],
                            " · ",
                            p["method"],
                            rx.cond(p["reference"] != "", " · " + p["reference"], ""),
                            " · ",
                            p["recorded_by"],
                            size="2",
                            class_name="invoice-payment",
                        ),
                    ),
                    spacing="1",
                    width="100%",
                ),
            ),
            rx.heading("History", size="3", as_="h4"),
            rx.vstack(
                rx.foreach(
                    state.history,
                    lambda e: rx.text(e["when"], " · ", e["text"], rx.cond(e["actor"] != "", " · " + e["actor"], ""), size="2", class_name="invoice-event"),
                ),
                spacing="1",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        custom_attrs={"id": "invoice-detail"},
    )


def invoices_tab() -> rx.Component:
    state = JobInvoicesState
    return rx.vstack(
        rx.cond(
            state.editing,
            _editor(),
            rx.button(rx.icon("plus", size=14, aria_hidden="true"), "Create Invoice", type="button", on_click=state.open_new),
        ),
        rx.cond(~state.editing, form_error(rx.cond(state.selected_id == 0, _error("form"), ""))),
        rx.cond(
            state.rows.length() > 0,
            rx.vstack(rx.foreach(state.rows, _invoice_card), spacing="2", width="100%", custom_attrs={"id": "job-invoices"}),
            rx.text("No invoices for this job yet.", color_scheme="gray", size="2"),
        ),
        rx.cond(state.selected_id != 0, _detail_section()),
        spacing="4",
        width="100%",
        padding_top="12px",
    )
