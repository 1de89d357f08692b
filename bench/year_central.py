"""A year of a 10,000-kiosk fleet in the central server's PostgreSQL database,
and the hot queries on it: their plans (EXPLAIN ANALYZE) and, over HTTP to a
real ``kiosk-central serve`` on that database, the p50/p99 of a customer's
orders (``GET /api/v1/orders?userId=``, goal p99 ≤ 50 ms), a bill lookup and
an order's status.

At ``--scale 1`` (the issue's figures): 10,000 kiosks, 1,000,000 accounts
(five services), 20,000,000 bill lines (20 an account, the newest still
owed) each issued in the books, 10,000,000 uploaded payments (cash, or
WeChat Pay with its order: 4,000,000 orders) each posted, about 30,000,000
postings and 60,000,000 entries. Built by PostgreSQL itself
(``generate_series``), secondary indexes made after the rows; the database
is kept for the next run (``--reuse``) unless ``--drop``.

    python bench/year_central.py [--scale 1.0] [--reuse] [--drop] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from central.db import make_engine, metadata
from central.serve import free_port
from devtools.load_client import Connection, Stats, percentile, timed
from devtools.load_rig import started

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432"
NAME = "kiosk_year"
SERVICES = ["electricity", "water", "gas", "property", "parking"]
BIG = ["accounts", "bill_lines", "transactions", "orders", "postings", "entries", "kiosks"]


def fill(engine: Engine, scale: float) -> None:
    kiosks, accounts = int(10_000 * scale), int(1_000_000 * scale)
    payments, lines_each = int(10_000_000 * scale), 20
    svc = "(ARRAY['electricity','water','gas','property','parking'])[1 + {n} % 5]"
    acct = "lpad(({n})::text, 10, '0')"
    kiosk = "'Y-' || lpad((({n}) % {k})::text, 5, '0')".format(n="{n}", k=kiosks)
    steps = [
        (
            "kiosks",
            f"""INSERT INTO kiosks (id, token_hash, group_name)
            SELECT 'Y-' || lpad(n::text, 5, '0'),
                   encode(sha256(('year-token-' || n)::bytea), 'hex'), 'default'
            FROM generate_series(0, {kiosks - 1}) n""",
        ),
        (
            "accounts",
            f"""INSERT INTO accounts (service, account, holder, phone, prepaid)
            SELECT {svc.format(n="n")}, {acct.format(n="n")}, '户主' || n,
                   '13' || lpad(n::text, 9, '0'), (n % 10 = 0)::int
            FROM generate_series(0, {accounts - 1}) n""",
        ),
        (
            "bill_lines",
            f"""INSERT INTO bill_lines (id, service, account, kind, label_zh,
                label_en, amount_fen, due_date, outstanding_fen)
            SELECT l, {svc.format(n="l / 20")}, {acct.format(n="l / 20")},
                   CASE WHEN l % 20 = 18 THEN 'arrears' ELSE 'current' END,
                   '账单 ' || (l % 20), 'Bill ' || (l % 20), 5000 + l % 20000,
                   to_char(date '2026-01-15' + (l % 20) * 18, 'YYYY-MM-DD'),
                   CASE WHEN l % 20 >= 18 THEN 5000 + l % 20000 ELSE 0 END
            FROM generate_series(0, {accounts * lines_each - 1}) l""",
        ),
        (
            "bill postings",
            f"""INSERT INTO postings (id, kind, occurred_at)
            SELECT 'bill:' || l, 'bill_issued',
                   timestamptz '2026-01-01 00:00+08' + (l % 20) * interval '18 days'
            FROM generate_series(0, {accounts * lines_each - 1}) l""",
        ),
        (
            "bill entries",
            f"""INSERT INTO entries (posting, account, debit_fen, credit_fen)
            SELECT 'bill:' || l, side.account, side.debit, side.credit
            FROM generate_series(0, {accounts * lines_each - 1}) l,
            LATERAL (VALUES
                ('receivable:' || {svc.format(n="l / 20")} || ':' || {acct.format(n="l / 20")},
                 5000 + l % 20000, 0),
                ('revenue:' || {svc.format(n="l / 20")}, 0, 5000 + l % 20000)
            ) AS side(account, debit, credit)""",
        ),
        (
            "transactions",
            f"""INSERT INTO transactions (id, kiosk_id, kind, payload, received_at)
            SELECT md5('t' || t)::uuid::text, {kiosk.format(n="t")}, 'payment_completed',
                   json_build_object('kind', 'payment_completed', 'session', md5('s' || t),
                     'at', to_char(timestamptz '2026-01-01 00:00+00'
                                   + (t % 31536000) * interval '1 second',
                                   'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                     'data', json_build_object(
                       'service', {svc.format(n=f"t % {accounts}")},
                       'account', {acct.format(n=f"t % {accounts}")},
                       'method', CASE WHEN t % 5 < 2 THEN 'wechat' ELSE 'cash' END,
                       'amount', json_build_object('minor', 5000 + t % 20000,
                                                   'currency', 'CNY')))::text,
                   timestamptz '2026-01-01 00:00+00' + (t % 31536000) * interval '1 second'
            FROM generate_series(0, {payments - 1}) t""",
        ),
        (
            "orders",
            f"""INSERT INTO orders (id, kiosk_id, user_id, amount_fen, method, status,
                created_at, provider, trade_no, settled_by)
            SELECT md5('o' || t), {kiosk.format(n="t")}, {acct.format(n=f"t % {accounts}")},
                   5000 + t % 20000, 'wechat', 'paid',
                   timestamptz '2026-01-01 00:00+00' + (t % 31536000) * interval '1 second',
                   'wechat', '4200' || lpad(t::text, 24, '0'), md5('t' || t)::uuid::text
            FROM generate_series(0, {payments - 1}) t WHERE t % 5 < 2""",
        ),
        (
            "payment postings",
            f"""INSERT INTO postings (id, kind, kiosk_id, occurred_at)
            SELECT md5('t' || t)::uuid::text, 'payment_completed', {kiosk.format(n="t")},
                   timestamptz '2026-01-01 00:00+00' + (t % 31536000) * interval '1 second'
            FROM generate_series(0, {payments - 1}) t""",
        ),
        (
            "payment entries",
            f"""INSERT INTO entries (posting, account, debit_fen, credit_fen)
            SELECT md5('t' || t)::uuid::text, side.account, side.debit, side.credit
            FROM generate_series(0, {payments - 1}) t,
            LATERAL (VALUES
                (CASE WHEN t % 5 < 2 THEN 'clearing:wechat'
                      ELSE 'drawer:' || {kiosk.format(n="t")} END, 5000 + t % 20000, 0),
                ('receivable:' || {svc.format(n=f"t % {accounts}")} || ':'
                 || {acct.format(n=f"t % {accounts}")}, 0, 5000 + t % 20000)
            ) AS side(account, debit, credit)""",
        ),
    ]
    secondary = [index for name in BIG for index in metadata.tables[name].indexes]
    with engine.begin() as conn:
        for index in secondary:
            conn.execute(text(f'DROP INDEX IF EXISTS "{index.name}"'))
    for name, sql in steps:
        began = time.monotonic()
        with engine.begin() as conn:
            count = conn.execute(text(sql)).rowcount
        print(f"  {name}: {count:,} rows in {time.monotonic() - began:.0f} s", flush=True)
    began = time.monotonic()
    with engine.begin() as conn:
        for index in secondary:
            index.create(conn)
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('bill_lines', 'id'), "
                          f"{accounts * lines_each})"))  # fmt: skip
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"  indexes and ANALYZE in {time.monotonic() - began:.0f} s", flush=True)


def hot_queries(scale: float) -> dict[str, str]:
    """The statements the hot routes send (as central/ builds them), with a
    customer of the year's parameters."""
    n = random.randrange(int(1_000_000 * scale))
    service, account = SERVICES[n % 5], f"{n:010d}"
    kiosk = f"Y-{n % int(10_000 * scale):05d}"
    where = f"service = '{service}' AND account = '{account}'"
    receivable, credit = f"receivable:{service}:{account}", f"credit:{service}:{account}"
    return {
        "credential (kiosks by token hash)": "SELECT id, group_name FROM kiosks WHERE "
        "token_hash = encode(sha256('year-token-7'::bytea), 'hex')",
        "bill lookup: the account": f"SELECT * FROM accounts WHERE {where}",
        "bill lookup: open lines": f"SELECT * FROM bill_lines WHERE {where} AND "
        "outstanding_fen > 0 ORDER BY coalesce(due_date, '9999-12-31'), id",
        "bill lookup: coupons": f"SELECT * FROM coupons WHERE {where} AND used = 0 ORDER BY id",
        "bill lookup: balances": "SELECT account, sum(debit_fen), sum(credit_fen) FROM entries "
        f"WHERE account IN ('{receivable}', '{credit}') GROUP BY account",
        "bill lookup: card reissues": f"SELECT * FROM card_reissues WHERE {where} AND done = 0",
        "bill lookup: units sold": f"SELECT period, units FROM units_sold WHERE {where}",
        "upload: known ids": "SELECT id FROM transactions WHERE id IN "
        f"('{md5_uuid(n)}', '00000000-0000-0000-0000-000000000000')",
        "upload: the kiosk's drawer (cash limits)": "SELECT account, sum(debit_fen), "
        f"sum(credit_fen) FROM entries WHERE account IN ('drawer:{kiosk}') GROUP BY account",
        "orders of a user (GET /orders?userId=)": f"SELECT * FROM orders WHERE user_id = "
        f"'{account}' AND kiosk_id = '{kiosk}' ORDER BY created_at DESC, id LIMIT 50",
        "order status (GET /payments/{id})": f"SELECT * FROM orders WHERE id = md5('o{n}') "
        f"AND kiosk_id = '{kiosk}'",
    }


