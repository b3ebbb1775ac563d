"""Kontrol the way it scales out (issue 12 item 5): PostgreSQL, Redis and two workers.

This module starts its OWN production server, not the session's `e2e_server`: `reflex run
--env prod --single-port` built in `.web-e2e-workers`, with DATABASE_URL on a scratch
PostgreSQL database and REDIS_URL on a scratch Redis database (both removed afterwards) and
GRANIAN_WORKERS=2. Emails go to the fake Resend (tests/fakes/resend_server.py), which counts
every delivery. It checks sign-in on both sides, an upload then its download, a status change
seen live by a portal served by the other worker, and that the background loops of both
workers (the outbox sender, the approval and invoice reminders) send each email exactly once.

Skipped only when PostgreSQL or Redis does not answer on 127.0.0.1.
"""

from __future__ import annotations

import io
import pickle
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import update
from sqlmodel import func, select

from kontrol_app.models import EmailKind, EmailStatus, Invoice, InvoiceEvent, MockupVersion, OutboxEmail
from tests.conftest import POSTGRES_ADMIN, _admin, _postgres_reachable, _postgres_url
from tests.fakes.resend_server import API_KEY, FakeResend

from .conftest import (
    WAIT_MS,
    E2EServer,
    _free_port,
    _migrate,
    _running,
    _server_env,
    eventually,
    outbox_of,
    portal_sign_in_with,
)
from .pages import choose, sign_in_with_form, staff_page_live, toast

WEB_WORKDIR = ".web-e2e-workers"  # git-ignored; its own build (another port, another state manager)
WORKERS = 2
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_CLAIM = "kontrol-e2e-workers"  # marks the scratch Redis database this run took
LIVE_MS = 5_000  # an open portal polls every 3 s: a status change shows within 5
QUEUED_AT_ONCE = 30
OWNER_NAME = "Olivia Owner"  # tests/factories.make_owner


def _redis(db: int = 0) -> redis.Redis:
    return redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db, socket_connect_timeout=2, socket_timeout=10)


def _redis_reachable() -> bool:
    try:
        return bool(_redis().ping())
    except redis.RedisError:
        return False


_POSTGRES = urlsplit(POSTGRES_ADMIN)
_MISSING = [
    name
    for name, up in (
        (f"PostgreSQL on {_POSTGRES.hostname}:{_POSTGRES.port or 5432}", _postgres_reachable()),
        (f"Redis on {REDIS_HOST}:{REDIS_PORT}", _redis_reachable()),
    )
    if not up
]
pytestmark = pytest.mark.skipif(bool(_MISSING), reason=f"several workers need {' and '.join(_MISSING)}, which did not answer")


def _claim_redis_db() -> tuple[int, redis.Redis]:
    """An empty Redis database (15 down to 1; 0 is everyone's default), marked as taken."""
    for number in range(15, 0, -1):
        client = _redis(number)
        try:
            if client.dbsize() == 0 and client.set(REDIS_CLAIM, "1", nx=True):
                return number, client
        except redis.ResponseError:  # fewer databases configured
            continue
    pytest.fail("no empty Redis database (1-15) for the two-worker server", pytrace=False)


