"""Load on the reference central server: N simulated kiosks in service (asyncio).

Every kiosk holds a config long-poll (``--wait``, If-None-Match) on a
connection of its own, sends a heartbeat every ``--heartbeat`` seconds, and
serves a customer every ``--pace`` seconds on average (a busy peak: 60) on
its second connection, kept alive: it looks up the bill, and the customer
pays in cash or, ``--qr-share`` of them, by WeChat Pay — the kiosk creates
the order, the phone pays it at the provider simulator (its own process,
real signatures; it notifies the server), the kiosk's status poll is held
until the order is paid (``?wait=`` ``--hold`` seconds, as kiosks hold it:
central.qr_hold_s; ``--poll`` seconds between holds), and it uploads the
payment. The whole
payment (lookup to upload answered, the phone's scan left out) is timed as
``payment``. Half-way through, a new bundle is published and the time until
every kiosk has it is measured.

The server runs as its own process (``kiosk-central serve``) on a fresh
PostgreSQL database on 127.0.0.1:5432 seeded with ``--accounts`` bills; then
the same load, in the same run, goes to a bare in-memory app answering the
same routes on the same server stack (bench/bare_app.py): the stack's own
limit, printed beside the server's with the ratio. ``--profile FILE``
samples the server with py-spy and prints where its time went.

    python bench/central_load.py [--kiosks 1000] [--seconds 60] [--pace 60]
        [--heartbeat 30] [--wait 300] [--qr-share 0.5] [--hold 15] [--poll 2]
        [--workers 1] [--accounts 5000] [--no-bare] [--profile FILE]

Goals for 10,000 kiosks on a 2-core machine (issue 19): lookup, upload and
order p99 ≤ 100 ms, 0 errors, payment p99 ≤ 1 s, the bundle at every kiosk
within 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from urllib.parse import urlsplit

import requests
import uvloop

from central.bundles import publish
from central.serve import free_port
from devtools import profiles
from devtools.load_client import Connection, Stats, cpu_now, percentile, timed
from devtools.load_rig import HEARTBEAT, bundle_document, payment_record, served, started

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Habits:
    """How each simulated kiosk behaves (the command line's)."""

    pace: float  # mean seconds between customers
    heartbeat: float  # seconds between heartbeats; 0: none
    wait: int  # the long-poll's hold
    qr_share: float  # of customers paying by WeChat Pay
    poll: float  # seconds between the kiosk's order-status polls
    hold: int  # a status poll's hold (wait=)
    accounts: int  # electricity accounts to pick customers from


@dataclass
class Target:
    """What the load goes to: the server, or the bare app."""

    name: str
    port: int
    pid: int
    publish_v2: Callable[[], object]


async def poller(port: int, token: str, stats: Stats, stop: asyncio.Event, wait: int) -> None:
    """The kiosk's config channel: a long-poll held, renewed as it ends."""
    conn, etag, counted = Connection(port, token), '"1"', False
    try:
        await _hold(conn, port, token, etag, counted, stats, stop, wait)
    finally:
        conn.close()


async def _hold(conn: Connection, port: int, token: str, etag: str, counted: bool,
                stats: Stats, stop: asyncio.Event, wait: int) -> None:  # fmt: skip
    while not stop.is_set():
        if not counted:
            stats.connected += 1
            counted = True
        try:
            status, headers, _ = await conn.request(
                "GET", f"/api/v1/config/bundle?wait={wait}", headers={"If-None-Match": etag}
            )
        except (OSError, ConnectionError, asyncio.IncompleteReadError) as exc:
            stats.errors.append(f"long-poll: {type(exc).__name__}")
            conn.close()
            await asyncio.sleep(1)
            continue
        if status == 200:
            etag = headers["etag"]
            if etag == '"2"':
                stats.got_v2.append(time.time())
        elif status != 304:
            stats.errors.append(f"long-poll: HTTP {status}")
            await asyncio.sleep(1)


async def pay_by_phone(stats: Stats, url: str) -> bool:
    """The customer's phone pays the order at the URL its QR code shows."""
    where = urlsplit(url)
    phone = Connection(where.port or 80, "")
    try:
        return await timed(stats, "phone", phone, "POST", where.path) is not None
    finally:
        phone.close()


async def customer(conn: Connection, stats: Stats, habits: Habits) -> None:
    account = f"{random.randrange(habits.accounts):010d}"
    began, clock = time.time(), time.perf_counter()
    if await timed(stats, "lookup", conn, "GET", f"/api/v1/bills/electricity/{account}") is None:
        return
    paid: dict[str, object] = {}
    scanning = 0.0
    if random.random() < habits.qr_share:
        ask = {"userId": account, "amount": 100, "paymentMethod": "wechat"}
        answer = await timed(stats, "order", conn, "POST", "/api/v1/payments/create", ask)
        if answer is None:
            return
        order = json.loads(answer)
        scanned = time.perf_counter()
        if not await pay_by_phone(stats, order["qrUrl"]):
            return
        scanning = time.perf_counter() - scanned
        deadline = time.monotonic() + 30
        path = f"/api/v1/payments/{order['id']}?wait={habits.hold}"
        while True:
            answer = await timed(stats, "status", conn, "GET", path)
            if answer is not None and json.loads(answer)["status"] == "paid":
                break
            if time.monotonic() > deadline:
                stats.errors.append("status: not paid after 30 s")
                return
            await asyncio.sleep(habits.poll)
        paid = {"method": "wechat", "details": {"order_id": order["id"]}}
    record = payment_record(account, 100, **paid)
    stored = await timed(stats, "upload", conn, "POST", "/api/v1/transactions/batch",
                         {"transactions": [record]})  # fmt: skip
    if stored is not None and paid:
        stats.add("payment", began, time.perf_counter() - clock - scanning)


async def kiosk(
    conn: Connection, stats: Stats, stop: asyncio.Event, habits: Habits
) -> None:  # fmt: skip
    """Customers (exponential gaps) and heartbeats on one kept-alive connection."""
    lock = asyncio.Lock()

    async def customers() -> None:
        while not stop.is_set():
            await asyncio.sleep(random.expovariate(1 / habits.pace))
            async with lock:
                await customer(conn, stats, habits)

    async def beats() -> None:
        await asyncio.sleep(random.uniform(0, habits.heartbeat))  # kiosks started apart
        while not stop.is_set():
            async with lock:
                await timed(stats, "heartbeat", conn, "POST", "/api/v1/heartbeat", HEARTBEAT, 204)
            await asyncio.sleep(habits.heartbeat)

    try:
        await asyncio.gather(customers(), *([beats()] if habits.heartbeat > 0 else []))
    finally:
        conn.close()


async def _generate(
    port: int, tokens: list[str], habits: Habits, seconds: float, pipe: Pipe
) -> Stats:  # fmt: skip
    stats, stop = Stats(), asyncio.Event()
    tasks = [asyncio.create_task(poller(port, t, stats, stop, habits.wait)) for t in tokens]
    while stats.connected < len(tokens):  # the fleet comes up before it is measured
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)
    pipe.send("up")
    await asyncio.to_thread(pipe.recv)  # go
    tasks += [asyncio.create_task(kiosk(Connection(port, t), stats, stop, habits))
              for t in tokens]  # fmt: skip
    await asyncio.sleep(seconds)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return stats


