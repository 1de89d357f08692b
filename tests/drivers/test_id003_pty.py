"""Every status and fault, over a pty, between the real driver and the simulator."""

import pytest

from drivers import acceptor as ev
from drivers.id003.codes import Status
from drivers.id003.driver import Id003Driver
from drivers.id003.host import Id003Host
from drivers.sim.id003_device import Id003Device
from tests.drivers.id003_rig import NOTES, rig


def test_power_up_reads_the_denomination_table() -> None:
    with rig() as r:
        ready = r.ready()
        assert [(d.minor, d.currency) for d in ready.info.denominations] == [
            (100, "CNY"), (500, "CNY"), (1000, "CNY"), (2000, "CNY"), (5000, "CNY"), (10000, "CNY"),
        ]  # fmt: skip
        assert ready.info.model == "i(CHN)100-SS"
        assert r.driver is not None and r.driver.device_info() == ready.info
        assert r.device.inhibited  # ready, but takes nothing until enabled


def test_table_comes_from_the_device_not_the_code() -> None:
    with rig(Id003Device(notes_major=(10, 20, 50), currency="USD")) as r:
        ready = r.ready()
        assert [(d.code, d.minor, d.currency) for d in ready.info.denominations] == [
            (0x61, 1000, "USD"), (0x62, 2000, "USD"), (0x63, 5000, "USD"),
        ]  # fmt: skip


def test_escrow_stack_credit_then_ack() -> None:
    with rig() as r:
        r.ready()
        assert r.driver is not None
        r.driver.enable(NOTES)
        r.wait_until(lambda: not r.device.inhibited)
        escrowed = r.insert(50)
        assert (escrowed.minor, escrowed.currency) == (5000, "CNY")
        assert r.credits == []  # escrow is not credit
        r.driver.stack()
        r.wait_until(lambda: r.device.stacked == [50])
        assert [(c.minor, c.credit_id) for c in r.credits] == [(5000, "id003-1")]
        assert r.device.acks_received == 1


def test_return_from_escrow() -> None:
    with rig() as r:
        r.ready()
        assert r.driver is not None
        r.driver.enable(NOTES)
        r.wait_until(lambda: not r.device.inhibited)
        r.insert(100)
        r.driver.return_note()
        returned = r.wait_for(ev.Returned)
        assert returned.minor == 10000
        assert r.credits == [] and r.device.stacked == []


def test_inhibited_denomination_is_rejected_by_the_device() -> None:
    with rig() as r:
        r.ready()
        assert r.driver is not None
        r.driver.enable(frozenset({100, 500, 1000}))  # no ¥100 notes
        r.wait_until(lambda: not r.device.inhibited and r.device.disabled_mask != 0)
        r.device.insert(100)
        rejected = r.wait_for(ev.Rejected)
        assert (rejected.reason, rejected.code) == ("inhibited", 0x79)


def test_counterfeit_is_rejected() -> None:
    with rig() as r:
        r.ready()
        assert r.driver is not None
        r.driver.enable(NOTES)
        r.wait_until(lambda: not r.device.inhibited)
        r.device.insert(3)  # not a note this device knows
        assert r.wait_for(ev.Rejected).reason == "denomination assessment error"


def test_stack_with_nothing_in_escrow_is_refused() -> None:
    with rig() as r:
        r.ready()
        assert r.driver is not None
        r.driver.stack()
        assert "no note in escrow" in r.wait_for(ev.ProtocolError).detail


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (lambda d: d.jam(), ev.Jammed(ev.Where.ACCEPTOR)),
        (lambda d: d.jam(in_stacker=True), ev.Jammed(ev.Where.STACKER)),
        (lambda d: d.cashbox_full(), ev.CashboxFull()),
        (lambda d: d.remove_cashbox(), ev.CashboxRemoved()),
        (lambda d: d.cheat(), ev.CheatDetected("the acceptor reports a cheat attempt")),
        (lambda d: d.fail(0xA6), ev.Failed(0xA6, "transport motor failure")),
        (lambda d: d.second_note(), ev.Paused()),
    ],
)
def test_faults_reach_the_listener(fault: object, expected: ev.AcceptorEvent) -> None:
    with rig() as r:
        r.ready()
        fault(r.device)  # type: ignore[operator]
        assert r.wait_for(type(expected)) == expected
        if r.device.in_fault:
            r.device.clear()
            r.wait_for(ev.FaultCleared)


