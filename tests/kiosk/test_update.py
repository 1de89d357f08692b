"""Software updates on the kiosk: the switch waits for no customer and no
escrow; the release installed beside, switched by one rename, judged by its
health gate, rolled back by itself; a power cut (kill -9) at each step of the
switch leaves one whole release current; and the whole path from the real
central server's offer to a healthy or rolled-back release."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from central.cli import keygen
from central.cli import main as central_main
from central.serve import Central, running
from config.records import RecordKind
from kiosk.flow import State
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.shell.central import enroll
from launcher import releases as r
from launcher.cli import main
from tests.kiosk.flow_harness import Harness, yuan

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


# -- the flow: only between sessions -------------------------------------------
def test_a_staged_release_restarts_the_idle_kiosk_at_once() -> None:
    h = Harness()
    out = h.send(e.UpdateStaged("0.21.0"))
    assert h.of(c.RestartForUpdate, out) == [c.RestartForUpdate("0.21.0")]
    [record] = h.journal(RecordKind.MAINTENANCE, out)
    assert record.data == {"action": "update_restart", "version": "0.21.0"}


def test_the_restart_waits_for_the_customer_and_the_note_in_escrow() -> None:
    h = Harness()
    h.to_cash()
    h.send(e.NoteEscrowed(yuan("100")))
    assert not h.of(c.RestartForUpdate, h.send(e.UpdateStaged("0.21.0")))
    h.send(e.NoteStacked(yuan("100")))
    h.insert("50")  # the bill is paid
    assert not h.of(c.RestartForUpdate)
    h.send(e.ReceiptPrinted())
    assert h.current() is State.DONE and not h.of(c.RestartForUpdate)
    out = h.fire()  # back to the attract screen: nobody is paying
    assert h.current() is State.ATTRACT
    assert h.of(c.RestartForUpdate, out) == [c.RestartForUpdate("0.21.0")]
    assert len(h.of(c.RestartForUpdate)) == 1


# -- the releases on disk ------------------------------------------------------
def make_release(folder: Path, version: str, *, ready: bool = True) -> Path:
    """A kiosk package whose release tree holds a ``bin/kiosk``; ``ready``
    False: one that crashes at start (exit 1)."""
    root = folder / f"pkg-{version}"
    tree = root / "opt" / "kiosk" / "releases" / version
    (tree / "bin").mkdir(parents=True)
    script = tree / "bin" / "kiosk"
    script.write_text(f"#!/bin/sh\necho kiosk {version}\n{'' if ready else 'exit 1'}\n")
    script.chmod(0o755)
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN" / "control").write_text(
        f"Package: kiosk\nVersion: {version}\nArchitecture: amd64\n"
        "Maintainer: Test <t@example.invalid>\nDescription: test release\n"
    )
    deb = folder / f"kiosk_{version}_amd64.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "--build", str(root), str(deb)],
                   check=True, capture_output=True)  # fmt: skip
    return deb


def _place(tmp_path: Path, running_version: str = "0.20.0") -> r.Place:
    """An install root with ``running_version`` current, as the package leaves it."""
    place = r.Place(tmp_path / "opt", tmp_path / "var" / "update", tmp_path / "var")
    (place.releases / running_version / "bin").mkdir(parents=True)
    (place.releases / running_version / "bin" / "kiosk").write_text("#!/bin/sh\n")
    place.current.symlink_to(f"releases/{running_version}")
    return place


def test_staged_beside_then_switched_by_one_rename(tmp_path: Path) -> None:
    place = _place(tmp_path)
    r.stage(place, make_release(tmp_path, "0.21.0"), "0.21.0")
    assert r.staged(place) == "0.21.0" and r.installed(place) == "0.20.0"
    assert (place.releases / "0.21.0" / "bin" / "kiosk").exists()
    assert not list(place.releases.glob(".staging-*"))
    gate = r.switch(place, "0.21.0", T0)
    assert r.installed(place) == "0.21.0" and os.readlink(place.current) == "releases/0.21.0"
    assert (gate.came_from, gate.to, gate.starts) == ("0.20.0", "0.21.0", 0)
    assert r.gate(place) == gate and r.staged(place) is None
    r.roll_back(place, gate)
    assert r.installed(place) == "0.20.0" and r.failed(place) == ["0.21.0"]
    assert r.gate(place) is None


def test_a_package_without_a_release_tree_is_not_staged(tmp_path: Path) -> None:
    place = _place(tmp_path)
    garbage = tmp_path / "kiosk_0.21.0_amd64.deb"
    garbage.write_bytes(b"!<arch>\nno")
    with pytest.raises(r.StageError):
        r.stage(place, garbage, "0.21.0")
    assert r.staged(place) is None and not (place.releases / "0.21.0").exists()


def _gate(**change: object) -> r.Gate:
    fields = {"came_from": "0.20.0", "to": "0.21.0", "at": T0.isoformat(), "starts": 1,
              "ready_s": 300, "window_s": 600} | change  # fmt: skip
    return r.Gate(**fields)  # type: ignore[arg-type]


def _at(seconds: float | None) -> str | None:
    return None if seconds is None else (T0 + timedelta(seconds=seconds)).isoformat()


def _seen(ready: float | None, beat: float | None, version: str = "0.21.0") -> r.Health:
    return r.Health(version, (T0 + timedelta(seconds=1)).isoformat(), _at(ready), _at(beat))


@pytest.mark.parametrize(
    ("gate", "seen", "after_s", "state"),
    [
        (_gate(), None, 60, "wait"),  # not started yet
        (_gate(), None, 301, "rollback"),  # never ready
        (_gate(), _seen(20, None), 200, "wait"),  # ready, no heartbeat yet
        (_gate(), _seen(20, None), 301, "rollback"),  # ready, the server never took a beat
        (_gate(), _seen(20, 30, "0.20.0"), 301, "rollback"),  # the old one wrote it
        (_gate(), _seen(20, 600), 610, "wait"),  # up 590 of 600 s
        (_gate(), _seen(20, 600), 620, "healthy"),
        (_gate(), _seen(20, 100), 700, "wait"),  # heartbeats stopped: waits a window
        (_gate(), _seen(20, 100), 901, "rollback"),
        (_gate(starts=3), _seen(20, 30), 40, "rollback"),  # a crash loop
    ],
)
def test_the_health_gate(gate: r.Gate, seen: r.Health | None, after_s: int, state: str) -> None:
    assert r.judge(gate, seen, T0 + timedelta(seconds=after_s)).state == state


STEPS = ["gate", "link", "rename", "tidy", None]  # None: the switch ran to its end


@pytest.mark.parametrize("step", STEPS)
def test_a_power_cut_at_each_step_of_the_switch_leaves_one_whole_release(
    tmp_path: Path, step: str | None
) -> None:
    place = _place(tmp_path)
    r.stage(place, make_release(tmp_path, "0.21.0"), "0.21.0")
    code = (
        "import os, signal, sys\n"
        "from datetime import UTC, datetime\n"
        "from pathlib import Path\n"
        "from launcher import releases as r\n"
        "p = r.Place(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))\n"
        "def step(name):\n"
        "    if name == sys.argv[4]:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "r.switch(p, '0.21.0', datetime.now(UTC), step=step)\n"
    )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", code, place.root, place.state, place.data, str(step)],
        cwd=ROOT, capture_output=True, check=False,
    )  # fmt: skip
    assert done.returncode == (-signal.SIGKILL if step else 0), done.stderr
    current = r.installed(place)
    assert current in ("0.20.0", "0.21.0")
    assert (place.current / "bin" / "kiosk").exists()  # a whole release, either one
    assert current == ("0.21.0" if step in ("tidy", None) else "0.20.0")
    after = r.started(place)  # the next start makes the state agree with the link
    if current == "0.21.0":
        assert after is not None and after.to == "0.21.0" and after.starts == 1
    else:
        assert after is None and r.gate(place) is None and r.staged(place) == "0.21.0"


def test_a_release_that_crashes_at_start_is_rolled_back_before_its_third_start(
    tmp_path: Path,
) -> None:
    place = _place(tmp_path)
    r.stage(place, make_release(tmp_path, "0.21.0", ready=False), "0.21.0")
    r.switch(place, "0.21.0", datetime.now(UTC))
    for n in range(1, r.MAX_STARTS + 1):
        found = r.started(place)
        assert found is not None and found.starts == n
        assert r.judge(found, r.health(place), datetime.now(UTC)).state == "wait"
    found = r.started(place)
    assert found is not None
    verdict = r.judge(found, r.health(place), datetime.now(UTC))
    assert verdict.state == "rollback" and "crash loop" in verdict.reason


# -- the whole path against the real central server ----------------------------
class Fleet:
    """A kiosk's install root, data folder and settings, enrolled at ``central``."""

    def __init__(self, tmp_path: Path, central: Central, public: str, gate: str) -> None:
        self.place = _place(tmp_path)
        self.site = tmp_path / "site.toml"
        data = self.place.data
        enroll(central.url, _code(central), data / "central.json")
        self.site.write_text(
            f'[paths]\ndata_dir = "{data}"\n'
            f'[central]\nurl = "{central.url}"\noperator_public_key_hex = "{public}"\n'
            f"[update]\n{gate}\n"
        )

    def update(self, action: str) -> int:
        return main(["--config", str(self.site), "update", action, "--root",
                     str(self.place.root)])  # fmt: skip

    def kiosk_writes(self, version: str, *, ready: bool) -> None:
        """What the kiosk's own process writes: health.json, and switch-asked."""
        now = datetime.now(UTC).isoformat()
        health = {"version": version, "started_at": now, "ready_at": now if ready else None,
                  "heartbeat_at": now if ready else None}  # fmt: skip
        (self.place.data / "health.json").write_text(json.dumps(health))


