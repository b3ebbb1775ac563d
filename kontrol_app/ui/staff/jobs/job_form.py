"""New job / Edit job."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import jobs as job_service
from kontrol_app.ui.components.forms import field, form_error
from kontrol_app.ui.components.links import link_button
from kontrol_app.ui.guard import StaffPrincipal, StaffState, form_event, staff_event
from kontrol_app.ui.services import call
from kontrol_app.ui.staff.shell import guarded, staff_page
from kontrol_app.ui.staff.jobs.common import DECORATIONS, FORM_FIELDS


class JobFormState(StaffState, rx.State):
    form: dict[str, str] = {f: "" for f in FORM_FIELDS}
    editing: bool = False
    customer_name: str = ""
    customer_query: str = ""
    customer_choices: list[dict[str, str]] = []
    _customer_id: int | None = None
    _version: int | None = None  # what the form was loaded at: a colleague's newer save wins

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        self.customer_choices = []
        job_id = self._route_id("job_id")
        self.editing = job_id is not None
        if job_id is None:
            self.form = {f: "" for f in FORM_FIELDS} | {"decoration": "screen_print"}
            customer = self.router.url.query_parameters.get("customer", "")
            self._customer_id = int(customer) if customer.isdigit() else None
        else:
            data = await call(job_service.job_input, principal, job_id)
            self.form = {f: str(getattr(data, f)) for f in FORM_FIELDS}
            self._customer_id, self._version = data.customer_id, data.version
        self.customer_name = (await call(job_service.customer_name, self._customer_id) or "") if self._customer_id else ""

    @form_event
    def set_field(self, name: str, value: str):
        if name in FORM_FIELDS:
            self.form[name] = value

    @staff_event
    async def find_customer(self, principal: StaffPrincipal, text: str):
        self.customer_query = text
        matches = await call(job_service.find_customers, principal, text)
        self.customer_choices = [{"id": str(i), "name": n} for i, n in matches]

    @staff_event
    async def choose_customer(self, principal: StaffPrincipal, customer_id: int):
        name = await call(job_service.customer_name, int(customer_id))
        if name:
            self._customer_id, self.customer_name = int(customer_id), name
            self.customer_choices, self.customer_query = [], ""

    @staff_event(field_toast="The job was not saved. Check the highlighted field.")
    async def save(self, principal: StaffPrincipal):
        data = job_service.JobInput(**{f: self.form.get(f, "") for f in FORM_FIELDS}, customer_id=self._customer_id)
        job_id = self._route_id("job_id")
        if job_id is None:
            job_id = await call(job_service.create_job, principal, data)
        else:
            await call(job_service.update_job, principal, job_id, data, expected_version=self._version)
        return [rx.redirect(f"/jobs/{job_id}"), rx.toast.success("Job saved.")]


def _job_input(name: str, **props) -> rx.Component:
    return rx.input(value=JobFormState.form[name], on_change=lambda v: JobFormState.set_field(name, v), name=name, width="100%", **props)


def _customer_picker() -> rx.Component:
    state = JobFormState
    return rx.vstack(
        rx.cond(
            state.customer_name != "",
            rx.hstack(rx.badge(state.customer_name, size="2", id="chosen-customer"), rx.text("To change it, search below.", size="1", color_scheme="gray"), align="center"),
        ),
        rx.input(
            placeholder="Search customers by name",
            value=state.customer_query,
            on_change=state.find_customer.debounce(250),
            on_focus=state.find_customer(state.customer_query),
            name="customer_search",
            width="100%",
        ),
        rx.foreach(
            state.customer_choices,
            lambda c: rx.button(c["name"], variant="ghost", size="2", type="button", on_click=state.choose_customer(c["id"]), class_name="customer-choice"),
        ),
        spacing="1",
        width="100%",
    )


def job_form_page() -> rx.Component:
    state = JobFormState
    errors = state.errors
    return staff_page(
        "Jobs",
        rx.cond(state.editing, "Edit job", "New job"),
        rx.card(
            rx.vstack(
                form_error(errors.get("form", "")),
                field("Title", _job_input("title", placeholder="Spring League T-Shirts"), errors.get("title", "")),
                field("Customer", _customer_picker(), errors.get("customer", "")),
                rx.flex(
                    field("Quantity (pcs)", _job_input("quantity", inputmode="numeric", placeholder="144"), errors.get("quantity", "")),
                    field("Due date", _job_input("due_date", type="date"), errors.get("due_date", "")),
                    field(
                        "Decoration",
                        rx.select.root(
                            rx.select.trigger(),
                            rx.select.content(*[rx.select.item(label, value=value) for label, value in DECORATIONS.items()]),
                            value=state.form["decoration"],
                            on_change=lambda v: state.set_field("decoration", v),
                            name="decoration",
                        ),
                        errors.get("decoration", ""),
                    ),
                    spacing="3",
                    direction={"initial": "column", "sm": "row"},
                    width="100%",
                ),
                rx.flex(
                    field("Garment", _job_input("garment", placeholder="Gildan 5000 T-shirt"), errors.get("garment", "")),
                    field("Colour", _job_input("colour", placeholder="Navy"), errors.get("colour", "")),
                    spacing="3",
                    direction={"initial": "column", "sm": "row"},
                    width="100%",
                ),
                field(
                    "Notes",
                    rx.text_area(value=state.form["notes"], on_change=lambda v: state.set_field("notes", v), name="notes", rows="3", width="100%"),
                    errors.get("notes", ""),
                ),
                rx.hstack(
                    rx.button("Save job", on_click=state.save, size="3"),
                    link_button("Cancel", href="/jobs", variant="soft", color_scheme="gray", size="3"),
                ),
                spacing="4",
                width="100%",
            ),
            max_width="760px",
        ),
    )


FORM_ON_LOAD = guarded(JobFormState.load)
