"""The pay flow taking notes through the real ccTalk driver, built from settings."""

from __future__ import annotations

import time
from pathlib import Path

from config.choices import PaymentMethod
from config.settings import AcceptorSection
from drivers.sim.cctalk_device import CcTalkDevice
from drivers.sim.pty import PtyServer
from kiosk.flow import PayFlow, State
from kiosk.flow import events as e
from kiosk.ledger import last_cctalk_counter
from kiosk.recovery import recover
from kiosk.shell.acceptor_link import AcceptorLink
from kiosk.shell.devices import CCTALK_PREFIX, Acceptor, build_acceptor
from kiosk.shell.runner import FlowRunner
from offline_queue.journal import Journal
from tests.kiosk.flow_harness import SETTINGS, bill, yuan
from tests.waiting import wait_until

FAST = {"poll_interval_ms": 50, "reply_timeout_ms": 100}


def boot(path: Path, port: str) -> tuple[Journal, FlowRunner, Acceptor]:
    journal = Journal(path)
    recover(journal)
    runner = FlowRunner(PayFlow(SETTINGS), journal, services=lambda command: None)
    link = AcceptorLink(runner, journal)
    acceptor = build_acceptor(
        AcceptorSection(protocol="cctalk", port=port, **FAST), link.on_event, link.credit, journal
    )
    assert acceptor is not None
    runner.acceptor = acceptor.driver
    runner.start()
    return journal, runner, acceptor


def pay_by_cash(runner: FlowRunner, acceptor: Acceptor) -> None:
    wait_until(lambda: acceptor.driver.device_info() is not None)
    for event in (
        e.StartPressed(),
        e.ServiceChosen("electricity"),
        e.AccountEntered("1234567890"),
        e.BillFound(bill(due="70.00")),
        e.AmountChosen(yuan("70.00")),
        e.MethodChosen(PaymentMethod.CASH),
    ):
        runner.post(event).wait(2)


def credits(journal: Journal) -> list[str]:
    return [str(r.data["credit_id"]) for r in journal.records() if r.kind == "note_stacked"]


def test_bill_paid_through_cctalk_and_resumed_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    device = CcTalkDevice()
    with PtyServer(device) as server:
        journal, runner, acceptor = boot(path, server.path)
        try:
            pay_by_cash(runner, acceptor)
            wait_until(lambda: device.master_enabled)
            device.insert(50)
            wait_until(lambda: device.stacked == [50])
            device.insert(20)
            wait_until(lambda: runner.flow.state is State.COMPLETING)
            ids = credits(journal)
            assert [i.split(":")[1] for i in ids] == ["2", "4"]  # counters of the credits
            assert last_cctalk_counter(journal, CCTALK_PREFIX) == 4
        finally:
            acceptor.stop()
            runner.stop()
            journal.close()
        # the kiosk restarts on the same validator: the buffered credits are not taken again
        journal, runner, acceptor = boot(path, server.path)
        try:
            wait_until(lambda: acceptor.driver.device_info() is not None)
            time.sleep(0.3)
            assert len(credits(journal)) == 2
        finally:
            acceptor.stop()
            runner.stop()
            journal.close()


def test_sim_port_starts_the_simulator(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        runner = FlowRunner(PayFlow(SETTINGS), journal, services=lambda command: None)
        link = AcceptorLink(runner, journal)
        acceptor = build_acceptor(
            AcceptorSection(protocol="cctalk", port="sim", **FAST),
            link.on_event,
            link.credit,
            journal,
        )
        assert acceptor is not None and acceptor.simulator is not None
        try:
            wait_until(lambda: acceptor.driver.device_info() is not None)
        finally:
            acceptor.stop()


def test_no_acceptor_fitted(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        runner = FlowRunner(PayFlow(SETTINGS), journal, services=lambda command: None)
        link = AcceptorLink(runner, journal)
        assert (
            build_acceptor(AcceptorSection(protocol="none"), link.on_event, link.credit, journal)
            is None
        )
