"""``kiosk restore`` against a real central server: a copy older than what the
server holds of this kiosk is refused; a current one is restored; a server
that cannot be asked refuses unless the technician says --without-server."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from central.enrollment import new_enrollment_code
from central.serve import running
from kiosk.shell.central import enroll
from launcher.cli import main
from offline_queue import backup
from offline_queue.journal import Journal
from offline_queue.sync import SyncWorker


def _pay(journal: Journal, count: int) -> None:
    for n in range(count):
        data = {"service": "electricity", "account": "3301234567", "method": "cash",
                "amount": {"minor": 100 + n, "currency": "CNY"}}  # fmt: skip
        journal.append("payment_completed", f"s{uuid.uuid4().hex[:6]}", data, str(uuid.uuid4()))


def test_kiosk_restore_asks_the_central_server_what_it_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "var"
    data.mkdir()
    with running(tmp_path / "c.db") as central:
        code = new_enrollment_code(central.app.state.engine, "K-R")
        credentials = enroll(central.url, code, data / "central.json")
        site = tmp_path / "site.toml"
        site.write_text(f'[paths]\ndata_dir = "{data}"\n[central]\nurl = "{central.url}"\n')
        db = data / "journal.db"

        def upload(count: int) -> None:
            with Journal(db) as journal:
                _pay(journal, count)
                worker = SyncWorker(journal, central.url, credentials.token, timeout_s=5)
                assert worker.sync_once() is None
                worker.stop()

        upload(4)
        old = backup.take(db, tmp_path / "b", datetime(2026, 12, 1, tzinfo=UTC))
        upload(3)  # the server now holds 7: the copy of 4 is older
        assert main(["--config", str(site), "restore", str(old.path)]) == 1
        assert "older than the central server's" in capsys.readouterr().err
        current = backup.take(db, tmp_path / "b", datetime(2026, 12, 2, tzinfo=UTC))
        assert main(["--config", str(site), "restore", str(current.path)]) == 0
        with Journal(db) as journal:
            assert journal.verify().ok and len(journal.outbox_ids()) == 7
    # The server is gone: the copy's age cannot be known.
    assert main(["--config", str(site), "restore", str(current.path)]) == 1
    assert "cannot be asked" in capsys.readouterr().err
    assert main(["--config", str(site), "restore", str(current.path), "--without-server"]) == 0
    assert json.loads((data / "central.json").read_text())["kiosk_id"] == "K-R"
