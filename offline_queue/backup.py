"""``kiosk backup``: an online copy of the journal, checked, kept 14 days.

The copy is SQLite's own (``VACUUM INTO``: a consistent snapshot taken while
the kiosk keeps writing, in WAL mode), written under a temporary name, then
checked — ``PRAGMA integrity_check`` and the journal's hash chain walked
from the first record — and only then renamed into place and the folder
synced: a copy in the folder is always a whole, checked one. Of the copies,
the newest of each of the last ``KEEP_DAYS`` days is kept.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from config import rotation
from offline_queue.journal import Journal, JournalError

KEEP_DAYS = 14
PREFIX = "journal-"


class BadCopy(ValueError):
    """A copy that does not pass its checks (never kept, never restored)."""


@dataclass(frozen=True, slots=True)
class Held:
    """What the central server holds of this kiosk's uploads."""

    count: int
    newest: str | None


@dataclass(frozen=True, slots=True)
class Copy:
    path: Path
    records: int
    last_seq: int
    size: int


def check(path: Path) -> Copy:
    """The copy's figures, or BadCopy naming what is wrong with it."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BadCopy(f"{path}: not an SQLite database: {exc}") from None
    if verdict != "ok":
        raise BadCopy(f"{path}: integrity check failed: {verdict}")
    try:
        with Journal(path) as journal:
            chained = journal.verify()
            last = journal.last_seq
    except JournalError as exc:
        raise BadCopy(str(exc)) from None
    if not chained.ok:
        raise BadCopy(f"{path}: the hash chain is broken at {chained.reason}")
    return Copy(path, chained.records, last, path.stat().st_size)


def take(journal_path: Path, folder: Path, now: datetime) -> Copy:
    """A checked copy of ``journal_path`` in ``folder``; older copies pruned."""
    if not journal_path.exists():
        raise FileNotFoundError(f"{journal_path}: no journal to back up")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = folder / f"{PREFIX}{now:%Y%m%d-%H%M%S}.db"
    part = final.with_suffix(".db.part")
    part.unlink(missing_ok=True)
    with sqlite3.connect(journal_path) as conn:
        conn.execute("VACUUM INTO ?", (str(part),))
    try:
        copy = check(part)
    except BadCopy:
        part.unlink(missing_ok=True)
        raise
    rotation.put_in_place(part, final)
    prune(folder)
    return Copy(final, copy.records, copy.last_seq, copy.size)


def copies(folder: Path) -> list[Path]:
    """The copies in ``folder``, newest first."""
    return sorted(folder.glob(f"{PREFIX}*.db"), reverse=True)


def prune(folder: Path, keep_days: int = KEEP_DAYS) -> list[Path]:
    """Keep the newest copy of each of the newest ``keep_days`` days; the removed."""
    return rotation.keep_daily(copies(folder), PREFIX, keep_days)


def older_than_the_server(copy: Path, held: Held) -> str | None:
    """Why the copy is older than what the server holds, or None: the server's
    newest upload from this kiosk, or more of them, missing from the copy."""
    with Journal(copy) as journal:
        ids = set(journal.outbox_ids())
        total = journal.transactions_total()  # archived ones too
        archived = journal.anchors()
    if held.newest is not None and held.newest not in ids and not archived:
        return f"it lacks {held.newest}, the newest transaction the central server holds"
    if total < held.count:
        return f"it holds {total} transactions, the central server {held.count} of this kiosk's"
    return None


def restore(copy: Path, journal_path: Path, held: Held | None, now: datetime) -> Path:
    """The checked copy in place of the journal; the journal it replaces is
    kept beside it (its name returned). ``held``: what the server holds (None:
    not enrolled, nothing there); a copy older than that is refused."""
    check(copy)
    if held is not None:
        why = older_than_the_server(copy, held)
        if why is not None:
            raise BadCopy(f"{copy}: older than the central server's: {why}")
    kept = journal_path.with_name(f"{journal_path.name}.before-restore-{now:%Y%m%d-%H%M%S}")
    part = journal_path.with_name(journal_path.name + ".restoring")
    with sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as source, sqlite3.connect(part) as to:
        source.backup(to)
    rotation.sync(part)
    if journal_path.exists():
        os.replace(journal_path, kept)
    for extra in ("-wal", "-shm"):  # the old journal's log goes with it
        side = journal_path.with_name(journal_path.name + extra)
        if side.exists():
            os.replace(side, kept.with_name(kept.name + extra))
    rotation.put_in_place(part, journal_path)
    return kept
