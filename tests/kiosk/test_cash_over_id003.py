"""The pay flow taking notes through the real ID-003 driver and the simulator.

The credit for a stacked note must be on disk before the device is ACKed, a
restart between the two must neither lose nor double it, and a note found in
the stacker at power-up is reconciled with the journal.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from config.choices import PaymentMethod
from drivers import acceptor as ev
from drivers.id003.driver import Id003Driver
from drivers.id003.host import Id003Host
from drivers.sim.id003_device import Id003Device
from drivers.sim.pty import PtyServer
from kiosk.flow import PayFlow, State
from kiosk.flow import events as e
from kiosk.recovery import recover
from kiosk.shell.acceptor_link import AcceptorLink
from kiosk.shell.runner import FlowRunner
from offline_queue.journal import Journal
from tests.kiosk.flow_harness import SETTINGS, bill, yuan
from tests.waiting import wait_until


class AckWitness(Id003Device):
    """The simulator, noting how many credits the journal held at each ACK."""

    journal_path: Path | None = None
    at_ack: list[int]

    def receive(self, data: bytes) -> bytes:
        before = self.acks_received
        reply = super().receive(data)
        if self.acks_received > before and self.journal_path is not None:
            self.at_ack.append(count(self.journal_path, "note_stacked"))
        return reply


def count(path: Path, kind: str) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT count(*) FROM journal WHERE kind = ?", (kind,)).fetchone()[0])
    finally:
        db.close()


@dataclass
class Kiosk:
    journal: Journal
    runner: FlowRunner
    link: AcceptorLink
    driver: Id003Driver

    def stop(self) -> None:
        self.driver.stop()
        self.runner.stop()
        self.journal.close()

    def state(self) -> State:
        return self.runner.flow.state


def boot(
    path: Path, pty: str, sink: Callable[[AcceptorLink], ev.CreditSink] | None = None
) -> Kiosk:
    journal = Journal(path)
    recover(journal)
    runner = FlowRunner(PayFlow(SETTINGS), journal, services=lambda command: None)
    link = AcceptorLink(runner, journal)
    driver = Id003Driver(
        pty,
        link.on_event,
        sink(link) if sink else link.credit,
        poll_interval_s=0.02,
        reply_timeout_s=0.1,
        host=Id003Host(credit_prefix=f"run{time.monotonic_ns()}"),
    )
    runner.acceptor = driver
    runner.start()
    driver.start()
    return Kiosk(journal, runner, link, driver)


@contextmanager
def simulator() -> Iterator[tuple[AckWitness, PtyServer]]:
    device = AckWitness()
    device.at_ack = []
    with PtyServer(device) as server:
        yield device, server


def to_cash(k: Kiosk, due: str = "123.45") -> None:
    wait_until(lambda: k.driver.device_info() is not None)
    for event in (
        e.StartPressed(),
        e.ServiceChosen("electricity"),
        e.AccountEntered("1234567890"),
        e.BillFound(bill(due=due)),
        e.AmountChosen(yuan(due)),
        e.MethodChosen(PaymentMethod.CASH),
    ):
        k.runner.post(event).wait(2)
    assert k.state() is State.CASH_INSERTING


def test_paid_in_notes_credit_on_disk_before_each_ack(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    with simulator() as (device, server):
        device.journal_path = path
        k = boot(path, server.path)
        try:
            to_cash(k)
            wait_until(lambda: not device.inhibited)
            for note in (100, 20, 5):
                device.insert(note)
                wait_until(lambda: device.stacked[-1:] == [note])  # noqa: B023 - waited on at once
            wait_until(lambda: k.state() is State.COMPLETING)
        finally:
            k.stop()
    assert device.at_ack == [1, 2, 3]  # at every ACK its credit was already journaled
    assert count(path, "payment_completed") == 1
    with Journal(path) as journal:
        credits = [r.data["credit_id"] for r in journal.records() if r.kind == "note_stacked"]
    assert len(set(credits)) == 3


def test_escrow_over_the_limit_is_returned_by_the_device(tmp_path: Path) -> None:
    with simulator() as (device, server):
        k = boot(tmp_path / "j.db", server.path)
        try:
            to_cash(k, due="1990.00")
            wait_until(lambda: not device.inhibited)
            for _ in range(19):
                device.insert(100)
            wait_until(lambda: len(device.stacked) == 19)
            device.insert(50)
            wait_until(lambda: len(device.stacked) == 20)
            # ¥1,950 in: the acceptor is told to refuse ¥100 notes now (limit ¥50)
            wait_until(lambda: device.disabled_mask != 0)
            device.insert(100)
            time.sleep(0.5)
            assert device.stacked.count(100) == 19
        finally:
            k.stop()


def test_jam_ends_the_session_with_the_money_accounted(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with simulator() as (device, server):
        k = boot(path, server.path)
        try:
            to_cash(k)
            wait_until(lambda: not device.inhibited)
            device.insert(50)
            wait_until(lambda: 50 in device.stacked)
            device.jam()
            wait_until(lambda: k.state() is State.CANCELLED)
        finally:
            k.stop()
    assert count(path, "credit_settled") == 1
    assert count(path, "acceptor_fault") == 1


def test_restart_between_credit_and_ack_neither_loses_nor_doubles(tmp_path: Path) -> None:
    path = tmp_path / "j.db"

    def dies_before_ack(link: AcceptorLink) -> ev.CreditSink:
        def sink(stacked: ev.Stacked) -> bool:
            link.credit(stacked)  # on disk…
            return False  # …and the kiosk dies before the ACK goes out

        return sink

    with simulator() as (device, server):
        k = boot(path, server.path, dies_before_ack)
        try:
            to_cash(k)
            wait_until(lambda: not device.inhibited)
            device.insert(100)
            wait_until(lambda: count(path, "note_stacked") == 1)
        finally:
            k.stop()
        assert device.acks_received == 0
        k = boot(path, server.path)  # the kiosk comes back
        try:
            wait_until(lambda: k.driver.device_info() is not None)
        finally:
            k.stop()
    assert count(path, "note_stacked") == 1  # not credited twice
    assert count(path, "credit_settled") == 1  # recovery settled the unfinished session
    assert device.stacked == [100]
    with Journal(path) as journal:
        [fault] = journal.latest(["acceptor_fault"])
    assert "was journaled before the restart" in fault.data["reason"]


def test_note_stacked_during_a_power_cut_is_credited_at_power_up(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with simulator() as (device, server):
        k = boot(path, server.path)
        try:
            to_cash(k)
            wait_until(lambda: not device.inhibited)
            device.hang_on_stack = True  # the power goes while the note is being stacked
            device.insert(50)
            wait_until(lambda: device.stuck)
        finally:
            k.stop()
        device.power_cycle("stacker")
        k = boot(path, server.path)
        try:
            wait_until(lambda: count(path, "credit_settled") == 1)
        finally:
            k.stop()
    with Journal(path) as journal:
        [stacked] = journal.latest(["note_stacked"])
        [settled] = journal.latest(["credit_settled"])
    assert stacked.data["value"] == yuan("50").to_json()
    assert settled.data["to"] == "voucher"  # the customer is gone: a voucher is printed
    assert str(stacked.data["credit_id"]).startswith("power-up-")
    assert device.stacked == [50]
