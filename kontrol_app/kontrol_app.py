"""The Reflex app: theme, pages, HTTP routes and the background email sender."""

from __future__ import annotations

import reflex as rx

from kontrol_app.api.limits import RequestSizeLimit
from kontrol_app.api.portal_guard import PortalGuard
from kontrol_app.api.routes import build_api
from kontrol_app.background import outbox_sender, warm_up
from kontrol_app.ui.portal.page import portal_page
from kontrol_app.ui.portal.session import PortalSession
from kontrol_app.ui.staff import auth, customers, dashboard, jobs, settings_automations, settings_email, settings_shop, settings_team
from kontrol_app.ui.staff import invoice_list
from kontrol_app.ui.staff import settings_payments
from kontrol_app.ui.staff import messages as staff_messages
from kontrol_app.ui.staff import quotes as staff_quotes

app = rx.App(
    api_transformer=[build_api(), RequestSizeLimit, PortalGuard],
    head_components=[rx.el.meta(name="referrer", content="same-origin")],
    stylesheets=["/contrast.css"],  # Radix's light palette darkened to meet WCAG AA contrast
)

app.add_page(auth.setup_page, route="/setup", title="Create your shop · Kontrol", on_load=auth.SetupState.load)
app.add_page(auth.sign_in_page, route="/sign-in", title="Sign in · Kontrol", on_load=auth.SignInState.load)
app.add_page(dashboard.dashboard_page, route="/", title="Dashboard · Kontrol", on_load=dashboard.ON_LOAD)
app.add_page(customers.customer_list_page, route="/customers", title="Customers · Kontrol", on_load=customers.LIST_ON_LOAD)
app.add_page(customers.customer_form_page, route="/customers/new", title="New customer · Kontrol", on_load=customers.FORM_ON_LOAD)
app.add_page(customers.customer_page, route="/customers/[customer_id]", title="Customer · Kontrol", on_load=customers.PAGE_ON_LOAD)
app.add_page(customers.customer_form_page, route="/customers/[customer_id]/edit", title="Edit customer · Kontrol", on_load=customers.FORM_ON_LOAD)
app.add_page(jobs.job_list_page, route="/jobs", title="Jobs · Kontrol", on_load=jobs.LIST_ON_LOAD)
app.add_page(jobs.job_board_page, route="/jobs/board", title="Job board · Kontrol", on_load=jobs.BOARD_ON_LOAD)
app.add_page(jobs.job_form_page, route="/jobs/new", title="New job · Kontrol", on_load=jobs.FORM_ON_LOAD)
app.add_page(jobs.job_page, route="/jobs/[job_id]", title="Job · Kontrol", on_load=jobs.PAGE_ON_LOAD)
app.add_page(jobs.job_form_page, route="/jobs/[job_id]/edit", title="Edit job · Kontrol", on_load=jobs.FORM_ON_LOAD)
app.add_page(invoice_list.invoice_list_page, route="/invoices", title="Invoices · Kontrol", on_load=invoice_list.ON_LOAD)
app.add_page(staff_messages.messages_page, route="/messages", title="Messages · Kontrol", on_load=staff_messages.ON_LOAD)
app.add_page(staff_quotes.quote_requests_page, route="/quotes", title="Quote Requests · Kontrol", on_load=staff_quotes.ON_LOAD)
app.add_page(settings_automations.automations_page, route="/settings/automations", title="Automations · Kontrol", on_load=settings_automations.ON_LOAD)
app.add_page(settings_shop.shop_info_page, route="/settings/shop", title="Shop Info · Kontrol", on_load=settings_shop.ON_LOAD)
app.add_page(settings_shop.shop_info_page, route="/settings", title="Settings · Kontrol", on_load=settings_shop.ON_LOAD)
app.add_page(settings_team.team_page, route="/settings/team", title="Team · Kontrol", on_load=settings_team.ON_LOAD)
app.add_page(settings_email.email_page, route="/settings/email", title="Email · Kontrol", on_load=settings_email.ON_LOAD)
app.add_page(settings_payments.payments_page, route="/settings/payments", title="Payments · Kontrol", on_load=settings_payments.ON_LOAD)

# The client portal (public: the link plus an emailed code are the credentials).
app.add_page(portal_page, route="/public/portal/[link]", title="Your orders", on_load=PortalSession.load)

app.register_lifespan_task(outbox_sender)
app.register_lifespan_task(warm_up)
