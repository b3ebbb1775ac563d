"""The portal's websocket events against the blank Reflex app, measured in one run.

Starts the blank app (../shared/bench/floor_app, the framework's floor) and Kontrol itself
(production build, the demo shop, a client signed in), then drives both with
../shared/bench/rtt.py: the floor's `ping` (before and after Kontrol, so the floor's own
spread shows), then the portal's switch tab (UI only), open a job (with its history), open a
thread, and a poll that finds nothing changed. Prints one table with the ratios the goals
use: events/s as a share of the floor's, p95 as a multiple of the floor's. A worker remembers
a re-check and what came with it while nothing is written (ui/portal/session.py); the poll
runs again "after a change", with something written every 0.2 s. (The back-to-back events
run at over a thousand a second: a write every 0.2 s would barely touch them.)

Then the scale-out: the floor's ping and the portal's switch tab and open a job at 100
clients, each served by 1 then 2 workers (GRANIAN_WORKERS) on Redis and PostgreSQL, with the
2-vs-1 ratio of events/s. That part uses a scratch PostgreSQL database beside
KONTROL_TEST_POSTGRES (or --database-url) and an empty Redis database number at
KONTROL_BENCH_REDIS, removes both afterwards, and is skipped when either does not answer.

    .venv/bin/python benchmarks/portal_rtt.py                 # 50 clients, 8 s each; then 100 on 1 vs 2 workers
    .venv/bin/python benchmarks/portal_rtt.py --clients 10 --seconds 5 --no-workers
    .venv/bin/python benchmarks/portal_rtt.py --workers-only  # only the 1 vs 2 workers comparison

The first part runs one worker per server (no Redis), as `make run` does by default. The floor
is built in a copy under a temp dir; Kontrol builds into `.web-bench` (git-ignored), never `.web`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import harness
import redis
from harness import ROOT

BENCH = Path(os.environ.get("KONTROL_BENCH_DIR", ROOT.parent / "shared" / "bench"))
WEB_WORKDIR = ".web-bench"
PREFIX = "reflex___state____state"
PORTAL = f"{PREFIX}.kontrol_app___ui___portal___session____portal_session"
SIGNED_IN = re.compile(r'"signed_in(_rx_state_)?":\s*true')
# Hydration's last delta (the first one also names is_hydrated, as false, beside other trues).
HYDRATED = re.compile(r'"is_hydrated(_rx_state_)?":\s*true')
TABS = f"{PORTAL}.kontrol_app___ui___portal___tabs___"
LIVE_POLL = f"{PORTAL}.kontrol_app___ui___portal___live____portal_live.poll"  # ui/portal/live.py
FLOOR_EVENT = f"{PREFIX}.floor_app___floor_app____floor_state.ping"
# (label, event, payload: a dict, or the names of the seeded world's ids it carries)
PORTAL_EVENTS = (
    ("portal: switch tab", f"{TABS}nav____portal_tabs.set_tab", {"tab": "invoices"}),
    ("portal: open a job (8 history rows)", f"{TABS}orders____orders_tab.open_job", ("job_id",)),
    ("portal: open a thread", f"{TABS}messages____messages_tab.open_thread", ("thread_id",)),
)
# The poll also runs "after a change": a write every WRITE_EVERY s, after which its re-check reads
# afresh (a worker remembers it while nothing is written, ui/portal/session.py).
WRITE_EVERY = 0.2
CHANGED = "after a change"
# The workers comparison's scratch services: a database beside this one, a free Redis database number.
POSTGRES_ADMIN = os.environ.get("KONTROL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("KONTROL_BENCH_REDIS", "redis://127.0.0.1:6379")
REDIS_CLAIM = "kontrol-bench-workers"  # marks the Redis database number this run took
# The blank app runs on Redis as Kontrol does (rxconfig.py turns Reflex's oplock on unless set).
OPLOCK = os.environ.get("REFLEX_OPLOCK_ENABLED", "true")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("REFLEX_REDIS_URL", "REDIS_URL", "KONTROL_PUBLIC_URL", "REFLEX_DB_URL"):
        env.pop(name, None)
    bin_dir = str(Path(sys.executable).parent)
    env.update(
        PATH=bin_dir + os.pathsep + env.get("PATH", ""),
        REFLEX_USE_NPM="1",
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"no answer from {url} in {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def _serve(cwd: Path, port: int, env: dict[str, str], log: Path) -> Iterator[int]:
    """`reflex run --env prod --single-port` in `cwd`; yields the server's pid."""
    command = [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port", "--backend-host", "127.0.0.1",
               "--frontend-port", str(port), "--backend-port", str(port)]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/ping", process, log)
        yield process.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _lockfiles() -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted((ROOT / "reflex.lock").glob("*")) if path.is_file()}


