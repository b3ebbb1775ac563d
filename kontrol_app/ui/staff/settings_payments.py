"""Settings -> Payments (owner only): the Stripe keys and the connection check, the webhook to
set up in Stripe, and the invoice defaults (tax rate, numbering, payment terms)."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import stripe_account
from kontrol_app.ui.components.dialogs import dialog_title
from kontrol_app.ui.components.forms import dialog_buttons, field, secure_form, submit_button
from kontrol_app.ui.guard import StaffPrincipal, StaffState, form_event, owner_event, staff_event
from kontrol_app.ui.services import call
from kontrol_app.ui.staff.settings_nav import settings_tabs
from kontrol_app.ui.staff.shell import guarded, staff_page

INVOICE_FIELDS = ("tax_rate", "invoice_prefix", "invoice_next_number", "payment_terms_days", "payment_instructions")


def _preview(prefix: str, number: str) -> str:
    """The next invoice's number as typed so far ("" while the boxes do not make one)."""
    prefix, number = prefix.strip(), number.strip().replace(",", "")
    if not stripe_account.PREFIX_PATTERN.fullmatch(prefix) or not (number.isascii() and number.isdigit()) or len(number) > 8:
        return ""
    return stripe_account.invoice_number(prefix, int(number)) if int(number) > 0 else ""


class PaymentsState(StaffState, rx.State):
    can_edit: bool = False
    viewer_known: bool = False  # the load has run: who is looking is known
    loaded: bool = False
    secret_key: str = ""  # masked
    webhook_secret: str = ""  # masked
    secret_key_from_env: bool = False
    webhook_secret_from_env: bool = False
    unreadable: bool = False
    connected: bool = False
    connection: str = ""
    checked_at: str = ""
    webhook_url: str = ""
    webhook_events: list[str] = []
    currency: str = ""
    form: dict[str, str] = {f: "" for f in INVOICE_FIELDS}
    next_invoice: str = ""
    keys_form_key: int = 0  # bumped to clear the key boxes after a save
    removing: bool = False

    def _show(self, view: stripe_account.PaymentSettingsView) -> None:
        self.secret_key, self.webhook_secret = view.secret_key, view.webhook_secret
        self.secret_key_from_env, self.webhook_secret_from_env = view.secret_key_from_env, view.webhook_secret_from_env
        self.unreadable, self.connected, self.connection = view.unreadable, view.connected, view.connection
        self.checked_at, self.webhook_url, self.webhook_events = view.checked_at, view.webhook_url, view.webhook_events
        self.currency = view.currency
        self.form = {f: str(getattr(view, f)) for f in INVOICE_FIELDS}
        self.next_invoice = view.next_invoice
        self.loaded = True

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        self.can_edit = principal.is_owner
        self.viewer_known = True
        self.removing = False
        if principal.is_owner:  # staff see only that payments are the owner's
            self._show(await call(stripe_account.payment_settings, principal))

    @owner_event(field_toast="The keys were not saved.")
    async def save_keys(self, principal: StaffPrincipal, form: dict):
        self._show(
            await call(
                stripe_account.save_keys,
                principal,
                secret_key=str(form.get("secret_key", "")),
                webhook_secret=str(form.get("webhook_secret", "")),
            )
        )
        self.keys_form_key += 1
        return rx.toast.success("Stripe keys saved. Test the connection to finish.")

    @owner_event(field_toast="The connection was not tested.")
    async def test_connection(self, principal: StaffPrincipal):
        result = await call(stripe_account.test_connection, principal)
        self._show(await call(stripe_account.payment_settings, principal))
        return rx.toast.success(stripe_account.connection_label(result.account_name, result.livemode))

    @form_event
    def ask_remove(self):
        self.removing = True

    @form_event
    def close_remove(self, open_: bool = False):
        if not open_:
            self.removing = False

    @owner_event
    async def remove_keys(self, principal: StaffPrincipal):
        self.removing = False
        self._show(await call(stripe_account.remove_keys, principal))
        return rx.toast.success("Stripe keys removed. Clients cannot pay online until you add them again.")

    @staff_event
    async def copy_webhook_url(self, principal: StaffPrincipal):
        return [rx.set_clipboard(self.webhook_url), rx.toast.success("Webhook URL copied.")]

    @form_event
    def set_field(self, name: str, value: str):
        if name in INVOICE_FIELDS:
            self.form[name] = value
            self.next_invoice = _preview(self.form["invoice_prefix"], self.form["invoice_next_number"])

    @owner_event(field_toast="The invoice settings were not saved. Check the highlighted field.")
    async def save(self, principal: StaffPrincipal):
        self._show(await call(stripe_account.update_payment_settings, principal, **self.form))
        return rx.toast.success("Invoice settings saved.")


