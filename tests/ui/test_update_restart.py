"""The running kiosk's side of an update: it tells the gate it is alive (each
heartbeat the server accepted), and when the updater has staged a release
beside it, it asks for the switch and restarts — at the attract screen, never
in a customer's session."""

from __future__ import annotations

import json
from pathlib import Path

from pytestqt.qtbot import QtBot

from central.serve import Central
from kiosk.flow import State
from kiosk.flow import events as e
from offline_queue.journal import Journal
from tests.ui.rig import start_kiosk, state


def _health(var: Path) -> dict[str, str | None]:
    return dict(json.loads((var / "health.json").read_text()))


def test_alive_for_the_gate_then_restarted_into_the_staged_release(
    qtbot: QtBot, tmp_path: Path, central: Central
) -> None:
    kiosk = start_kiosk(qtbot, tmp_path, central, timeouts={"cancelled": 1})
    var = tmp_path / "var"
    try:
        assert _health(var)["version"] == kiosk.app.version
        qtbot.waitUntil(lambda: _health(var)["heartbeat_at"] is not None, timeout=10_000)
        kiosk.app.post(e.StartPressed())  # a customer has begun: the staged release waits
        kiosk.app.post(e.ServiceChosen("electricity"))
        qtbot.waitUntil(lambda: state(kiosk) is State.IDENTIFY, timeout=5_000)
        (var / "update").mkdir()
        (var / "update" / "staged.json").write_text(json.dumps({"version": "9.9.9"}))
        beat = _health(var)["heartbeat_at"]
        qtbot.waitUntil(lambda: _health(var)["heartbeat_at"] != beat, timeout=10_000)
        qtbot.wait(300)
        assert not (var / "switch-asked").exists() and kiosk.restarts == 0
        kiosk.app.post(e.CancelPressed())  # the customer leaves
        qtbot.waitUntil((var / "switch-asked").exists, timeout=20_000)
        assert (var / "switch-asked").read_text() == "9.9.9"
        qtbot.waitUntil(lambda: kiosk.restarts == 1, timeout=10_000)
        beat = _health(var)["heartbeat_at"]  # heartbeats go on: the ask is not repeated
        qtbot.waitUntil(lambda: _health(var)["heartbeat_at"] != beat, timeout=10_000)
        assert kiosk.restarts == 1
    finally:
        kiosk.stop()
    with Journal(var / "journal.db") as journal:
        asked = [r.data for r in journal.latest(["maintenance"], limit=20)
                 if r.data.get("action") == "update_restart"]  # fmt: skip
    assert asked == [{"action": "update_restart", "version": "9.9.9"}]
    assert state(kiosk) in (State.ATTRACT, None)