def _png(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(buffer, format="PNG")
    return buffer.getvalue()


# --------------------------------------------------------------------------- the world


@dataclass(frozen=True)
class World:
    """What the database holds before the server starts (see `_seed`)."""

    owner_email: str
    owner_password: str
    client_email: str  # Pat, the only contact of Pixel Labs
    client_portal_url: str
    client_job: int  # Pixel Hoodies, in Artwork
    invoice_id: int  # Smith Embroidery's, with its reminder due


def _seed() -> World:
    """A shop through the services, with reminders due the moment the workers start: their
    loops run a reminder round at start, so both workers race to queue the same emails."""
    from kontrol_app import db
    from kontrol_app.models import Customer
    from kontrol_app.services import invoice_reminders, reminders
    from kontrol_app.services.clock import shop_today
    from kontrol_app.services.portal_links import portal_url
    from kontrol_app.services.shop import get_shop
    from tests.factories import OWNER_EMAIL, OWNER_PASSWORD, make_invoice, make_owner
    from tests.helpers.artwork import artwork_customers, sent_version

    with db.session_scope() as session:
        owner = make_owner(session)
        world = artwork_customers(session, owner)  # Smith (Sarah, Tom, no-email) and Pixel Labs (Pat)
        # Approval reminders every day: v1, sent two days ago, is due its second.
        reminders.save_settings(session, owner, enabled=True, days=1, times=3)
        version = sent_version(session, owner, world["job"])
        sent = session.get(MockupVersion, version.id).sent_at
        session.exec(update(MockupVersion).where(MockupVersion.id == version.id).values(sent_at=sent - timedelta(days=2)))
        # Invoice reminders 3 days before the due date: due in 2 days, sent 5 days ago.
        invoice_reminders.save_settings(session, owner, enabled=True, before_days="3", after_days="1, 7, 14")
        due = shop_today(get_shop(session).timezone) + timedelta(days=2)
        invoice_id = make_invoice(session, owner, world["job"], send=True, due_date=due.isoformat())
        sent = session.get(Invoice, invoice_id).sent_at
        session.exec(update(Invoice).where(Invoice.id == invoice_id).values(sent_at=sent - timedelta(days=5)))
        pixel = session.get(Customer, world["other"])
        return World(OWNER_EMAIL, OWNER_PASSWORD, "pat@pixel.example", portal_url(pixel), world["other_job"], invoice_id)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def resend() -> Iterator[FakeResend]:
    fake = FakeResend().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def scratch_redis() -> Iterator[tuple[int, redis.Redis]]:
    number, client = _claim_redis_db()
    try:
        yield number, client
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(scope="module")
def deployment(resend: FakeResend, scratch_redis) -> Iterator[tuple[E2EServer, World]]:
    """The two-worker server on a scratch PostgreSQL database, and what was seeded in it."""
    from kontrol_app import db
    from kontrol_app.settings import get_settings

    redis_db, _ = scratch_redis
    tmp = Path(tempfile.mkdtemp(prefix="kontrol-e2e-workers-"))
    data_dir = tmp / "data"
    data_dir.mkdir()
    database = f"kontrol_e2e_workers_{uuid.uuid4().hex[:12]}"
    port = _free_port()
    server = E2EServer(
        base_url=f"http://127.0.0.1:{port}",
        port=port,
        data_dir=data_dir,
        mail_dir=tmp / "mail",
        db_path=tmp / "unused.db",  # reset() is SQLite's; this server is never reset
        db_url=_postgres_url(database),
        log_path=tmp / "server.log",
        pristine_db=tmp / "unused.db",
        start_seconds=0.0,
    )
    env = _server_env(
        port=port, data_dir=data_dir, db_url=server.db_url, tmp=tmp,
        stripe_api_base="http://127.0.0.1:9",  # no payments here: nothing answers there
        web_workdir=WEB_WORKDIR,
    )
    env.update(
        REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}",
        GRANIAN_WORKERS=str(WORKERS),
        RESEND_API_KEY=API_KEY,
        RESEND_API_URL=resend.url,
    )
    _admin(f'CREATE DATABASE "{database}"')
    try:
        with pytest.MonkeyPatch.context() as patch:
            # This process's settings are the server's: same database, data dir (so the same
            # signing secret and files), host and port (so the same portal links).
            for name in ("DATABASE_URL", "KONTROL_DATA_DIR", "HOST", "PORT", "KONTROL_PUBLIC_URL", "RESEND_API_KEY"):
                patch.setenv(name, env[name])
            patch.delenv("KONTROL_SECRET_KEY", raising=False)
            get_settings.cache_clear()
            db.reset_engine()
            try:
                _migrate(env)
                world = _seed()
                with _running(server, env):
                    yield server, world
            finally:
                db.reset_engine()
                get_settings.cache_clear()
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def workers_server(deployment) -> E2EServer:
    return deployment[0]


@pytest.fixture(scope="module")
def world(deployment) -> World:
    return deployment[1]


