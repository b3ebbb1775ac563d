"""The staff pages' clicks against the blank Reflex app, measured in one run at shop scale.

Seeds a scratch database with 10,000 customers, 200,000 jobs, 100,000 invoices and 50,000
message threads (the seeding of jobs.py, invoices.py and messages.py), signs the owner in,
starts the blank app (../shared/bench/floor_app) and Kontrol (production build, one worker),
then measures the floor's `ping` before and after, and between them one click on each staff
page, every client signed in as the owner:

- Jobs: the next page of the active jobs (each client pages on: 1, 2, 3, ...)
- Board: the board loads (nine columns with their cards)
- Customer page: a customer with 1,000 jobs opens (the page's loader)
- Invoices: the Open filter
- Messages: a thread opens (each client opens the next one: 1, 2, 3, ...)

Before it is timed, each click is sent once by a fresh client to check that it does its work
(the page's rows arrive, for a signed-in owner: with the page's load, or with the click).

A page that already shows what the database holds at its data version is neither read nor sent
again (kontrol_app/data_version.py; the board, the jobs and invoice lists, the customer page),
and a worker shares such reads between its tabs. So the open loop runs those pages twice: as
they are, and "after a change", with something written every 0.2 s so every click reads anew.

Each click is measured twice:

1. Open loop, the table goal 3 of issue 12 uses: 10 staff each click every 1 to 3 s (uniform,
   seeded: the same schedule for every page and the floor), never with a click of their own
   still unanswered (that tick is skipped). Latency is from sending a click to that client's
   next update frame. Prints p50, p95, p95 as a multiple of the floor's (the lower of its two
   runs), within 2x or not, and the server's CPU per click (its process tree over the run).
2. Throughput, with ../shared/bench/rtt.py: each client sends its next click the moment the
   last one is answered, so the worker is always busy and p95 is about the clients times the
   click's cost; a second table.

    .venv/bin/python benchmarks/staff_rtt.py                 # 10 clients, 60 s open loop, 8 s back to back
    .venv/bin/python benchmarks/staff_rtt.py --pages board   # one page's clicks (and the floor's)
    .venv/bin/python benchmarks/staff_rtt.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import math
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared harness beside this file
import harness
import invoices as invoice_bench
import jobs as job_bench
import messages as message_bench
from portal_rtt import BENCH, PREFIX, WEB_WORKDIR, _env, _free_port, _lockfiles, _rtt, _serve, _tree_cpu, open_page

from harness import ROOT

FLOOR_EVENT = f"{PREFIX}.floor_app___floor_app____floor_state.ping"
STAFF = f"{PREFIX}.kontrol_app___ui___staff___"
SIGNED_IN = re.compile(r'"staff_name(_rx_state_)?":\s*"Bea Bench"')
LIMIT = 2.0  # goal 3: within 2x the floor's p95
WRITE_EVERY = 0.2  # seconds, in the runs "after a change"
CHANGED = "after a change"
# rtt.py's framing (Reflex 0.10): events go out, and updates come back, as socket.io EVENT packets.
EVENT_FRAME = '42/_event,["event",'
HYDRATED = "is_hydrated_rx_state_"


class Click(NamedTuple):
    key: str  # --pages
    label: str
    page: str  # the route the click is made on
    event: str
    payload: dict
    wanted: str  # what its answer must hold
    keeps: bool = True  # the page keeps what it showed, so it also runs "after a change"


def _clicks(world: dict) -> list[Click]:
    """One click on each staff page."""
    customer = world["busy"]
    rows = r'"rows(_rx_state_)?":\s*\[\{'
    return [
        Click("jobs", "Jobs: next page (active)", "/jobs", f"{STAFF}jobs___job_list____job_list_state.go_to_page",
              {"page": "$seq"}, rows),
        Click("board", "Board: load", "/jobs/board", f"{STAFF}jobs___board____job_board_state.load", {},
              r'"cards":\s*\[\{'),
        Click("customer", f"Customer page: open ({world['busy_jobs']:,} jobs)",
              f"/customers/{customer}?customer_id={customer}",
              f"{STAFF}customers___customer_page____customer_page_state.load", {}, r'"total_orders(_rx_state_)?":\s*[1-9]'),
        Click("invoices", "Invoices: Open filter", "/invoices", f"{STAFF}invoice_list____invoice_list_state.set_filter",
              {"name": "status", "value": "open"}, rows),
        # Each click opens another thread: there is no page kept to measure "after a change".
        Click("messages", "Messages: open a thread", "/messages", f"{STAFF}messages____messages_state.open_thread",
              {"thread_id": "$seq"}, r'"thread_messages(_rx_state_)?":\s*\[\{', keeps=False),
    ]


PAGES = ("jobs", "board", "customer", "invoices", "messages")


def _seed(args: argparse.Namespace) -> dict:
    """The shop at scale in the scratch database, and a session cookie for its owner."""
    from sqlalchemy import func, select

    from kontrol_app import db
    from kontrol_app.models import Customer, Job
    from kontrol_app.services import staff as staff_service

    rng = random.Random(args.seed)
    jobs_args = argparse.Namespace(customers=args.customers, jobs=args.jobs, busy_jobs=1_000, busy_active=60)
    seeded = job_bench.seed(jobs_args, rng)  # the owner, customers with contacts, jobs with history
    owner = seeded["owner"]
    with db.get_engine().begin() as connection:
        customer_ids = list(connection.execute(select(Customer.id).order_by(Customer.id)).scalars())
        job_of = dict(connection.execute(select(Job.customer_id, func.min(Job.id)).group_by(Job.customer_id)).all())
        invoice_bench.add_invoices(connection, rng, owner.id, customer_ids, job_of, args.invoices, 300)
        message_bench.add_threads(connection, rng, owner.id, customer_ids, args.threads, 2_000)
    harness.analyze()
    with db.session_scope() as session:
        ticket = staff_service.issue_ticket(session, owner.id)
    with db.session_scope() as session:
        token = staff_service.redeem_ticket(session, ticket, ip="127.0.0.1", user_agent="staff_rtt")
    return {"busy": seeded["busy"], "busy_jobs": jobs_args.busy_jobs, "cookie": f"kontrol_staff={token}"}


def _router(page: str) -> dict:
    """The router data a browser on `page` sends: the route's args ride in its query."""
    path, _, query = page.partition("?")
    return {"pathname": path, "asPath": page, "query": dict(part.split("=", 1) for part in query.split("&") if part)}


