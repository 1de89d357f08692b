"""Old journal records moved out of the live journal, into compressed files.

A busy kiosk writes about 700,000 records a year, close to a gigabyte in
SQLite. Records older than a set number of months whose transactions the
central server has confirmed are written, as JSON lines, to a gzip file in
the archive folder (``journal-<first>-<last>.jsonl.gz``): written under a
temporary name, its chain checked from the previous anchor, synced, renamed
into place. Only then does an anchor row go into the journal (the file's
name, its sha256, the hash of the last record it holds), and only then are
the records deleted — 500 per SQLite transaction, with a rest after each,
so the kiosk's own appends never wait long. A crash at any point leaves either no anchor
(the file is written again next time) or an anchor whose records are
deleted on the next run; ``Journal.verify`` goes on from the anchor, and
``check`` proves each archive file still there against its anchor.

Which records may go is the caller's to bound (``keep_from``): the kiosk
keeps what its own state is computed from (the cashbox since the last
collection, the last recovery; ``kiosk.ledger.archive_floor``).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from config import rotation
from offline_queue.files import sha256_of
from offline_queue.journal import GENESIS, Anchor, Journal, canonical, chain_hash

SUFFIX = ".jsonl.gz"
DAYS_PER_MONTH = 30  # "older than N months": N × 30 days


class ArchiveError(RuntimeError):
    """An archive that cannot be written (a broken chain is never archived)."""


@dataclass(frozen=True, slots=True)
class Check:
    """What ``check`` found for one archive."""

    anchor: Anchor
    state: str  # "ok", "absent" (moved off the kiosk), "bad"
    reason: str = ""


def horizon(now: datetime, months: int) -> str:
    """The ISO time before which records may be archived."""
    return (now - timedelta(days=months * DAYS_PER_MONTH)).isoformat(timespec="microseconds")


def take(
    journal: Journal, folder: Path, *, before: str, keep_from: int, now: datetime
) -> Anchor | None:
    """Archive what may go (see the module); the new anchor, or None when
    nothing may. A previous run's unfinished deletes are finished first."""
    journal.drop_archived()
    cut = journal.archive_cut(before, keep_from)
    if cut == 0:
        return None
    anchors = journal.anchors()
    previous = (anchors[0].last_seq, anchors[0].last_hash) if anchors else (0, GENESIS)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    part = folder / f"archive{SUFFIX}.part"
    first, last, count, transactions = 0, previous, 0, 0
    with gzip.open(part, "wt", encoding="utf-8", compresslevel=9) as out:
        for entry, transaction in journal.archive_records(cut):
            if entry.seq != last[0] + 1 or entry.prev_hash != last[1]:
                part.unlink()
                raise ArchiveError(f"record {entry.seq} does not chain on: nothing archived")
            first = first or entry.seq
            out.write(_line(entry.to_json(), transaction))
            last, count = (entry.seq, entry.hash), count + 1
            transactions += transaction is not None
    final = folder / f"journal-{first:010d}-{last[0]:010d}{SUFFIX}"
    rotation.put_in_place(part, final)
    anchor = Anchor(
        first, last[0], last[1], final.name, sha256_of(final), count, transactions,
        now.isoformat(timespec="seconds"),
    )  # fmt: skip
    journal.add_anchor(anchor)
    journal.drop_archived()
    return anchor


def check(journal: Journal, folder: Path) -> list[Check]:
    """Each archive, oldest first: its file's sha256 against its anchor, and its
    records' chain from the anchor before it to its own."""
    found = []
    previous = GENESIS
    for anchor in reversed(journal.anchors()):
        path = folder / anchor.file
        if not path.exists():
            found.append(Check(anchor, "absent", f"{anchor.file} is not on this kiosk"))
        elif sha256_of(path) != anchor.sha256:
            found.append(Check(anchor, "bad", f"{anchor.file}: its sha256 is not the anchor's"))
        else:
            reason = _walk(path, anchor, previous)
            found.append(Check(anchor, "bad" if reason else "ok", reason or ""))
        previous = anchor.last_hash
    return found


def read(path: Path) -> list[dict[str, Any]]:
    """An archive's lines: ``{"record": …, "transaction": id | None}``."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def _walk(path: Path, anchor: Anchor, previous: str) -> str | None:
    seq, count = anchor.first_seq - 1, 0
    try:
        lines = read(path)
    except (OSError, EOFError, ValueError) as exc:
        return f"{anchor.file}: unreadable: {exc}"
    for line in lines:
        r = line["record"]
        data = canonical(r["data"])
        if r["seq"] != seq + 1 or r["prev_hash"] != previous:
            return f"{anchor.file}: record {r['seq']} does not chain on"
        if chain_hash(r["seq"], r["session"], r["kind"], r["at"], data, previous) != r["hash"]:
            return f"{anchor.file}: record {r['seq']} does not match its hash (edited)"
        seq, previous, count = r["seq"], r["hash"], count + 1
    if (seq, previous, count) != (anchor.last_seq, anchor.last_hash, anchor.records):
        return f"{anchor.file}: it ends at record {seq}, its anchor at {anchor.last_seq}"
    return None


def _line(record: dict[str, object], transaction: str | None) -> str:
    return json.dumps({"record": record, "transaction": transaction}, ensure_ascii=False) + "\n"
