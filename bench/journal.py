"""Durable journal append vs a raw sqlite3 insert+commit, same pragmas, same run.

Prints p50 and p99 of each and their ratio (goal: journal ≤ 1.5× raw).
Both write the same row into the same table (the journal's own schema, with
its indexes) in one transaction per record with WAL and synchronous=FULL, so
both pay one fsync of the WAL per record; the difference is the journal's own
work (hash chain, canonical JSON, SQLAlchemy, the lock). The two run in
alternating rounds so that drift of the disk hits both alike.

    python bench/journal.py [--records N] [--dir PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine

from offline_queue.journal import PRAGMAS, Journal
from offline_queue.schema import metadata

DATA = {
    "value": {"minor": 10000, "currency": "CNY"},
    "service": "electricity",
    "account": "3301234567",
    "refund_to": "account_credit",
    "amount": {"minor": 16640, "currency": "CNY"},
    "method": "cash",
}
SESSION = "d52982ac-72aa-4b37-bfc2-0543b6de442f"


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def raw_open(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        db.execute(pragma)
    engine = create_engine(f"sqlite:///{path}")
    metadata.tables["journal"].create(engine)  # the journal's table and indexes
    engine.dispose()
    return db


def raw(db: sqlite3.Connection, first: int, n: int) -> list[float]:
    body = json.dumps(DATA, sort_keys=True, separators=(",", ":"))
    times = []
    for seq in range(first, first + n):
        start = time.perf_counter()
        db.execute("BEGIN")
        db.execute(
            "INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, SESSION, "note_stacked", "2026-11-24T08:30:00+00:00", body, "0" * 64,
             hashlib.sha256(str(seq).encode()).hexdigest()),
        )  # fmt: skip
        db.execute("COMMIT")
        times.append(time.perf_counter() - start)
    return times


def appends(j: Journal, n: int) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        j.append("note_stacked", SESSION, DATA)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=None, help="where the files go (a real disk)")
    args = parser.parse_args()
    rounds = 10
    per_round = max(1, args.records // rounds)
    r: list[float] = []
    j: list[float] = []
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        base = Path(folder)
        db = raw_open(base / "raw.db")
        with Journal(base / "journal.db") as journal:
            raw(db, 1_000_000, 50)  # warm up both
            appends(journal, 50)
            for k in range(rounds):
                r += raw(db, 1 + k * per_round, per_round)
                j += appends(journal, per_round)
        db.close()
    args.records = len(r)
    print(f"records per run: {args.records} (WAL, synchronous=FULL, one commit per record)")
    print(f"{'':22}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for name, t in (("raw sqlite3", r), ("journal.append", j)):
        print(
            f"{name:22}{percentile(t, 50) * 1e3:10.3f}{percentile(t, 99) * 1e3:10.3f}"
            f"{statistics.fmean(t) * 1e3:10.3f}"
        )
    print(
        f"ratio journal/raw: p50 {percentile(j, 50) / percentile(r, 50):.2f}x, "
        f"p99 {percentile(j, 99) / percentile(r, 99):.2f}x (goal <= 1.5x)"
    )


if __name__ == "__main__":
    main()
