"""``kiosk run`` as systemd runs it: it recovers, shows the attract screen, and
stops cleanly on SIGTERM (devices stopped, journal closed, exit 0)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from offline_queue.journal import Journal

KIOSK = str(Path(sys.executable).with_name("kiosk"))


def test_kiosk_run_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text(f"""
[paths]
data_dir = "{tmp_path / "var"}"
[card_reader]
enabled = false
[central]
url = "http://127.0.0.1:9"
""")
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
