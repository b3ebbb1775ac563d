"""New customer / Edit customer, with the extra contacts who may sign in."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import customers as customer_service
from kontrol_app.services.errors import ServiceError
from kontrol_app.ui.components.forms import field, form_error
from kontrol_app.ui.services import call, current_staff
from kontrol_app.ui.staff.shell import guarded, staff_page
from kontrol_app.ui.staff.customers.common import FORM_FIELDS, customer_id_from_path


class CustomerFormState(rx.State):
    form: dict[str, str] = {f: "" for f in FORM_FIELDS}
    contacts: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    editing: bool = False
    _customer_id: int | None = None

    @rx.event
    async def load(self):
        principal = await current_staff(self)
        if principal is None:
            return
        self.errors = {}
        self._customer_id = customer_id_from_path(self.router.url.path)
        self.editing = self._customer_id is not None
        if not self.editing:
            self.form = {f: "" for f in FORM_FIELDS}
            self.contacts = []
            return
        try:
            data = await call(customer_service.customer_form, principal, self._customer_id)
        except ServiceError as error:
            return rx.toast.error(error.message)
        self.form = {f: getattr(data, f) for f in FORM_FIELDS}
        self.contacts = [{"name": c.name, "email": c.email} for c in data.contacts]

    @rx.event
    def set_field(self, name: str, value: str):
        if name in FORM_FIELDS:
            self.form[name] = value

    @rx.event
    def add_contact(self):
        if len(self.contacts) < customer_service.MAX_EXTRA_CONTACTS:
            self.contacts.append({"name": "", "email": ""})

    @rx.event
    def remove_contact(self, index: int):
        if 0 <= index < len(self.contacts):
            self.contacts.pop(index)
            self.errors = {}

    @rx.event
    def set_contact(self, index: int, key: str, value: str):
        if 0 <= index < len(self.contacts) and key in ("name", "email"):
            self.contacts[index][key] = value

    @rx.event
    async def save(self):
        principal = await current_staff(self)
        if principal is None:
            return rx.toast.error("Your session has ended. Sign in again.")
        self.errors = {}
        data = customer_service.CustomerInput(
            **{f: self.form.get(f, "") for f in FORM_FIELDS},
            contacts=[customer_service.ContactInput(c.get("name", ""), c.get("email", "")) for c in self.contacts],
        )
        try:
            if self._customer_id is None:
                customer_id = await call(customer_service.create_customer, principal, data)
            else:
                customer_id = self._customer_id
                await call(customer_service.update_customer, principal, customer_id, data)
        except ServiceError as error:
            self.errors = {error.field or "form": error.message}
            return rx.toast.error("The customer was not saved. Check the highlighted field.")
        return [rx.redirect(f"/customers/{customer_id}"), rx.toast.success("Customer saved.")]


def _form_input(name: str, **props) -> rx.Component:
    return rx.input(
        value=CustomerFormState.form[name],
        on_change=lambda value: CustomerFormState.set_field(name, value),
        name=name,
        width="100%",
        **props,
    )


def _contact_row(contact: rx.Var, index: rx.Var) -> rx.Component:
    errors = CustomerFormState.errors
    return rx.flex(
        field(
            "Name",
            rx.input(value=contact["name"], on_change=lambda v: CustomerFormState.set_contact(index, "name", v), width="100%"),
            errors.get("contact_" + index.to_string() + "_name", ""),
        ),
        field(
            "Email",
            rx.input(value=contact["email"], on_change=lambda v: CustomerFormState.set_contact(index, "email", v), type="email", width="100%"),
            errors.get("contact_" + index.to_string() + "_email", ""),
        ),
        rx.button(rx.icon("x", size=14), "Remove", variant="ghost", color_scheme="red", type="button", on_click=CustomerFormState.remove_contact(index), margin_top="22px"),
        spacing="3",
        direction={"initial": "column", "sm": "row"},
        width="100%",
        class_name="extra-contact",
    )


def customer_form_page() -> rx.Component:
    state = CustomerFormState
    errors = state.errors
    return staff_page(
        "Customers",
        rx.cond(state.editing, "Edit customer", "New customer"),
        rx.card(
            rx.vstack(
                form_error(errors.get("form", "")),
                field("Company or name", _form_input("name", placeholder="Smith Embroidery"), errors.get("name", "")),
                rx.flex(
                    field("Contact name", _form_input("contact_name", placeholder="Sarah Smith"), errors.get("contact_name", "")),
                    field(
                        "Email",
                        _form_input("email", type="email", placeholder="sarah@smithembroidery.com"),
                        errors.get("email", ""),
                        hint="The email is how they sign in to the portal. No email = no portal access.",
                    ),
                    spacing="3",
                    direction={"initial": "column", "sm": "row"},
                    width="100%",
                ),
                field("Phone", _form_input("phone", type="tel"), errors.get("phone", "")),
                field(
                    "Address",
                    rx.text_area(value=state.form["address"], on_change=lambda v: state.set_field("address", v), name="address", rows="3", width="100%"),
                    errors.get("address", ""),
                ),
                field(
                    "Notes",
                    rx.text_area(value=state.form["notes"], on_change=lambda v: state.set_field("notes", v), name="notes", rows="3", width="100%"),
                    errors.get("notes", ""),
                ),
                rx.separator(),
                rx.text("Other contacts who may sign in", size="2", weight="medium"),
                rx.foreach(state.contacts, _contact_row),
                form_error(errors.get("contacts", "")),
                rx.button(rx.icon("plus", size=14), "Add contact", variant="soft", type="button", on_click=state.add_contact),
                rx.hstack(
                    rx.button("Save customer", on_click=state.save, size="3"),
                    rx.link(rx.button("Cancel", variant="soft", color_scheme="gray", size="3"), href="/customers"),
                ),
                spacing="4",
                width="100%",
            ),
            max_width="760px",
        ),
    )


FORM_ON_LOAD = guarded(CustomerFormState.load)
