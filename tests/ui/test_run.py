"""``kiosk run`` as systemd runs it: it recovers, shows the attract screen, and
stops cleanly on SIGTERM (devices stopped, journal closed, exit 0)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from config.version import version
from offline_queue.journal import Journal

KIOSK = str(Path(sys.executable).with_name("kiosk"))


def site(tmp_path: Path) -> Path:
    """A site file: the data folder in tmp_path, no card reader, no server there."""
    config = tmp_path / "site.toml"
    config.write_text(f"""
[paths]
data_dir = "{tmp_path / "var"}"
[card_reader]
enabled = false
[central]
url = "http://127.0.0.1:9"
""")
    return config


def test_kiosk_run_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    config = site(tmp_path)
    env = os.environ | {"QT_QPA_PLATFORM": "offscreen"}
    command = [KIOSK, "--config", str(config), "run", "--windowed"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    journal = tmp_path / "var" / "journal.db"
    deadline = time.monotonic() + 30
    while not journal.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # the acceptor simulator and the screens come up
    assert process.poll() is None, process.stdout.read() if process.stdout else ""
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=20)[0].decode()
    assert process.returncode == 0, output
    assert "signal 15: stopping" in output
    with Journal(journal) as records:
        assert records.latest(["recovery"])  # recovery ran before the first customer


def test_kiosk_run_tells_systemd_painted_then_ready_and_pings_the_watchdog(
    tmp_path: Path,
) -> None:
    """Type=notify: the first paint, then READY=1 once recovery ran and the acceptor
    is ready, then WATCHDOG=1 from the Qt event loop (WatchdogSec=2 → every 1 s)."""
    config = site(tmp_path)
    address = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        sock.settimeout(30)
        env = os.environ | {
            "QT_QPA_PLATFORM": "offscreen", "NOTIFY_SOCKET": address, "WATCHDOG_USEC": "2000000",
        }  # fmt: skip
        command = [KIOSK, "--config", str(config), "run", "--windowed"]
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        messages: list[str] = []
        try:
            while not {"READY=1\nSTATUS=ready", "WATCHDOG=1"} <= set(messages):
                messages.append(sock.recv(4096).decode())
                assert len(messages) < 20, messages
        finally:
            process.send_signal(signal.SIGTERM)
            output = process.communicate(timeout=20)[0].decode()
        assert messages[0] == "STATUS=painted", output  # before anything else
        assert set(messages) == {"STATUS=painted", "READY=1\nSTATUS=ready", "WATCHDOG=1"}

    assert process.returncode == 0, output
    with Journal(tmp_path / "var" / "journal.db") as records:
        assert records.latest(["recovery"])  # READY came after recovery
    health = json.loads((tmp_path / "var" / "health.json").read_text())  # for the update gate
    assert health["version"] == version() and health["ready_at"] >= health["started_at"]
    assert health["heartbeat_at"] is None  # not enrolled: no heartbeat was accepted


def test_kiosk_run_with_real_ports_imports_no_simulator_and_no_developer_tool(
    tmp_path: Path,
) -> None:
    """The code path a kiosk in the field runs: a serial bill acceptor, a network
    printer (neither there), no card reader. Python's own import log
    (``PYTHONPROFILEIMPORTTIME``) shows every module the process loaded."""
    config = site(tmp_path)
    with config.open("a") as fh:
        fh.write('[acceptor]\nport = "/dev/ttyKIOSK-none"\n')
        fh.write('[printer]\nconnection = "network"\nhost = "127.0.0.1"\nport = 9\n')
    address = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        sock.settimeout(30)
        env = os.environ | {
            "QT_QPA_PLATFORM": "offscreen", "NOTIFY_SOCKET": address, "WATCHDOG_USEC": "2000000",
            "PYTHONPROFILEIMPORTTIME": "1",
        }  # fmt: skip
        command = [KIOSK, "--config", str(config), "run", "--windowed"]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            messages = [sock.recv(4096).decode() for _ in range(3)]  # painted, then the loop
        finally:
            process.send_signal(signal.SIGTERM)
            _, log = process.communicate(timeout=20)
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in log.decode().splitlines()
        if line.startswith("import time:")
    }
    assert messages[0] == "STATUS=painted" and "WATCHDOG=1" in messages
    assert {"kiosk.app", "kiosk.shell.devices", "kiosk.shell.printing"} <= imported  # started
    assert "drivers.id003.driver" in imported and "escpos.escpos" in imported
    loaded = sorted(m for m in imported if m.startswith(("drivers.sim", "devtools")))
    assert loaded == []


def test_nothing_heavier_than_the_attract_screen_is_imported_before_the_first_paint(
    tmp_path: Path,
) -> None:
    """Python's import log and the kiosk's own log share stderr, in order: what
    was imported before the "first paint" line is what the paint waited for."""
    env = os.environ | {"QT_QPA_PLATFORM": "offscreen", "PYTHONPROFILEIMPORTTIME": "1"}
    command = [KIOSK, "--config", str(site(tmp_path)), "run", "--windowed"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    before: set[str] = set()
    try:
        for raw in process.stderr:
            line = raw.decode(errors="replace")
            if "first paint" in line:
                break
            if line.startswith("import time:"):
                before.add(line.rsplit("|", 1)[-1].strip())
        else:
            raise AssertionError("kiosk run ended before its first paint")
    finally:
        process.send_signal(signal.SIGTERM)  # at once: SIGTERM while it starts ends it too
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
    assert process.returncode in (0, -signal.SIGTERM)  # ended: cleanly, or before its handler
    assert "ui.screens.attract" in before and "PySide6.QtWidgets" in before
    heavy = ("sqlalchemy", "alembic", "escpos", "smartcard", "requests", "qrcode", "PIL",
             "pydantic", "pydantic_core")  # fmt: skip
    ours = ("offline_queue", "drivers", "config.settings", "kiosk.app", "kiosk.maintenance",
            "kiosk.flow.machine", "kiosk.flow.events", "ui.screens.maintenance",
            "ui.screens.bill_shown")  # fmt: skip
    loaded = sorted(m for m in before if m.split(".")[0] in heavy or m.startswith(ours))
    assert loaded == []


def test_settings_that_do_not_validate_end_the_kiosk_after_its_paint_with_the_reason(
    tmp_path: Path,
) -> None:
    """The attract screen paints from the settings as read; the validation that
    follows refuses the file, names the key, and the kiosk exits 2 touching no
    journal."""
    config = site(tmp_path)
    config.write_text(config.read_text() + '[timeouts]\nattract = "soon"\n')
    env = os.environ | {"QT_QPA_PLATFORM": "offscreen"}
    command = [KIOSK, "--config", str(config), "run", "--windowed"]
    done = subprocess.run(  # noqa: PLW1510 - the exit code is what is tested
        command, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert "first paint" in done.stderr
    assert "config error" in done.stderr and "timeouts.attract" in done.stderr
    assert not (tmp_path / "var" / "journal.db").exists()


FROZEN = """
import sys, threading, time
from PySide6.QtCore import QObject, Signal
from launcher.cli import main

