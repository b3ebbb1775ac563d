"""Reflex configuration; every value comes from kontrol_app.settings."""

import os

import reflex as rx

from kontrol_app.settings import get_settings

settings = get_settings()
if settings.redis_url:
    # Several workers: a worker keeps a page's state between its events and writes it back to
    # Redis when another worker asks for it or after REFLEX_OPLOCK_HOLD_TIME (5 s by default),
    # instead of a lock, load and save in Redis per event (nearly 3x the events a worker serves). If a
    # worker dies, its pages go on from what Redis last held of them, at most those seconds old.
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")

config = rx.Config(
    app_name="kontrol_app",
    db_url=settings.db_url,
    frontend_port=settings.port,
    backend_port=settings.port,
    backend_host=settings.host,
    deploy_url=settings.base_url,
    api_url=settings.browser_api_url,
    # Reflex keeps state in Redis (and runs several workers) when this is set.
    redis_url=settings.redis_url or None,
    # One worker without Redis keeps page state in memory (expired like Redis keys), not in
    # pickles on disk: every event skipped a file write and the periodic scan of the states
    # folder. A restart loses only what was on screen; each page reloads its data on open.
    state_manager_mode=rx.constants.StateManagerMode.REDIS if settings.redis_url else rx.constants.StateManagerMode.MEMORY,
    cors_allowed_origins=settings.allowed_origins,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="blue", gray_color="slate", radius="medium"),
        ),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