@pytest.fixture
def new_context(browser, workers_server: E2EServer):
    contexts = []

    def make():
        context = browser.new_context(base_url=workers_server.base_url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def _token(page) -> str:
    token = page.evaluate("() => window.sessionStorage.getItem('token')")
    assert token, "the page has no Reflex client token"
    return token


def _worker_of(page, scratch_redis) -> str:
    """Which worker holds the page's websocket: Reflex records each client token's socket,
    with its worker's instance id, in Redis."""
    from reflex.utils.token_manager import RedisTokenManager

    _, client = scratch_redis
    token = _token(page)
    key = RedisTokenManager._token_socket_record_prefix + token
    record = eventually(lambda: client.get(key), what=f"the socket record of {token} in Redis")
    return pickle.loads(record).instance_id


# --------------------------------------------------------------------------- tests


def test_two_workers_sign_in_upload_download_and_a_live_status(workers_server, world, new_context, scratch_redis, tmp_path):
    # Staff sign in with the form.
    staff_context = new_context()
    staff = staff_context.new_page()
    sign_in_with_form(staff, world.owner_email, world.owner_password)
    staff_page_live(staff, OWNER_NAME)
    staff.goto(f"/jobs/{world.client_job}")
    staff_page_live(staff, OWNER_NAME)
    status = staff.locator("#job-status")
    expect(status).to_have_text("Artwork")

    # The client signs in to the portal with the code from the outbox.
    client_context = new_context()
    portal = client_context.new_page()
    portal_sign_in_with(outbox_of(workers_server))(portal, world.client_portal_url, world.client_email)

    # A portal page on the other worker than the staff page (same browser, already signed in).
    staff_worker = _worker_of(staff, scratch_redis)
    job_path = "/" + world.client_portal_url.split("/", 3)[3] + f"?job={world.client_job}"
    for _ in range(12):
        portal.goto(job_path)
        expect(portal.locator("#portal-job-status")).to_have_text("Artwork")
        if _worker_of(portal, scratch_redis) != staff_worker:
            break
        portal.close()
        portal = client_context.new_page()
    else:
        pytest.fail("twelve portal pages all landed on the staff page's worker")

    # Staff put the job on hold; the open portal (the other worker, polling) follows.
    choose(staff, "Set status", "On Hold")
    expect(status).to_have_text("On Hold")
    # The worker keeps the page's state between its events (rxconfig.py: Reflex's oplock): its
    # Redis lock outlives the event just answered, where without it each event lets go.
    assert scratch_redis[1].exists(f"{_token(staff)}_lock"), "the staff page's state lock was let go after its event"
    expect(portal.locator("#portal-job-status")).to_have_text("On Hold", timeout=LIVE_MS)

    # An upload (Reflex's upload route, on whichever worker) then a download of the same bytes.
    artwork = _png((30, 120, 200))
    (tmp_path / "hoodie-front.png").write_bytes(artwork)
    staff.get_by_role("tab", name="Mockups").click()
    staff.locator("#mockup input[type=file]").set_input_files(tmp_path / "hoodie-front.png")
    expect(toast(staff, "v1 uploaded.")).to_be_visible()
    download = staff.locator(".mockup-version[data-label='v1']").get_by_role("link", name="Download v1")
    href = download.get_attribute("href")
    assert href and href.startswith("/api/files/")
    answer = staff_context.request.get(href)
    assert answer.status == 200
    assert answer.body() == artwork


def test_two_workers_send_each_email_exactly_once(workers_server, world, resend):
    # Both workers ran a reminder round as they started, racing on the same due reminders.
    def settled() -> bool:
        with workers_server.session() as session:
            kinds = session.exec(select(OutboxEmail.kind, func.count()).group_by(OutboxEmail.kind)).all()
            queued = session.exec(select(func.count()).where(OutboxEmail.status == EmailStatus.QUEUED)).one()
        counts = dict(kinds)
        return counts.get(EmailKind.APPROVAL_REMINDER) and counts.get(EmailKind.INVOICE_REMINDER) and not queued

    eventually(settled, what="the reminders queued at start and sent")

    # Many emails at once: both workers' senders take from the same queue.
    from kontrol_app.services import outbox

    with workers_server.session() as session:
        for number in range(QUEUED_AT_ONCE):
            outbox.queue_email(
                session, kind=EmailKind.JOB_STATUS, to=f"client{number}@example.com",
                data={
                    "subject": f"Order {number} is Ready", "body": f"Hi,\n\nOrder {number} is ready.",
                    "job_url": f"{world.client_portal_url}?job={world.client_job}", "job_title": f"Order {number}",
                    "status": "Ready",
                },
            )

    def all_sent() -> list[OutboxEmail]:
        rows = outbox_of(workers_server)()
        return rows if all(row.status != EmailStatus.QUEUED for row in rows) else []

    rows = eventually(all_sent, timeout=60, what=f"the {QUEUED_AT_ONCE} emails sent")
    kinds = [row.kind for row in rows]
    assert kinds.count(EmailKind.JOB_STATUS) == QUEUED_AT_ONCE
    assert sorted(row.to_email for row in rows if row.kind == EmailKind.APPROVAL_REMINDER) == ["sarah@smith.example", "tom@smith.example"]
    assert sorted(row.to_email for row in rows if row.kind == EmailKind.INVOICE_REMINDER) == ["sarah@smith.example", "tom@smith.example"]
    with workers_server.session() as session:
        history = session.exec(select(InvoiceEvent.text).where(InvoiceEvent.invoice_id == world.invoice_id, InvoiceEvent.kind == "reminder")).all()
    assert history == ["Reminder sent (due in 2 days)"]

    # Each email claimed once and delivered once: one request to Resend with its key.
    resend.wait_until_idle()
    assert [(row.id, row.status, row.attempts) for row in rows] == [(row.id, EmailStatus.SENT, 1) for row in rows]
    assert sorted(request.idempotency_key for request in resend.requests) == sorted(row.idempotency_key for row in rows)
    assert set(resend.delivery_counts().values()) == {1}
