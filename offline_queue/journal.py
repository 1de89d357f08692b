"""The durable journal and outbox on SQLite.

Guarantees:

* every connection runs with ``journal_mode=WAL``, ``synchronous=FULL`` and
  ``foreign_keys=ON``: when ``append`` returns, the record survives a power cut;
* records are append-only (SQLite triggers refuse UPDATE and DELETE) and each
  carries ``hash = sha256(seq, session, kind, at, data, prev_hash)``, chained
  to the record before it, so ``verify`` finds any edit and names the record;
* a record that is a transaction goes into the outbox in the *same* SQLite
  transaction, keyed by its UUID (the idempotency key the server dedupes on);
* one process owns a journal: sequence numbers are assigned here, and a second
  writer fails on the primary key instead of forking the chain;
* data is JSON without floats: money is integer minor units;
* old records leave the live journal only into an archive
  (``offline_queue/archive.py``): its row keeps the hash of the last record
  it took, the chain goes on from there, and the trigger refuses to delete
  any record no archive row covers.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

from offline_queue.schema import journal, journal_archive, outbox

GENESIS = "0" * 64
_INSERT_RECORD = (
    "INSERT INTO journal (seq, session, kind, at, data, prev_hash, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_OUTBOX = "INSERT INTO outbox (id, seq, kind, payload, created_at) VALUES (?, ?, ?, ?, ?)"
# The page cache of each connection is bounded explicitly (SQLite's default
# is 2 MB each, and the pool holds several): the soak saw the kiosk's memory
# climb for hours while the caches filled (bench/soak.py).
CACHE_KIB = 512
PRAGMAS = (
    "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
    f"PRAGMA cache_size=-{CACHE_KIB}",
)  # fmt: skip


class JournalError(RuntimeError):
    """The journal cannot be opened or written."""


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    session: str | None
    kind: str
    at: str
    data: dict[str, Any]
    prev_hash: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "session": self.session,
            "kind": self.kind,
            "at": self.at,
            "data": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class Anchor:
    """One archive of old records: where the live chain goes on from."""

    first_seq: int
    last_seq: int
    last_hash: str
    file: str
    sha256: str
    records: int
    transactions: int
    at: str


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: str
    kind: str
    created_at: str
    reason: str


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    records: int
    first_bad: int | None = None
    reason: str | None = None


def _no_float(text: str) -> Any:
    raise TypeError(f"floats never go into the journal: {text}")


_FLOAT_CHECK = json.JSONDecoder(parse_float=_no_float)  # one decoder, not one per record


def canonical(value: object) -> str:
    """Canonical JSON; a float anywhere is refused (TypeError)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    _FLOAT_CHECK.decode(text)  # the C decoder calls the hook on floats only
    return text


