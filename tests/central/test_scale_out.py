"""The central server scaled out: two ``kiosk-central serve`` processes on one
PostgreSQL, behind Debian's nginx running the shipped site file with TLS on
loopback. A bundle published anywhere reaches the long-polls held by both
processes, an upload through either is stored once, and with one process
killed the kiosks carry on through the other."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from sqlalchemy import Engine, func, select

from central.books import verify
from central.bundles import CHANNEL, publish
from central.db import make_engine, postings, transactions
from central.enrollment import enroll_batch
from central.seed import seed_demo
from config import bundle
from devtools.behind_nginx import Process, nginx, nginx_missing, processes
from devtools.load_rig import bundle_document
from offline_queue.journal import Journal
from offline_queue.sync import SyncWorker
from tests.certificates import self_signed

ACCOUNT = {"service": "electricity", "account": "3301234567"}


class KioskSession(requests.Session):
    """Calls under /api/v1 with the kiosk's credential, the pinned certificate
    on each (an environment's CA bundle must not stand in for it)."""

    def __init__(self, base: str, token: str, certificate: str) -> None:
        super().__init__()
        self.base, self.certificate = base, certificate
        self.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        return self.request(method, f"{self.base}/api/v1{path}", verify=self.certificate, **kwargs)


@dataclass
class Fleet:
    engine: Engine
    servers: list[Process]
    front: str  # nginx's https URL
    certificate: Path
    tokens: dict[str, str]  # kiosk id -> credential
    key: str  # the operator's bundle key

    def session(self, kiosk: str, base: str | None = None) -> KioskSession:
        """The kiosk's session to nginx (verified against the pinned certificate),
        or straight to one process's ``base``."""
        return KioskSession(base or self.front, self.tokens[kiosk], str(self.certificate))

    def publish(self, version: int) -> None:
        publish(self.engine, bundle_document(self.key, version))


@pytest.fixture
def fleet(tmp_path: Path, postgres_url: str) -> Iterator[Fleet]:
    missing = nginx_missing()
    if missing:
        pytest.skip(f"{missing} (make test installs it)")
    certificate, key = self_signed(tmp_path, "central")
    # Both processes start on the fresh database at once: their migrations take turns.
    with processes(postgres_url, 2, tmp_path / "servers.log", "--sandbox") as servers:
        engine = make_engine(postgres_url)
        seed_demo(engine, date(2026, 11, 24))
        with nginx(tmp_path / "nginx", [s.port for s in servers], certificate, key) as front:
            tokens = {}
            for kiosk, code in enroll_batch(engine, 8, "S-"):
                answer = requests.post(f"{front}/api/v1/enroll", json={"code": code},
                                       verify=str(certificate), timeout=10)  # fmt: skip
                assert answer.status_code == 200, answer.text
                tokens[kiosk] = answer.json()["token"]
            private, _ = bundle.new_key()
            yield Fleet(engine, servers, front, certificate, tokens, private)
        engine.dispose()


def get(session: KioskSession, path: str, **kwargs: Any) -> requests.Response:
    return session.call("GET", path, **kwargs)


def test_a_bundle_published_reaches_the_long_polls_held_by_every_process(fleet: Fleet) -> None:
    fleet.publish(1)
    a, b = fleet.servers
    kiosks = sorted(fleet.tokens)
    where = [a.url, a.url, b.url, b.url, None, None, None, None]  # None: through nginx
    sessions = [fleet.session(k, base) for k, base in zip(kiosks, where, strict=True)]
    for session in sessions:
        deadline = time.monotonic() + 10
        while get(session, "/config/bundle").headers.get("ETag") != '"1"':
            assert time.monotonic() < deadline, "a process never read bundle 1"
            time.sleep(0.1)
    answers: list[tuple[int, str, float]] = []
    published: list[float] = []

    def hold(session: KioskSession) -> None:
        got = get(session, "/config/bundle", params={"wait": 30},
                  headers={"If-None-Match": '"1"'})  # fmt: skip
        answers.append((got.status_code, got.headers.get("ETag", ""), time.monotonic()))

    threads = [threading.Thread(target=hold, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    time.sleep(1.5)  # all eight held: four on each process
    published.append(time.monotonic())
    fleet.publish(2)  # by the operator's own connection: neither process
    for thread in threads:
        thread.join(40)
    assert sorted((status, etag) for status, etag, _ in answers) == [(200, '"2"')] * 8
    slowest = max(at for _, _, at in answers) - published[0]
    print(f"bundle 2 reached 8 long-polls on two processes in {slowest * 1000:.0f} ms")
    assert slowest < 5  # a hold lasts at least 24 s: only the notification explains this


def test_a_status_poll_held_by_one_process_is_answered_when_the_order_is_paid_at_the_other(
    fleet: Fleet,
) -> None:
    a, b = fleet.servers
    kiosk = sorted(fleet.tokens)[0]
    body = {"userId": "3301234567", "amount": 16640, "paymentMethod": "wechat"}
    order = fleet.session(kiosk, a.url).call("POST", "/payments/create", json=body).json()
    held: list[tuple[str, float]] = []

    def hold() -> None:
        started = time.monotonic()
        answer = get(fleet.session(kiosk, b.url), f"/payments/{order['id']}",
                     params={"wait": 30})  # fmt: skip
        held.append((answer.json()["status"], time.monotonic() - started))

    thread = threading.Thread(target=hold)
    thread.start()
    time.sleep(1)
    assert held == []
    assert order["qrUrl"].startswith(a.url)
    assert requests.post(order["qrUrl"], timeout=10).status_code == 200  # paid through A
    thread.join(40)
    [(status, seconds)] = held
    print(f"the hold at B answered paid {seconds - 1:.2f} s after the payment at A")
    assert status == "paid" and seconds < 5  # a 30-s hold: B heard A's NOTIFY


def test_an_upload_through_either_process_or_nginx_is_stored_once(fleet: Fleet) -> None:
    tx = str(uuid.uuid4())
    data = {**ACCOUNT, "method": "cash", "amount": {"minor": 5000, "currency": "CNY"}}
    batch = {"transactions": [{"id": tx, "kind": "payment_completed", "payload": {
        "kind": "payment_completed", "session": "s", "at": "2026-11-24T10:00:00Z", "data": data,
    }}]}  # fmt: skip
    kiosk = sorted(fleet.tokens)[0]
    answers = []
    for base in (fleet.servers[0].url, fleet.servers[1].url, None, None):
        session = fleet.session(kiosk, base)
        answer = session.call("POST", "/transactions/batch", json=batch)
        assert answer.status_code == 200
        answers.append(answer.json())
    assert answers[0]["stored"] == [tx]
    assert all(a["duplicates"] == [tx] and a["stored"] == [] for a in answers[1:])
    with fleet.engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(transactions.c.id == tx)) == 1
        assert conn.scalar(select(func.count()).where(postings.c.id == tx)) == 1
        assert verify.problems(conn) == []


def test_with_one_process_killed_mid_load_the_kiosks_carry_on_through_the_other(
    fleet: Fleet, tmp_path: Path
) -> None:
    kiosks = sorted(fleet.tokens)[:4]
    journaled: list[str] = []
    lock, killed = threading.Lock(), threading.Event()
    after_kill: list[float | None] = []
    outboxes: dict[str, dict[str, int]] = {}

    # Opened here: alembic's migration context is one per process, not per thread.
    journals = {k: Journal(tmp_path / f"{k}.db") for k in kiosks}

    def kiosk_at_work(kiosk: str) -> None:
        with journals[kiosk] as journal:
            worker = SyncWorker(
                journal, fleet.front, fleet.tokens[kiosk], timeout_s=5, backoff_base_s=0.05,
                backoff_cap_s=0.5, rng=random.Random(kiosk), verify=str(fleet.certificate),
            )  # fmt: skip
            for n in range(30):
                tx = str(uuid.uuid4())
                data = {
                    **ACCOUNT,
                    "method": "cash",
                    "amount": {"minor": 100 + n, "currency": "CNY"},
                }
                journal.append("payment_completed", f"{kiosk}-{n}", data, tx)
                with lock:
                    journaled.append(tx)
                wait = worker.sync_once()
                if killed.is_set():
                    after_kill.append(wait)
                time.sleep(wait if wait is not None else 0.02)
            deadline = time.monotonic() + 30
            while journal.outbox_counts()["pending"] and time.monotonic() < deadline:
                time.sleep(worker.sync_once() or 0)
            worker.stop()
            outboxes[kiosk] = journal.outbox_counts()

    failed: list[BaseException] = []

    def at_work(name: str) -> None:
        try:
            kiosk_at_work(name)
        except BaseException as exc:  # the test's thread reports it
            failed.append(exc)
            raise

    threads = [threading.Thread(target=at_work, args=(k,)) for k in kiosks]
    for thread in threads:
        thread.start()
    while len(journaled) < 40 and not failed:
        time.sleep(0.01)
    fleet.servers[0].kill()  # mid-load, as a crash would
    killed.set()
    for thread in threads:
        thread.join(90)
    assert failed == []
    assert len(journaled) == 120
    assert outboxes == {k: {"pending": 0, "sent": 30, "dead": 0} for k in kiosks}
    with fleet.engine.connect() as conn:
        stored = conn.scalars(select(transactions.c.id).where(transactions.c.id.in_(journaled)))
        assert sorted(stored) == sorted(journaled)  # every one, each once
        assert verify.problems(conn) == []
    print(f"after the kill: {len(after_kill)} syncs, {len(after_kill) - after_kill.count(None)} "
          "to retry")  # fmt: skip
    assert after_kill.count(None) >= len(after_kill) - 4  # at most a retry a kiosk, then on
    lookups = [get(fleet.session(kiosks[0]), "/bills/electricity/3301234567").status_code
               for _ in range(10)]  # fmt: skip
    assert lookups == [200] * 10


def test_a_publish_notifies_every_listener_at_its_commit(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    private, _ = bundle.new_key()
    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        publish(engine, bundle_document(private, 7))
        heard = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    engine.dispose()
    assert heard == ["7"]
