"""The portal's websocket events against the blank Reflex app, measured in one run.

Starts the blank app (../shared/bench/floor_app, the framework's floor) and Kontrol itself
(production build, the demo shop, a client signed in), then drives both with
../shared/bench/rtt.py: the floor's `ping` (before and after Kontrol, so the floor's own
spread shows), then the portal's switch tab (UI only), open a job (with its history), open a
thread, and a poll that finds nothing changed. Prints one table with the ratios the goals
use: events/s as a share of the floor's, p95 as a multiple of the floor's.

    .venv/bin/python benchmarks/portal_rtt.py                 # 50 clients, 8 s each
    .venv/bin/python benchmarks/portal_rtt.py --clients 10 --seconds 5

Both servers run one worker (no Redis), as `make run` does by default. The floor is built in
a copy under a temp dir; Kontrol builds into `.web-bench` (git-ignored), never `.web`.
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
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from harness import ROOT

BENCH = Path(os.environ.get("KONTROL_BENCH_DIR", ROOT.parent / "shared" / "bench"))
WEB_WORKDIR = ".web-bench"
PREFIX = "reflex___state____state"
PORTAL = f"{PREFIX}.kontrol_app___ui___portal___session____portal_session"
SIGNED_IN = re.compile(r'"signed_in(_rx_state_)?":\s*true')


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
         page: str = "/", cookie: str = "") -> dict:
    command = [sys.executable, str(BENCH / "rtt.py"), "--url", f"http://127.0.0.1:{port}", "--event", event,
               "--payload", payload, "--page", page, "--clients", str(clients), "--seconds", str(seconds),
               "--server-pid", str(pid), "--json", str(out)]
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


def _poll_cost(port: int, event: str, page: str, cookie: str, pid: int, *, clients: int = 20, interval: float = 1.0,
               seconds: float = 10) -> tuple[float, int]:
    """Server CPU ms per poll that finds nothing new: `clients` signed-in portals (checked:
    hydration must say signed_in) each send `event` every `interval` s, open loop."""
    import asyncio
    import uuid

    import aiohttp

    path, _, query = page.partition("?")
    router = {"pathname": path, "asPath": page, "query": dict(part.split("=", 1) for part in query.split("&") if part)}
    root = "reflex___state____state"

    async def client(http, go: asyncio.Event, ready: asyncio.Event, sent: list[int], signed: list[int]) -> None:
        ws = await http.ws_connect(f"ws://127.0.0.1:{port}/_event/?EIO=4&transport=websocket&token={uuid.uuid4()}",
                                   headers={"Origin": f"http://127.0.0.1:{port}", "Cookie": cookie})
        await ws.receive()
        boot = {"name": f"{root}.hydrate_and_load", "payload": {}, "router_data": router}
        await ws.send_str("40/_event," + json.dumps({"event": boot}))
        hydrated = asyncio.Event()

        async def read() -> None:
            async for message in ws:
                if message.data == "2":
                    await ws.send_str("3")
                elif SIGNED_IN.search(message.data):
                    signed[0] += 1
                if "is_hydrated" in message.data and "true" in message.data:
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

    return asyncio.run(main())


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


def main() -> int:
    from harness import argument_parser

    parser = argument_parser(__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args()
    if not (BENCH / "rtt.py").exists():
        raise SystemExit(f"rtt.py not found in {BENCH} (set KONTROL_BENCH_DIR)")
    with tempfile.TemporaryDirectory(prefix="kontrol-rtt-") as tmp_name:
        tmp = Path(tmp_name)
        floor_dir = tmp / "floor"
        shutil.copytree(BENCH / "floor_app", floor_dir)
        floor_port, kontrol_port = _free_port(), _free_port()
        data_dir = tmp / "data"
        data_dir.mkdir()
        kontrol_env = _env(
            DATABASE_URL=args.database_url or f"sqlite:///{data_dir / 'kontrol.db'}",
            KONTROL_DATA_DIR=str(data_dir), KONTROL_MAIL_DIR=str(tmp / "mail"), RESEND_API_KEY="",
            STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="", HOST="127.0.0.1", PORT=str(kontrol_port),
            REFLEX_WEB_WORKDIR=WEB_WORKDIR, REFLEX_STATES_WORKDIR=str(tmp / "states"),
            REFLEX_UPLOADED_FILES_DIR=str(tmp / "uploads"),
        )
        subprocess.run([sys.executable, "-m", "kontrol_app.manage", "migrate"], cwd=ROOT, env=kontrol_env, check=True,
                       capture_output=True)
        world = _seed(kontrol_env)
        cookie = f"kontrol_portal={world['token']}"
        # The browser sends the route's args in the router data's query: `link` for this page.
        page = f"{world['path']}?link={world['path'].rsplit('/', 1)[1]}"
        rows: list[tuple[str, dict]] = []
        print(f"[bench] {args.clients} clients, {args.seconds:.0f} s per event, one worker each", flush=True)
        floor_event = f"{PREFIX}.floor_app___floor_app____floor_state.ping"
        with _serve(floor_dir, floor_port, _env(), tmp / "floor.log") as floor_pid:
            rows.append(("blank app `ping`", _rtt(floor_port, floor_event, floor_pid, args.clients, args.seconds, tmp / "f1.json")))
            locks = _lockfiles()
            try:
                with _serve(ROOT, kontrol_port, kontrol_env, tmp / "kontrol.log") as pid:
                    tabs = f"{PORTAL}.kontrol_app___ui___portal___tabs___"
                    # First: it also checks that the clients really are signed in.
                    poll = f"{tabs}orders____orders_tab.poll"
                    poll_ms, polls = _poll_cost(kontrol_port, poll, page, cookie, pid)
                    for label, event, payload in (
                        ("portal: switch tab", f"{tabs}nav____portal_tabs.set_tab", {"tab": "invoices"}),
                        ("portal: open a job (8 history rows)", f"{tabs}orders____orders_tab.open_job", {"job_id": world["job_id"]}),
                        ("portal: open a thread", f"{tabs}messages____messages_tab.open_thread", {"thread_id": world["thread_id"]}),
                    ):
                        out = tmp / f"{event.rsplit('.', 1)[1]}.json"
                        rows.append((label, _rtt(kontrol_port, event, pid, args.clients, args.seconds, out,
                                                 payload=json.dumps(payload), page=page, cookie=cookie)))
            finally:
                for path, data in locks.items():
                    path.write_bytes(data)
            rows.append(("blank app `ping` (again)", _rtt(floor_port, floor_event, floor_pid, args.clients, args.seconds, tmp / "f2.json")))
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
    print(f"\nA portal poll that finds nothing new: {poll_ms:.2f} ms of server CPU ({polls} polls).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
