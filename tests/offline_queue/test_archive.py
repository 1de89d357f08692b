"""Journal retention: records older than the horizon whose transactions the
server confirmed leave the live journal for a checked, compressed file; the
chain goes on from the archive's anchor; nothing the kiosk computes its state
from leaves; a crash at any step loses nothing."""

from __future__ import annotations

import gzip
import json
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config.records import RecordKind
from kiosk import ledger
from kiosk.maintenance import export
from kiosk.recovery import recover
from launcher.cli import main
from offline_queue import archive, backup
from offline_queue.journal import Anchor, Journal

START = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
BEFORE = archive.horizon(NOW, 3)  # 2026-09-02
LONG = str(uuid.uuid4())


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def journal(tmp_path: Path, clock: Clock) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.db", clock) as j:
        yield j


def _pay(journal: Journal, clock: Clock, day: int, n: int = 0, *, sent: bool = True) -> str:
    """One paid session on ``day`` (days after START): three records, one transaction."""
    clock.now = START + timedelta(days=day, minutes=n)
    session, tx = str(uuid.uuid5(uuid.NAMESPACE_OID, f"{day}-{n}")), f"tx-{day}-{n}"
    journal.append("session_opened", session, {"service": "electricity"})
    value = {"minor": 5000, "currency": "CNY"}
    journal.append("note_stacked", session, {"value": value, "credit_id": f"c{day}-{n}"})
    journal.append(
        "payment_completed", session, {"amount": value, "tendered": value, "method": "cash"}, tx
    )
    if sent:
        journal.outbox_mark([tx], sent=True)
    return tx


def _year(journal: Journal, clock: Clock, days: int = 300) -> None:
    for day in range(days):
        _pay(journal, clock, day)


def _take(journal: Journal, folder: Path, keep_from: int | None = None) -> Anchor | None:
    floor = journal.last_seq + 1 if keep_from is None else keep_from
    return archive.take(journal, folder, before=BEFORE, keep_from=floor, now=NOW)


def test_old_confirmed_records_leave_for_a_checked_file(
    tmp_path: Path, journal: Journal, clock: Clock
) -> None:
    _year(journal, clock)  # days 0..299: 2026-01-01 .. 2026-10-27; BEFORE is 09-02
    anchor = _take(journal, tmp_path / "archive")
    assert anchor is not None
    old_days = (datetime.fromisoformat(BEFORE) - START).days  # days 0..243 are older
    assert (anchor.first_seq, anchor.last_seq) == (1, 3 * old_days)
    assert (anchor.records, anchor.transactions) == (3 * old_days, old_days)
    lines = archive.read(tmp_path / "archive" / anchor.file)
    assert anchor.file == f"journal-{1:010d}-{anchor.last_seq:010d}.jsonl.gz"
    assert [line["record"]["seq"] for line in lines] == list(range(1, anchor.last_seq + 1))
    assert lines[2]["transaction"] == "tx-0-0" and lines[0]["transaction"] is None
    assert all(line["record"]["at"] < BEFORE for line in lines)
    live = list(journal.records())
    assert live[0].seq == anchor.last_seq + 1 and live[0].at >= BEFORE
    assert journal.verify().ok and journal.verify().records == len(live)
    assert [c.state for c in archive.check(journal, tmp_path / "archive")] == ["ok"]
    assert journal.transactions_total() == 300


def test_the_chain_goes_on_from_the_anchor_after_a_reopen(tmp_path: Path, clock: Clock) -> None:
    db = tmp_path / "journal.db"
    with Journal(db, clock) as journal:
        _year(journal, clock, 100)
        clock.now = NOW
        journal.append("session_opened", "young", {})
        anchor = _take(journal, tmp_path / "a", keep_from=journal.last_seq)
        assert anchor is not None and anchor.last_seq == 300
    with Journal(db, clock) as journal:
        journal.append("session_closed", "young", {})
        assert journal.last_seq == 302
        verdict = journal.verify()
        assert verdict.ok and verdict.records == 2