def _check(port: int, page: str, cookie: str, event: str, payload: dict, wanted: str) -> None:
    """One fresh client opens `page` (it must hydrate signed in), sends `event` once, and the
    answer must match `wanted`: a signed-out or broken click would be timed as fast nothing."""
    import aiohttp

    router = _router(page)
    body = json.dumps(payload).replace('"$seq"', "1")

    async def main() -> None:
        async with aiohttp.ClientSession() as http:
            ws = await open_page(http, port, router, cookie)
            seen: list[str] = []

            async def until(pattern: str) -> bool:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    try:
                        message = await ws.receive(timeout=deadline - time.monotonic())
                    except TimeoutError:
                        return False
                    if message.data == "2":
                        await ws.send_str("3")
                        continue
                    seen.append(str(message.data))
                    if re.search(pattern, seen[-1]):
                        return True
                return False

            if not await until(SIGNED_IN.pattern) or not await until(r'"is_hydrated(_rx_state_)?":\s*true'):
                raise SystemExit(f"{page}: the client did not hydrate signed in:\n{''.join(seen)[-1500:]}")
            await asyncio.sleep(1)  # the page's loader, which hydration started, answers
            while True:
                try:
                    message = await ws.receive(timeout=0.5)
                except TimeoutError:
                    break
                seen.append(str(message.data))
            loaded = bool(re.search(wanted, "".join(seen)))
            seen.clear()
            frame = {"name": event, "payload": json.loads(body), "router_data": router}
            await ws.send_str(EVENT_FRAME + json.dumps(frame) + "]")
            # A page unchanged since its loader ran answers with nothing new (ui/guard.py
            # `_still_shown`): then its rows must have come with the load.
            if not await until(wanted if not loaded else EVENT_FRAME.replace("[", r"\[")):
                raise SystemExit(f"{event} answered without {wanted!r}:\n{''.join(seen)[-1500:]}")
            await ws.close()

    asyncio.run(main())


