"""The sync worker against the real reference server on loopback."""

from __future__ import annotations

import random
import sqlite3
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from central.db import transactions
from central.serve import free_port, running
from offline_queue.journal import Journal
from offline_queue.sync import SyncWorker, _retry_after
from tests.waiting import wait_until


def fill(journal: Journal, count: int) -> list[str]:
    ids = []
    for n in range(count):
        tx = str(uuid.uuid4())
        journal.append(
            "payment_completed", "s", {"amount": {"minor": 100 + n, "currency": "CNY"}}, tx
        )
        ids.append(tx)
    return ids


def stored(central: object) -> int:
    engine = central.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(transactions)).scalar())


def test_enrollment_and_authentication(tmp_path: Path) -> None:
    with running(tmp_path / "central.db") as central:
        url = f"{central.url}/api/v1"
        assert (
            requests.post(
                f"{url}/transactions/batch", json={"transactions": []}, timeout=5
            ).status_code
            == 401
        )
        bad = {"Authorization": "Bearer nope"}
        assert requests.post(f"{url}/heartbeat", json={}, headers=bad, timeout=5).status_code == 401
        token = central.enroll("K-9")
        ok = {"Authorization": f"Bearer {token}"}
        assert (
            requests.post(
                f"{url}/heartbeat", json={"queue_depth": 3}, headers=ok, timeout=5
            ).status_code
            == 204
        )
        assert (
            requests.post(f"{url}/enroll", json={"code": "0000000000000000"}, timeout=5).status_code
            == 403
        )


def test_outbox_uploaded_once_however_often_sent(tmp_path: Path) -> None:
    with running(tmp_path / "central.db") as central, Journal(tmp_path / "j.db") as journal:
        token = central.enroll()
        ids = fill(journal, 450)
        worker = SyncWorker(journal, central.url, token, batch_size=200)
        assert worker.sync_once() is None
        assert journal.outbox_counts() == {"pending": 0, "sent": 450, "dead": 0}
        assert stored(central) == 450
        # the same batch again and again (a kiosk that never heard the answer)
        body = {
            "transactions": [
                {"id": i, "kind": "payment_completed", "payload": {}} for i in ids[:100]
            ]
        }
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(20):
            answer = requests.post(
                f"{central.url}/api/v1/transactions/batch", json=body, headers=headers, timeout=10
            ).json()
            assert answer["stored"] == [] and len(answer["duplicates"]) == 100
        assert stored(central) == 450
        worker.stop()


def test_server_down_then_up_loses_nothing(tmp_path: Path) -> None:
    port = free_port()
    with Journal(tmp_path / "j.db") as journal:
        fill(journal, 30)
        with running(tmp_path / "central.db", port) as central:
            token = central.enroll()
        # a refused connection fails at once; the timeout only bounds the answer of
        # a server just started on a busy machine (1 s made this flaky under load)
        worker = SyncWorker(
            journal, f"http://127.0.0.1:{port}", token, timeout_s=10, rng=random.Random(1)
        )
        wait = worker.sync_once()  # nobody listens
        assert wait is not None and wait >= 0
        assert not worker.online
        assert journal.outbox_counts()["pending"] == 30
        with running(tmp_path / "central.db", port) as central:
            assert worker.sync_once() is None
            assert worker.online
            assert stored(central) == 30
        worker.stop()


def test_rejected_transactions_go_to_the_dead_letters(tmp_path: Path) -> None:
    with running(tmp_path / "central.db") as central, Journal(tmp_path / "j.db") as journal:
        token = central.enroll()
        journal.append("x" * 40, "s", {}, str(uuid.uuid4()))  # a kind the server refuses (422)
        worker = SyncWorker(journal, central.url, token, batch_size=1)
        fill(journal, 2)
        assert worker.sync_once() is None
        counts = journal.outbox_counts()
        assert counts == {"pending": 0, "sent": 2, "dead": 1}
        worker.stop()


