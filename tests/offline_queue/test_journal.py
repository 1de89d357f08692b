"""The journal on real SQLite files."""

import json
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from offline_queue.journal import GENESIS, Journal, JournalError
from offline_queue.schema import metadata

FIXED = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)


def fill(journal: Journal, n: int = 5) -> None:
    for i in range(n):
        journal.append(
            "note_stacked", "s1", {"value": {"minor": 1000 * (i + 1), "currency": "CNY"}}
        )


def test_pragmas_on_every_connection(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        conn = journal._conn  # the connection appends use
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -512  # KiB, bounded
        with journal._engine.connect() as other:  # a reader's connection from the pool too
            assert other.exec_driver_sql("PRAGMA cache_size").scalar() == -512


def test_migrations_create_the_schema(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        context = MigrationContext.configure(journal._conn)
        assert context.get_current_revision() == "0002"
        assert compare_metadata(context, metadata) == []
        journal._conn.commit()


def test_chain_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path, clock=lambda: FIXED) as journal:
        fill(journal, 3)
        first = next(journal.records())
        assert first.prev_hash == GENESIS
    with Journal(path, clock=lambda: FIXED) as journal:
        entry = journal.append("session_closed", "s1", {"outcome": "paid"})
        assert entry.seq == 4
        assert journal.verify().ok
        assert journal.verify().records == 4
        assert entry.at == "2026-11-24T08:30:00.000000+00:00"


def test_transaction_goes_to_the_outbox_atomically(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        journal.append(
            "payment_completed", "s1", {"amount": {"minor": 100, "currency": "CNY"}}, "tx-1"
        )
        assert journal.outbox_ids() == ["tx-1"]
        with pytest.raises(JournalError, match="cannot append"):
            journal.append("payment_completed", "s1", {"again": True}, "tx-1")
        # the failed append left neither a record nor a gap in the chain
        assert journal.last_seq == 1
        assert [e.seq for e in journal.records()] == [1]
        journal.append("session_closed", "s1", {})
        assert journal.verify().ok


def test_records_cannot_be_changed_or_deleted(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as journal:
        fill(journal)
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE journal SET data = '{}' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM journal WHERE seq = 2")
    db.close()


def tamper(path: Path, statement: str) -> None:
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER journal_no_update")
    db.execute("DROP TRIGGER journal_no_delete")
    db.execute(statement)
    db.commit()
    db.close()


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        (
            'UPDATE journal SET data = \'{"value":{"currency":"CNY","minor":99900}}\''
            " WHERE seq = 3",
            "record 3 (note_stacked): hash does not match its content",
        ),
        (
            "DELETE FROM journal WHERE seq = 3",
            "record 4 (note_stacked): sequence jumps from 2 to 4",
        ),
        (
            "UPDATE journal SET prev_hash = hash WHERE seq = 4",
            "record 4 (note_stacked): does not chain",
        ),
    ],
)
def test_verify_names_the_first_bad_record(tmp_path: Path, statement: str, reason: str) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as journal:
        fill(journal)
    tamper(path, statement)
    with Journal(path) as journal:
        verdict = journal.verify()
    assert not verdict.ok
    assert verdict.reason is not None and verdict.reason.startswith(reason)


def test_floats_are_refused(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        with pytest.raises(TypeError, match="floats never go into the journal"):
            journal.append("note_stacked", "s1", {"value": {"minor": 10.0, "currency": "CNY"}})
        assert journal.last_seq == 0


def test_export_writes_json_lines(tmp_path: Path) -> None:
    out = tmp_path / "export.jsonl"
    with Journal(tmp_path / "j.db") as journal:
        fill(journal, 2)
        with out.open("w", encoding="utf-8") as fh:
            assert journal.export(fh) == 2
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["seq"] for line in lines] == [1, 2]
    assert lines[1]["data"] == {"value": {"minor": 2000, "currency": "CNY"}}
    assert lines[1]["prev_hash"] == lines[0]["hash"]


def test_a_killed_writer_loses_no_acknowledged_record(tmp_path: Path) -> None:
    """Every record whose append returned is there after the process is killed."""
    path = tmp_path / "j.db"
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from offline_queue.journal import Journal
        journal = Journal(Path({str(path)!r}))
        for i in range(100000):
            value = {{"minor": 100, "currency": "CNY"}}
            entry = journal.append("note_stacked", "s", {{"value": value}})
            print(entry.seq, flush=True)
        """
    )
    acknowledged = 0
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            acknowledged = int(line)
            if acknowledged >= 50:
                child.kill()
                break
    assert acknowledged >= 50
    with Journal(path) as journal:
        assert journal.last_seq >= acknowledged
        assert journal.verify().ok
