"""The Reflex app: theme, pages, HTTP routes and the background email sender."""

from __future__ import annotations

import reflex as rx

from kontrol_app.api.limits import RequestSizeLimit
from kontrol_app.api.routes import build_api
from kontrol_app.background import outbox_sender
from kontrol_app.ui.staff import auth, dashboard, settings_email, settings_shop, settings_team

app = rx.App(
    api_transformer=[build_api(), RequestSizeLimit],
    head_components=[rx.el.meta(name="referrer", content="same-origin")],
)

app.add_page(auth.setup_page, route="/setup", title="Create your shop · Kontrol", on_load=auth.SetupState.load)
app.add_page(auth.sign_in_page, route="/sign-in", title="Sign in · Kontrol", on_load=auth.SignInState.load)
app.add_page(dashboard.dashboard_page, route="/", title="Dashboard · Kontrol", on_load=dashboard.ON_LOAD)
app.add_page(settings_shop.shop_info_page, route="/settings/shop", title="Shop Info · Kontrol", on_load=settings_shop.ON_LOAD)
app.add_page(settings_shop.shop_info_page, route="/settings", title="Settings · Kontrol", on_load=settings_shop.ON_LOAD)
app.add_page(settings_team.team_page, route="/settings/team", title="Team · Kontrol", on_load=settings_team.ON_LOAD)
app.add_page(settings_email.email_page, route="/settings/email", title="Email · Kontrol", on_load=settings_email.ON_LOAD)

app.register_lifespan_task(outbox_sender)