def test_cashbox_removed_and_restored() -> None:
    with rig() as r:
        r.ready()
        r.device.remove_cashbox()
        r.wait_for(ev.CashboxRemoved)
        r.device.restore_cashbox()
        r.wait_for(ev.CashboxRestored)


@pytest.mark.parametrize(
    ("note_in", "where"), [("stacker", ev.Where.STACKER), ("acceptor", ev.Where.ACCEPTOR)]
)
def test_power_cycle_with_a_note_inside(note_in: str, where: ev.Where) -> None:
    with rig() as r:
        r.ready()
        r.device.power_cycle(note_in)
        assert r.wait_for(ev.PoweredUpWithNote).where is where
        r.ready()  # reset and initialized again


def test_noise_and_bad_crc_are_survived() -> None:
    with rig() as r:
        r.ready()
        r.device.noise()
        assert "before SYNC" in r.wait_for(ev.ProtocolError).detail
        r.device.corrupt_next()
        r.wait_for(ev.ProtocolError, where=lambda e: "bad CRC" in e.detail)
        assert r.driver is not None
        r.driver.enable(NOTES)
        r.wait_until(lambda: not r.device.inhibited)
        r.insert(20)


def test_silence_is_a_disconnect_and_coming_back_a_reconnect() -> None:
    with rig() as r:
        r.ready()
        r.device.silent = True
        r.wait_for(ev.Disconnected)
        r.device.silent = False
        r.wait_for(ev.Reconnected)
        r.ready()


def test_slow_replies_within_the_timeout_work() -> None:
    device = Id003Device()
    device.delay_s = 0.05  # the driver waits 0.1 s
    with rig(device) as r:
        r.ready()


def test_credit_not_journaled_is_not_acked_and_offered_again() -> None:
    with rig() as r:
        r.ready()
        assert r.driver is not None
        r.driver.enable(NOTES)
        r.wait_until(lambda: not r.device.inhibited)
        r.accept_credit = False  # the journal cannot write
        r.insert(10)
        r.driver.stack()
        r.wait_until(lambda: len(r.credits) >= 3)
        assert r.device.acks_received == 0  # the device still says VEND VALID
        assert {c.credit_id for c in r.credits} == {"id003-1"}  # the same credit each time
        r.accept_credit = True
        r.wait_until(lambda: r.device.stacked == [10])
        assert r.device.acks_received == 1


def test_restart_between_vend_valid_and_ack_neither_loses_nor_doubles() -> None:
    with rig() as r:
        r.ready()
        assert r.driver is not None
        r.driver.enable(NOTES)
        r.wait_until(lambda: not r.device.inhibited)
        r.accept_credit = False  # journaled, then the kiosk dies before it ACKs
        r.insert(100)
        r.driver.stack()
        r.wait_until(lambda: len(r.credits) >= 1)
        r.driver.stop()
        offered = len(r.credits)
        # the kiosk comes back: a new driver on the same line
        r.accept_credit = True
        r.start_driver()
        assert r.wait_for(ev.PoweredUpWithNote).where is ev.Where.STACKER
        r.ready()
        assert len(r.credits) == offered  # no second credit for the same note
        assert r.device.stacked == [100]  # the note is in the cashbox
        assert r.device.acks_received == 0


def test_watchdog_resets_a_device_stuck_in_a_transient_state() -> None:
    with rig(driver=False) as r:
        r.driver = Id003Driver(
            r.server.path, r.events.put, r.credit, poll_interval_s=0.02,
            reply_timeout_s=0.1, host=Id003Host(watchdog_s=0.3),
        )  # fmt: skip
        r.driver.start()
        r.ready()
        r.device.stick(Status.STACKING)
        failed = r.wait_for(ev.Failed)
        assert failed.description.startswith("stuck in STACKING for")
        r.ready()  # the reset brought it back
