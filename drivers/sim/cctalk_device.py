"""A simulated ccTalk bill validator (address 40), sans-I/O.

It answers the headers a host needs (identity, self-check, bill ids "CN0050A"…,
scaling factor, operating mode, inhibits, master inhibit, read buffered bill
events, route bill, reset) in simple-checksum or CRC-16 mode, and keeps the
five-event buffer with its counter (1…255, wrapping to 1; 0 only after power-up
or reset). With ``echo`` it plays the single-wire loop-back: every byte the
host sends comes back first.

Scripted: ``insert`` (escrow → route stack → credit; route return → returned),
counterfeits and inhibited bills, jams, stacker removed / inserted / full,
fraud, ``flood`` (more than five events between two polls: lost events),
``power_cycle``, ``noise``, ``silent`` and ``delay_s``.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from drivers.cctalk.codes import ROUTE_ESCROW_EMPTY, Header, Route
from drivers.cctalk.frames import (
    BILL_VALIDATOR,
    HOST,
    Checksum,
    Packet,
    PacketError,
    PacketParser,
    encode,
)

DEFAULT_NOTES_MAJOR = (1, 5, 10, 20, 50, 100)


@dataclass
class CcTalkDevice:
    notes_major: tuple[int, ...] = DEFAULT_NOTES_MAJOR
    country: str = "CN"
    checksum: Checksum = Checksum.SIMPLE
    address: int = BILL_VALIDATOR
    echo: bool = True
    silent: bool = False
    delay_s: float = 0.0
    master_enabled: bool = False
    fault_code: int = 0  # what a self-check (header 232) reports
    inhibit_mask: int = 0
    counter: int = 0
    stacked: list[int] = field(default_factory=list)
    routes: list[int] = field(default_factory=list)
    _events: deque[tuple[int, int]] = field(default_factory=lambda: deque(maxlen=5))
    _escrow: int | None = None  # bill type held in escrow
    _parser: PacketParser | None = None
    _noise: bytes = b""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._parser = PacketParser(self.checksum)
        self._events.extend([(0, 0)] * 5)

    # -- scripted inputs ----------------------------------------------------
    def bill_type(self, major: int) -> int:
        return self.notes_major.index(major) + 1

    def insert(self, major: int) -> None:
        with self._lock:
            if major not in self.notes_major:
                self._event(0, 2)  # validation fail
            elif not self.master_enabled:
                self._event(0, 0)
            elif not self.inhibit_mask >> (self.bill_type(major) - 1) & 1:
                self._event(0, 4)  # inhibited by serial command
            else:
                self._escrow = self.bill_type(major)
                self._event(self._escrow, 1)

    def status(self, code: int) -> None:
        """Any Table 7 status: 6 jam, 7 stacker jam, 8 pulled back, 11 stacker out…"""
        with self._lock:
            self._event(0, code)

    def flood(self, count: int) -> None:
        """``count`` rejections at once: more than five lose events for the host."""
        with self._lock:
            for _ in range(count):
                self._event(0, 2)

    def power_cycle(self) -> None:
        with self._lock:
            self._clear_buffer()
            assert self._parser is not None
            self._parser.clear()

    def noise(self, garbage: bytes = b"\x07\x01\x99") -> None:
        self._noise = garbage

    def _event(self, a: int, b: int) -> None:
        self.counter = self.counter % 255 + 1
        self._events.appendleft((a, b))

    # -- the wire -----------------------------------------------------------
    def receive(self, data: bytes) -> bytes:
        out = bytearray(data if self.echo else b"")  # the loop-back of the single wire
        assert self._parser is not None
        with self._lock:
            for item in self._parser.feed(data):
                if isinstance(item, PacketError) or self.silent:
                    continue
                if item.dest not in (self.address, 0):
                    continue
                reply = self._reply(item)
                if reply is not None:
                    out += self._noise + encode(Packet(HOST, self.address, 0, reply), self.checksum)
                    self._noise = b""
        return bytes(out)

    def _reply(self, packet: Packet) -> bytes | None:  # noqa: PLR0911 - one answer per header
        header, data = packet.header, packet.data
        if header == Header.SIMPLE_POLL:
            return b""
        if header in _IDENTITY:
            return _IDENTITY[header]
        if header == Header.SELF_CHECK:
            return bytes([self.fault_code])
        if header == Header.BILL_ID and data:
            index = data[0] - 1
            if 0 <= index < len(self.notes_major):
                return f"{self.country}{self.notes_major[index]:04d}A".encode("ascii")
            return b"......."
        if header == Header.SCALING_FACTOR:
            return b"\x64\x00\x02" if data.decode("ascii", "replace") == self.country else b"\0\0\0"
        if header == Header.READ_BILL_EVENTS:
            return bytes([self.counter]) + b"".join(bytes(pair) for pair in self._events)
        if header == Header.INHIBITS and len(data) == 2:
            self.inhibit_mask = data[0] | data[1] << 8
            return b""
        if header == Header.MASTER_INHIBIT and data:
            self.master_enabled = bool(data[0] & 1)
            return b""
        if header == Header.SET_BILL_OPERATING_MODE:
            return b""
        if header == Header.ROUTE_BILL and data:
            return self._route(data[0])
        if header == Header.RESET:
            self._clear_buffer()
            return b""
        return None  # unknown header: a real device stays silent

    def _clear_buffer(self) -> None:
        self.counter, self._escrow, self.master_enabled = 0, None, False
        self._events.extend([(0, 0)] * 5)

    def _route(self, route: int) -> bytes:
        self.routes.append(route)
        if self._escrow is None:
            return bytes([ROUTE_ESCROW_EMPTY])
        if route == Route.STACK:
            bill_type, self._escrow = self._escrow, None
            self.stacked.append(self.notes_major[bill_type - 1])
            self._event(bill_type, 0)
        elif route == Route.RETURN:
            self._escrow = None
            self._event(0, 1)
        return b""


_IDENTITY: dict[int, bytes] = {
    Header.MANUFACTURER: b"SIM",
    Header.EQUIPMENT_CATEGORY: b"Bill Validator",
    Header.PRODUCT_CODE: b"CNB-SIM",
    Header.SOFTWARE_REVISION: b"1.0.0",
    Header.SERIAL_NUMBER: b"\x01\x02\x03",
    Header.COMMS_REVISION: b"\x01\x04\x07",
}
