"""The notify protocol's watchdog: whose it is."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from kiosk.shell.systemd import notify, watchdog_interval_s


def test_the_watchdog_is_the_kiosks_run_by_systemd_or_by_the_compositor_it_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert watchdog_interval_s() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))  # systemd started the kiosk
    assert watchdog_interval_s() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getppid()))  # cage did, as kiosk.service runs it
    assert watchdog_interval_s() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", "1")  # inherited from someone else: not ours
    assert watchdog_interval_s() is None
    monkeypatch.setenv("WATCHDOG_USEC", "soon")
    assert watchdog_interval_s() is None


def test_notify_sends_one_datagram_and_says_false_without_a_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify("READY=1") is False
    address = str(tmp_path / "n.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        monkeypatch.setenv("NOTIFY_SOCKET", address)
        assert notify("WATCHDOG=1") is True
        assert sock.recv(100) == b"WATCHDOG=1"
