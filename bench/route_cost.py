"""What one call of each route costs the central server: CPU milliseconds of
the server process (and of PostgreSQL) a call, with one kiosk calling one
route at a time on a kept-alive connection, so nothing queues.

The load bench (bench/central_load.py) says whether a fleet is served; this
says where a fleet's CPU goes, route by route, and is quick enough to run
after every change. ``--profile FOLDER`` samples the server with py-spy
during each route and prints its top frames.

    python bench/route_cost.py [--calls 2000] [--workers 1] [--profile FOLDER]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from devtools import profiles
from devtools.load_client import Connection, cpu_now
from devtools.load_rig import HEARTBEAT, payment_record, served

WARM = 20
Call = Callable[[int], Awaitable[tuple[int, bytes]]]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls of each route")
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--profile", type=Path, help="py-spy each route into this folder")
    return parser.parse_args()


def routes(conn: Connection, phone: Callable[[str], Awaitable[int]]) -> dict[str, Call]:
    """Each route as a call taking the call's number (which account, which order)."""
    orders: list[str] = []

    async def heartbeat(_n: int) -> tuple[int, bytes]:
        status, _, body = await conn.request("POST", "/api/v1/heartbeat", HEARTBEAT)
        return status, body

    async def bundle_unchanged(_n: int) -> tuple[int, bytes]:
        status, _, body = await conn.request(
            "GET", "/api/v1/config/bundle", headers={"If-None-Match": '"1"'}
        )
        return status, body

    async def lookup(n: int) -> tuple[int, bytes]:
        status, _, body = await conn.request("GET", f"/api/v1/bills/electricity/{n:010d}")
        return status, body

    async def order(n: int) -> tuple[int, bytes]:
        ask = {"userId": f"{n:010d}", "amount": 100, "paymentMethod": "wechat"}
        status, _, body = await conn.request("POST", "/api/v1/payments/create", ask)
        if status == 200:
            orders.append(json.loads(body)["qrUrl"] + "\n" + json.loads(body)["id"])
        return status, body

    async def notification(n: int) -> tuple[int, bytes]:
        return await phone(orders[n % len(orders)].split("\n")[0]), b""

    async def status(n: int) -> tuple[int, bytes]:
        order_id = orders[n % len(orders)].split("\n")[1]
        code, _, body = await conn.request("GET", f"/api/v1/payments/{order_id}")
        return code, body

    async def upload(n: int) -> tuple[int, bytes]:
        batch = {"transactions": [payment_record(f"{n:010d}", 100)]}
        code, _, body = await conn.request("POST", "/api/v1/transactions/batch", batch)
        return code, body

    return {"heartbeat": heartbeat, "bundle (304)": bundle_unchanged, "lookup": lookup,
            "order": order, "notification": notification, "status": status,
            "upload (cash)": upload}  # fmt: skip


async def measure(name: str, call: Call, calls: int, server: int, spy: Path | None) -> str:
    for n in range(WARM):  # warm: the statement caches, the pool
        await call(n)
    profiler = None
    if spy is not None:
        spy.mkdir(parents=True, exist_ok=True)
        out = spy / f"{name.split(maxsplit=1)[0]}.txt"
        profiler = profiles.record(server, out, 250)
        await asyncio.sleep(1)  # py-spy attaches
    before, clock = cpu_now(server, []), time.perf_counter()
    walls, failed = [], 0
    for n in range(WARM, WARM + calls):
        began = time.perf_counter()
        status, _ = await call(n)
        walls.append(time.perf_counter() - began)
        failed += status >= 400
    elapsed, after = time.perf_counter() - clock, cpu_now(server, [])
    if profiler is not None:
        profiles.stop(profiler)
    server_ms = (after["server"] - before["server"]) * 1000 / calls
    postgres_ms = (after["postgres"] - before["postgres"]) * 1000 / calls
    walls.sort()
    return (f"  {name:<14} {server_ms:6.2f} ms  {postgres_ms:6.2f} ms  "
            f"{statistics.median(walls) * 1000:6.2f} ms  {walls[int(0.99 * calls)] * 1000:6.2f} ms"
            f"  {calls / elapsed:6.0f}/s  {failed} failed")  # fmt: skip


def print_profiles(folder: Path, count: int) -> None:
    for path in sorted(folder.glob("*.txt")):
        print("\n".join(profiles.top(path, count)))


async def phone_pays(url: str) -> int:
    where = urlsplit(url)
    phone = Connection(where.port or 80, "")
    try:
        status, _, _ = await phone.request("POST", where.path)
        return status
    finally:
        phone.close()


def main() -> None:
    args = arguments()
    token = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as folder, \
            open(Path(folder) / "server.log", "ab") as log, \
            served(args.accounts, [token], Path(folder), log) as server:  # fmt: skip
        print(f"one kiosk, {args.calls} calls a route, one at a time "
              "(server CPU and PostgreSQL CPU a call; wall p50, p99; calls/s)")  # fmt: skip
        asyncio.run(_all(server.port, token, args, server.pid))


async def _all(port: int, token: str, args: argparse.Namespace, server: int) -> None:
    conn = Connection(port, token)
    for name, call in routes(conn, phone_pays).items():
        calls = (
            min(args.calls, args.accounts - WARM)
            if name in ("order", "notification")
            else args.calls
        )
        print(await measure(name, call, calls, server, args.profile), flush=True)
    conn.close()
    if args.profile is not None:
        print_profiles(args.profile, 15)


if __name__ == "__main__":
    main()