def _open_loop(port: int, event: str, pid: int, args: argparse.Namespace, *, payload: str = "{}", page: str = "/",
               cookie: str = "", signed_in: re.Pattern | None = SIGNED_IN) -> dict:
    """`args.clients` staff each sending `event` every 1 to 3 s for `args.open_seconds` (open loop;
    a client whose last click is unanswered skips its tick), as rtt.py frames it: the boot event
    in the CONNECT packet, a string "$seq" in the payload counting each client's clicks, a
    click's latency up to that client's next update frame. Hydration must show the client
    signed in (unless `signed_in` is None). The server's CPU is its process tree's from the
    first tick until the last answer."""
    import aiohttp

    router = _router(page)
    text = EVENT_FRAME + json.dumps({"name": event, "payload": json.loads(payload), "router_data": router},
                                    separators=(",", ":")) + "]"
    parts = text.split('"$seq"')
    latencies: list[float] = []
    counts: collections.Counter = collections.Counter()
    signed: set[int] = set()

    async def client(n: int, http, ready: asyncio.Event, go: asyncio.Event, done: asyncio.Event,
                     close: asyncio.Event) -> None:
        ws = await open_page(http, port, router, cookie)
        hydrated = asyncio.Event()
        waiting: list[float] = []  # when this client's unanswered click went out

        async def read() -> None:
            async for message in ws:
                now = time.perf_counter()
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                if message.data == "2":  # engine.io ping
                    await ws.send_str("3")
                elif not message.data.startswith(EVENT_FRAME):
                    continue
                elif not hydrated.is_set():
                    if signed_in is None or signed_in.search(message.data):
                        signed.add(n)
                    delta = json.loads(message.data[len(EVENT_FRAME):-1]).get("delta") or {}
                    if (delta.get(PREFIX) or {}).get(HYDRATED) is True:
                        hydrated.set()
                elif waiting:
                    latencies.append(now - waiting.pop())
                else:  # a click answered in several frames, or an update nobody asked for
                    counts["later frames"] += 1

        reader = asyncio.create_task(read())
        await asyncio.wait_for(hydrated.wait(), 60)
        ready.set()
        await go.wait()
        rng = random.Random(f"{args.seed}:{n}")  # the same schedule for every page
        tick = time.perf_counter() + rng.uniform(0, 2)
        end = tick + args.open_seconds
        seq = 0
        while tick < end:
            await asyncio.sleep(max(0.0, tick - time.perf_counter()))
            if waiting:
                counts["skipped"] += 1
            else:
                seq += 1
                waiting.append(time.perf_counter())
                await ws.send_str(str(seq).join(parts))
            tick += rng.uniform(1, 3)
        deadline = time.perf_counter() + 10
        while waiting and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        counts["clicks"] += seq
        counts["unanswered"] += len(waiting)
        done.set()
        await close.wait()  # once the server's CPU is read
        reader.cancel()
        await ws.close()

    async def main() -> tuple[float, float]:
        async with aiohttp.ClientSession() as http:
            readies = [asyncio.Event() for _ in range(args.clients)]
            dones = [asyncio.Event() for _ in range(args.clients)]
            go, close = asyncio.Event(), asyncio.Event()
            tasks = [asyncio.create_task(client(n, http, readies[n], go, dones[n], close)) for n in range(args.clients)]
            try:
                await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readies)), 90)
            except TimeoutError:
                failed = [repr(task.exception()) for task in tasks if task.done() and task.exception()]
                raise SystemExit(f"{event}: not every client hydrated in 90 s {failed[:3]}") from None
            await asyncio.sleep(2)  # hydration's own work done
            if len(signed) < args.clients:
                raise SystemExit(f"{event}: only {len(signed)} of {args.clients} clients were signed in")
            before = _tree_cpu(pid)
            await asyncio.sleep(1)  # what the server uses doing nothing, which the clicks' CPU includes
            idle = _tree_cpu(pid) - before
            before += idle
            go.set()
            await asyncio.gather(*(done.wait() for done in dones))
            used = _tree_cpu(pid) - before
            close.set()
            await asyncio.gather(*tasks)
        return used, idle

    used, idle = asyncio.run(main())
    latencies.sort()

    def pct(q: float) -> float:  # nearest rank, as rtt.py
        return 1000 * latencies[max(0, math.ceil(q * len(latencies)) - 1)] if latencies else math.nan

    return {"clicks": counts["clicks"], "p50_ms": pct(0.50), "p95_ms": pct(0.95), "skipped": counts["skipped"],
            "unanswered": counts["unanswered"], "later_frames": counts["later frames"],
            "p99_ms": pct(0.99), "cpu_ms": 1000 * used / max(counts["clicks"], 1), "idle_ms_per_s": 1000 * idle}