def _code(central: Central) -> str:
    from central.enrollment import new_enrollment_code  # noqa: PLC0415

    return new_enrollment_code(central.app.state.engine, "K-UP", "default")


def _status(central: Central) -> dict[str, int]:
    from central import releases  # noqa: PLC0415

    [view] = [v for v in releases.rollout(central.app.state.engine) if v.version == "0.21.0"]
    return view.states


def _publish(central: Central, deb: Path, key: Path) -> None:
    url = central.app.state.engine.url.render_as_string(hide_password=False)
    assert central_main(["release", "publish", str(deb), "--group", "default",
                         "--key", str(key), "--db", url]) == 0  # fmt: skip


def test_offered_downloaded_staged_switched_and_healthy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "operator.key"
    public = keygen(key)
    with running(tmp_path / "c.db") as central:
        fleet = Fleet(tmp_path, central, public, "ready_s = 30\nwindow_s = 1")
        assert fleet.update("check") == 0
        assert "no release is offered" in capsys.readouterr().out
        _publish(central, make_release(tmp_path, "0.21.0"), key)
        central.app.state.releases.forget()
        started = time.monotonic()
        assert fleet.update("check") == 0
        assert "0.21.0: staged" in capsys.readouterr().out
        staged_s = time.monotonic() - started
        assert r.staged(fleet.place) == "0.21.0" and _status(central) == {"staged": 1}
        assert fleet.update("start") == 0  # a restart nobody asked for: no switch
        assert r.installed(fleet.place) == "0.20.0"
        (fleet.place.data / "switch-asked").write_text("0.21.0")  # the idle kiosk asks
        assert fleet.update("start") == 0
        assert r.installed(fleet.place) == "0.21.0"
        fleet.kiosk_writes("0.21.0", ready=True)
        time.sleep(1.1)  # the window
        assert fleet.update("check") == 0
        out = capsys.readouterr().out
        assert "0.21.0: healthy" in out
        assert _status(central) == {"healthy": 1} and r.gate(fleet.place) is None
        print(f"download and stage: {staged_s:.2f} s")  # for the note, with -s
        assert fleet.update("check") == 0
        assert "0.21.0 is installed" in capsys.readouterr().out