def test_a_record_the_books_refuse_is_sent_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The server keeps it (never lost) and says why its books refused it."""
    with running(tmp_path / "central.db") as central, Journal(tmp_path / "j.db") as journal:
        token = central.enroll()
        data = {"service": "water", "account": "1", "method": "gold",
                "amount": {"minor": 100, "currency": "CNY"}}  # fmt: skip
        tx = str(uuid.uuid4())
        journal.append("payment_completed", "s", data, tx)
        worker = SyncWorker(journal, central.url, token)
        assert worker.sync_once() is None
        assert journal.outbox_counts() == {"pending": 0, "sent": 1, "dead": 0}
        assert f"books refused {tx}: payment_completed: method: not a payment method" in caplog.text
        worker.stop()


def test_backoff_grows_with_full_jitter(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        fill(journal, 1)
        worker = SyncWorker(journal, f"http://127.0.0.1:{free_port()}", "t", timeout_s=0.5,
                            backoff_base_s=1, backoff_cap_s=8, rng=random.Random(7))  # fmt: skip
        waits = [worker.sync_once() for _ in range(6)]
        assert all(w is not None and 0 <= w <= 8 for w in waits)
        assert max(w for w in waits if w is not None) > 2  # grows past the first steps
        worker.stop()


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), (None, None), ("soon", None), ("Tue, 24 Nov 2026 08:00:30 GMT", 30.0)],
)
def test_retry_after(value: str | None, seconds: float | None) -> None:
    now = datetime(2026, 11, 24, 8, 0, 0, tzinfo=UTC)
    assert _retry_after(value, lambda: now) == seconds


def test_committed_openapi_matches_the_code(tmp_path: Path) -> None:
    import json  # noqa: PLC0415

    from central.app import create_app  # noqa: PLC0415

    committed = Path(__file__).parents[2] / "docs" / "openapi.json"
    generated = create_app(f"sqlite:///{tmp_path}/c.db").openapi()
    assert json.loads(committed.read_text(encoding="utf-8")) == generated, (
        "regenerate with: kiosk-central openapi > docs/openapi.json"
    )


class _Nonsense:
    """An HTTP server that answers 200 with something that is not the API's answer."""

    def __init__(self, body: bytes) -> None:
        import http.server  # noqa: PLC0415
        import threading  # noqa: PLC0415

        payload = body

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("body", [b"<html>proxy login</html>", b'{"stored": 5}', b"[]"])
def test_a_server_answering_nonsense_marks_nothing_sent(tmp_path: Path, body: bytes) -> None:
    nonsense = _Nonsense(body)
    try:
        with Journal(tmp_path / "j.db") as journal:
            fill(journal, 3)
            worker = SyncWorker(journal, nonsense.url, "t", timeout_s=2)
            assert worker.sync_once() is not None  # try again later
            assert journal.outbox_counts() == {"pending": 3, "sent": 0, "dead": 0}
            worker.stop()
    finally:
        nonsense.close()


def test_the_sync_thread_outlives_a_journal_held_by_someone_else(tmp_path: Path) -> None:
    """A technician's sqlite3 shell holds the journal while a batch goes up: the
    server stores it, the kiosk cannot mark it sent (database is locked); the
    worker keeps going, and once the journal is free it marks it (the server
    answers the retry as duplicates: stored once)."""
    with running(tmp_path / "central.db") as central, Journal(tmp_path / "j.db") as journal:
        ids = fill(journal, 3)
        locker = sqlite3.connect(tmp_path / "j.db", isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        worker = SyncWorker(journal, central.url, central.enroll())
        worker.start()
        try:
            wait_until(lambda: stored(central) == 3, timeout=15)  # sent; not yet marked
            time.sleep(6)  # past SQLite's 5 s busy timeout: the mark failed
            assert worker._thread is not None and worker._thread.is_alive()
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        wait_until(lambda: journal.outbox_counts()["pending"] == 0, timeout=15)
        worker.stop()
        assert stored(central) == len(ids)