def main() -> int:
    parser = harness.argument_parser(__doc__)
    parser.add_argument("--jobs", type=int, default=200_000)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=10)
    # 60 s: about 300 clicks a run, so the p95 is not decided by the sixth-slowest of 106 (20 s).
    parser.add_argument("--open-seconds", type=float, default=60, help="each page's open-loop run")
    parser.add_argument("--seconds", type=float, default=8, help="each page's back-to-back run (rtt.py)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pages", default=",".join(PAGES), help=f"which pages' clicks, comma-separated ({','.join(PAGES)})")
    args = parser.parse_args()
    pages = set(args.pages.split(","))
    if not pages <= set(PAGES):
        parser.error(f"--pages: one or more of {', '.join(PAGES)}")
    if not (BENCH / "rtt.py").exists():
        raise SystemExit(f"rtt.py not found in {BENCH} (set KONTROL_BENCH_DIR)")
    rows: list[tuple[str, dict]] = []  # back to back (rtt.py)
    open_rows: list[tuple[str, dict]] = []
    with tempfile.TemporaryDirectory(prefix="kontrol-staff-rtt-") as tmp_name, \
            harness.scratch_database(args.database_url) as backend:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        world = _seed(args)
        print(f"[bench] {backend}: seeded {args.customers:,} customers, {args.jobs:,} jobs, {args.invoices:,} invoices, "
              f"{args.threads:,} threads in {time.perf_counter() - started:.0f} s", flush=True)
        floor_dir = tmp / "floor"
        shutil.copytree(BENCH / "floor_app", floor_dir)
        floor_port, kontrol_port = _free_port(), _free_port()
        # The scratch database's DATABASE_URL and KONTROL_DATA_DIR are in os.environ: _env passes them on.
        kontrol_env = _env(
            KONTROL_MAIL_DIR=str(tmp / "mail"), RESEND_API_KEY="", STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="",
            HOST="127.0.0.1", PORT=str(kontrol_port), REFLEX_WEB_WORKDIR=WEB_WORKDIR,
            REFLEX_STATES_WORKDIR=str(tmp / "states"), REFLEX_UPLOADED_FILES_DIR=str(tmp / "uploads"),
        )
        print(f"[bench] {args.clients} clients, per click {args.open_seconds:.0f} s open loop then {args.seconds:.0f} s "
              "back to back, one worker each", flush=True)
        with _serve(floor_dir, floor_port, _env(), tmp / "floor.log") as floor_pid:
            open_rows.append(("blank app `ping`", _open_loop(floor_port, FLOOR_EVENT, floor_pid, args, signed_in=None)))
            rows.append(("blank app `ping`", _rtt(floor_port, FLOOR_EVENT, floor_pid, args.clients, args.seconds, tmp / "f1.json")))
            locks = _lockfiles()
            try:
                with _serve(ROOT, kontrol_port, kontrol_env, tmp / "kontrol.log") as pid:
                    for n, click in enumerate(_clicks(world)):
                        if click.key not in pages:
                            continue
                        try:
                            _check(kontrol_port, click.page, world["cookie"], click.event, click.payload, click.wanted)
                        except SystemExit as failed:
                            log = (tmp / "kontrol.log").read_text()[-3000:]
                            raise SystemExit(f"{click.label}: {failed}\n--- Kontrol's log ---\n{log}") from None
                        payload = json.dumps(click.payload)
                        open_rows.append((click.label, _open_loop(kontrol_port, click.event, pid, args, payload=payload,
                                                                  page=click.page, cookie=world["cookie"])))
                        if click.keeps:
                            with harness.writing(os.environ["DATABASE_URL"], WRITE_EVERY):
                                open_rows.append((f"{click.label}, {CHANGED}", _open_loop(
                                    kontrol_port, click.event, pid, args, payload=payload, page=click.page,
                                    cookie=world["cookie"])))
                        rows.append((click.label, _rtt(kontrol_port, click.event, pid, args.clients, args.seconds,
                                                       tmp / f"k{n}.json", payload=payload, page=click.page,
                                                       cookie=world["cookie"])))
            finally:
                for path, data in locks.items():
                    path.write_bytes(data)
            rows.append(("blank app `ping` (again)", _rtt(floor_port, FLOOR_EVENT, floor_pid, args.clients, args.seconds, tmp / "f2.json")))
            open_rows.append(("blank app `ping` (again)", _open_loop(floor_port, FLOOR_EVENT, floor_pid, args, signed_in=None)))
    _print_open(open_rows, args.clients)
    floor_p95 = sum(row["p95_ms"] for label, row in rows if label.startswith("blank")) / 2
    print("\nThroughput, clients clicking back to back (../shared/bench/rtt.py: the worker is always busy):")
    print(f"\n| click, {args.clients} staff, 1 worker | events/s | p95 ms | vs. blank app's p95 | within {LIMIT:g}x |")
    print("|---|---:|---:|---:|---|")
    for label, row in rows:
        blank = label.startswith("blank")
        ratio = "the floor" if blank else f"{row['p95_ms'] / floor_p95:.1f}x"
        verdict = "" if blank else "yes" if row["p95_ms"] <= LIMIT * floor_p95 else "**no**"
        errors = f" ({row['errors']} errors)" if row["errors"] else ""
        print(f"| {label} | {row['events_per_s']:,.0f} | {row['p95_ms']:.0f} | {ratio}{errors} | {verdict} |")
    return 0