def _rtt(port: int, event: str, pid: int, clients: int, seconds: float, out: Path, *, payload: str = "{}",
         page: str = "/", cookie: str = "", procs: int = 1, also_pids: tuple[int, ...] = ()) -> dict:
    """One rtt.py run; `also_pids` count in the server's CPU too (the Redis server)."""
    command = [sys.executable, str(BENCH / "rtt.py"), "--url", f"http://127.0.0.1:{port}", "--event", event,
               "--payload", payload, "--page", page, "--clients", str(clients), "--seconds", str(seconds),
               "--procs", str(procs), "--server-pid", str(pid), *map(str, also_pids), "--json", str(out)]
    if cookie:
        command += ["--cookie", cookie]
    done = subprocess.run(command, capture_output=True, text=True)
    if not out.exists():
        raise SystemExit(f"rtt.py failed for {event}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return json.loads(out.read_text())["rows"][0]


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process and everything under it."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(FileNotFoundError, IndexError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        with contextlib.suppress(FileNotFoundError):
            todo += [int(child) for child in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
    return total


async def open_page(http, port: int, router: dict, cookie: str):
    """A websocket client as the 0.10 browser opens it: engine.io's open packet read, then the
    page's boot event (hydrate and load) in socket.io's CONNECT packet. Returns the socket."""
    ws = await http.ws_connect(f"ws://127.0.0.1:{port}/_event/?EIO=4&transport=websocket&token={uuid.uuid4()}",
                               headers={"Origin": f"http://127.0.0.1:{port}", "Cookie": cookie})
    await ws.receive()  # engine.io's open packet
    boot = {"name": f"{PREFIX}.hydrate_and_load", "payload": {}, "router_data": router}
    await ws.send_str("40/_event," + json.dumps({"event": boot}))
    return ws


def _poll_cost(port: int, event: str, page: str, cookie: str, pid: int, *, clients: int = 20, interval: float = 1.0,
               seconds: float = 10, log: Path | None = None, signed_in: re.Pattern | None = SIGNED_IN) -> tuple[float, int]:
    """Server CPU ms per poll that finds nothing new: `clients` signed-in portals (checked:
    hydration must say signed_in, unless `signed_in` is None) each send `event` every `interval`
    s, open loop. A server that answers nothing also answers nothing to an event name it does
    not know (it only logs it): `log` is checked for that."""
    import asyncio
    import aiohttp

    path, _, query = page.partition("?")
    router = {"pathname": path, "asPath": page, "query": dict(part.split("=", 1) for part in query.split("&") if part)}

    async def client(http, go: asyncio.Event, ready: asyncio.Event, sent: list[int], signed: list[int]) -> None:
        ws = await open_page(http, port, router, cookie)
        hydrated = asyncio.Event()

        async def read() -> None:
            async for message in ws:
                if message.data == "2":
                    await ws.send_str("3")
                elif signed_in is None or signed_in.search(message.data):
                    signed[0] += 1
                if HYDRATED.search(message.data):
                    hydrated.set()

        reader = asyncio.create_task(read())
        await asyncio.wait_for(hydrated.wait(), 60)
        ready.set()
        await go.wait()
        frame = '42/_event,["event",' + json.dumps({"name": event, "payload": {}, "router_data": router}) + "]"
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await ws.send_str(frame)
            sent[0] += 1
            await asyncio.sleep(interval)
        await asyncio.sleep(1)  # the last polls' answers
        reader.cancel()
        await ws.close()

    async def main() -> tuple[float, int]:
        go, sent, signed = asyncio.Event(), [0], [0]
        async with aiohttp.ClientSession() as http:
            readies = [asyncio.Event() for _ in range(clients)]
            tasks = [asyncio.create_task(client(http, go, ready, sent, signed)) for ready in readies]
            await asyncio.gather(*(ready.wait() for ready in readies))
            await asyncio.sleep(2)  # hydration's own work done
            if signed[0] < clients:
                raise SystemExit(f"only {signed[0]} of {clients} poll clients were signed in")
            before = _tree_cpu(pid)
            go.set()
            await asyncio.sleep(seconds + 0.5)
            used = _tree_cpu(pid) - before
            polls = sent[0]
            await asyncio.gather(*tasks)
        return 1000 * used / max(polls, 1), polls

    cost = asyncio.run(main())
    if log is not None and "No registered handler found for event" in log.read_text(errors="replace"):
        raise SystemExit(f"the server does not know {event} (see {log})")
    return cost


def _seed(env: dict[str, str]) -> dict:
    """The demo shop, a signed-in client of the customer with the most history, a thread."""
    script = r"""
import json
from sqlmodel import func, select
from kontrol_app.db import session_scope
from kontrol_app.demo import load_demo
from kontrol_app.models import Customer, CustomerContact, Job, JobStatusChange, PortalSession
from kontrol_app.services import messages, portal_links
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.services.tokens import new_token, token_hash
from kontrol_app.models import utcnow
from datetime import timedelta
load_demo()
with session_scope() as s:
    job_id, customer_id = s.exec(
        select(Job.id, Job.customer_id).join(JobStatusChange, JobStatusChange.job_id == Job.id)
        .group_by(Job.id, Job.customer_id).order_by(func.count().desc(), Job.id)
    ).first()
    for _ in range(8 - s.exec(select(func.count()).where(JobStatusChange.job_id == job_id)).one()):
        s.add(JobStatusChange(job_id=job_id, from_status="quote", to_status="quote", changed_by="Bench"))
    customer = s.get(Customer, customer_id)
    contact = s.exec(select(CustomerContact).where(CustomerContact.customer_id == customer_id,
                                                   CustomerContact.email.is_not(None))).first()
    token = new_token()
    s.add(PortalSession(customer_id=customer_id, contact_id=contact.id, token_hash=token_hash(token),
                        expires_at=utcnow() + timedelta(days=1)))
    viewer = PortalViewer(customer_id, customer.name, contact.name, contact.email, False, contact.id)
    thread_id = messages.start_thread_client(s, viewer, "Is this on track?", job_id=job_id)
    print(json.dumps({"job_id": job_id, "thread_id": thread_id, "token": token, "path": portal_links.portal_path(customer)}))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"seeding failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _kontrol_env(tmp: Path, port: int, database_url: str, **extra: str) -> dict[str, str]:
    """Kontrol's server settings: its data, mail and Reflex folders under `tmp`, no outside services."""
    data_dir = tmp / "data"
    data_dir.mkdir(parents=True)
    return _env(
        DATABASE_URL=database_url or f"sqlite:///{data_dir / 'kontrol.db'}",
        KONTROL_DATA_DIR=str(data_dir), KONTROL_MAIL_DIR=str(tmp / "mail"), RESEND_API_KEY="",
        STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="", HOST="127.0.0.1", PORT=str(port),
        REFLEX_WEB_WORKDIR=WEB_WORKDIR, REFLEX_STATES_WORKDIR=str(tmp / "states"),
        REFLEX_UPLOADED_FILES_DIR=str(tmp / "uploads"), **extra,
    )


def _signed_in_portal(env: dict[str, str]) -> tuple[dict, str, str]:
    """Migrate and seed Kontrol's database; the world, the portal page and its session cookie."""
    subprocess.run([sys.executable, "-m", "kontrol_app.manage", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    world = _seed(env)
    # The browser sends the route's args in the router data's query: `link` for this page.
    page = f"{world['path']}?link={world['path'].rsplit('/', 1)[1]}"
    return world, page, f"kontrol_portal={world['token']}"


def _payload(payload: dict | tuple[str, ...], world: dict) -> str:
    return json.dumps({key: world[key] for key in payload} if isinstance(payload, tuple) else payload)


def _claim_redis_db() -> tuple[int, redis.Redis]:
    """An empty Redis database (1 up to 15, the other way from the workers browser test; 0 is
    everyone's default), marked as taken."""
    for number in range(1, 16):
        client = redis.Redis.from_url(f"{REDIS_URL}/{number}", socket_connect_timeout=2)
        try:
            if client.dbsize() == 0 and client.set(REDIS_CLAIM, "1", nx=True):
                if client.dbsize() == 1:  # nobody else claimed it at the same moment
                    return number, client
                client.delete(REDIS_CLAIM)
        except redis.ResponseError:  # fewer databases configured
            pass
        client.close()
    raise SystemExit(f"no empty Redis database (1-15) on {REDIS_URL}")


def _machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all but idle and iowait)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _others_cpu(pids: tuple[int, ...], seconds: float = 1.0) -> float:
    """What other programs use of the machine (100% = one core), over `seconds` while the
    servers `pids` idle: CPU the workers comparison cannot have."""
    before = _machine_busy() - sum(map(_tree_cpu, pids))
    time.sleep(seconds)
    return max(0.0, 100 * (_machine_busy() - sum(map(_tree_cpu, pids)) - before) / seconds)


def _settle(pid: int, timeout: float = 120) -> None:
    """Wait until the server is idle: /ping answers once the first worker is up, and clients
    that connect while the second one still starts would all land on the first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = _tree_cpu(pid)
        time.sleep(1)
        if _tree_cpu(pid) - before < 0.1:
            return


def _missing_services(database_url: str) -> list[str]:
    """Which of PostgreSQL and Redis (the workers comparison's) do not answer."""
    import psycopg
    from sqlalchemy.engine import make_url

    missing = []
    admin = make_url(database_url if database_url.startswith("postgres") else POSTGRES_ADMIN)
    try:
        with psycopg.connect(admin.set(drivername="postgresql").render_as_string(hide_password=False), connect_timeout=2):
            pass
    except psycopg.Error:
        missing.append(f"PostgreSQL on {admin.host}:{admin.port or 5432}")
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2) as client:
            client.ping()
    except redis.RedisError:
        missing.append(f"Redis at {REDIS_URL}")
    return missing


def _workers_compare(tmp: Path, floor_dir: Path, database_url: str, clients: int, seconds: float, procs: int) -> list:
    """The floor's ping, then the portal's switch tab and open a job, each served by 1 then 2
    workers on Redis (a scratch database number) and PostgreSQL (a scratch database); both
    are removed afterwards. Rows of (label, workers, others' CPU % just before, rtt row)."""
    from harness import scratch_postgres

    number, client = _claim_redis_db()
    redis_url = f"{REDIS_URL}/{number}"
    redis_pid = int(client.info("server")["process_id"])
    url, drop = scratch_postgres(database_url if database_url.startswith("postgres") else POSTGRES_ADMIN)
    rows: list[tuple[str, int, float, dict]] = []
    try:
        port = _free_port()
        env = _kontrol_env(tmp / "workers", port, url, REDIS_URL=redis_url)
        world, page, cookie = _signed_in_portal(env)
        floor_port = _free_port()
        print(f"[bench] {clients} clients ({procs} client processes), {seconds:.0f} s per event, 1 then 2 workers on "
              f"Redis database {number} and PostgreSQL", flush=True)
        for workers in (1, 2):
            floor_env = _env(REFLEX_REDIS_URL=redis_url, GRANIAN_WORKERS=str(workers), REFLEX_OPLOCK_ENABLED=OPLOCK)
            with _serve(floor_dir, floor_port, floor_env, tmp / f"floor-{workers}w.log") as pid:
                _settle(pid)
                rows.append(("blank app `ping`", workers, _others_cpu((pid, redis_pid)), _rtt(
                    floor_port, FLOOR_EVENT, pid, clients, seconds, tmp / f"wf{workers}.json", procs=procs, also_pids=(redis_pid,))))
        locks = _lockfiles()
        try:
            for workers in (1, 2):
                with _serve(ROOT, port, {**env, "GRANIAN_WORKERS": str(workers)}, tmp / f"kontrol-{workers}w.log") as pid:
                    _settle(pid)
                    for label, event, payload in PORTAL_EVENTS[:2]:
                        out = tmp / f"w{workers}-{event.rsplit('.', 1)[1]}.json"
                        rows.append((label, workers, _others_cpu((pid, redis_pid)), _rtt(
                            port, event, pid, clients, seconds, out, payload=_payload(payload, world), page=page,
                            cookie=cookie, procs=procs, also_pids=(redis_pid,))))
        finally:
            for path, data in locks.items():
                path.write_bytes(data)
    finally:
        client.flushdb()
        client.close()
        drop()
    return rows


def _print_workers(rows: list, clients: int) -> None:
    by_label: dict[str, dict[int, tuple[float, dict]]] = {}
    for label, workers, others, row in rows:
        by_label.setdefault(label, {})[workers] = (others, row)
    print(f"\n| event, {clients} clients, Redis + PostgreSQL | 1 worker events/s | 2 workers events/s | 2 vs 1 "
          "| p95 ms 1 / 2 | server CPU % 1 / 2 | client CPU % 1 / 2 | others' CPU % 1 / 2 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    busiest = 0.0
    for label, runs in by_label.items():
        (others_1, one), (others_2, two) = runs[1], runs[2]
        busiest = max(busiest, others_1, others_2)
        errors = one["errors"] + two["errors"]
        print(f"| {label} | {one['events_per_s']:,.0f} | {two['events_per_s']:,.0f} "
              f"| {two['events_per_s'] / one['events_per_s']:.2f}x | {one['p95_ms']:.0f} / {two['p95_ms']:.0f} "
              f"| {one['server_cpu_pct']:.0f} / {two['server_cpu_pct']:.0f} "
              f"| {one['client_cpu_pct']:.0f} / {two['client_cpu_pct']:.0f} | {others_1:.0f} / {others_2:.0f}"
              f"{f' ({errors} errors)' if errors else ''} |")
    print("(server CPU counts the workers and the Redis server; others' CPU is the rest of the machine in the second "
          "before each run; 100% = one core)")
    if busiest > 20:
        print(f"Other programs used up to {busiest:.0f}% of a core: 2 workers need both cores, so the ratio reads low.")


def main() -> int:
    from harness import argument_parser

    parser = argument_parser(__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--workers-only", action="store_true", help="only the 1 vs 2 workers comparison")
    parser.add_argument("--no-workers", action="store_true", help="skip the 1 vs 2 workers comparison")
    parser.add_argument("--workers-clients", type=int, default=100)
    parser.add_argument("--procs", type=int, default=2, help="client processes for the workers comparison")
    args = parser.parse_args()
    if not (BENCH / "rtt.py").exists():
        raise SystemExit(f"rtt.py not found in {BENCH} (set KONTROL_BENCH_DIR)")
    with tempfile.TemporaryDirectory(prefix="kontrol-rtt-") as tmp_name:
        tmp = Path(tmp_name)
        floor_dir = tmp / "floor"
        shutil.copytree(BENCH / "floor_app", floor_dir)
        rows: list[tuple[str, dict]] = []
        if not args.workers_only:
            rows, (poll_ms, polls, floor_ms, changed_poll_ms) = _one_worker(tmp, floor_dir, args)
        missing = [] if args.no_workers else _missing_services(args.database_url)
        if missing:
            print(f"[bench] no 1 vs 2 workers comparison: {' and '.join(missing)} did not answer", flush=True)
        worker_rows = [] if args.no_workers or missing else _workers_compare(
            tmp, floor_dir, args.database_url, args.workers_clients, args.seconds, args.procs)
    if rows:
        floors = [row for label, row in rows if label.startswith("blank")]
        floor_eps = sum(r["events_per_s"] for r in floors) / len(floors)
        floor_p95 = sum(r["p95_ms"] for r in floors) / len(floors)
        print(f"\n| event, {args.clients} clients, 1 worker | events/s | p95 ms | vs. blank app |")
        print("|---|---:|---:|---|")
        for label, row in rows:
            ratio = "the floor" if label.startswith("blank") else (
                f"{100 * row['events_per_s'] / floor_eps:.0f}% of the throughput, {row['p95_ms'] / floor_p95:.1f}x the p95"
            )
            errors = f" ({row['errors']} errors)" if row["errors"] else ""
            print(f"| {label} | {row['events_per_s']:,.0f} | {row['p95_ms']:.0f} | {ratio}{errors} |")
        print(f"\nA portal poll that finds nothing new: {poll_ms:.2f} ms of server CPU ({polls} polls, 20 portals"
              f" polling once a second); the blank app's `ping` sent the same way: {floor_ms:.2f} ms."
              f" An open portal (a poll every 3 s) costs about {poll_ms * 20:.0f} ms of CPU a minute."
              f" {CHANGED.capitalize()} (a write every {WRITE_EVERY:g} s): {changed_poll_ms:.2f} ms.")
    if worker_rows:
        _print_workers(worker_rows, args.workers_clients)
    return 0


def _one_worker(tmp: Path, floor_dir: Path, args) -> tuple[list[tuple[str, dict]], tuple[float, int, float, float]]:
    """The floor, then the portal's events, then the floor again: one worker each, no Redis."""
    floor_port, kontrol_port = _free_port(), _free_port()
    kontrol_env = _kontrol_env(tmp, kontrol_port, args.database_url)
    world, page, cookie = _signed_in_portal(kontrol_env)
    rows: list[tuple[str, dict]] = []
    print(f"[bench] {args.clients} clients, {args.seconds:.0f} s per event, one worker each", flush=True)
    with _serve(floor_dir, floor_port, _env(), tmp / "floor.log") as floor_pid:
        rows.append(("blank app `ping`", _rtt(floor_port, FLOOR_EVENT, floor_pid, args.clients, args.seconds, tmp / "f1.json")))
        # The floor's event sent the way the portal polls (open loop, a few a second): what any
        # event costs the framework at that pace, beside the poll's own figure.
        floor_ms, _ = _poll_cost(floor_port, FLOOR_EVENT, "/", "", floor_pid, signed_in=None, log=tmp / "floor.log")
        locks = _lockfiles()
        try:
            with _serve(ROOT, kontrol_port, kontrol_env, tmp / "kontrol.log") as pid:
                # First: it also checks that the clients really are signed in.
                poll_ms, polls = _poll_cost(kontrol_port, LIVE_POLL, page, cookie, pid, log=tmp / "kontrol.log")
                with harness.writing(kontrol_env["DATABASE_URL"], WRITE_EVERY):
                    changed_poll_ms, _ = _poll_cost(kontrol_port, LIVE_POLL, page, cookie, pid, log=tmp / "kontrol.log")
                for label, event, payload in PORTAL_EVENTS:
                    out = tmp / f"{event.rsplit('.', 1)[1]}.json"
                    rows.append((label, _rtt(kontrol_port, event, pid, args.clients, args.seconds, out,
                                             payload=_payload(payload, world), page=page, cookie=cookie)))
        finally:
            for path, data in locks.items():
                path.write_bytes(data)
        rows.append(("blank app `ping` (again)", _rtt(floor_port, FLOOR_EVENT, floor_pid, args.clients, args.seconds, tmp / "f2.json")))
    return rows, (poll_ms, polls, floor_ms, changed_poll_ms)


if __name__ == "__main__":
    sys.exit(main())