def generator(port: int, tokens: list[str], habits: Habits, seconds: float, pipe: Pipe) -> None:
    """One load-generator process (a process holds at most RLIMIT_NOFILE
    connections): its share of the kiosks, started when the parent says go."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        pipe.send(runner.run(_generate(port, tokens, habits, seconds, pipe)))


def run(target: Target, tokens: list[str], seconds: float, habits: Habits,
        profile: Callable[[], subprocess.Popen[bytes] | None],
        processes: int) -> Stats:  # fmt: skip
    """The load from ``processes`` generator processes; their figures merged."""
    context = multiprocessing.get_context("fork")
    pipes, children = [], []
    for n in range(processes):
        mine, theirs = context.Pipe()
        share = tokens[n::processes]
        child = context.Process(target=generator,
                                args=(target.port, share, habits, seconds, theirs))  # fmt: skip
        child.start()
        pipes.append(mine)
        children.append(child)
    started = time.monotonic()
    for pipe in pipes:
        assert pipe.recv() == "up"
    print(f"  {target.name}: {len(tokens)} long-polls up in {time.monotonic() - started:.1f} s "
          f"({processes} load processes)", flush=True)  # fmt: skip
    for pipe in pipes:
        pipe.send("go")
    spy = profile()
    whose = [c.pid for c in children if c.pid is not None]
    began, cpu = time.monotonic(), cpu_now(target.pid, whose)
    time.sleep(seconds / 2)
    # The CPU figures: the first half, steady (the second has the bundle's fan-out).
    measured = time.monotonic() - began
    used = {k: v - cpu[k] for k, v in cpu_now(target.pid, whose).items()}
    half = time.time()
    target.publish_v2()
    found = [pipe.recv() for pipe in pipes]
    for child in children:
        child.join()
    if spy is not None:
        spy.wait()
    stats = Stats.merged(found)
    stats.half, stats.measured_s, stats.cpu = half, measured, used
    return stats


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    help_pace = "mean seconds between customers at one kiosk (60: a busy peak)"
    parser.add_argument("--pace", type=float, default=60.0, help=help_pace)
    parser.add_argument("--heartbeat", type=float, default=30.0, help="seconds between beats")
    parser.add_argument(
        "--wait",
        type=int,
        default=300,
        help="the long-poll's hold, seconds (kiosks ask 300: central.bundle_wait_s)",
    )
    parser.add_argument("--qr-share", type=float, default=0.5, help="customers paying by QR")
    parser.add_argument("--hold", type=int, default=15,
                        help="a status poll's hold, s (kiosks: central.qr_hold_s)")  # fmt: skip
    parser.add_argument("--poll", type=float, default=2.0,
                        help="seconds between status polls (kiosks: timeouts.qr_poll)")  # fmt: skip
    parser.add_argument("--accounts", type=int, default=5000, help="electricity bills seeded")
    parser.add_argument("--loop", default="auto", help="the server's event loop")
    parser.add_argument("--http", default="auto", help="the server's HTTP parser")
    parser.add_argument("--generators", type=int, default=0,
                        help="load processes (0: one for each 5,000 kiosks)")  # fmt: skip
    parser.add_argument("--no-bare", action="store_true", help="skip the bare app's run")
    parser.add_argument("--profile", type=Path, help="py-spy the server into this file")
    return parser.parse_args()


def profiler(
    path: Path | None, pid: int, seconds: float
) -> Callable[[], subprocess.Popen[bytes] | None]:
    def start() -> subprocess.Popen[bytes] | None:
        return None if path is None else profiles.record(pid, path, 100, seconds)

    return start


def main() -> None:
    args = arguments()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server inherits it too
    args.generators = args.generators or -(-args.kiosks // 5000)
    if 2 * args.kiosks + 1000 > hard * args.workers:
        print(f"note: {args.kiosks} kiosks hold {2 * args.kiosks} connections: more than "
              f"{args.workers} server process(es) may open at {hard} files each "
              "(RLIMIT_NOFILE); give --workers more")  # fmt: skip
    habits = Habits(args.pace, args.heartbeat, args.wait, args.qr_share, args.poll, args.hold,
                    args.accounts)  # fmt: skip
    tokens = [secrets.token_urlsafe(24) for _ in range(args.kiosks)]
    results: dict[str, tuple[Stats, float]] = {}
    describe(args)
    stack = ["--loop", args.loop, "--http", args.http]
    with tempfile.TemporaryDirectory() as folder, \
            open(Path(folder) / "server.log", "ab") as log:  # fmt: skip
        extra = ["--workers", str(args.workers), *stack]
        with served(args.accounts, tokens, Path(folder), log, *extra) as server:

            def publish_v2() -> None:
                publish(server.engine, bundle_document(server.private, 2))

            target = Target("kiosk-central", server.port, server.pid, publish_v2)
            began = time.monotonic()
            spy = profiler(args.profile, server.pid, args.seconds)
            stats = run(target, tokens, args.seconds, habits, spy, args.generators)
            results[target.name] = (stats, time.monotonic() - began)
            report_one(args, target.name, *results[target.name])
        if not args.no_bare:
            port = free_port()
            uvicorn = [str(Path(sys.executable).with_name("uvicorn")), "--app-dir", str(HERE),
                       "bare_app:app", "--port", str(port), "--no-access-log",
                       "--timeout-keep-alive", "75", "--workers", str(args.workers),
                       "--loop", "uvloop" if args.loop == "auto" else args.loop,
                       "--http", "httptools" if args.http == "auto" else args.http]  # fmt: skip
            os.environ["BARE_VERSION"] = str(Path(folder) / "bare-version.txt")
            with started(uvicorn, port, log) as bare:
                url_of = f"http://127.0.0.1:{port}/bare/publish"
                target = Target("bare app", port, bare.pid,
                                lambda: requests.post(url_of, timeout=10))  # fmt: skip
                began = time.monotonic()
                stats = run(target, tokens, args.seconds, habits, lambda: None, args.generators)
                results[target.name] = (stats, time.monotonic() - began)
                report_one(args, target.name, *results[target.name])
    report(args, results)
    if args.profile is not None:
        print("\n".join(profiles.top(args.profile)))


def describe(args: argparse.Namespace) -> None:
    print(f"{args.kiosks} kiosks in service: long-poll held ({args.wait} s), a heartbeat every "
          f"{args.heartbeat:.0f} s, a customer every {args.pace:.0f} s on average "
          f"({args.kiosks / args.pace:.0f}/s offered; {args.qr_share:.0%} by WeChat Pay, "
          f"order status held {args.hold} s), {args.seconds:.0f} s, PostgreSQL, "
          f"{args.workers} worker(s)", flush=True)  # fmt: skip


def report_one(args: argparse.Namespace, name: str, stats: Stats, elapsed: float) -> None:
    cores = os.cpu_count() or 1
    print(f"  {name} ({elapsed:.0f} s):")
    for kind in stats.times:
        every, steady = stats.durations(kind), stats.durations(kind, steady=True)
        print(f"    {kind:9s} n={len(every):6d} ({len(every) / elapsed:6.1f}/s)  "
              f"p50 {percentile(every, 0.5):7.1f} ms  p99 {percentile(every, 0.99):7.1f} ms"
              f"  (first half p99 {percentile(steady, 0.99):7.1f} ms)")  # fmt: skip
    measured = max(stats.measured_s, 1e-9)
    cpu = stats.cpu
    calls = sum(1 for k in ("lookup", "order", "status", "upload", "heartbeat")
                for t, _ in stats.times[k] if t < stats.half)  # fmt: skip
    share = {k: v / measured for k, v in cpu.items()}
    print(f"    CPU, first half: server {share['server']:.0%} of a core "
          f"({cpu['server'] * 1000 / max(calls, 1):.2f} ms a call), PostgreSQL "
          f"{share['postgres']:.0%}, load generator {share['generator']:.0%}; "
          f"the machine {share['machine'] / cores:.0%} of its {cores} cores")  # fmt: skip
    got = [t - stats.half for t in stats.got_v2]
    print(f"    bundle v2 reached {len(got)}/{args.kiosks} kiosks; p50 "
          f"{percentile(got, 0.5):.0f} ms, last {max(got, default=float('nan')) * 1000:.0f} "
          "ms after publishing")  # fmt: skip
    kinds = statistics.multimode(e.split(":")[0] for e in stats.errors) if stats.errors else []
    print(f"    errors: {len(stats.errors)}"
          + (f" (mostly {', '.join(kinds)}: {stats.errors[0]})" if kinds else ""),
          flush=True)  # fmt: skip


def report(args: argparse.Namespace, results: dict[str, tuple[Stats, float]]) -> None:
    if len(results) == 2:
        (_, (ours, _)), (_, (bare, _)) = results.items()
        print("  p99, server / bare app on the same stack:")
        for kind in ("lookup", "order", "status", "upload", "heartbeat", "payment"):
            a, b = percentile(ours.durations(kind), 0.99), percentile(bare.durations(kind), 0.99)
            print(f"    {kind:9s} {a:8.1f} ms / {b:7.1f} ms = {a / b if b else float('nan'):6.1f}×")
    ours = next(iter(results.values()))[0]
    worst = max(percentile(ours.durations(k), 0.99) for k in ("lookup", "upload", "order"))
    whole = percentile(ours.durations("payment"), 0.99)
    reach = max((t - ours.half for t in ours.got_v2), default=float("inf"))
    met = (not ours.errors and worst <= 100 and whole <= 1000 and reach <= 5
           and len(ours.got_v2) == args.kiosks)  # fmt: skip
    print(f"  goals (10,000 kiosks): 0 errors, lookup/upload/order p99 <= 100 ms, payment p99 "
          f"<= 1 s, bundle at all within 5 s -> {'met' if met else 'NOT met'} at {args.kiosks} "
          f"(errors {len(ours.errors)}, worst p99 {worst:.0f} ms, payment p99 {whole:.0f} ms, "
          f"bundle {reach:.1f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
