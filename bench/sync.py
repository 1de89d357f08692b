"""Drain a backlog of journaled transactions to the local central server.

Prints the seconds and transactions per second (goal: 10,000 in ≤ 5 s), with
the server (uvicorn, SQLite file) on loopback in the same run.

    python bench/sync.py [--count N] [--batch N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from central.serve import running
from offline_queue.journal import Journal
from offline_queue.sync import SyncWorker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        with Journal(base / "journal.db") as journal, running(base / "central.db") as central:
            for n in range(args.count):
                journal.append(
                    "payment_completed", "s", {"amount": {"minor": n, "currency": "CNY"}},
                    str(uuid.uuid4()),
                )  # fmt: skip
            token = central.enroll()
            worker = SyncWorker(journal, central.url, token, batch_size=args.batch)
            start = time.perf_counter()
            left = worker.sync_once()
            seconds = time.perf_counter() - start
            worker.stop()
            counts = journal.outbox_counts()
    assert left is None and counts["sent"] == args.count, counts
    print(
        f"drained {args.count} transactions in batches of {args.batch}: "
        f"{seconds:.2f} s, {args.count / seconds:,.0f} transactions/s (goal: 10,000 in <= 5 s)"
    )


if __name__ == "__main__":
    main()
