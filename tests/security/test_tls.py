"""TLS to the central server: verified by default, so a server with a
self-signed certificate is refused, unless that certificate is pinned in the
settings (``central.tls_ca_file``). A real HTTPS server on loopback."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from central.serve import Central, running
from config.loader import defaults, merge, validate
from kiosk.maintenance.diagnostics import check_network
from offline_queue.journal import Journal
from offline_queue.sync import SyncWorker
from tests.certificates import self_signed


@pytest.fixture
def https(tmp_path: Path) -> Iterator[tuple[Central, Path]]:
    certificate, key = self_signed(tmp_path, "central")
    with running(tmp_path / "central.db", tls=(certificate, key)) as server:
        yield server, certificate


def outbox_with_one(path: Path) -> Journal:
    journal = Journal(path)
    journal.append("payment_completed", None, {"amount": {"minor": 100, "currency": "CNY"}}, "T-1")
    return journal


def test_verification_is_on_by_default() -> None:
    assert validate(defaults()).central.verify is True


def test_a_self_signed_server_is_refused_and_nothing_is_marked_sent(
    https: tuple[Central, Path], tmp_path: Path
) -> None:
    central, _ = https
    token = central.enroll("K-TLS")
    with outbox_with_one(tmp_path / "j.db") as journal:
        worker = SyncWorker(journal, central.url, token, timeout_s=5)
        assert worker.sync_once() is not None  # a retry is scheduled
        worker.stop()
        [pending] = journal.outbox_pending(10)
        assert pending[0] == "T-1"
    with sqlite3.connect(tmp_path / "j.db") as db:
        [(error,)] = db.execute("SELECT last_error FROM outbox").fetchall()
    assert "certificate is not trusted" in error
    check = check_network(central.url, 5)
    assert not check.reachable and "certificate is not trusted" in check.detail


def test_a_pinned_certificate_is_trusted(
    https: tuple[Central, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    central, certificate = https
    # requests lets these override a session's own verify (psf/requests#3829): not ours
    impostor, _ = self_signed(tmp_path, "impostor")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(impostor))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(impostor))
    pinned = {"central": {"url": central.url, "tls_ca_file": str(certificate)}}
    settings = validate(merge(defaults(), pinned))
    assert settings.central.verify == str(certificate)
    token = central.enroll("K-TLS")
    with outbox_with_one(tmp_path / "j.db") as journal:
        worker = SyncWorker(
            journal, central.url, token, timeout_s=5, verify=settings.central.verify
        )
        assert worker.sync_once() is None
        worker.stop()
        assert journal.outbox_counts()["pending"] == 0
    assert check_network(central.url, 5, settings.central.verify).reachable


def test_another_self_signed_certificate_pinned_does_not_open_the_door(
    https: tuple[Central, Path], tmp_path: Path
) -> None:
    central, _ = https
    impostor, _ = self_signed(tmp_path, "impostor")  # pinned: a different certificate
    check = check_network(central.url, 5, str(impostor))
    assert not check.reachable and "certificate is not trusted" in check.detail
    assert central.url.startswith("https://")
