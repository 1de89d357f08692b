"""ccTalk: golden packets, the event counter, and the real driver over a pty."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers import acceptor as ev
from drivers.cctalk.driver import CcTalkDriver
from drivers.cctalk.frames import (
    Checksum,
    Packet,
    PacketError,
    PacketParser,
    crc16_xmodem,
    encode,
)
from drivers.cctalk.host import CcTalkHost, new_events
from drivers.sim.cctalk_device import CcTalkDevice
from drivers.sim.pty import PtyServer

E = TypeVar("E", bound=ev.AcceptorEvent)
NOTES = frozenset({100, 500, 1000, 2000, 5000, 10000})

GOLDEN = [
    (Packet(40, 1, 254), Checksum.SIMPLE, "28 00 01 FE D9"),  # simple poll to a BNV
    (Packet(2, 1, 254), Checksum.SIMPLE, "02 00 01 FE FF"),  # simple poll to a coin acceptor
    (Packet(1, 2, 0), Checksum.SIMPLE, "01 00 02 00 FD"),  # ACK from address 2
    (Packet(40, 1, 1), Checksum.CRC16, "28 00 46 01 3F"),  # reset, spec appendix 9
    (Packet(40, 1, 254), Checksum.CRC16, "28 00 B6 FE 21"),
    (Packet(40, 1, 159), Checksum.CRC16, "28 00 31 9F 5D"),  # read buffered bill events
]


def test_crc_check_value() -> None:
    assert crc16_xmodem(b"123456789") == 0x31C3


@pytest.mark.parametrize(("packet", "checksum", "wire"), GOLDEN)
def test_golden_packets(packet: Packet, checksum: Checksum, wire: str) -> None:
    assert encode(packet, checksum) == bytes.fromhex(wire)
    parser = PacketParser(checksum)
    out: list[Packet | PacketError] = []
    for byte in bytes.fromhex(wire):  # byte at a time
        out += parser.feed(bytes([byte]))
    expected = packet if checksum is Checksum.SIMPLE else Packet(packet.dest, 0, packet.header)
    assert out == [expected]


def test_spec_reply_example() -> None:
    # Appendix 16: reply 001 000 040 000 215
    assert PacketParser().feed(bytes([1, 0, 40, 0, 215])) == [Packet(1, 40, 0)]


@pytest.mark.parametrize(
    ("last", "current", "count"),
    [(23, 23, 0), (102, 104, 2), (255, 1, 1), (253, 3, 5), (48, 54, 6), (0, 1, 1)],
)
def test_event_counter_arithmetic(last: int, current: int, count: int) -> None:
    assert new_events(last, current) == count  # the spec's examples; 6 = one event lost


@pytest.mark.parametrize("checksum", list(Checksum))
@given(data=st.binary(max_size=200))
def test_fuzz_random_bytes(checksum: Checksum, data: bytes) -> None:
    for item in PacketParser(checksum).feed(data):
        assert isinstance(item, Packet | PacketError)


@pytest.mark.parametrize("checksum", list(Checksum))
@given(
    header=st.integers(0, 255),
    body=st.binary(max_size=20),
    flip=st.integers(0, 2**16),
    garbage=st.binary(max_size=10),
)
def test_fuzz_mutated_packet_then_resync(
    checksum: Checksum, header: int, body: bytes, flip: int, garbage: bytes
) -> None:
    """ccTalk has no sync byte: the driver starts every exchange with a clean parser,
    so a damaged reply costs that exchange and nothing after it."""
    bad = bytearray(encode(Packet(1, 40, header, body), checksum))
    bad[flip % len(bad)] ^= (flip >> 8) % 255 + 1
    parser = PacketParser(checksum)
    for item in parser.feed(garbage + bytes(bad)):
        assert isinstance(item, Packet | PacketError)
        assert item != Packet(1, 40 if checksum is Checksum.SIMPLE else 0, header, body)
    parser.clear()  # the next exchange
    good = Packet(1, 40 if checksum is Checksum.SIMPLE else 0, 0, b"\x07")
    assert parser.feed(encode(good, checksum)) == [good]


# -- the real driver against the simulator over a pty ---------------------


class Rig:
    def __init__(self, device: CcTalkDevice, path: str) -> None:
        self.device = device
        self.path = path
        self.events: queue.Queue[ev.AcceptorEvent] = queue.Queue()
        self.seen: list[ev.AcceptorEvent] = []
        self.credits: list[ev.Stacked] = []
        self.accept = True
        self.driver: CcTalkDriver | None = None

    def credit(self, stacked: ev.Stacked) -> bool:
        self.credits.append(stacked)
        return self.accept

    def start(self, resume_counter: int | None = None, echo: bool = True) -> CcTalkDriver:
        host = CcTalkHost(checksum=self.device.checksum, resume_counter=resume_counter)
        self.driver = CcTalkDriver(
            self.path, self.events.put, self.credit, host=host, echo=echo,
            poll_interval_s=0.02, reply_timeout_s=0.1,
        )  # fmt: skip
        self.driver.start()
        return self.driver

    def wait_for(self, kind: type[E], timeout: float = 5.0) -> E:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=0.05)
            except queue.Empty:
                continue
            self.seen.append(event)
            if isinstance(event, kind):
                return event
        raise AssertionError(f"no {kind.__name__}; saw {self.seen}")

    def until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not condition():
            time.sleep(0.01)
        assert condition()

    def enabled(self) -> CcTalkDriver:
        self.wait_for(ev.Ready)
        assert self.driver is not None
        self.driver.enable(NOTES)
        self.until(lambda: self.device.master_enabled and self.device.inhibit_mask == 0x3F)
        return self.driver


@contextmanager
def rig(device: CcTalkDevice | None = None, start: bool = True) -> Iterator[Rig]:
    device = device or CcTalkDevice()
    with PtyServer(device) as server:
        r = Rig(device, server.path)
        try:
            if start:
                r.start()
            yield r
        finally:
            if r.driver is not None:
                r.driver.stop()


@pytest.mark.parametrize("checksum", list(Checksum))
def test_start_up_reads_bill_ids_and_scaling(checksum: Checksum) -> None:
    with rig(CcTalkDevice(checksum=checksum)) as r:
        ready = r.wait_for(ev.Ready)
        assert [(d.code, d.minor, d.currency) for d in ready.info.denominations] == [
            (1, 100, "CNY"), (2, 500, "CNY"), (3, 1000, "CNY"),
            (4, 2000, "CNY"), (5, 5000, "CNY"), (6, 10000, "CNY"),
        ]  # fmt: skip
        assert ready.info.model == "CNB-SIM"
        assert not r.device.master_enabled  # nothing accepted until enabled


def test_escrow_stack_credit() -> None:
    with rig() as r:
        driver = r.enabled()
        r.device.insert(50)
        escrowed = r.wait_for(ev.Escrowed)
        assert (escrowed.minor, escrowed.currency) == (5000, "CNY")
        driver.stack()
        r.until(lambda: len(r.credits) == 1)
        assert r.credits[0].minor == 5000
        assert r.credits[0].credit_id.startswith("cctalk:2:")  # the counter of the credit
        assert r.device.stacked == [50]


def test_escrow_return() -> None:
    with rig() as r:
        driver = r.enabled()
        r.device.insert(100)
        r.wait_for(ev.Escrowed)
        driver.return_note()
        assert r.wait_for(ev.Returned).minor == 10000
        assert r.credits == []


def test_hold_extends_escrow() -> None:
    with rig() as r:
        driver = r.enabled()
        r.device.insert(10)
        r.wait_for(ev.Escrowed)
        driver.hold()
        r.until(lambda: r.device.routes == [255])


def test_inhibited_and_invalid_bills_are_rejected() -> None:
    with rig() as r:
        driver = r.enabled()
        driver.enable(frozenset({100}))
        r.until(lambda: r.device.inhibit_mask == 0x01)
        r.device.insert(50)
        assert r.wait_for(ev.Rejected).reason == "inhibited bill (serial)"
        r.device.insert(3)
        assert r.wait_for(ev.Rejected).reason == "invalid bill (validation fail)"


TABLE_7: dict[int, ev.AcceptorEvent] = {
    2: ev.Rejected("invalid bill (validation fail)", 2),
    3: ev.Rejected("invalid bill (transport problem)", 3),
    4: ev.Rejected("inhibited bill (serial)", 4),
    5: ev.Rejected("inhibited bill (DIP switches)", 5),
    6: ev.Jammed(ev.Where.ACCEPTOR),
    7: ev.Jammed(ev.Where.STACKER),
    8: ev.CheatDetected("bill pulled backwards"),
    9: ev.CheatDetected("bill tamper"),
    10: ev.FaultCleared(),
    11: ev.CashboxRemoved(),
    12: ev.CashboxRestored(),
    13: ev.Failed(13, "stacker faulty"),
    14: ev.CashboxFull(),
    15: ev.Jammed(ev.Where.STACKER),
    16: ev.Jammed(ev.Where.ACCEPTOR),
    17: ev.CheatDetected("opto fraud detected"),
    18: ev.CheatDetected("string fraud detected"),
    19: ev.Failed(19, "anti-string mechanism faulty"),
    20: ev.Rejected("barcode detected", 20),
    21: ev.Failed(21, "unknown bill type stacked"),
}


@pytest.mark.parametrize(("code", "expected"), sorted(TABLE_7.items()))
def test_status_events(code: int, expected: ev.AcceptorEvent) -> None:
    with rig() as r:
        r.wait_for(ev.Ready)
        r.device.status(code)
        assert r.wait_for(type(expected)) == expected


def test_lost_events_are_reported() -> None:
    with rig() as r:
        r.wait_for(ev.Ready)
        r.device.flood(8)
        failed = r.wait_for(ev.Failed)
        assert "3 bill event(s) lost" in failed.description


def test_counter_back_at_zero_is_a_power_cycle() -> None:
    with rig() as r:
        r.enabled()
        r.device.insert(3)  # counter 1
        r.wait_for(ev.Rejected)
        r.device.power_cycle()
        r.wait_for(ev.PoweredUp)
        r.wait_for(ev.Ready)  # initialized again, inhibits restored


def test_credit_not_journaled_is_not_consumed() -> None:
    with rig() as r:
        driver = r.enabled()
        r.accept = False
        r.device.insert(20)
        r.wait_for(ev.Escrowed)
        driver.stack()
        r.until(lambda: len(r.credits) >= 3)
        assert len({c.credit_id for c in r.credits}) == 1  # the same credit, offered again
        r.accept = True  # the journal works again: the credit is consumed, the next comes
        r.device.insert(5)
        assert r.wait_for(ev.Escrowed).minor == 500
        assert len({c.credit_id for c in r.credits}) == 1


def test_restart_resumes_after_the_last_journaled_credit() -> None:
    with rig() as r:
        driver = r.enabled()
        r.accept = False  # journaled, then the kiosk dies before consuming it
        r.device.insert(100)
        r.wait_for(ev.Escrowed)
        driver.stack()
        r.until(lambda: len(r.credits) >= 1)
        counter = int(r.credits[0].credit_id.split(":")[1])
        driver.stop()
        r.credits.clear()
        r.accept = True
        r.start(resume_counter=counter)  # from the journal: this credit is taken
        r.wait_for(ev.Ready)
        time.sleep(0.3)
        assert r.credits == []  # not credited twice


def test_restart_before_journaling_credits_once() -> None:
    with rig() as r:
        driver = r.enabled()
        r.device.insert(50)
        r.wait_for(ev.Escrowed)
        r.accept = False
        driver.stack()
        r.until(lambda: len(r.credits) >= 1)
        driver.stop()  # the journal never took it
        r.credits.clear()
        r.accept = True
        r.start(resume_counter=1)  # the last credit the journal knows is older
        r.until(lambda: len(r.credits) == 1)
        assert r.credits[0].minor == 5000


def test_noise_and_silence() -> None:
    with rig() as r:
        r.wait_for(ev.Ready)
        r.device.noise()
        r.wait_for(ev.ProtocolError)
        r.device.silent = True
        r.wait_for(ev.Disconnected)
        r.device.silent = False
        r.wait_for(ev.Reconnected)
        r.wait_for(ev.Ready)


def test_adapter_without_echo() -> None:
    with rig(CcTalkDevice(echo=False), start=False) as r:
        r.start(echo=False)
        r.wait_for(ev.Ready)


@pytest.mark.parametrize(("code", "text"), [(38, "fault on stacker"), (45, "stacker full")])
def test_self_check_fault_codes(code: int, text: str) -> None:
    with rig(CcTalkDevice(fault_code=code)) as r:
        assert r.wait_for(ev.Failed) == ev.Failed(code, text)