def test_a_journal_archived_to_the_last_record_goes_on(tmp_path: Path, clock: Clock) -> None:
    db = tmp_path / "journal.db"
    with Journal(db, clock) as journal:
        _year(journal, clock, 10)
        assert _take(journal, tmp_path / "a") is not None
        assert list(journal.records()) == []
    with Journal(db, clock) as journal:  # no live record: the anchor is the chain's end
        assert journal.last_seq == 30
        journal.append("session_opened", "next", {})
        assert journal.verify().ok and journal.last_seq == 31
    assert [c.state for c in archive.check(Journal(db), tmp_path / "a")] == ["ok"]


def test_a_second_archive_continues_the_first(
    tmp_path: Path, journal: Journal, clock: Clock
) -> None:
    _year(journal, clock, 50)
    first = archive.take(journal, tmp_path / "a", before=(START + timedelta(days=20)).isoformat(),
                         keep_from=journal.last_seq + 1, now=NOW)  # fmt: skip
    second = _take(journal, tmp_path / "a")
    assert first is not None and second is not None
    assert (first.last_seq, second.first_seq, second.last_seq) == (60, 61, 150)
    assert [c.state for c in archive.check(journal, tmp_path / "a")] == ["ok", "ok"]
    assert _take(journal, tmp_path / "a") is None  # nothing more is old enough


def test_an_unsent_transaction_stops_the_archive(
    tmp_path: Path, journal: Journal, clock: Clock
) -> None:
    _year(journal, clock, 40)
    _pay(journal, clock, 40, sent=False)  # seq 121..123, its transaction at 123
    _year_after(journal, clock, 41, 60)
    anchor = _take(journal, tmp_path / "a")
    assert anchor is not None and anchor.last_seq == 120  # the unsent session stays whole
    assert journal.outbox_count() == 20 and "tx-40-0" in journal.outbox_ids()


def test_a_dead_letter_stops_the_archive(tmp_path: Path, journal: Journal, clock: Clock) -> None:
    _pay(journal, clock, 0)
    tx = _pay(journal, clock, 1, sent=False)
    journal.outbox_attempted([tx], "rejected")
    with sqlite3.connect(journal_path(tmp_path)) as raw:
        raw.execute("UPDATE outbox SET dead = 1 WHERE id = ?", (tx,))
    _pay(journal, clock, 2)
    anchor = _take(journal, tmp_path / "a")
    assert anchor is not None and anchor.last_seq == 3


def test_a_session_is_never_split(tmp_path: Path, journal: Journal, clock: Clock) -> None:
    _year(journal, clock, 30)
    clock.now = START + timedelta(days=30)
    journal.append("session_opened", LONG, {})  # seq 91, old
    clock.now = NOW  # the same session goes on, young: seq 92
    journal.append("session_closed", LONG, {})
    anchor = _take(journal, tmp_path / "a")
    assert anchor is not None and anchor.last_seq == 90
    assert [r.session for r in journal.records()] == [LONG, LONG]


def test_what_the_kiosk_computes_its_state_from_stays(
    tmp_path: Path, journal: Journal, clock: Clock
) -> None:
    _year(journal, clock, 100)  # 100 notes stacked, never collected
    clock.now = START + timedelta(days=150)
    recover(journal)  # a recovery checkpoint, old
    maintenance = {"action": "out_of_service", "on": True}
    journal.append(RecordKind.MAINTENANCE.value, None, maintenance)
    box = ledger.cashbox(journal, "CNY")
    assert box.count == 100
    anchor = _take(journal, tmp_path / "a", keep_from=ledger.archive_floor(journal))
    assert anchor is None  # the first note ever stacked is where the cashbox starts
    collected = ledger.collection_record(box, None, "collector")
    journal.append(RecordKind.CASH_COLLECTED.value, None, collected)
    _year_after(journal, clock, 160, 170)
    box_before = ledger.cashbox(journal, "CNY")
    floor = ledger.archive_floor(journal)
    anchor = _take(journal, tmp_path / "a", keep_from=floor)
    assert anchor is not None and anchor.last_seq < floor
    assert journal.last_of_kind(RecordKind.RECOVERY.value) > 0
    assert ledger.technician_out_of_service(journal)
    assert ledger.cashbox(journal, "CNY") == box_before and box_before.count == 10
    assert recover(journal).sessions_checked == 10