def _print_open(rows: list[tuple[str, dict]], clients: int) -> None:
    """Goal 3's table: the open-loop runs against the floor's p95, the lower of its two runs: at a
    few ms, a busy machine only ever adds, and a floor raised by it would pass any page."""
    floors = [row["p95_ms"] for label, row in rows if label.startswith("blank")]
    floor_p95 = min(floors)
    print("\nGoal 3 (issue 12), staff clicking at a person's pace:")
    print(f"\n| click, {clients} staff each clicking every 1-3 s, 1 worker | clicks | p50 ms | p95 ms "
          f"| vs. blank app's p95 | within {LIMIT:g}x | p99 ms | server CPU ms per click |")
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    notes = []
    for label, row in rows:
        blank = label.startswith("blank")
        ratio = "the floor" if blank else f"{row['p95_ms'] / floor_p95:.1f}x"
        verdict = "" if blank else "yes" if row["p95_ms"] <= LIMIT * floor_p95 and not row["unanswered"] else "**no**"
        unanswered = f" ({row['unanswered']} unanswered)" if row["unanswered"] else ""
        print(f"| {label} | {row['clicks']}{unanswered} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {ratio} | {verdict} "
              f"| {row['p99_ms']:.1f} | {row['cpu_ms']:.1f} |")
        if row["skipped"] or row["later_frames"]:
            notes.append(f"{label}: {row['skipped']} ticks skipped (a click still unanswered), "
                         f"{row['later_frames']} update frames after a click's first")
    idle = [row["idle_ms_per_s"] for _, row in rows]
    print(f"(server CPU: Kontrol's or the blank app's process tree over the run ÷ clicks; that includes what it uses "
          f"idle, {min(idle):.0f}-{max(idle):.0f} ms a second in the second before each run)")
    for note in notes:
        print(note)
    if max(floors) > LIMIT * floor_p95:
        print(f"The floor's two runs differ ({floors[0]:.1f} and {floors[1]:.1f} ms p95): something else used the "
              "machine, and the pages' p95 may be raised by it too. Run it again.")


if __name__ == "__main__":
    sys.exit(main())
