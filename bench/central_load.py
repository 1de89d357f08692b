"""Load on the reference central server: N simulated kiosks (asyncio).

Every kiosk holds a bundle long-poll (``wait=30``, If-None-Match) on its own
connection, sends a heartbeat every ``--heartbeat`` seconds (30, as the
kiosk does) and serves a customer every ``--pace`` seconds on average (a busy
peak: 60): it looks up a bill and uploads the transactions. Heartbeats and
customers share the kiosk's second connection, kept alive while the server
keeps it (the kiosk's requests session does the same; a connection the
server closed is opened again). Half-way through, a new bundle is published,
and the time until every kiosk has it is measured. The server runs as its own
process (``kiosk-central serve``) on a fresh PostgreSQL database on
127.0.0.1:5432; ``--profile FILE`` samples it with py-spy over the measured
time and prints where its time went.

Prints p50/p99 latency per call and the error count. Goals for 10,000 kiosks
(issue 19): no errors, lookup and upload p99 ≤ 100 ms on a 2-core machine.

    python bench/central_load.py [--kiosks 1000] [--seconds 30] [--pace 60]
        [--heartbeat 30] [--workers 1] [--loop auto|asyncio] [--http auto|h11]
        [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert

from central.auth import token_hash
from central.bundles import publish
from central.db import kiosks, make_engine
from central.seed import seed_demo
from central.serve import free_port
from config import bundle

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432"
ACCOUNTS = [("electricity", "3301234567"), ("water", "33012345"), ("gas", "330123456"),
            ("property", "101020301"), ("parking", "202611240815")]  # fmt: skip


class Connection:
    """One kiosk's keep-alive HTTP/1.1 connection, written by hand to keep the
    client cheap enough for 10,000 of them in one process."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

    async def request(
        self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        reused = self.writer is not None
        if self.reader is not None and self.reader.at_eof():  # the server closed it, idle
            self.close()
            self.writer, reused = None, False
        try:
            return await self._request(method, path, body, headers)
        except (ConnectionError, asyncio.IncompleteReadError):
            if not reused:
                raise
            self.close()  # closed as it was reused: once more on a new one, as urllib3 does
            self.writer = None
            return await self._request(method, path, body, headers)

    async def _request(
        self, method: str, path: str, body: object, headers: dict[str, str] | None
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        data = json.dumps(body).encode() if body is not None else b""
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1",
                f"Authorization: Bearer {self.token}", f"Content-Length: {len(data)}",
                "Content-Type: application/json"]  # fmt: skip
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed by the server")
        status = int(status_line.split()[1])
        answer_headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            key, _, value = line.decode().partition(":")
            answer_headers[key.strip().lower()] = value.strip()
        length = int(answer_headers.get("content-length", "0"))
        return status, answer_headers, await self.reader.readexactly(length)


class Stats:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {"lookup": [], "upload": [], "heartbeat": []}
        self.errors: list[str] = []
        self.got_v2: list[float] = []
        self.connected = 0
        self.measured_s = 0.0  # the customers' time: what the CPU figures cover
        self.server_cpu_s = 0.0  # the server's processes (its workers too)
        self.own_cpu_s = 0.0  # this load generator's
        self.measured_calls = 0  # calls answered in that time


@dataclass(frozen=True)
class Habits:
    """How each simulated kiosk behaves (the command line's)."""

    pace: float  # mean seconds between customers
    heartbeat: float  # seconds between heartbeats; 0: none
    wait: int  # the long-poll's hold


async def poller(
    port: int, token: str, stats: Stats, stop: asyncio.Event, published: list[float], wait: int
) -> None:
    conn, version = Connection(port, token), 1
    while True:  # connected, and known to the server: the fleet is up
        try:
            await conn.request("GET", "/api/v1/config/bundle", headers={"If-None-Match": '"1"'})
            break
        except (OSError, ConnectionError, asyncio.IncompleteReadError):
            conn = Connection(port, token)
            await asyncio.sleep(1)
    stats.connected += 1
    while not stop.is_set():
        try:
            status, headers, _ = await conn.request(
                "GET",
                f"/api/v1/config/bundle?wait={wait}",
                headers={"If-None-Match": f'"{version}"'},
            )
        except (OSError, ConnectionError, asyncio.IncompleteReadError) as exc:
            stats.errors.append(f"long-poll: {type(exc).__name__}")
            conn = Connection(port, token)
            await asyncio.sleep(1)
            continue
        if status == 200:
            version = int(headers["etag"].strip('"'))
            if version == 2 and published:
                stats.got_v2.append(time.monotonic() - published[0])
        elif status != 304:
            stats.errors.append(f"long-poll: HTTP {status}")


HEARTBEAT = {
    "devices": {"acceptor": "ok", "printer": "ok", "card_reader": "ok"},
    "queue_depth": 0, "dead_letters": 0, "versions": {"app": "0.1.0", "bundle": "1"},
    "paper_low": False, "cashbox_notes": 120, "cashbox_fen": 1200000,
}  # fmt: skip


async def timed(stats: Stats, kind: str, conn: Connection, method: str, path: str,
                body: object = None, ok: int = 200) -> bool:  # fmt: skip
    started = time.perf_counter()
    try:
        status, _, _ = await conn.request(method, path, body)
    except (OSError, ConnectionError, asyncio.IncompleteReadError) as exc:
        stats.errors.append(f"{kind}: {type(exc).__name__}")
        conn.close()
        conn.writer = None
        return False
    stats.times[kind].append(time.perf_counter() - started)
    if status != ok:
        stats.errors.append(f"{kind}: HTTP {status}")
    return status == ok


async def customers(
    conn: Connection, lock: asyncio.Lock, stats: Stats, stop: asyncio.Event, pace: float
) -> None:
    """A customer every ``pace`` seconds on average (exponential gaps): the kiosk
    looks up a bill and uploads the payment's transactions."""
    while not stop.is_set():
        await asyncio.sleep(random.expovariate(1 / pace))
        service, account = random.choice(ACCOUNTS)
        amount = {"amount": {"minor": 100, "currency": "CNY"}}
        batch = {"transactions": [
            {"id": str(uuid.uuid4()), "kind": "load_test", "payload": amount} for _ in range(5)
        ]}  # fmt: skip
        async with lock:
            if await timed(stats, "lookup", conn, "GET", f"/api/v1/bills/{service}/{account}"):
                await timed(stats, "upload", conn, "POST", "/api/v1/transactions/batch", batch)


async def heartbeats(
    conn: Connection, lock: asyncio.Lock, stats: Stats, stop: asyncio.Event, every: float
) -> None:
    await asyncio.sleep(random.uniform(0, every))  # kiosks started at different times
    while not stop.is_set():
        async with lock:
            await timed(stats, "heartbeat", conn, "POST", "/api/v1/heartbeat", HEARTBEAT, 204)
        await asyncio.sleep(every)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def cpu_seconds(pid: int) -> float:
    """User and system CPU of ``pid`` and its children (uvicorn's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # itself, or a child
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


async def run(
    port: int, tokens: list[str], seconds: float, habits: Habits,
    publish_v2: object, profile: Callable[[], subprocess.Popen[bytes] | None], server: int,
) -> Stats:  # fmt: skip
    stats, stop, published = Stats(), asyncio.Event(), list[float]()
    tasks = [asyncio.create_task(poller(port, t, stats, stop, published, habits.wait))
             for t in tokens]  # fmt: skip
    started = time.monotonic()
    while stats.connected < len(tokens):  # the fleet comes up before it is measured
        await asyncio.sleep(0.2)
    print(f"  {len(tokens)} long-polls up in {time.monotonic() - started:.1f} s")
    for token in tokens:
        conn, lock = Connection(port, token), asyncio.Lock()
        tasks.append(asyncio.create_task(customers(conn, lock, stats, stop, habits.pace)))
        if habits.heartbeat > 0:
            beat = heartbeats(conn, lock, stats, stop, habits.heartbeat)
            tasks.append(asyncio.create_task(beat))
    profiler = await asyncio.to_thread(profile)
    began, cpu, own = time.monotonic(), cpu_seconds(server), time.process_time()
    calls = sum(len(v) for v in stats.times.values())
    await asyncio.sleep(seconds / 2)
    # The CPU figures: the first half, steady (the second has the bundle's fan-out).
    stats.measured_s = time.monotonic() - began
    stats.server_cpu_s = cpu_seconds(server) - cpu
    stats.own_cpu_s = time.process_time() - own
    stats.measured_calls = sum(len(v) for v in stats.times.values()) - calls
    published.append(time.monotonic())
    await asyncio.to_thread(publish_v2)  # type: ignore[arg-type]
    await asyncio.sleep(seconds / 2)
    stop.set()
    if profiler is not None:
        await asyncio.to_thread(profiler.wait)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return stats


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    help_pace = "mean seconds between customers at one kiosk (60: a busy peak)"
    parser.add_argument("--pace", type=float, default=60.0, help=help_pace)
    parser.add_argument("--heartbeat", type=float, default=30.0, help="seconds between beats")
    parser.add_argument("--wait", type=int, default=30, help="the long-poll's hold, seconds")
    parser.add_argument("--loop", default="auto", help="the server's event loop")
    parser.add_argument("--http", default="auto", help="the server's HTTP parser")
    parser.add_argument("--profile", type=Path, help="py-spy the server into this file")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.kiosks + 1000)), hard))
    name = f"kiosk_bench_{secrets.token_hex(4)}"
    admin = create_engine(f"{ADMIN}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = f"{ADMIN}/{name}"
    server = None
    try:
        engine = make_engine(url)
        seed_demo(engine, datetime.now(UTC).date())
        tokens = [secrets.token_urlsafe(24) for _ in range(args.kiosks)]
        with engine.begin() as conn:
            conn.execute(insert(kiosks), [
                {"id": f"B-{n:05d}", "token_hash": token_hash(t), "group_name": "default"}
                for n, t in enumerate(tokens)
            ])  # fmt: skip
        private, _ = bundle.new_key()

        def document(version: int) -> dict[str, object]:
            return bundle.sign({"version": version, "target": {"group": "default"},
                                "expires": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
                                "config": {}}, private)  # fmt: skip

        publish(engine, document(1))
        port = free_port()
        cli = str(Path(sys.executable).with_name("kiosk-central"))
        with tempfile.TemporaryFile() as log:
            command = [cli, "serve", "--db", url, "--port", str(port)]
            command += ["--workers", str(args.workers), "--loop", args.loop, "--http", args.http]
            server = subprocess.Popen(command, stdout=log, stderr=log)
            time.sleep(3)
            started = time.monotonic()

            def profile() -> subprocess.Popen[bytes] | None:
                if args.profile is None:
                    return None
                spy = [str(Path(sys.executable).with_name("py-spy")), "record", "--format", "raw",
                       "--subprocesses", "--rate", "100", "--nonblocking", "--pid",
                       str(server.pid), "--duration", str(int(args.seconds)),
                       "--output", str(args.profile)]  # fmt: skip
                return subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

            stats = asyncio.run(run(
                port, tokens, args.seconds, Habits(args.pace, args.heartbeat, args.wait),
                lambda: publish(engine, document(2)), profile, server.pid,
            ))  # fmt: skip
            elapsed = time.monotonic() - started
        report(args.kiosks, args.pace, elapsed, stats)
        if args.profile is not None:
            top_of_profile(args.profile)
        engine.dispose()
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def top_of_profile(path: Path, count: int = 25) -> None:
    """py-spy's raw (collapsed) stacks: the functions with the most samples on
    top of the stack (self) and anywhere in it (total)."""
    own: dict[str, int] = {}
    anywhere: dict[str, int] = {}
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames or not n.isdigit():
            continue
        hits = int(n)
        samples += hits
        own[frames[-1]] = own.get(frames[-1], 0) + hits
        for frame in set(frames):
            anywhere[frame] = anywhere.get(frame, 0) + hits
    print(f"profile: {samples} samples in {path}")
    for title, table in (("self", own), ("total", anywhere)):
        print(f"  top {count} by {title}:")
        for frame, hits in sorted(table.items(), key=lambda x: -x[1])[:count]:
            print(f"    {hits * 100 / max(samples, 1):5.1f}%  {frame}")


def report(kiosks: int, pace: float, elapsed: float, stats: Stats) -> None:
    print(f"{kiosks} kiosks holding long-polls, each with a customer every {pace:.0f} s")
    print(f"  on average ({kiosks / pace:.0f} lookups/s offered), {elapsed:.0f} s, PostgreSQL")
    for kind, values in stats.times.items():
        rate = len(values) / elapsed
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        print(
            f"  {kind:7s} n={len(values):6d} ({rate:6.1f}/s)  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
        )
    calls = stats.measured_calls
    busy = stats.server_cpu_s / max(stats.measured_s, 1e-9)
    print(
        f"  server CPU {busy * 100:.0f}% of a core ({stats.server_cpu_s * 1000 / max(calls, 1):.2f}"
        f" ms per answered call; first half, before the new bundle); load generator "
        f"{stats.own_cpu_s * 100 / max(stats.measured_s, 1e-9):.0f}% of a core"
    )
    got = stats.got_v2
    print(f"  bundle v2 reached {len(got)}/{kiosks} kiosks; p50 {percentile(got, 0.5):.0f} ms, "
          f"last {max(got, default=float('nan')) * 1000:.0f} ms after publishing")  # fmt: skip
    kinds = statistics.multimode(e.split(":")[0] for e in stats.errors) if stats.errors else []
    print(
        f"  errors: {len(stats.errors)}"
        + (f" (mostly {', '.join(kinds)}: {stats.errors[0]})" if kinds else "")
    )
    worst = max(percentile(stats.times[k], 0.99) for k in ("lookup", "upload"))
    met = "met" if not stats.errors and worst <= 100 else "NOT met"
    print(
        f"  goal (10,000 kiosks): no errors, lookup and upload p99 <= 100 ms -> {met} at {kiosks}"
    )


if __name__ == "__main__":
    main()
