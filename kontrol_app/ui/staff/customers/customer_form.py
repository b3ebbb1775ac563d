"""New customer / Edit customer, with the extra contacts who may sign in."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import customers as customer_service
from kontrol_app.ui.components.forms import field, form_error
from kontrol_app.ui.components.links import link_button
from kontrol_app.ui.guard import StaffPrincipal, StaffState, form_event, staff_event
from kontrol_app.ui.services import call
from kontrol_app.ui.staff.shell import guarded, staff_page
from kontrol_app.ui.staff.customers.common import FORM_FIELDS


class CustomerFormState(StaffState, rx.State):
    form: dict[str, str] = {f: "" for f in FORM_FIELDS}
    contacts: list[dict[str, str]] = []
    editing: bool = False
    _version: int | None = None  # what the form was loaded at: a colleague's newer save wins

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        customer_id = self._route_id("customer_id")
        self.editing = customer_id is not None
        if not self.editing:
            self.form = {f: "" for f in FORM_FIELDS}
            self.contacts = []
            return
        data = await call(customer_service.customer_form, principal, customer_id)
        self.form = {f: getattr(data, f) for f in FORM_FIELDS}
        self._version = data.version
        self.contacts = [{"name": c.name, "email": c.email} for c in data.contacts]

    @form_event
    def set_field(self, name: str, value: str):
        if name in FORM_FIELDS:
            self.form[name] = value

    @form_event
    def add_contact(self):
        if len(self.contacts) < customer_service.MAX_EXTRA_CONTACTS:
            self.contacts.append({"name": "", "email": ""})

    @form_event
    def remove_contact(self, index: int):
        if 0 <= index < len(self.contacts):
            self.contacts.pop(index)
            self.errors = {}

    @form_event
    def set_contact(self, index: int, key: str, value: str):
        if 0 <= index < len(self.contacts) and key in ("name", "email"):
            self.contacts[index][key] = value

    @staff_event(field_toast="The customer was not saved. Check the highlighted field.")
    async def save(self, principal: StaffPrincipal):
        data = customer_service.CustomerInput(
            **{f: self.form.get(f, "") for f in FORM_FIELDS},
            contacts=[customer_service.ContactInput(c.get("name", ""), c.get("email", "")) for c in self.contacts],
        )
        customer_id = self._route_id("customer_id")
        if customer_id is None:
            customer_id = await call(customer_service.create_customer, principal, data)
        else:
            await call(customer_service.update_customer, principal, customer_id, data, expected_version=self._version)
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
            id="contact-" + index.to_string() + "-name",  # one id per row of the foreach
        ),
        field(
            "Email",
            rx.input(value=contact["email"], on_change=lambda v: CustomerFormState.set_contact(index, "email", v), type="email", width="100%"),
            errors.get("contact_" + index.to_string() + "_email", ""),
            id="contact-" + index.to_string() + "-email",
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
                    link_button("Cancel", href="/customers", variant="soft", color_scheme="gray", size="3"),
                ),
                spacing="4",
                width="100%",
            ),
            max_width="760px",
        ),
    )


FORM_ON_LOAD = guarded(CustomerFormState.load)