def test_a_release_that_never_gets_ready_is_rolled_back_and_not_tried_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "operator.key"
    public = keygen(key)
    with running(tmp_path / "c.db") as central:
        fleet = Fleet(tmp_path, central, public, "ready_s = 5\nwindow_s = 1")
        _publish(central, make_release(tmp_path, "0.21.0"), key)
        assert fleet.update("check") == 0
        (fleet.place.data / "switch-asked").write_text("0.21.0")
        assert fleet.update("start") == 0 and r.installed(fleet.place) == "0.21.0"
        fleet.kiosk_writes("0.21.0", ready=False)  # it starts, never gets ready
        gate = r.gate(fleet.place)
        assert gate is not None
        late = r.Gate(gate.came_from, gate.to, (datetime.now(UTC) - timedelta(seconds=6))
                      .isoformat(), gate.starts, gate.ready_s, gate.window_s)  # fmt: skip
        (fleet.place.state / "gate.json").write_text(json.dumps(asdict(late)))
        capsys.readouterr()
        assert fleet.update("check") == 0
        out = capsys.readouterr().out
        assert "rolled back to 0.20.0" in out and "not ready within 5 s" in out
        assert r.installed(fleet.place) == "0.20.0" and r.failed(fleet.place) == ["0.21.0"]
        assert _status(central) == {"rolled_back": 1}
        assert "0.21.0: not installed: 0.21.0 failed its health gate" in out  # not again


def test_a_release_signed_by_another_key_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, other = tmp_path / "operator.key", tmp_path / "other.key"
    public = keygen(key)
    keygen(other)
    with running(tmp_path / "c.db") as central:
        fleet = Fleet(tmp_path, central, public, "")
        _publish(central, make_release(tmp_path, "0.21.0"), other)
        assert fleet.update("check") == 1
        assert "bad signature" in capsys.readouterr().err
        assert r.staged(fleet.place) is None and not fleet.place.downloads.exists()
