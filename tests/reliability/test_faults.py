"""Data faults at the kiosk, on the real journal and the ID-003 driver with its
simulator on a pty: a disk that fills up mid-session, a journal another
process holds locked, the clock jumping back and forth."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from central.serve import running
from drivers.id003.codes import Status
from drivers.sim.id003_device import Id003Device
from drivers.sim.pty import PtyServer
from kiosk.flow import State
from kiosk.maintenance.roles import Function, NotAllowed, Role
from kiosk.recovery import recover
from offline_queue.journal import Journal
from tests.kiosk.flow_harness import Harness
from tests.kiosk.test_cash_over_id003 import AckWitness, boot, count, simulator, to_cash
from tests.kiosk.test_central_client import seed
from tests.kiosk.test_recovery import crash, ids
from tests.ui.rig import acceptor, shown_text, start_kiosk, state, to_paying, view
from tests.ui.test_maintenance import PINS
from tests.waiting import wait_until
from ui.app import KioskUi


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB filesystem of its own (tmpfs), so that it can really fill up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Write until the filesystem is full; the filler file, to free the space later."""
    filler = folder / "filler"
    with contextlib.suppress(OSError), filler.open("wb", buffering=0) as out:
        while True:
            out.write(b"\0" * 4096)
            os.fsync(out.fileno())
    return filler


def test_disk_full_mid_session_takes_no_more_money_and_loses_none(small_disk: Path) -> None:
    path = small_disk / "journal.db"
    failures: list[str] = []
    with simulator() as (device, server):
        k = boot(path, server.path)
        k.runner._on_failure = failures.append
        try:
            to_cash(k)
            wait_until(lambda: not device.inhibited)
            device.insert(50)
            wait_until(lambda: count(path, "note_stacked") == 1)
            filler = fill(small_disk)
            device.insert(20)  # its escrow cannot be journaled: it goes back
            wait_until(lambda: k.runner.failure is not None)
            wait_until(lambda: device.inhibited and not device.holding)
            assert "full" in str(k.runner.failure)
            assert len(failures) == 1 and "full" in failures[0]  # told once: out of service
            assert device.stacked == [50] and device.acks_received == 1
        finally:
            k.stop()
        filler.unlink()  # the technician frees the space; the kiosk restarts
        k = boot(path, server.path)
        try:
            wait_until(lambda: k.driver.device_info() is not None)
        finally:
            k.stop()
    with Journal(path) as journal:
        assert journal.verify().ok
        credits = [r.data["value"]["minor"] for r in journal.records() if r.kind == "note_stacked"]
        settled = [r.data["amount"]["minor"] for r in journal.records()
                   if r.kind == "credit_settled"]  # fmt: skip
    assert credits == [5000]  # the ¥20 was handed back, never taken
    assert settled == [5000]  # the ¥50 is credited to the account at the restart


def test_a_journal_locked_by_another_process_delays_the_credit_and_loses_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.db"
    with simulator() as (device, server):
        device.journal_path = path
        k = boot(path, server.path)
        try:
            to_cash(k)
            wait_until(lambda: not device.inhibited)
            locker = sqlite3.connect(path, isolation_level=None)
            locker.execute("BEGIN EXCLUSIVE")  # e.g. a technician's sqlite3 shell
            device.insert(100)
            time.sleep(1.0)
            assert device.acks_received == 0  # no ACK while the credit cannot be written
            locker.execute("COMMIT")
            locker.close()
            wait_until(lambda: device.stacked == [100])
        finally:
            k.stop()
    assert device.at_ack == [1]  # the credit was on disk when the ACK went out
    assert count(path, "note_stacked") == 1