def test_the_ccTalk_counter_survives_an_archive(
    tmp_path: Path, journal: Journal, clock: Clock
) -> None:
    value = {"minor": 2000, "currency": "CNY"}
    for n in range(1, 11):  # notes, then a collection, then months of card payments
        clock.now = START + timedelta(days=n)
        journal.append("note_stacked", None, {"value": value, "credit_id": f"cc-{n}:A"})
    box = ledger.cashbox(journal, "CNY")
    journal.append("cash_collected", None, ledger.collection_record(box, None, "collector"))
    for day in range(20, 200):
        clock.now = START + timedelta(days=day)
        card = {"amount": value, "method": "card"}
        journal.append("payment_completed", None, card, f"card-{day}")
        journal.outbox_mark([f"card-{day}"], sent=True)
    anchor = _take(journal, tmp_path / "a", keep_from=ledger.archive_floor(journal))
    assert anchor is not None and anchor.last_seq == 9
    assert ledger.last_cctalk_counter(journal, "cc-") == 10


def test_deleting_a_record_no_archive_covers_is_still_refused(
    tmp_path: Path, journal: Journal, clock: Clock
) -> None:
    _year(journal, clock, 300)
    anchor = _take(journal, tmp_path / "a")
    assert anchor is not None
    with sqlite3.connect(journal_path(tmp_path)) as raw:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("DELETE FROM journal WHERE seq = ?", (anchor.last_seq + 1,))
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("UPDATE journal_archive SET last_seq = 999999")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("DELETE FROM journal_archive")


def test_an_edited_archive_is_bad_and_a_missing_one_absent(
    tmp_path: Path, journal: Journal, clock: Clock
) -> None:
    _year(journal, clock, 100)
    anchor = _take(journal, tmp_path / "a")
    assert anchor is not None
    path = tmp_path / "a" / anchor.file
    lines = archive.read(path)
    lines[5]["record"]["data"]["amount"]["minor"] = 1  # a payment made smaller
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(line) + "\n" for line in lines)
    [found] = archive.check(journal, tmp_path / "a")
    assert found.state == "bad" and "sha256" in found.reason
    path.unlink()
    [found] = archive.check(journal, tmp_path / "a")
    assert found.state == "absent"
    assert journal.verify().ok  # the live chain does not need the file


