"""``kiosk backup``: a checked online copy of the journal, 14 days kept; a
copy that fails its checks is never kept."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from launcher.cli import main
from offline_queue import backup
from offline_queue.journal import Journal

NOW = datetime(2026, 12, 3, 3, 15, tzinfo=UTC)


def _journal(path: Path, records: int) -> None:
    with Journal(path) as journal:
        for n in range(records):
            journal.append("payment_completed", f"s{n}", {"amount": {"minor": 100 + n}}, f"tx-{n}")


def test_a_backup_is_a_checked_copy_of_every_record(tmp_path: Path) -> None:
    _journal(tmp_path / "journal.db", 50)
    copy = backup.take(tmp_path / "journal.db", tmp_path / "backups", NOW)
    assert copy.path.name == "journal-20261203-031500.db"
    assert (copy.records, copy.last_seq) == (50, 50)
    with Journal(copy.path) as restored:
        assert restored.verify().ok
        assert [r.session for r in restored.records()][-1] == "s49"
    assert not list((tmp_path / "backups").glob("*.part"))


def test_a_backup_taken_while_the_kiosk_writes_is_whole(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    _journal(db, 10)
    done = threading.Event()

    def writing() -> None:
        with Journal(db) as journal:
            n = 0
            while not done.is_set():
                journal.append("payment_completed", f"w{n}", {"n": n}, f"w-{n}")
                n += 1

    writer = threading.Thread(target=writing)
    writer.start()
    checked = []
    try:
        for day in range(5):  # a copy a day, each checked as it is taken
            copy = backup.take(db, tmp_path / "b", NOW + timedelta(days=day))
            checked.append(backup.check(copy.path).records == copy.records >= 10)
    finally:
        done.set()
        writer.join()
    assert checked == [True] * 5


def test_fourteen_days_are_kept_the_newest_copy_of_each(tmp_path: Path) -> None:
    _journal(tmp_path / "journal.db", 3)
    for day in range(20):
        for hour in (3, 15):
            at = NOW - timedelta(days=day) + timedelta(hours=hour - 3)
            backup.take(tmp_path / "journal.db", tmp_path / "b", at)
    kept = backup.copies(tmp_path / "b")
    assert len(kept) == 14
    assert kept[0].name == "journal-20261203-151500.db"
    assert kept[-1].name == "journal-20261120-151500.db"


def test_a_corrupt_copy_is_refused(tmp_path: Path) -> None:
    _journal(tmp_path / "journal.db", 20)
    copy = backup.take(tmp_path / "journal.db", tmp_path / "b", NOW)
    data = bytearray(copy.path.read_bytes())
    for page in range(4096, len(data), 4096):  # every page's header after the first
        data[page : page + 16] = b"\xff" * 16
    copy.path.write_bytes(bytes(data))
    with pytest.raises(backup.BadCopy):
        backup.check(copy.path)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(backup.BadCopy, match="not an SQLite database"):
        backup.check(garbage)


def test_a_copy_whose_chain_was_edited_is_refused(tmp_path: Path) -> None:
    _journal(tmp_path / "journal.db", 5)
    copy = backup.take(tmp_path / "journal.db", tmp_path / "b", NOW)
    with sqlite3.connect(copy.path) as conn:  # a record's amount changed after the fact
        conn.execute("DROP TRIGGER journal_no_update")
        conn.execute("UPDATE journal SET data = replace(data, '102', '999') WHERE seq = 3")
    with pytest.raises(backup.BadCopy, match="hash chain"):
        backup.check(copy.path)


def test_kiosk_backup_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.toml"
    site.write_text(f'[paths]\ndata_dir = "{tmp_path}"\nbackup_dir = "{tmp_path / "b"}"\n')
    assert main(["--config", str(site), "backup"]) == 2  # no journal yet
    _journal(tmp_path / "journal.db", 4)
    assert main(["--config", str(site), "backup"]) == 0
    assert "4 records chained" in capsys.readouterr().out
    assert len(backup.copies(tmp_path / "b")) == 1


def test_a_copy_is_restored_and_the_journal_it_replaces_is_kept(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    _journal(db, 10)
    copy = backup.take(db, tmp_path / "b", NOW)
    with Journal(db) as journal:
        journal.append("payment_completed", "later", {"n": 1}, "tx-later")
    kept = backup.restore(copy.path, db, None, NOW + timedelta(hours=1))
    with Journal(db) as restored:
        assert restored.verify().ok and restored.last_seq == 10
    with Journal(kept) as before:
        assert before.last_seq == 11  # nothing thrown away
    assert kept.name == "journal.db.before-restore-20261203-041500"


def test_a_copy_older_than_what_the_server_holds_is_refused(tmp_path: Path) -> None:
    _journal(tmp_path / "journal.db", 10)
    copy = backup.take(tmp_path / "journal.db", tmp_path / "b", NOW)
    with pytest.raises(backup.BadCopy, match="lacks tx-14"):
        backup.restore(copy.path, tmp_path / "journal.db", backup.Held(15, "tx-14"), NOW)
    with pytest.raises(backup.BadCopy, match="holds 10 transactions, the central server 12"):
        backup.restore(copy.path, tmp_path / "journal.db", backup.Held(12, "tx-9"), NOW)
    backup.restore(copy.path, tmp_path / "journal.db", backup.Held(10, "tx-9"), NOW)


def test_a_corrupt_copy_is_never_restored(tmp_path: Path) -> None:
    _journal(tmp_path / "journal.db", 3)
    garbage = tmp_path / "journal-20261203-031500.db"
    garbage.write_bytes(b"SQLite format 3\x00" + b"\xff" * 8000)
    with pytest.raises(backup.BadCopy):
        backup.restore(garbage, tmp_path / "journal.db", None, NOW)
    with Journal(tmp_path / "journal.db") as journal:
        assert journal.last_seq == 3  # untouched