# The kiosk's own event loop blocked (a hung driver call on the UI thread, say),
# once it has been up a while: the pings stop, the process lives on.
class Freeze(QObject):
    now = Signal()

freeze = Freeze()  # lives on the main thread: its slot runs on the Qt event loop
freeze.now.connect(lambda: time.sleep(600))
threading.Timer(float(sys.argv[1]), freeze.now.emit).start()
sys.exit(main(sys.argv[2:]))
"""


def test_a_kiosk_whose_event_loop_blocks_stops_pinging_and_its_restart_is_ready_again(
    tmp_path: Path,
) -> None:
    """The supervisor's side, as systemd does it for WatchdogSec=2: no ping for
    2 s -> SIGABRT, and the unit started again (Restart=always)."""
    config = site(tmp_path)
    address = str(tmp_path / "notify.sock")
    env = os.environ | {
        "QT_QPA_PLATFORM": "offscreen", "NOTIFY_SOCKET": address, "WATCHDOG_USEC": "2000000",
    }  # fmt: skip
    kiosk = ["--config", str(config), "run", "--windowed"]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        sock.settimeout(30)
        frozen = subprocess.Popen([sys.executable, "-c", FROZEN, "6", *kiosk], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
        pings, last = 0, float("inf")  # timed from the first ping, as systemd does
        sock.settimeout(0.5)
        deadline = time.monotonic() + 60
        while pings == 0 or time.monotonic() - last < 2.0:  # systemd's WatchdogSec=2
            assert time.monotonic() < deadline, "the watchdog never went quiet"
            try:
                message = sock.recv(4096).decode()
            except TimeoutError:
                continue
            if message == "WATCHDOG=1":
                pings, last = pings + 1, time.monotonic()
        assert pings >= 2  # it pinged while its loop turned
        assert frozen.poll() is None  # alive but frozen: only the watchdog can tell
        frozen.send_signal(signal.SIGABRT)  # what systemd sends at the watchdog's timeout
        frozen.communicate(timeout=20)
        assert frozen.returncode == -signal.SIGABRT
        # Restart=always: the kiosk comes up again and says so.
        again = subprocess.Popen([KIOSK, *kiosk], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT)  # fmt: skip
        sock.settimeout(30)
        try:
            seen: set[str] = set()
            while not {"READY=1\nSTATUS=ready", "WATCHDOG=1"} <= seen:
                seen.add(sock.recv(4096).decode())
        finally:
            again.send_signal(signal.SIGTERM)
            again.communicate(timeout=20)
    assert again.returncode == 0