def test_a_crash_after_the_anchor_is_finished_on_the_next_run(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "journal.db"
    with Journal(db, clock) as journal:
        _year(journal, clock, 100)
        calls = []

        def crash_on_the_second_call(self: Journal, chunk: int = 2000) -> int:
            calls.append(chunk)
            if len(calls) == 2:
                raise SystemExit("power cut after the anchor was written")
            return 0

        with monkeypatch.context() as patch:
            patch.setattr(Journal, "drop_archived", crash_on_the_second_call)
            with pytest.raises(SystemExit):
                _take(journal, tmp_path / "a")
    with sqlite3.connect(db) as raw:  # and the power cut came after one chunk of deletes
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("DELETE FROM outbox WHERE seq <= 50")
        raw.execute("DELETE FROM journal WHERE seq <= 50")
    with Journal(db, clock) as journal:
        [anchor] = journal.anchors()
        assert journal.verify().ok
        assert journal.drop_archived() == anchor.last_seq - 50
        assert journal.verify().ok and journal.verify().records == 0
        assert [c.state for c in archive.check(journal, tmp_path / "a")] == ["ok"]
        assert journal.transactions_total() == 100


def test_a_crash_before_the_anchor_leaves_the_journal_whole(
    tmp_path: Path, journal: Journal, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _year(journal, clock, 100)

    def crash(self: Journal, anchor: Anchor) -> None:
        raise SystemExit("power cut before the anchor")

    with monkeypatch.context() as patch:
        patch.setattr(Journal, "add_anchor", crash)
        with pytest.raises(SystemExit):
            _take(journal, tmp_path / "a")
    assert journal.anchors() == [] and journal.verify().records == 300
    anchor = _take(journal, tmp_path / "a")  # the next run writes the file again
    assert anchor is not None
    assert [c.state for c in archive.check(journal, tmp_path / "a")] == ["ok"]


def test_a_backup_of_an_archived_journal_restores_and_counts_its_archives(
    tmp_path: Path, journal: Journal, clock: Clock
) -> None:
    _year(journal, clock, 100)
    assert _take(journal, tmp_path / "a") is not None
    copy = backup.take(journal_path(tmp_path), tmp_path / "b", NOW)
    assert copy.records == 0 and copy.last_seq == 300
    assert backup.older_than_the_server(copy.path, backup.Held(100, "tx-99-0")) is None
    why = backup.older_than_the_server(copy.path, backup.Held(101, "tx-100-0"))
    assert why is not None and "holds 100 transactions" in why


def test_kiosk_journal_archive_and_verify(
    tmp_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "var"
    data.mkdir()
    with Journal(data / "journal.db", lambda: datetime.now(UTC) - timedelta(days=200)) as journal:
        for n in range(5):
            journal.append("payment_completed", f"s{n}", {"n": n}, f"tx-{n}")
            journal.outbox_mark([f"tx-{n}"], sent=True)
    site = tmp_path / "site.toml"
    site.write_text(f'[paths]\ndata_dir = "{data}"\n[journal]\narchive_after_months = 6\n')
    assert main(["--config", str(site), "journal", "archive"]) == 0
    out = capsys.readouterr().out
    assert "records 1-5 (5 records, 5 transactions)" in out
    assert main(["--config", str(site), "journal", "archive"]) == 0
    assert "nothing older than 6 months" in capsys.readouterr().out
    assert main(["--config", str(site), "journal", "verify"]) == 0
    out = capsys.readouterr().out
    assert "ok, 0 records chained" in out and "records 1-5: ok, 5 records chained" in out
    archived = data / "archive" / "journal-0000000001-0000000005.jsonl.gz"
    archived.write_bytes(archived.read_bytes()[:-8])  # cut short
    assert main(["--config", str(site), "journal", "verify"]) == 1
    assert "BAD" in capsys.readouterr().err


def test_kiosk_backup_archives_after_the_checked_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "var"
    data.mkdir()
    with Journal(data / "journal.db", lambda: datetime.now(UTC) - timedelta(days=100)) as journal:
        for n in range(4):
            journal.append("payment_completed", f"s{n}", {"n": n}, f"tx-{n}")
            journal.outbox_mark([f"tx-{n}"], sent=True)
    site = tmp_path / "site.toml"
    site.write_text(f'[paths]\ndata_dir = "{data}"\n')
    assert main(["--config", str(site), "backup", "--no-archive"]) == 0
    assert not (data / "archive").exists()
    assert main(["--config", str(site), "backup"]) == 0  # the default: 3 months
    out = capsys.readouterr().out
    assert "4 records chained" in out and "records 1-4" in out
    [copy] = backup.copies(data / "backups")
    with Journal(copy) as kept:  # the copy was taken before the archive: it holds them all
        assert kept.verify().records == 4 and kept.anchors() == []


def test_the_maintenance_export_carries_the_newest_backup_and_the_archives(
    tmp_path: Path, journal: Journal, clock: Clock
) -> None:
    _year(journal, clock, 300)
    anchor = _take(journal, tmp_path / "archive")
    assert anchor is not None
    older = backup.take(journal_path(tmp_path), tmp_path / "backups", NOW - timedelta(days=1))
    newest = backup.take(journal_path(tmp_path), tmp_path / "backups", NOW)
    data = export.Folders(tmp_path / "logs", tmp_path / "backups", tmp_path / "archive")
    folder = export.export(journal, tmp_path / "usb", "K-1", data, NOW)
    assert [p.name for p in (folder / "backup").iterdir()] == [newest.path.name]
    assert older.path.name != newest.path.name
    assert backup.check(folder / "backup" / newest.path.name).last_seq == 900
    assert (folder / "archive" / anchor.file).read_bytes() == (
        tmp_path / "archive" / anchor.file
    ).read_bytes()
    check = json.loads((folder / "journal-check.json").read_text())
    assert check["chain_ok"] and check["records"] == 900 - anchor.last_seq
    assert check["archives"] == [
        {"file": anchor.file, "records": [1, anchor.last_seq], "state": "ok", "problem": None}
    ]


def _year_after(journal: Journal, clock: Clock, first: int, last: int) -> None:
    for day in range(first, last):
        _pay(journal, clock, day)


def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "journal.db"