def chain_hash(seq: int, session: str | None, kind: str, at: str, data: str, prev: str) -> str:
    """sha256 over the record's fields joined by the ASCII unit separator (none of
    the fields can hold it: JSON escapes control characters)."""
    material = "\x1f".join((str(seq), session or "", kind, at, data, prev))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _set_pragmas(dbapi_connection: DBAPIConnection, _: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def make_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite+pysqlite:///{path}", connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _set_pragmas)
    return engine


def migrate(connection: Connection) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def utc_now() -> datetime:
    return datetime.now(UTC)


class Journal:
    """The kiosk's journal. Thread-safe: appends are serialized by a lock."""

    def __init__(self, path: Path, clock: Callable[[], datetime] = utc_now) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._engine = make_engine(path)
        try:
            self._conn = self._engine.connect()
            with self._conn.begin():
                migrate(self._conn)
            last = self._conn.execute(
                select(journal.c.seq, journal.c.hash).order_by(journal.c.seq.desc()).limit(1)
            ).first()
            anchor = self._conn.execute(_ANCHORS.limit(1)).first()
            self._conn.commit()
        except Exception as exc:
            self._engine.dispose()
            raise JournalError(f"{path}: cannot open the journal: {exc}") from exc
        self._seq, self._hash = 0, GENESIS
        if last is not None:
            self._seq, self._hash = int(last.seq), str(last.hash)
        elif anchor is not None:  # everything archived: the chain goes on from the anchor
            self._seq, self._hash = int(anchor.last_seq), str(anchor.last_hash)

    def close(self) -> None:
        self._conn.close()
        self._engine.dispose()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def last_seq(self) -> int:
        return self._seq

    def append(
        self,
        kind: str,
        session: str | None,
        data: Mapping[str, Any],
        transaction: str | None = None,
    ) -> Entry:
        """Write one record (and its outbox row) durably; return it once on disk."""
        body = canonical(data)
        with self._lock:
            at = self._clock().astimezone(UTC).isoformat(timespec="microseconds")
            seq, previous = self._seq + 1, self._hash
            digest = chain_hash(seq, session, kind, at, body, previous)
            try:
                # Driver SQL on the hot path: the compiled-statement machinery of
                # Core costs more than the fsync on a fast disk (bench/journal.py).
                with self._conn.begin():
                    self._conn.exec_driver_sql(
                        _INSERT_RECORD, (seq, session, kind, at, body, previous, digest)
                    )
                    if transaction is not None:
                        payload = canonical(
                            {"kind": kind, "session": session, "at": at, "data": data}
                        )
                        self._conn.exec_driver_sql(
                            _INSERT_OUTBOX, (transaction, seq, kind, payload, at)
                        )
            except Exception as exc:
                reason = getattr(exc, "orig", None) or exc  # the database's own words
                raise JournalError(f"cannot append {kind} record {seq}: {reason}") from exc
            self._seq, self._hash = seq, digest
        return Entry(seq, session, kind, at, json.loads(body), previous, digest)

    # -- reading ------------------------------------------------------------
    def _read(self, query: Any) -> Sequence[Any]:
        """The rows of a query, in a read transaction of its own."""
        with self._lock:
            try:
                rows = self._conn.execute(query).all()
                self._conn.commit()
            except OperationalError as exc:  # locked by another process, disk gone
                self._conn.rollback()
                raise JournalError(f"cannot read the journal: {exc.orig}") from exc
        return rows

    def _entries(self, query: Any) -> Iterator[Entry]:
        for r in self._read(query):
            yield _entry(r)

    def records(self, after: int = 0) -> Iterator[Entry]:
        return self._entries(select(journal).where(journal.c.seq > after).order_by(journal.c.seq))

    def records_of(self, kinds: Sequence[str], after: int = 0) -> Iterator[Entry]:
        """Records of these kinds after ``after``, oldest first."""
        query = (
            select(journal)
            .where(journal.c.kind.in_(kinds), journal.c.seq > after)
            .order_by(journal.c.seq)
        )
        return self._entries(query)

    def session_records(self, sessions: Sequence[str]) -> Iterator[Entry]:
        query = select(journal).where(journal.c.session.in_(sessions)).order_by(journal.c.seq)
        return self._entries(query)

    def latest(self, kinds: Sequence[str], limit: int = 1) -> list[Entry]:
        """The newest records of these kinds, newest first."""
        query = (
            select(journal)
            .where(journal.c.kind.in_(kinds))
            .order_by(journal.c.seq.desc())
            .limit(limit)
        )
        return list(self._entries(query))

    def transaction(self, transaction: str) -> Entry | None:
        """The record that carries ``transaction`` (an outbox id)."""
        query = (
            select(journal)
            .join(outbox, outbox.c.seq == journal.c.seq)
            .where(outbox.c.id == transaction)
        )
        return next(self._entries(query), None)

    def latest_transactions(self, kind: str, limit: int = 50) -> list[tuple[str, Entry]]:
        """The newest records of ``kind`` that carry a transaction, with its id."""
        query = (
            select(journal, outbox.c.id.label("transaction_id"))
            .join(outbox, outbox.c.seq == journal.c.seq)
            .where(journal.c.kind == kind)
            .order_by(journal.c.seq.desc())
            .limit(limit)
        )
        return [(str(row.transaction_id), _entry(row)) for row in self._read(query)]

    def last_of_kind(self, kind: str) -> int:
        """Sequence number of the newest record of ``kind``, or 0."""
        value = self._read(select(func.max(journal.c.seq)).where(journal.c.kind == kind))[0][0]
        return int(value or 0)

    def first_of_kind(self, kind: str) -> int:
        """Sequence number of the oldest live record of ``kind``, or 0."""
        value = self._read(select(func.min(journal.c.seq)).where(journal.c.kind == kind))[0][0]
        return int(value or 0)

    def sessions_after(self, seq: int) -> list[str]:
        query = (
            select(journal.c.session)
            .where(journal.c.seq > seq, journal.c.session.is_not(None))
            .group_by(journal.c.session)
            .order_by(func.min(journal.c.seq))
        )
        return [row[0] for row in self._read(query)]

    # -- the outbox, for the sync worker -------------------------------------
    def outbox_pending(
        self, limit: int, kinds: Sequence[str] | None = None
    ) -> list[tuple[str, str, dict[str, Any]]]:
        """Up to ``limit`` transactions not yet sent and not dead, of ``kinds`` if
        given: (id, kind, payload)."""
        query = (
            select(outbox.c.id, outbox.c.kind, outbox.c.payload)
            .where(outbox.c.sent_at.is_(None), outbox.c.dead == 0)
            .order_by(outbox.c.seq)
            .limit(limit)
        )
        if kinds is not None:
            query = query.where(outbox.c.kind.in_(list(kinds)))
        return [(r.id, r.kind, json.loads(r.payload)) for r in self._read(query)]

    def outbox_mark(self, ids: Sequence[str], *, sent: bool, error: str | None = None) -> None:
        """Sent (the server has them), or dead (rejected: kept, with the reason)."""
        if not ids:
            return
        at = self._clock().astimezone(UTC).isoformat(timespec="microseconds")
        values: dict[str, Any] = {"sent_at": at} if sent else {"dead": 1, "last_error": error}
        with self._lock, self._conn.begin():
            self._conn.execute(outbox.update().where(outbox.c.id.in_(list(ids))).values(**values))

    def outbox_attempted(self, ids: Sequence[str], error: str) -> None:
        with self._lock, self._conn.begin():
            self._conn.execute(
                outbox.update()
                .where(outbox.c.id.in_(list(ids)))
                .values(attempts=outbox.c.attempts + 1, last_error=error)
            )

    def outbox_counts(self) -> dict[str, int]:
        query = select(
            func.count().filter(outbox.c.sent_at.is_(None), outbox.c.dead == 0),
            func.count().filter(outbox.c.sent_at.is_not(None)),
            func.count().filter(outbox.c.dead == 1),
        )
        pending, sent, dead = self._read(query)[0]
        return {"pending": int(pending), "sent": int(sent), "dead": int(dead)}

    def outbox_times(self) -> tuple[str | None, str | None]:
        """(when the oldest unsent transaction was made, when the last one was sent)."""
        query = select(
            func.min(outbox.c.created_at).filter(outbox.c.sent_at.is_(None), outbox.c.dead == 0),
            func.max(outbox.c.sent_at),
        )
        oldest, last = self._read(query)[0]
        return oldest, last

    def outbox_dead(self, limit: int = 100) -> list[DeadLetter]:
        """Transactions the server rejected, newest first, with its reason."""
        query = (
            select(outbox.c.id, outbox.c.kind, outbox.c.created_at, outbox.c.last_error)
            .where(outbox.c.dead == 1)
            .order_by(outbox.c.seq.desc())
            .limit(limit)
        )
        return [
            DeadLetter(r.id, r.kind, r.created_at, r.last_error or "") for r in self._read(query)
        ]

    def outbox_revive(self, ids: Sequence[str]) -> int:
        """Put dead letters back in the queue (a technician's retry); how many."""
        if not ids:
            return 0
        with self._lock, self._conn.begin():
            result = self._conn.execute(
                outbox.update()
                .where(outbox.c.id.in_(list(ids)), outbox.c.dead == 1)
                .values(dead=0, attempts=0, next_attempt_at=None)
            )
        return int(result.rowcount)

    def outbox_count(self) -> int:
        value = self._read(select(func.count()).select_from(outbox))[0][0]
        return int(value or 0)

    def outbox_ids(self) -> list[str]:
        return [r[0] for r in self._read(select(outbox.c.id).order_by(outbox.c.seq))]

    # -- archiving (offline_queue/archive.py) ------------------------------
    def anchors(self) -> list[Anchor]:
        """The archives taken, newest first."""
        return [Anchor(**row._asdict()) for row in self._read(_ANCHORS)]

    def archive_cut(self, before: str, keep_from: int) -> int:
        """The newest record an archive may take (0: none): every record up to it
        is older than ``before``, below ``keep_from``, has its transaction
        confirmed by the server (sent; a dead letter or an unsent one stops
        the cut), and no session is split by it."""
        start = self._archived()
        limits = [self._seq, keep_from - 1]
        young = self._read(select(func.min(journal.c.seq)).where(journal.c.at >= before))[0][0]
        waiting = outbox.c.sent_at.is_(None) | (outbox.c.dead == 1)
        unsent = self._read(select(func.min(outbox.c.seq)).where(waiting))[0][0]
        limits += [int(v) - 1 for v in (young, unsent) if v is not None]
        cut = min(limits)
        while cut > start:  # move before the first record of any session it splits
            later = select(journal.c.session).where(
                journal.c.seq > cut, journal.c.session.is_not(None)
            )
            split = self._read(
                select(func.min(journal.c.seq)).where(
                    journal.c.seq <= cut, journal.c.seq > start, journal.c.session.in_(later)
                )
            )[0][0]
            if split is None:
                break
            cut = int(split) - 1
        return cut if cut > start else 0

    def archive_records(self, upto: int, page: int = 5000) -> Iterator[tuple[Entry, str | None]]:
        """The live records up to ``upto`` not yet archived, oldest first, each
        with its transaction id (None: not a transaction); read a page at a time."""
        after = self._archived()
        while after < upto:
            query = (
                select(journal, outbox.c.id.label("transaction_id"))
                .outerjoin(outbox, outbox.c.seq == journal.c.seq)
                .where(journal.c.seq > after, journal.c.seq <= upto)
                .order_by(journal.c.seq)
                .limit(page)
            )
            rows = self._read(query)
            if not rows:
                return
            for row in rows:
                yield _entry(row), row.transaction_id
            after = rows[-1].seq

    def add_anchor(self, anchor: Anchor) -> None:
        """Record an archive (its file already safe on disk): from now on the
        records it covers may be deleted, and the chain goes on from it."""
        with self._lock, self._conn.begin():
            self._conn.execute(journal_archive.insert().values(**asdict(anchor)))

    def drop_archived(self, chunk: int = 500, rest: float = 1.0) -> int:
        """Delete the live records (and their outbox rows) every archive covers,
        ``chunk`` records per SQLite transaction, resting ``rest`` times as long
        as each took before the next, so the kiosk's own appends (another
        process) never wait long for the write lock; how many went. Safe to
        repeat after a crash: an anchor with records still under it is
        finished here."""
        upto, dropped = self._archived(), 0
        while True:
            started = time.monotonic()
            with self._lock, self._conn.begin():
                low = self._conn.execute(
                    select(func.min(journal.c.seq)).where(journal.c.seq <= upto)
                ).scalar()
                if low is None:
                    return dropped
                high = min(int(low) + chunk - 1, upto)
                self._conn.execute(outbox.delete().where(outbox.c.seq <= high))
                result = self._conn.execute(journal.delete().where(journal.c.seq <= high))
                dropped += int(result.rowcount)
            time.sleep((time.monotonic() - started) * rest)

    def transactions_total(self) -> int:
        """Transactions this journal ever held: in the outbox and in its archives."""
        return self.outbox_count() + sum(a.transactions for a in self.anchors())

    def _archived(self) -> int:
        """The last record any archive covers (0: none)."""
        value = self._read(select(func.max(journal_archive.c.last_seq)))[0][0]
        return int(value or 0)

    # -- checking and export ------------------------------------------------
    def verify(self) -> Verdict:
        """Walk the live chain from the newest archive's anchor (from the
        genesis when nothing is archived); name the first record that does
        not fit."""
        anchors = self.anchors()
        previous_seq, previous_hash, count = 0, GENESIS, 0
        if anchors:
            previous_seq, previous_hash = anchors[0].last_seq, anchors[0].last_hash
        query = select(journal).where(journal.c.seq > previous_seq).order_by(journal.c.seq)
        with self._lock:
            result = self._conn.execute(query)
            try:
                for r in result:
                    count += 1
                    reason = _check(r, previous_seq, previous_hash)
                    if reason is not None:
                        return Verdict(False, count, r.seq, f"record {r.seq} ({r.kind}): {reason}")
                    previous_seq, previous_hash = r.seq, r.hash
            finally:
                result.close()
                self._conn.commit()
        return Verdict(True, count)

    def export(self, out: IO[str]) -> int:
        """Write every record as one JSON line; return how many."""
        count = 0
        for entry in self.records():
            out.write(json.dumps(entry.to_json(), ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
        return count


_ANCHORS = select(journal_archive).order_by(journal_archive.c.last_seq.desc())


def _check(row: Any, previous_seq: int, previous_hash: str) -> str | None:
    if row.seq != previous_seq + 1:
        return f"sequence jumps from {previous_seq} to {row.seq} (a record is missing)"
    if row.prev_hash != previous_hash:
        return "does not chain to the record before it"
    expected = chain_hash(row.seq, row.session, row.kind, row.at, row.data, row.prev_hash)
    if row.hash != expected:
        return "hash does not match its content (edited)"
    return None


def _entry(r: Any) -> Entry:
    return Entry(r.seq, r.session, r.kind, r.at, json.loads(r.data), r.prev_hash, r.hash)
