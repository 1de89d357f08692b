"""Load on the reference central server: N simulated kiosks (asyncio).

Every kiosk holds a bundle long-poll (``wait=30``, If-None-Match) and serves
a customer every ``--pace`` seconds on average (a busy peak: 60): it connects,
looks up a bill, uploads the transactions, and hangs up. Half-way through, a
new bundle is published, and the time until every kiosk has it is measured.
The server runs as its own process (``kiosk-central serve``) on a fresh
PostgreSQL database on 127.0.0.1:5432.

Prints p50/p99 latency per call and the error count. Goal for 10,000 kiosks:
no errors and bill lookup p99 ≤ 300 ms on a 2-core machine.

    python bench/central_load.py [--kiosks 1000] [--seconds 30] [--pace 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
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
        self.times: dict[str, list[float]] = {"lookup": [], "upload": []}
        self.errors: list[str] = []
        self.got_v2: list[float] = []
        self.connected = 0


async def poller(
    port: int, token: str, stats: Stats, stop: asyncio.Event, published: list[float]
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
                "GET", "/api/v1/config/bundle?wait=30", headers={"If-None-Match": f'"{version}"'}
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


async def shopper(port: int, token: str, stats: Stats, stop: asyncio.Event, pace: float) -> None:
    """A customer every ``pace`` seconds on average (exponential gaps): the kiosk
    connects, looks up a bill, uploads the payment's transactions, hangs up."""
    while not stop.is_set():
        await asyncio.sleep(random.expovariate(1 / pace))
        conn = Connection(port, token)
        service, account = random.choice(ACCOUNTS)
        for kind, method, path, body in (
            ("lookup", "GET", f"/api/v1/bills/{service}/{account}", None),
            ("upload", "POST", "/api/v1/transactions/batch", {"transactions": [
                {"id": str(uuid.uuid4()), "kind": "load_test",
                 "payload": {"amount": {"minor": 100, "currency": "CNY"}}} for _ in range(5)]}),
        ):  # fmt: skip
            started = time.perf_counter()
            try:
                status, _, _ = await conn.request(method, path, body)
            except (OSError, ConnectionError, asyncio.IncompleteReadError) as exc:
                stats.errors.append(f"{kind}: {type(exc).__name__}")
                break
            stats.times[kind].append(time.perf_counter() - started)
            if status != 200:
                stats.errors.append(f"{kind}: HTTP {status}")
        conn.close()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def run(
    port: int, tokens: list[str], seconds: float, pace: float, publish_v2: object
) -> Stats:
    stats, stop, published = Stats(), asyncio.Event(), list[float]()
    tasks = [asyncio.create_task(poller(port, t, stats, stop, published)) for t in tokens]
    started = time.monotonic()
    while stats.connected < len(tokens):  # the fleet comes up before it is measured
        await asyncio.sleep(0.2)
    print(f"  {len(tokens)} long-polls up in {time.monotonic() - started:.1f} s")
    tasks += [asyncio.create_task(shopper(port, t, stats, stop, pace)) for t in tokens]
    await asyncio.sleep(seconds / 2)
    published.append(time.monotonic())
    await asyncio.to_thread(publish_v2)  # type: ignore[arg-type]
    await asyncio.sleep(seconds / 2)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    help_pace = "mean seconds between customers at one kiosk (60: a busy peak)"
    parser.add_argument("--pace", type=float, default=60.0, help=help_pace)
    args = parser.parse_args()
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
            command += ["--workers", str(args.workers)]
            server = subprocess.Popen(command, stdout=log, stderr=log)
            time.sleep(3)
            started = time.monotonic()
            stats = asyncio.run(
                run(port, tokens, args.seconds, args.pace, lambda: publish(engine, document(2)))
            )
            elapsed = time.monotonic() - started
        report(args.kiosks, args.pace, elapsed, stats)
        engine.dispose()
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def report(kiosks: int, pace: float, elapsed: float, stats: Stats) -> None:
    print(f"{kiosks} kiosks holding long-polls, each with a customer every {pace:.0f} s")
    print(f"  on average ({kiosks / pace:.0f} lookups/s offered), {elapsed:.0f} s, PostgreSQL")
    for kind, values in stats.times.items():
        rate = len(values) / elapsed
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        print(
            f"  {kind:7s} n={len(values):6d} ({rate:6.1f}/s)  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
        )
    got = stats.got_v2
    print(f"  bundle v2 reached {len(got)}/{kiosks} kiosks; p50 {percentile(got, 0.5):.0f} ms, "
          f"last {max(got, default=float('nan')) * 1000:.0f} ms after publishing")  # fmt: skip
    kinds = statistics.multimode(e.split(":")[0] for e in stats.errors) if stats.errors else []
    print(
        f"  errors: {len(stats.errors)}"
        + (f" (mostly {', '.join(kinds)}: {stats.errors[0]})" if kinds else "")
    )
    lookup_p99 = percentile(stats.times["lookup"], 0.99)
    met = "met" if not stats.errors and lookup_p99 <= 300 else "NOT met"
    print(f"  goal (10,000 kiosks): no errors, lookup p99 <= 300 ms -> {met} at {kiosks}")


if __name__ == "__main__":
    main()
