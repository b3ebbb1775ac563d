"""Browser tests against the REAL production app.

One `reflex run --env prod --single-port` server per pytest session, on a free
127.0.0.1 port, with its own SQLite database, data dir, mailbox, state dir and
web build dir (`.web-e2e`, so a developer's `make run` in `.web` is never touched).

Tests stay independent although the app serves one shop per database: every test
asks for the state it needs, and the fixture resets the database to "freshly
migrated" first:

- `no_shop`: nobody has set up the shop yet (the "Create your shop" flow);
- `shop`:    a shop and its owner, created through the service layer (not the UI).

Playwright drives /usr/bin/chromium when present (Playwright's own browser
otherwise); each test gets a fresh browser context.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from sqlmodel import Session

from tests.fakes.stripe_server import FakeStripe, running_fake_stripe

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A cold start installs the npm tree into .web-e2e and builds the front end.
START_TIMEOUT = float(os.environ.get("KONTROL_E2E_START_TIMEOUT", "240"))
# Playwright waits (ms): generous, since a 2-core machine runs server and browser.
WAIT_MS = 20_000
WEB_WORKDIR = ".web-e2e"  # git-ignored; never the developer's .web

OWNER_NAME = "Olivia Owner"
OWNER_EMAIL = "owner@example.com"
OWNER_PASSWORD = "correct horse battery"
SHOP_NAME = "Smith Embroidery"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(
    *, port: int, data_dir: Path, db_url: str, tmp: Path, stripe_api_base: str, web_workdir: str = WEB_WORKDIR
) -> dict[str, str]:
    env = dict(os.environ)
    # Anything that would point the server elsewhere than its own temp world.
    for name in ("REFLEX_DB_URL", "REFLEX_REDIS_URL", "REDIS_URL", "KONTROL_PUBLIC_URL", "KONTROL_SECRET_KEY"):
        env.pop(name, None)
    bin_dir = str(Path(sys.executable).parent)  # the virtualenv: node 24, npm, reflex
    env.update(
        PATH=bin_dir + os.pathsep + env.get("PATH", ""),
        REFLEX_USE_NPM="1",
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        PYTHONUNBUFFERED="1",
        HOST="127.0.0.1",
        PORT=str(port),
        KONTROL_DATA_DIR=str(data_dir),
        DATABASE_URL=db_url,
        KONTROL_MAIL_DIR=str(tmp / "mail"),
        # Explicitly empty, so a developer's .env cannot switch on real email or payments.
        RESEND_API_KEY="",
        STRIPE_SECRET_KEY="",
        STRIPE_WEBHOOK_SECRET="",
        KONTROL_PUBLIC_URL="",
        REDIS_URL="",
        # Stripe is the session's fake (tests/fakes/stripe_server.py), never the real API.
        STRIPE_API_BASE=stripe_api_base,
        REFLEX_WEB_WORKDIR=web_workdir,
        REFLEX_STATES_WORKDIR=str(tmp / "states"),
        REFLEX_UPLOADED_FILES_DIR=str(tmp / "uploaded_files"),
    )
    return env


@dataclass
class E2EServer:
    base_url: str
    port: int
    data_dir: Path
    mail_dir: Path
    db_path: Path
    db_url: str
    log_path: Path
    pristine_db: Path
    start_seconds: float
    _engine: object = None

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def engine(self):
        if self._engine is None:
            from kontrol_app.db import make_engine

            self._engine = make_engine(self.db_url)
        return self._engine

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session on the server's database; commits on success."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def reset(self) -> None:
        """Back to a freshly migrated database (rows migrations seed are kept), no files, no mail."""
        with contextlib.closing(sqlite3.connect(self.db_path, timeout=30)) as con:
            con.execute("PRAGMA foreign_keys=OFF")
            con.execute("ATTACH DATABASE ? AS pristine", (str(self.pristine_db),))
            tables = [
                row[0]
                for row in con.execute(
                    "SELECT name FROM main.sqlite_master WHERE type='table' "
                    "AND name NOT LIKE 'sqlite_%' AND name NOT IN ('alembic_version', 'data_version')"
                )
            ]
            # Triggers that refuse deletes (immutable approval records) are lifted for the
            # reset only, and put back in the same transaction.
            triggers = con.execute("SELECT name, sql FROM main.sqlite_master WHERE type='trigger'").fetchall()
            with con:
                con.execute("BEGIN")  # sqlite3 would start it only at the first DELETE, after the DROPs
                for name, _ in triggers:
                    con.execute(f'DROP TRIGGER main."{name}"')
                for table in tables:
                    con.execute(f'DELETE FROM main."{table}"')
                    con.execute(f'INSERT INTO main."{table}" SELECT * FROM pristine."{table}"')
                # Onwards, never back: the server remembers reads by the version they were made at.
                con.execute("UPDATE main.data_version SET version = version + 1, sign_in_version = sign_in_version + 1")
                for _, sql in triggers:
                    con.execute(sql)
            con.execute("DETACH DATABASE pristine")
        for folder in (self.files_dir, self.mail_dir):
            shutil.rmtree(folder, ignore_errors=True)

    def log_tail(self, lines: int = 200) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _lockfile_bytes() -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted((ROOT / "reflex.lock").glob("*")) if path.is_file()}


def _undo_lockfile_reordering(before: dict[Path, bytes], web_workdir: str = WEB_WORKDIR) -> None:
    """Reflex copies its web dir's package.json back to reflex.lock/ after every install.
    `.web-e2e`'s copy lists the same packages in another key order, which would leave a
    meaningless diff in a tracked file: put the committed bytes back (in both places, so
    the next start writes back identical bytes). A real change is left for people to see."""
    for path, old in before.items():
        if not path.exists() or path.read_bytes() == old:
            continue
        try:
            same = json.loads(path.read_bytes()) == json.loads(old)
        except ValueError:
            same = False
        if not same:
            print(f"[e2e] note: the server start changed {path.relative_to(ROOT)}", file=sys.stderr)
            continue
        path.write_bytes(old)
        web_copy = ROOT / web_workdir / path.name
        if web_copy.exists() and json.loads(web_copy.read_bytes()) == json.loads(old):
            web_copy.write_bytes(old)


def _wait_for_ping(base_url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            if httpx.get(f"{base_url}/ping", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"no answer on {base_url}/ping after {timeout:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    """End the server's whole process group (reflex, granian workers, node)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    # Children may outlive the leader: sweep the group either way.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def e2e_stripe() -> Iterator[FakeStripe]:
    """The fake Stripe the server talks to (its STRIPE_API_BASE), for the whole session; its
    webhooks go to the server's /api/stripe/webhook. Tests that change it put it back."""
    with running_fake_stripe() as fake:
        yield fake


