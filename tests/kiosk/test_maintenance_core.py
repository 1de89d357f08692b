"""The maintenance menu's logic without Qt: PIN hashes, the journal-derived
lockout, the cashbox from the journal, the secret gesture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config.records import RecordKind
from kiosk.flow.commands import JournalRecord
from kiosk.journaling import write
from kiosk.ledger import cashbox, collection_record
from kiosk.maintenance.pins import BadPin, PinStore, hash_pin, lock_state, verify_pin
from kiosk.maintenance.roles import Function, NotAllowed, Role, require
from kiosk.money import Money
from offline_queue.journal import Journal
from ui.gesture import HOLD_S, Corner, SecretGesture, corner

FAST = 2**10  # scrypt cost for tests that hash many PINs


def test_a_pin_is_stored_only_as_a_salted_scrypt_hash() -> None:
    stored = hash_pin("246810")
    assert "246810" not in stored
    scheme, n, *_ = stored.split("$")
    assert scheme == "scrypt" and int(n) >= 2**15
    assert stored != hash_pin("246810")  # salted
    assert verify_pin("246810", stored)
    assert not verify_pin("246811", stored)


@pytest.mark.parametrize(
    "typed",
    ["", "12345", "1" * 13, "12345a", "1234 56", "' OR 1=1 --", "<b>123456</b>", "１２３４５６"],
)
def test_anything_but_6_to_12_ascii_digits_is_not_a_pin(typed: str) -> None:
    with pytest.raises(BadPin):
        hash_pin(typed)
    assert not verify_pin(typed, hash_pin("123456", n=FAST))


def test_a_malformed_hash_matches_nothing() -> None:
    for stored in ("", "plain", "bcrypt$1$2$3$00$00", "scrypt$x$8$1$00$00"):
        assert not verify_pin("123456", stored)


def test_pin_store_roles_and_changes(tmp_path: Path) -> None:
    store = PinStore(
        {Role.TECHNICIAN: hash_pin("111111", n=FAST), Role.COLLECTOR: hash_pin("222222", n=FAST),
         Role.ADMINISTRATOR: hash_pin("333333", n=FAST)},
        tmp_path / "pins.json",
    )  # fmt: skip
    assert store.role_of("222222") is Role.COLLECTOR
    assert store.role_of("999999") is None
    with pytest.raises(BadPin, match="another role"):
        store.set(Role.TECHNICIAN, "333333")
    store.set(Role.TECHNICIAN, "444444")
    assert store.role_of("444444") is Role.TECHNICIAN and store.role_of("111111") is None
    assert (tmp_path / "pins.json").stat().st_mode & 0o777 == 0o600
    assert "444444" not in (tmp_path / "pins.json").read_text()


def _write(
    journal: Journal, data: dict[str, object], kind: RecordKind = RecordKind.MAINTENANCE
) -> None:
    write(journal, JournalRecord(kind, None, data))  # type: ignore[arg-type]


def test_the_lockout_is_counted_from_the_journal(tmp_path: Path) -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    with Journal(tmp_path / "j.db") as journal:
        for _ in range(4):
            _write(journal, {"action": "pin_failed"})
        _write(journal, {"action": "entered", "role": "technician"})  # other records do not reset
        assert lock_state(journal, now, 5).failures == 4
        _write(journal, {"action": "pin_accepted", "role": "technician"})
        assert lock_state(journal, now, 5).failures == 0  # a right PIN does
        for _ in range(5):
            _write(journal, {"action": "pin_failed"})
        until = now + timedelta(minutes=30)
        _write(journal, {"action": "locked", "until": until.isoformat()})
        assert lock_state(journal, now, 5).locked(now)
        after = until + timedelta(seconds=1)
        state = lock_state(journal, after, 5)
        assert not state.locked(after) and state.failures == 0  # the lock expired: start over


def test_the_cashbox_counts_each_credit_once_since_the_last_collection(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:

        def stacked(minor: int, credit: str) -> None:
            value = Money(minor).to_json()
            _write(journal, {"value": value, "credit_id": credit}, RecordKind.NOTE_STACKED)

        stacked(10000, "a")
        stacked(2000, "b")
        stacked(2000, "b")  # the same credit twice is one note
        box = cashbox(journal, "CNY")
        assert box.notes == ((Money(2000), 1), (Money(10000), 1))
        assert box.total == Money(12000) and box.count == 2
        record = collection_record(box, Money(11000), "collector")
        assert record["discrepancy"] == Money(-1000).to_json()
        _write(journal, record, RecordKind.CASH_COLLECTED)
        assert cashbox(journal, "CNY").count == 0
        stacked(500, "c")
        after = cashbox(journal, "CNY")
        assert after.total == Money(500) and after.since_at is not None


def test_require_names_the_role_and_function() -> None:
    assert require(Role.COLLECTOR, Function.CASH) is Role.COLLECTOR
    with pytest.raises(NotAllowed, match="technician may not use cash"):
        require(Role.TECHNICIAN, Function.CASH)
    with pytest.raises(NotAllowed, match="nobody"):
        require(None, Function.DIAGNOSTICS)


def test_the_gesture_hold_then_three_taps() -> None:
    g = SecretGesture()
    g.press(Corner.TOP_LEFT, 0.0)
    assert not g.release(Corner.TOP_LEFT, HOLD_S + 0.1)
    assert not g.release(Corner.TOP_RIGHT, HOLD_S + 0.5)
    assert not g.release(Corner.TOP_RIGHT, HOLD_S + 0.8)
    assert g.release(Corner.TOP_RIGHT, HOLD_S + 1.1)


def test_the_gesture_is_not_made_by_accident() -> None:
    g = SecretGesture()
    g.press(Corner.TOP_LEFT, 0.0)  # too short a hold
    g.release(Corner.TOP_LEFT, 1.0)
    assert not any(g.release(Corner.TOP_RIGHT, 1.2 + i) for i in range(3))
    g.press(Corner.TOP_LEFT, 10.0)
    g.release(Corner.TOP_LEFT, 13.0)
    g.press(Corner.ELSEWHERE, 13.2)  # a touch elsewhere starts over
    g.release(Corner.ELSEWHERE, 13.3)
    assert not any(g.release(Corner.TOP_RIGHT, 13.5 + i / 10) for i in range(3))
    g.press(Corner.TOP_LEFT, 20.0)
    g.release(Corner.TOP_LEFT, 23.0)
    assert not any(g.release(Corner.TOP_RIGHT, 28.0 + i / 10) for i in range(3))  # too late


def test_corners() -> None:
    assert corner(10, 10, 1080) is Corner.TOP_LEFT
    assert corner(1070, 10, 1080) is Corner.TOP_RIGHT
    assert corner(540, 10, 1080) is Corner.ELSEWHERE
    assert corner(10, 900, 1080) is Corner.ELSEWHERE
