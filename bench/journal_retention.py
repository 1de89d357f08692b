"""Retention on a busy kiosk's year of journal: what archiving at 3 months
takes and gives back, and what the kiosk's own appends feel meanwhile.

On a copy of ``bench/year_journal.py``'s year (700,000 records in the real
flow's shapes, every transaction confirmed): a durable writer appends a
record every 5 ms for 2 s (the baseline), then goes on while ``kiosk
journal archive``'s work runs (``archive.take`` with the kiosk's floor);
its append latencies in both phases, the archive's time, sizes before and
after, the pages SQLite keeps free for reuse, then another month of records
appended to show the file does not grow while they fill those pages, and the
time to verify the live chain and to check the archive file.

    python bench/journal_retention.py [--records 700000]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import year_journal
from kiosk.ledger import archive_floor
from offline_queue import archive
from offline_queue.journal import Anchor, Journal

MONTHS = 3
INTERVAL_S = 0.005


def pages(path: Path) -> tuple[int, int, int]:
    """File size, page count, free pages."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        count = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    return path.stat().st_size, count, free


class Writer(threading.Thread):
    """The kiosk: a durable append every ``INTERVAL_S``, each one timed."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.journal = Journal(path)
        self.latencies: list[list[float]] = [[]]
        self.stop = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            started = time.perf_counter()
            self.journal.append("maintenance", None, {"action": "bench", "n": n})
            self.latencies[-1].append((time.perf_counter() - started) * 1000)
            n += 1
            time.sleep(INTERVAL_S)
        self.journal.close()


def p99(ms: list[float]) -> float:
    return sorted(ms)[int(len(ms) * 0.99) - 1]


def figures(name: str, ms: list[float]) -> str:
    return (
        f"{name}: {len(ms)} appends, p50 {statistics.median(ms):.2f} ms, "
        f"p99 {p99(ms):.2f} ms, max {max(ms):.1f} ms"
    )


def month_more(path: Path, records: int) -> None:
    """Another month of records, fast (no fsync): as the kiosk would append them."""
    with Journal(path) as journal:
        journal._conn.exec_driver_sql("PRAGMA synchronous=OFF")
        journal._conn.commit()
        for n in range(records):
            data = {"action": "bench", "n": n, "note": "a month more of the kiosk's records"}
            journal.append("maintenance", None, data)


def archive_while_writing(db: Path, folder: Path) -> Anchor:
    """The archive, timed, with the kiosk's appends timed before and during it."""
    writer = Writer(db)
    writer.start()
    time.sleep(2)
    writer.latencies.append([])
    now = datetime.now(UTC)
    started = time.monotonic()
    with Journal(db) as journal:
        floor = archive_floor(journal)
        anchor = archive.take(journal, folder, before=archive.horizon(now, MONTHS),
                              keep_from=floor, now=now)  # fmt: skip
    took = time.monotonic() - started
    writer.stop.set()
    writer.join()
    assert anchor is not None
    baseline, during = writer.latencies
    print(figures("appends before the archive", baseline))
    print(figures("appends during the archive", during))
    print(f"p99 during / before: {p99(during) / p99(baseline):.2f}x")
    archived = (folder / anchor.file).stat().st_size
    print(f"archive: records {anchor.first_seq}-{anchor.last_seq} ({anchor.records} records, "
          f"{anchor.transactions} transactions) in {took:.1f} s, "
          f"{archived / 2**20:.1f} MiB gzip "
          f"({archived / anchor.records:.0f} bytes a record)")  # fmt: skip
    return anchor


def after(db: Path, folder: Path, anchor: Anchor, records: int) -> None:
    """Sizes after the archive, then a month more, then the checks' times."""
    size, count, free = pages(db)
    live = year_journal.records_in(db) - anchor.last_seq
    print(f"after: {live} live records, {size / 2**20:.0f} MiB, {count} pages, "
          f"{free} free ({free * 100 / count:.0f}% of the file, for reuse)")  # fmt: skip
    compact = db.with_name("compact.db")
    with sqlite3.connect(db) as conn:
        conn.execute("VACUUM INTO ?", (str(compact),))
    print(f"its content, compacted (VACUUM INTO, as kiosk backup copies it): "
          f"{compact.stat().st_size / 2**20:.0f} MiB")  # fmt: skip
    compact.unlink()
    month = records // 12
    month_more(db, month)
    size3, _, free3 = pages(db)
    print(f"a month more ({month} records): {size3 / 2**20:.0f} MiB "
          f"({(size3 - size) / 2**20:+.0f} MiB), {free3} free pages")  # fmt: skip
    started = time.monotonic()
    with Journal(db) as journal:
        verdict = journal.verify()
        verify_s = time.monotonic() - started
        started = time.monotonic()
        states = [c.state for c in archive.check(journal, folder)]
        check_s = time.monotonic() - started
    print(f"verify the live chain: {verdict.records} records in {verify_s:.1f} s "
          f"({'ok' if verdict.ok else verdict.reason}); "
          f"check the archive: {states} in {check_s:.1f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=year_journal.RECORDS)
    args = parser.parse_args()
    year = year_journal.make(year_journal.DEFAULT, args.records)
    with tempfile.TemporaryDirectory(prefix="retention-") as tmp:
        db, folder = Path(tmp) / "journal.db", Path(tmp) / "archive"
        with sqlite3.connect(year) as source, sqlite3.connect(db) as copy:
            source.backup(copy)
        with sqlite3.connect(db) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
        size, count, free = pages(db)
        print(f"before: {year_journal.records_in(db)} records, {size / 2**20:.0f} MiB, "
              f"{count} pages, {free} free")  # fmt: skip
        anchor = archive_while_writing(db, folder)
        after(db, folder, anchor, args.records)
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