def _input(name: str, **props) -> rx.Component:
    return rx.input(
        value=PaymentsState.form[name],
        on_change=lambda value: PaymentsState.set_field(name, value),
        name=name,
        **props,
    )


def _saved(label: str, value: rx.Var, element_id: str) -> rx.Component:
    return rx.cond(
        value != "",
        rx.text(label, " ", rx.code(value, id=element_id), size="2"),
        rx.text(label, " none yet", size="2", color_scheme="gray"),
    )


def _env_note() -> rx.Component:
    state = PaymentsState
    return rx.fragment(
        rx.cond(
            state.secret_key_from_env,
            rx.callout(
                "STRIPE_SECRET_KEY is set on the server, so it is used instead of a key saved here.",
                icon="server",
                size="1",
                width="100%",
            ),
        ),
        rx.cond(
            state.webhook_secret_from_env,
            rx.callout(
                "STRIPE_WEBHOOK_SECRET is set on the server, so it is used instead of a signing secret saved here.",
                icon="server",
                size="1",
                width="100%",
            ),
        ),
        rx.cond(
            state.unreadable,
            rx.callout(
                "A saved key cannot be read: it was encrypted under another KONTROL_SECRET_KEY. Paste it again.",
                icon="triangle_alert",
                color_scheme="red",
                size="1",
                width="100%",
            ),
        ),
    )


def _connection_status() -> rx.Component:
    state = PaymentsState
    return rx.cond(
        state.connected,
        rx.callout.root(
            rx.callout.icon(rx.icon("circle_check")),
            rx.callout.text(rx.text.strong(state.connection), rx.el.br(), "Checked ", state.checked_at, size="2"),
            color_scheme="green",
            width="100%",
            id="stripe-connection",
        ),
        rx.text(
            "Not connected yet: save your keys, then Test connection.",
            size="2",
            color_scheme="gray",
            id="stripe-connection",
        ),
    )


