"""The sync worker through a TCP proxy that stalls or drops, and a server
stopped in the middle of a backlog: nothing lost, nothing doubled."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from central.serve import free_port, running
from drivers.sim.netproxy import Proxy
from offline_queue.journal import Journal
from offline_queue.sync import SyncWorker
from tests.central.test_sync import fill, stored
from tests.waiting import wait_until


def test_a_stalling_proxy_times_out_and_loses_nothing(tmp_path: Path) -> None:
    with running(tmp_path / "c.db") as central, Journal(tmp_path / "j.db") as journal:
        fill(journal, 50)
        proxy = Proxy(int(central.url.rsplit(":", 1)[1]), "stall")
        worker = SyncWorker(journal, proxy.url, central.enroll(), timeout_s=0.5,
                            rng=random.Random(1))  # fmt: skip
        started = time.monotonic()
        assert worker.sync_once() is not None  # a wait before the next try
        assert time.monotonic() - started < 3  # the timeout held
        assert journal.outbox_counts()["pending"] == 50 and stored(central) == 0
        proxy.mode = "pass"
        assert worker.sync_once() is None
        assert journal.outbox_counts()["pending"] == 0 and stored(central) == 50
        proxy.close()
        worker.stop()


def test_a_proxy_dropping_before_the_server_hears_loses_nothing(tmp_path: Path) -> None:
    with running(tmp_path / "c.db") as central, Journal(tmp_path / "j.db") as journal:
        fill(journal, 50)
        proxy = Proxy(int(central.url.rsplit(":", 1)[1]), "drop_before")
        worker = SyncWorker(journal, proxy.url, central.enroll(), timeout_s=2)
        assert worker.sync_once() is not None
        assert journal.outbox_counts()["pending"] == 50 and stored(central) == 0
        proxy.mode = "pass"
        assert worker.sync_once() is None and stored(central) == 50
        proxy.close()
        worker.stop()


def test_an_answer_lost_after_the_server_stored_it_is_not_doubled(tmp_path: Path) -> None:
    with running(tmp_path / "c.db") as central, Journal(tmp_path / "j.db") as journal:
        fill(journal, 50)
        proxy = Proxy(int(central.url.rsplit(":", 1)[1]), "drop_after")
        worker = SyncWorker(journal, proxy.url, central.enroll(), timeout_s=2, batch_size=50)
        assert worker.sync_once() is not None  # no answer: the kiosk must assume nothing
        assert journal.outbox_counts()["pending"] == 50
        assert stored(central) == 50  # …but the server did store them
        proxy.mode = "pass"
        assert worker.sync_once() is None
        assert journal.outbox_counts()["pending"] == 0 and stored(central) == 50
        proxy.close()
        worker.stop()


CLI = str(Path(sys.executable).with_name("kiosk-central"))


def serve(db: Path, port: int) -> subprocess.Popen[bytes]:
    """The server as its own process (kiosk-central serve), ready to be killed."""
    server = subprocess.Popen(
        [CLI, "serve", "--db", f"sqlite:///{db}", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_until(lambda: _listening(port), timeout=20)
    return server


def _listening(port: int) -> bool:
    try:
        requests.get(f"http://127.0.0.1:{port}/docs", timeout=1)
    except requests.ConnectionError:
        return False
    return True


def test_the_server_killed_in_the_middle_of_a_backlog(tmp_path: Path) -> None:
    port, db = free_port(), tmp_path / "c.db"
    with Journal(tmp_path / "j.db") as journal:
        fill(journal, 3000)
        server = serve(db, port)
        code = subprocess.run(
            [CLI, "enroll", "K-1", "--db", f"sqlite:///{db}"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        token = requests.post(f"{url}/api/v1/enroll", json={"code": code}, timeout=5).json()[
            "token"
        ]
        worker = SyncWorker(journal, url, token, timeout_s=1, batch_size=20,
                            backoff_base_s=0.05, backoff_cap_s=0.2)  # fmt: skip
        worker.start()
        wait_until(lambda: journal.outbox_counts()["pending"] < 2000, timeout=30)
        server.send_signal(signal.SIGKILL)  # mid-batch, no goodbye
        server.wait()
        time.sleep(0.5)
        left = journal.outbox_counts()["pending"]
        assert 0 < left < 3000 and not worker.online
        server = serve(db, port)
        try:
            wait_until(lambda: journal.outbox_counts()["pending"] == 0, timeout=30)
        finally:
            worker.stop()
            server.terminate()
            server.wait()
    with running(db) as central:
        assert stored(central) == 3000
