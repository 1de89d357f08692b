"""Heartbeat and telemetry to the real server; online/offline for the flow."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Row, select

from central.db import kiosk_status
from central.serve import free_port, running
from kiosk.flow import events as e
from kiosk.ledger import offline_allowance
from kiosk.money import Money
from kiosk.shell.heartbeat import HeartbeatService
from offline_queue.journal import Journal
from tests.kiosk.flow_harness import SETTINGS, yuan
from tests.waiting import wait_until

TELEMETRY = {
    "devices": {"acceptor": "ok", "printer": "paper_low", "card_reader": "ok"},
    "queue_depth": 3, "dead_letters": 1, "versions": {"app": "0.1.0", "bundle": "4"},
    "paper_low": True, "cashbox_notes": 12, "cashbox_fen": 64000,
}  # fmt: skip


def test_telemetry_reaches_the_server(tmp_path: Path) -> None:
    seen: list[e.Event] = []
    with running(tmp_path / "c.db") as central:
        service = HeartbeatService(central.url, central.enroll("K-5"), seen.append,
                                   lambda: TELEMETRY, lambda: yuan("1000"))  # fmt: skip
        assert service.beat() is True
        wait_until(lambda: _status(central.app.state.engine) is not None, timeout=5)
        row = _status(central.app.state.engine)
    assert row is not None
    assert row.kiosk_id == "K-5" and json.loads(row.body) | {"online_since": None} == TELEMETRY | {
        "online_since": None
    }
    assert seen == [e.ConnectivityChanged(True, yuan("1000"))]


def _status(engine: Engine) -> Row[Any] | None:
    with engine.connect() as conn:
        return conn.execute(select(kiosk_status)).one_or_none()


def test_two_misses_make_the_kiosk_offline_and_one_answer_online_again(tmp_path: Path) -> None:
    seen: list[e.Event] = []
    port = free_port()
    with running(tmp_path / "c.db", port) as central:
        token = central.enroll()
        service = HeartbeatService(central.url, token, seen.append, dict, lambda: yuan("250"),
                                   timeout_s=1)  # fmt: skip
        service.beat()
    assert service.beat() is False and seen == [e.ConnectivityChanged(True, yuan("250"))]
    service.beat()
    assert seen[-1] == e.ConnectivityChanged(False, yuan("250"))
    with running(tmp_path / "c.db", port):
        service.beat()
    assert seen[-1] == e.ConnectivityChanged(True, yuan("250")) and len(seen) == 3


def test_offline_allowance_counts_todays_offline_payments(tmp_path: Path) -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    with Journal(tmp_path / "j.db", clock=lambda: now) as journal:
        for fen, offline in ((5000, True), (7000, False), (3000, True)):
            journal.append("payment_completed", "s", {
                "amount": Money(fen).to_json(), "details": {"offline": True} if offline else {},
            }, None)  # fmt: skip
        assert offline_allowance(journal, SETTINGS, now) == Money(100_000 - 8000)
        tomorrow = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
        assert offline_allowance(journal, SETTINGS, tomorrow) == Money(100_000)