def _stripe_card() -> rx.Component:
    state = PaymentsState
    errors = state.errors
    return rx.card(
        rx.vstack(
            rx.heading("Stripe", size="4", as_="h2"),
            rx.text(
                "Clients pay invoices by card through Stripe Checkout. Paste the secret key from Stripe's "
                "Developers → API keys (a restricted key works), and the signing secret of the webhook below.",
                size="2",
                color_scheme="gray",
            ),
            _env_note(),
            _connection_status(),
            secure_form(
                rx.vstack(
                    field(
                        "Secret key",
                        rx.input(name="secret_key", type="password", auto_complete="off", width="100%", placeholder="sk_live_… or rk_live_…"),
                        errors.get("secret_key", ""),
                        hint="Leave empty to keep the saved key.",
                    ),
                    _saved("Saved key:", state.secret_key, "saved-secret-key"),
                    field(
                        "Webhook signing secret",
                        rx.input(name="webhook_secret", type="password", auto_complete="off", width="100%", placeholder="whsec_…"),
                        errors.get("webhook_secret", ""),
                        hint="Leave empty to keep the saved signing secret.",
                    ),
                    _saved("Saved signing secret:", state.webhook_secret, "saved-webhook-secret"),
                    rx.flex(
                        submit_button("Save keys"),
                        rx.button("Test connection", type="button", variant="soft", on_click=state.test_connection),
                        rx.cond(
                            (state.secret_key != "") | (state.webhook_secret != ""),
                            rx.button("Remove keys", type="button", variant="ghost", color_scheme="red", on_click=state.ask_remove),
                        ),
                        spacing="3",
                        wrap="wrap",
                        align="center",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=state.save_keys,
                key=state.keys_form_key,
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        max_width="720px",
        width="100%",
        margin_bottom="16px",
    )


def _webhook_card() -> rx.Component:
    state = PaymentsState
    return rx.card(
        rx.vstack(
            rx.heading("Webhook", size="4", as_="h2"),
            rx.text(
                "In Stripe, Developers → Webhooks → Add endpoint: paste this URL, select the events below, "
                "then copy the endpoint's signing secret into the box above.",
                size="2",
                color_scheme="gray",
            ),
            rx.flex(
                rx.code(state.webhook_url, id="webhook-url", size="2", style={"word_break": "break-all"}),
                rx.button(rx.icon("copy", size=14), "Copy", size="1", variant="soft", on_click=state.copy_webhook_url, aria_label="Copy the webhook URL"),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            rx.text("Events to select", size="2", weight="medium"),
            rx.el.ul(
                rx.foreach(state.webhook_events, lambda event: rx.el.li(rx.code(event, size="2"))),
                style={"margin": "0", "padding_left": "20px"},
                id="webhook-events",
            ),
            spacing="3",
            width="100%",
        ),
        max_width="720px",
        width="100%",
        margin_bottom="16px",
    )


def _invoices_card() -> rx.Component:
    state = PaymentsState
    errors = state.errors
    return rx.card(
        rx.vstack(
            rx.heading("Invoices", size="4", as_="h2"),
            rx.vstack(
                rx.text("Currency", size="2", weight="medium"),
                rx.hstack(
                    rx.code(state.currency, id="invoice-currency"),
                    rx.link("Change it in Shop Info", href="/settings/shop", size="2"),
                    spacing="3",
                    align="center",
                ),
                spacing="1",
            ),
            field(
                "Default tax rate, %",
                _input("tax_rate", input_mode="decimal", max_width="140px", placeholder="0"),
                errors.get("tax_rate", ""),
                hint="Like 8.875. New invoices start with it; each invoice can change it.",
            ),
            rx.flex(
                field(
                    "Invoice number prefix",
                    _input("invoice_prefix", max_width="160px"),
                    errors.get("invoice_prefix", ""),
                    hint="Up to 12 letters, digits, - or _.",
                ),
                field(
                    "Next number",
                    _input("invoice_next_number", type="number", min="1", step="1", input_mode="numeric", max_width="160px"),
                    errors.get("invoice_next_number", ""),
                    hint="Higher than any number already used.",
                ),
                spacing="4",
                direction={"initial": "column", "sm": "row"},
                width="100%",
            ),
            rx.cond(
                state.next_invoice != "",
                rx.text("Next invoice: ", rx.text.strong(state.next_invoice), size="2", id="next-invoice"),
            ),
            field(
                "Payment terms",
                rx.hstack(
                    rx.text("Due in", size="2"),
                    _input("payment_terms_days", type="number", min="0", max="365", step="1", input_mode="numeric", width="90px"),
                    rx.text("days", size="2"),
                    align="center",
                    spacing="2",
                ),
                errors.get("payment_terms_days", ""),
                hint="The due date new invoices start with. 0: due on receipt.",
            ),
            field(
                "Payment instructions",
                rx.text_area(
                    value=state.form["payment_instructions"],
                    on_change=lambda value: PaymentsState.set_field("payment_instructions", value),
                    name="payment_instructions",
                    rows="4",
                    width="100%",
                ),
                errors.get("payment_instructions", ""),
                hint="Optional: how to pay by cash, check or bank transfer. Printed on every invoice.",
            ),
            rx.button("Save", on_click=state.save, size="3", id="save-invoice-settings"),
            spacing="4",
            width="100%",
        ),
        max_width="720px",
        width="100%",
    )


def _remove_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            dialog_title("Remove the Stripe keys?"),
            rx.dialog.description("Clients can no longer pay online until you add keys again. Payments already made are kept.", size="2"),
            dialog_buttons(rx.button("Remove keys", color_scheme="red", on_click=PaymentsState.remove_keys), margin_top="16px"),
            max_width="480px",
        ),
        open=PaymentsState.removing,
        on_open_change=PaymentsState.close_remove,
    )


def payments_page() -> rx.Component:
    return staff_page(
        "Settings",
        "Settings",
        settings_tabs("Payments"),
        rx.cond(
            PaymentsState.can_edit & PaymentsState.loaded,
            rx.box(_stripe_card(), _webhook_card(), _invoices_card(), _remove_dialog(), width="100%"),
            rx.cond(
                PaymentsState.viewer_known & ~PaymentsState.can_edit,
                rx.callout("Only the owner can change payments.", icon="lock", max_width="720px", id="payments-owner-only"),
            ),
        ),
    )


ON_LOAD = guarded(PaymentsState.load)