@pytest.fixture(scope="session")
def e2e_server(e2e_stripe: FakeStripe) -> Iterator[E2EServer]:
    """The production app on a free loopback port, with a database of its own."""
    tmp = Path(tempfile.mkdtemp(prefix="kontrol-e2e-"))
    try:
        yield from _serve(tmp, e2e_stripe)
    finally:
        if os.environ.get("KONTROL_E2E_KEEP"):
            print(f"[e2e] kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _serve(tmp: Path, stripe: FakeStripe) -> Iterator[E2EServer]:
    data_dir = tmp / "data"
    data_dir.mkdir()
    db_path = data_dir / "kontrol.db"
    port = _free_port()
    server = E2EServer(
        base_url=f"http://127.0.0.1:{port}",
        port=port,
        data_dir=data_dir,
        mail_dir=tmp / "mail",
        db_path=db_path,
        db_url=f"sqlite:///{db_path}",
        log_path=tmp / "server.log",
        pristine_db=tmp / "pristine.db",
        start_seconds=0.0,
    )
    env = _server_env(port=port, data_dir=data_dir, db_url=server.db_url, tmp=tmp, stripe_api_base=stripe.url)
    stripe.webhook_url = f"{server.base_url}/api/stripe/webhook"

    _migrate(env)
    # What "freshly migrated" looks like, for reset().
    with contextlib.closing(sqlite3.connect(db_path)) as src, contextlib.closing(sqlite3.connect(server.pristine_db)) as dst:
        src.backup(dst)
    with _running(server, env):
        yield server


def _migrate(env: dict[str, str]) -> None:
    """Migrate the database `env` names to head, as `make run` does."""
    migrated = subprocess.run(
        [sys.executable, "-m", "kontrol_app.manage", "migrate"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    if migrated.returncode != 0:
        pytest.fail(f"migrate failed:\n{migrated.stdout}\n{migrated.stderr}", pytrace=False)


@contextlib.contextmanager
def _running(server: E2EServer, env: dict[str, str]) -> Iterator[None]:
    """`reflex run --env prod --single-port` with `env` until the block ends (then every
    process of it is stopped). tests/e2e/test_workers.py starts its own server this way."""
    web_workdir = env["REFLEX_WEB_WORKDIR"]
    lockfiles = _lockfile_bytes()
    started = time.monotonic()
    with open(server.log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port", "--loglevel", "info"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so teardown reaches every child
        )
    try:
        try:
            _wait_for_ping(server.base_url, process, START_TIMEOUT)
        except RuntimeError as error:
            pytest.fail(f"Kontrol did not start: {error}\n--- server log ---\n{server.log_tail()}", pytrace=False)
        server.start_seconds = time.monotonic() - started
        _undo_lockfile_reordering(lockfiles, web_workdir)
        print(f"\n[e2e] server up on {server.base_url} in {server.start_seconds:.1f} s", file=sys.stderr)
        yield
    finally:
        _stop(process)
        _undo_lockfile_reordering(lockfiles, web_workdir)
        if server._engine is not None:
            server._engine.dispose()


@pytest.fixture(scope="session")
def base_url(e2e_server: E2EServer) -> str:
    return e2e_server.base_url


@pytest.fixture(scope="session")
def data_dir(e2e_server: E2EServer) -> Path:
    return e2e_server.data_dir


@pytest.fixture(scope="session")
def db_session(e2e_server: E2EServer) -> Callable[[], contextlib.AbstractContextManager[Session]]:
    """`with db_session() as s:` opens a session on the server's database (commits on success)."""
    return e2e_server.session


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    funcargs = getattr(item, "funcargs", {})
    server = next((value for value in funcargs.values() if isinstance(value, E2EServer)), None)
    if report.failed and server is not None:
        report.sections.append(("kontrol server log (tail)", server.log_tail(80)))


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Owner:
    id: int
    name: str
    email: str
    password: str
    shop_name: str


@pytest.fixture
def no_shop(e2e_server: E2EServer) -> E2EServer:
    """A freshly migrated database: nobody has created the shop yet."""
    e2e_server.reset()
    return e2e_server


@pytest.fixture
def shop(e2e_server: E2EServer) -> Owner:
    """A freshly migrated database with a shop and its owner (made by the service, not the UI)."""
    from kontrol_app.services import staff as staff_service

    e2e_server.reset()
    with e2e_server.session() as session:
        owner = staff_service.create_shop(
            session, shop_name=SHOP_NAME, name=OWNER_NAME, email=OWNER_EMAIL, password=OWNER_PASSWORD
        )
    return Owner(owner.id, OWNER_NAME, OWNER_EMAIL, OWNER_PASSWORD, SHOP_NAME)


@pytest.fixture
def session_token(e2e_server: E2EServer) -> Callable[[Owner], str]:
    """A real session token for `owner`, issued the way the sign-in route issues it."""
    from kontrol_app.services import staff as staff_service

    def make(owner: Owner) -> str:
        with e2e_server.session() as session:
            ticket = staff_service.issue_ticket(session, owner.id)
        with e2e_server.session() as session:
            token = staff_service.redeem_ticket(session, ticket, ip="127.0.0.1", user_agent="e2e")
        assert token
        return token

    return make


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        options = {"headless": True, "args": CHROMIUM_ARGS}
        if CHROMIUM.exists():
            options["executable_path"] = str(CHROMIUM)
        browser = playwright.chromium.launch(**options)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser, base_url: str):
    """Make extra fresh browser contexts (another device); all are closed after the test."""
    contexts = []

    def make():
        context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        with contextlib.suppress(Exception):
            context.close()


@pytest.fixture
def context(new_context):
    """This test's own fresh browser context."""
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def sign_in_as(base_url: str, e2e_server: E2EServer) -> Callable:
    """Sign a page in without the form: a one-time ticket through the real cookie route."""
    from kontrol_app.services import staff as staff_service

    def sign_in(page, owner: Owner, next_path: str = "/") -> None:
        with e2e_server.session() as session:
            ticket = staff_service.issue_ticket(session, owner.id)
        page.goto(f"/api/staff/session?ticket={quote(ticket)}&next={quote(next_path)}")

    return sign_in


# --------------------------------------------------------------------------- customers, jobs, mail


@pytest.fixture
def server_settings(e2e_server: E2EServer, monkeypatch: pytest.MonkeyPatch):
    """This test process's settings made the server's: same data dir (so the same signing
    secret, hence the same portal links), host and port. Services that build portal
    links (creating a customer, regenerating a link) then agree with the server."""
    from kontrol_app.settings import get_settings

    monkeypatch.setenv("KONTROL_DATA_DIR", str(e2e_server.data_dir))
    monkeypatch.setenv("DATABASE_URL", e2e_server.db_url)
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", str(e2e_server.port))
    monkeypatch.setenv("KONTROL_PUBLIC_URL", "")
    monkeypatch.delenv("KONTROL_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.base_url == e2e_server.base_url
    yield settings
    get_settings.cache_clear()


def owner_principal(owner: Owner):
    from kontrol_app.services.staff import StaffPrincipal

    return StaffPrincipal(id=owner.id, name=owner.name, email=owner.email, role="owner")


@dataclass(frozen=True)
class MadeCustomer:
    id: int
    name: str
    email: str
    portal_url: str

    @property
    def portal_path(self) -> str:
        return "/" + self.portal_url.split("/", 3)[3]


@pytest.fixture
def make_customer(shop: Owner, e2e_server: E2EServer, server_settings) -> Callable[..., MadeCustomer]:
    """Create a customer through the service (not the UI); returns it with its portal link."""
    from kontrol_app.models import Customer
    from kontrol_app.services import customers as customer_service
    from kontrol_app.services import portal_links

    def make(name: str, email: str = "", contact_name: str = "", phone: str = "") -> MadeCustomer:
        data = customer_service.CustomerInput(name=name, contact_name=contact_name, email=email, phone=phone)
        with e2e_server.session() as session:
            customer_id = customer_service.create_customer(session, owner_principal(shop), data)
            url = portal_links.portal_url(session.get(Customer, customer_id))
        return MadeCustomer(customer_id, name, email, url)

    return make


@pytest.fixture
def make_job(shop: Owner, e2e_server: E2EServer) -> Callable[..., int]:
    """Create a job through the service, optionally moved on to `status` (a value or label)."""
    from kontrol_app.services import jobs as job_service
    from kontrol_app.services import statuses

    def make(customer_id: int, title: str, quantity: int = 50, due_date: str = "", status: str = "") -> int:
        actor = owner_principal(shop)
        data = job_service.JobInput(title=title, customer_id=customer_id, quantity=str(quantity), due_date=due_date)
        with e2e_server.session() as session:
            job_id = job_service.create_job(session, actor, data)
        if status:
            with e2e_server.session() as session:
                if status in job_service.APPROVAL_GATED or status in {statuses.label(s) for s in job_service.APPROVAL_GATED}:
                    from kontrol_app.services import mockups

                    # The approval gate: an offline "no artwork needed" approval (a quote stays a quote).
                    mockups.record_offline_approval(
                        session, actor, job_id, approved_by="Test Client", method="no_artwork", note=""
                    )
                assert job_service.change_status(session, actor, job_id, status)
        return job_id

    return make


@pytest.fixture
def outbox(e2e_server: E2EServer) -> Callable[..., list]:
    """`outbox(kind, to=None)`: the emails queued so far (the local mailbox), oldest first."""
    return outbox_of(e2e_server)


def outbox_of(server: E2EServer) -> Callable[..., list]:
    """The `outbox` fixture's function for any server."""
    from sqlmodel import select

    from kontrol_app.models import OutboxEmail

    def emails(kind: str | None = None, to: str | None = None) -> list[OutboxEmail]:
        query = select(OutboxEmail).order_by(OutboxEmail.id)
        if kind is not None:
            query = query.where(OutboxEmail.kind == kind)
        if to is not None:
            query = query.where(OutboxEmail.to_email == to)
        with server.session() as session:
            return list(session.exec(query).all())

    return emails


def code_in(email_text: str) -> str:
    """The 6-digit sign-in code of a sign-in email's plain-text part (it has a line of its own)."""
    import re

    found = re.findall(r"^(\d{6})$", email_text, flags=re.MULTILINE)
    assert len(found) == 1, f"no single 6-digit code line in:\n{email_text}"
    return found[0]


@pytest.fixture
def portal_sign_in(outbox) -> Callable:
    """Sign a page in to a portal link the way a client does: email, emailed code, Sign in."""
    return portal_sign_in_with(outbox)


def portal_sign_in_with(outbox: Callable[..., list]) -> Callable:
    """The `portal_sign_in` fixture's function, reading codes from `outbox` (see outbox_of)."""
    from playwright.sync_api import expect

    from kontrol_app.models import EmailKind

    from .pages import live_button

    def sign_in(page, portal_url: str, email: str) -> None:
        before = {e.id for e in outbox(EmailKind.SIGN_IN_CODE, to=email)}
        page.goto(portal_url)
        send = live_button(page, "Send me a code")
        page.locator("input[name=email]").fill(email)
        send.click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        new = [e for e in outbox(EmailKind.SIGN_IN_CODE, to=email) if e.id not in before]
        assert len(new) == 1, f"expected one new sign-in code email to {email}, got {len(new)}"
        page.locator("input[name=code]").fill(code_in(new[0].text_body))
        live_button(page, "Sign in").click()
        expect(page.get_by_role("tab", name="Active Orders")).to_be_visible()

    return sign_in


def eventually(check: Callable[[], object], *, timeout: float = WAIT_MS / 1000, what: str = "the condition") -> object:
    """Poll `check` (for state the page does not show, like a background sender's work)
    until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.1)