def test_the_clock_jumping_back_and_forth_breaks_neither_the_chain_nor_recovery(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.db"
    start = datetime(2026, 11, 24, 12, tzinfo=UTC)
    jumps = iter([timedelta(0), timedelta(days=-400), timedelta(hours=9), timedelta(days=3)] * 50)
    lock = threading.Lock()

    def clock() -> datetime:
        with lock:
            return start + next(jumps)

    h = Harness()
    h.to_cash()
    h.insert("50", "20")
    crash(path, h)
    with Journal(path, clock=clock) as journal:
        report = recover(journal, ids())
        assert journal.verify().ok
        records = list(journal.records())
    assert [r.seq for r in records] == sorted(r.seq for r in records)
    assert report.settled_sessions == 1
    assert [r.kind for r in records][-1] == "recovery"


def _fill_mid_session(qtbot: QtBot, ui: KioskUi, disk: Path) -> tuple[Id003Device, Path]:
    """A customer paying in cash when the disk fills up: the journal fails."""
    to_paying(qtbot, ui, "现金")
    device = acceptor(ui)
    qtbot.waitUntil(lambda: not device.inhibited, timeout=10_000)
    filler = fill(disk)
    device.insert(50)  # its escrow cannot be journaled
    qtbot.waitUntil(lambda: state(ui) is State.OUT_OF_SERVICE, timeout=10_000)
    return device, filler


def test_the_kiosk_on_a_full_disk_goes_out_of_service_and_tells_the_technician(
    qtbot: QtBot, small_disk: Path, tmp_path: Path
) -> None:
    with running(tmp_path / "central.db") as central:
        seed(central)
        ui = start_kiosk(qtbot, small_disk, central)  # its data folder on the small disk
        try:
            device, filler = _fill_mid_session(qtbot, ui, small_disk)
            assert "抱歉，本机暂停服务" in shown_text(ui)
            qtbot.waitUntil(lambda: device.inhibited and not device.holding, timeout=10_000)
            assert device.stacked == []  # the note went back to the customer
            report = ui.app.health.snapshot()["journal"]
            assert report.state == "cannot be written" and "full" in str(report.last_error)
            touch_nothing = view(ui)
            qtbot.wait(500)
            assert view(ui) == touch_nothing  # the flow is no longer fed: nothing moves on
        finally:
            ui.stop()
    filler.unlink()


def test_the_technician_gets_the_menu_on_a_full_disk_without_the_journal(
    qtbot: QtBot, small_disk: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Entering is not journaled (it cannot be): the menu opens anyway, offers what
    needs no journal (devices, disk, export, restart), keeps the PIN lockout in
    memory, logs its audit trail, and gives the screen back to "out of service"."""
    with running(tmp_path / "central.db") as central:
        seed(central)
        ui = start_kiosk(qtbot, small_disk, central, timeouts={"maintenance": 3})
        try:
            _, filler = _fill_mid_session(qtbot, ui, small_disk)
            service = ui.app.maintenance
            assert service.journal_failed()
            assert service.enter_pin("000000").role is None
            assert service.lock().failures == 1  # counted, though not journaled
            assert service.enter_pin(PINS[Role.TECHNICIAN]).role is Role.TECHNICIAN
            qtbot.waitUntil(lambda: state(ui) is State.MAINTENANCE, timeout=5_000)
            assert service.role is Role.TECHNICIAN
            assert service.may(Function.DIAGNOSTICS) and service.may(Function.EXPORT)
            assert not service.may(Function.SELF_TESTS)  # the acceptor test needs the flow
            assert "交易日志（磁盘）" in shown_text(ui)  # the devices page: the journal row
            with pytest.raises(NotAllowed):
                service.set_out_of_service(False)  # stays out of service until restarted
            service.leave()
            qtbot.waitUntil(lambda: state(ui) is State.OUT_OF_SERVICE, timeout=5_000)
            assert "抱歉，本机暂停服务" in shown_text(ui)
            assert service.enter_pin(PINS[Role.TECHNICIAN]).role is Role.TECHNICIAN
            qtbot.waitUntil(lambda: state(ui) is State.MAINTENANCE, timeout=5_000)
            # walked away: the menu closes by itself
            qtbot.waitUntil(lambda: state(ui) is State.OUT_OF_SERVICE, timeout=10_000)
            assert service.role is None
            for _ in range(5):
                service.enter_pin("000000")
            assert service.lock().locked(datetime.now(UTC))
            assert service.enter_pin(PINS[Role.TECHNICIAN]).role is None  # locked out, in memory
        finally:
            ui.stop()
    filler.unlink()
    audit = [r.getMessage() for r in caplog.records if "not journaled" in r.getMessage()]
    assert any("'action': 'pin_accepted'" in line for line in audit)
    assert any("'action': 'left'" in line for line in audit)
    assert PINS[Role.TECHNICIAN] not in caplog.text


class _FillsAtVendValid(AckWitness):
    """The validator; the disk fills up as it reports the note stacked."""

    disk: Path | None = None
    filler: Path | None = None

    def receive(self, data: bytes) -> bytes:
        if self.disk is not None and self.filler is None and self.status is Status.VEND_VALID:
            self.filler = fill(self.disk)
        return super().receive(data)


def test_disk_full_between_stack_and_credit_holds_the_ack_and_the_restart_credits(
    small_disk: Path,
) -> None:
    path = small_disk / "journal.db"
    device = _FillsAtVendValid()
    device.at_ack = []
    with PtyServer(device) as server:
        k = boot(path, server.path)
        try:
            to_cash(k)
            wait_until(lambda: not device.inhibited)
            device.disk = small_disk
            device.insert(100)  # escrow journaled, STACK sent, then the disk is full
            wait_until(lambda: k.runner.failure is not None)
            time.sleep(0.5)
            assert device.status is Status.VEND_VALID and device.acks_received == 0
        finally:
            k.stop()
        assert device.filler is not None
        device.filler.unlink()  # space again; the kiosk restarts
        k = boot(path, server.path)
        try:
            wait_until(lambda: count(path, "note_stacked") == 1)
            wait_until(lambda: device.stacked == [100])
        finally:
            k.stop()
    with Journal(path) as journal:
        assert journal.verify().ok
        settled = [r.data["amount"]["minor"] for r in journal.records()
                   if r.kind == "credit_settled"]  # fmt: skip
    assert settled == [10000]  # credited once, at the restart