def md5_uuid(n: int) -> str:
    digest = hashlib.md5(f"t{n}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"


def explain(engine: Engine, scale: float) -> None:
    with engine.connect() as conn:
        for name, sql in hot_queries(scale).items():
            conn.execute(text(sql)).all()  # warm, as a running server is
            plan = [r[0] for r in conn.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}"))]
            print(f"\n  {name}:")
            for line in plan:
                print(f"    {line}")


async def over_http(port: int, scale: float, count: int, at_once: int = 5) -> dict[str, Stats]:
    """``count`` calls of each hot read from 100 kiosks, ``at_once`` at a time, on
    kept-alive connections whose credentials the server has seen (as a running
    fleet's heartbeats keep them), each for a random customer of that kiosk."""
    kiosks, accounts = int(10_000 * scale), int(1_000_000 * scale)
    # WeChat orders are made at the kiosks whose number is 0 or 1 modulo 5 (fill)
    chosen = random.sample([k for k in range(kiosks) if k % 5 < 2], min(100, kiosks // 5))
    conns = {k: Connection(port, f"year-token-{k}") for k in chosen}
    warm = Stats()
    for conn in conns.values():
        await timed(warm, "lookup", conn, "GET", "/api/v1/orders?userId=0")
    found: dict[str, Stats] = {}
    for kind in ("orders", "lookup", "status"):
        stats = found[kind] = Stats()

        async def one(stats: Stats = stats, kind: str = kind) -> None:
            k = random.choice(chosen)
            # a WeChat payment made at kiosk k: t = k (mod kiosks), so t % 5 = k % 5 < 2
            t = k + kiosks * random.randrange(int(10_000_000 * scale) // kiosks)
            n = t % accounts
            path = {
                "orders": f"/api/v1/orders?userId={n:010d}",
                "lookup": f"/api/v1/bills/{SERVICES[n % 5]}/{n:010d}",
                "status": f"/api/v1/payments/{md5_hex(t)}",
            }[kind]
            conn = Connection(port, f"year-token-{k}")  # one call at a time a connection
            await timed(stats, "lookup", conn, "GET", path)
            conn.close()

        for _ in range(count // at_once):
            await asyncio.gather(*(one() for _ in range(at_once)))
    for conn in conns.values():
        conn.close()
    return found


def md5_hex(t: int) -> str:
    return hashlib.md5(f"o{t}".encode()).hexdigest()


def fresh(admin: Engine, reuse: bool) -> bool:
    """Whether the year's database is there to reuse; otherwise made anew."""
    with admin.connect() as conn:
        exists = conn.execute(text(f"SELECT 1 FROM pg_database WHERE datname = '{NAME}'")).first()
        if exists and reuse:
            return True
        if exists:
            conn.execute(text(f'DROP DATABASE "{NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{NAME}"'))
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1: the issue's year")
    parser.add_argument("--reuse", action="store_true", help="the database built before")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--requests", type=int, default=2000, help="HTTP calls of each read")
    args = parser.parse_args()
    admin = create_engine(f"{ADMIN}/postgres", isolation_level="AUTOCOMMIT")
    url = f"{ADMIN}/{NAME}"
    exists = fresh(admin, args.reuse)
    engine = make_engine(url)
    if not exists:
        print(f"building a year at scale {args.scale} in {NAME}:", flush=True)
        began = time.monotonic()
        fill(engine, args.scale)
        print(f"  built in {time.monotonic() - began:.0f} s", flush=True)
    with engine.connect() as conn:
        size = conn.execute(text(f"SELECT pg_size_pretty(pg_database_size('{NAME}'))")).scalar()
        counts = {t: conn.execute(text(f"SELECT reltuples::bigint FROM pg_class WHERE relname = "
                                       f"'{t}'")).scalar() for t in BIG}  # fmt: skip
    print(f"{NAME}: {size}; " + ", ".join(f"{t} ≈{c:,}" for t, c in counts.items()))
    print("hot queries, EXPLAIN (ANALYZE, BUFFERS), one random customer:")
    explain(engine, args.scale)
    http(url, args)
    engine.dispose()
    if args.drop:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{NAME}" WITH (FORCE)'))
    admin.dispose()


def http(url: str, args: argparse.Namespace) -> None:
    """The hot reads over HTTP to a real server on the year's database."""
    port = free_port()
    cli = str(Path(sys.executable).with_name("kiosk-central"))
    with open(os.devnull, "ab") as quiet, started([cli, "serve", "--db", url, "--port",
                                                    str(port)], port, quiet):  # fmt: skip
        found = asyncio.run(over_http(port, args.scale, args.requests))
    print(f"\nover HTTP, {args.requests} calls each, 5 at a time, random customers of 100 "
          "kiosks whose credentials the server holds:")  # fmt: skip
    for kind, stats in found.items():
        values = stats.durations("lookup")
        print(
            f"  {kind:7s} n={len(values)} p50 {percentile(values, 0.5):6.1f} ms  p99 "
            f"{percentile(values, 0.99):6.1f} ms  errors {len(stats.errors)}"
            + (f" ({statistics.multimode(stats.errors)[0]})" if stats.errors else "")
        )
    orders = percentile(found["orders"].durations("lookup"), 0.99)
    print(
        f"  goal: orders of a user p99 <= 50 ms on the year's database -> "
        f"{'met' if orders <= 50 and not found['orders'].errors else 'NOT met'} ({orders:.1f} ms)"
    )


if __name__ == "__main__":
    main()
