"""The host side of a ccTalk bill validator, sans-I/O.

Rules:

* Start-up (no reset, so that events buffered while the kiosk was down are
  not thrown away): simple poll, identity, self-check, bill ids 1–16 and the
  country scaling factor (the denomination table is read, never assumed),
  operating mode stacker + escrow, inhibits, master inhibit; then polling of
  header 159 every 200 ms.
* The event counter: the first poll takes the counter as the starting point,
  or resumes after ``resume_counter`` (the last credit the application
  journaled), so a credit is never taken twice. New events = counter − last,
  wrapping 255 → 1; more than five means events were lost (reported); a
  counter back at 0 means the device was reset or lost power.
* A credit (bill type A, result B = 0) is a ``Stacked`` with a ``credit_id``
  naming its counter; processing stops there until ``confirm_credit`` — the
  counter is taken as consumed only once the credit sink journaled it.
* Escrow (B = 1) waits for the application: route bill stack / return / extend.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from drivers import acceptor as ev
from drivers.cctalk.codes import (
    BILL_STATUS,
    COUNTRY_CURRENCY,
    FAULT_CODES,
    ROUTE_ESCROW_EMPTY,
    ROUTE_FAILED,
    STACKER_AND_ESCROW,
    Header,
    Route,
)
from drivers.cctalk.frames import BILL_VALIDATOR, HOST, Checksum, Packet, PacketError, encode
from drivers.link import LinkHealth

BILL_TYPES = 16


class Phase(enum.Enum):
    CONNECTING = "connecting"
    INITIALIZING = "initializing"
    READY = "ready"


@dataclass(frozen=True, slots=True)
class Request:
    header: int
    data: bytes
    wire: bytes
    expects_reply: bool = True

    @property
    def is_poll(self) -> bool:
        return self.header == Header.READ_BILL_EVENTS


def new_events(last: int, current: int) -> int:
    """Events since ``last``; the counter runs 1…255 and wraps to 1, never to 0."""
    if current >= last:
        return current - last
    return current + 255 - last


def _counter_before(counter: int, steps: int) -> int:
    value = counter - steps
    return value if value >= 1 else value + 255


class CcTalkHost:
    def __init__(
        self,
        *,
        address: int = BILL_VALIDATOR,
        checksum: Checksum = Checksum.SIMPLE,
        resume_counter: int | None = None,
        credit_prefix: str = "cctalk",
        offline_after: int = 3,
    ) -> None:
        self.address = address
        self.checksum = checksum
        self.phase = Phase.CONNECTING
        self.table: dict[int, ev.Denomination] = {}
        self.identity: dict[str, str] = {}
        self._prefix = credit_prefix
        self._queue: deque[Request] = deque()
        self._sent: Request | None = None
        self._last: int | None = resume_counter
        self._credits = 0
        self._awaiting: ev.Stacked | None = None
        self._awaiting_counter = 0
        self._escrow: ev.Denomination | None = None
        self._want: frozenset[int] | None = None
        self._applied: tuple[bytes, int] | None = None
        self._link = LinkHealth(offline_after)
        self._scaling: dict[str, int] = {}
        self._ids: dict[int, str] = {}

    # -- application intents ------------------------------------------------
    def enable(self, minors: frozenset[int]) -> None:
        self._want = minors

    def disable(self) -> None:
        self._want = None

    def stack(self) -> list[ev.AcceptorEvent]:
        return self._route(Route.STACK)

    def return_note(self) -> list[ev.AcceptorEvent]:
        return self._route(Route.RETURN)

    def hold(self) -> list[ev.AcceptorEvent]:
        return self._route(Route.EXTEND_ESCROW)

    def reset(self) -> None:
        self._queue.clear()
        self._send(Header.RESET)
        self._start()

    def confirm_credit(self, credit_id: str) -> None:
        if self._awaiting is not None and self._awaiting.credit_id == credit_id:
            self._last = self._awaiting_counter
            self._awaiting = None
            self._send(Header.READ_BILL_EVENTS)  # carry on with the rest of the buffer

    def _route(self, route: Route) -> list[ev.AcceptorEvent]:
        if self._escrow is None:
            return [ev.ProtocolError(f"route {route.name} ignored: no bill in escrow")]
        self._send(Header.ROUTE_BILL, bytes([route]))
        return []

    @property
    def pending(self) -> bool:
        return bool(self._queue)

    @property
    def info(self) -> ev.DeviceInfo | None:
        if self.phase is not Phase.READY:
            return None
        return ev.DeviceInfo(
            "cctalk",
            self.identity.get("product", "ccTalk bill validator"),
            self.identity.get("software", ""),
            tuple(self.table[t] for t in sorted(self.table)),
        )

    # -- the wire -----------------------------------------------------------
    def _send(self, header: int, data: bytes = b"") -> None:
        wire = encode(Packet(self.address, HOST, header, data), self.checksum)
        self._queue.append(Request(header, data, wire))

    def next_request(self, now: float) -> Request:
        if not self._queue:
            header = Header.READ_BILL_EVENTS if self.phase is Phase.READY else Header.SIMPLE_POLL
            self._send(header)
        self._sent = self._queue.popleft()
        return self._sent

    def on_error(self, error: PacketError) -> list[ev.AcceptorEvent]:
        return [ev.ProtocolError(error.detail)]

    def on_timeout(self, now: float) -> list[ev.AcceptorEvent]:
        sent = self._sent
        if sent is not None and not sent.is_poll and sent.header != Header.SIMPLE_POLL:
            self._queue.appendleft(sent)  # the host retries (spec §12)
        disconnected = self._link.missed()
        if disconnected is None:
            return []
        self._queue.clear()
        self.phase = Phase.CONNECTING
        return [disconnected]

    def on_packet(self, packet: Packet, now: float) -> list[ev.AcceptorEvent]:
        if packet.dest != HOST:
            return [ev.ProtocolError(f"packet for address {packet.dest}, not the host")]
        out = self._link.heard()
        sent = self._sent
        if sent is None:
            return out
        if packet.header in (Header.NAK, Header.BUSY):
            self._queue.appendleft(sent)
            return [*out, ev.ProtocolError(f"{Header(packet.header).name} to header {sent.header}")]
        if packet.header != Header.REPLY:
            return [*out, ev.ProtocolError(f"reply header {packet.header} to {sent.header}")]
        return out + self._on_reply(sent, packet.data)

    # -- replies ------------------------------------------------------------
    def _start(self) -> None:
        self.phase = Phase.INITIALIZING
        self._applied = None
        self._ids.clear()
        for header in (Header.MANUFACTURER, Header.PRODUCT_CODE, Header.SOFTWARE_REVISION):
            self._send(header)
        self._send(Header.SELF_CHECK)
        for bill_type in range(1, BILL_TYPES + 1):
            self._send(Header.BILL_ID, bytes([bill_type]))

    def _on_reply(self, sent: Request, data: bytes) -> list[ev.AcceptorEvent]:
        header = sent.header
        if header == Header.SIMPLE_POLL and self.phase is Phase.CONNECTING:
            self._start()
        elif header in (Header.MANUFACTURER, Header.PRODUCT_CODE, Header.SOFTWARE_REVISION):
            name = {246: "manufacturer", 244: "product", 241: "software"}[header]
            self.identity[name] = data.decode("ascii", "replace").strip()
        elif header == Header.SELF_CHECK:
            code = data[0] if data else 255
            if code != 0:
                return [ev.Failed(code, FAULT_CODES.get(code, f"fault code {code}"))]
        elif header == Header.BILL_ID:
            return self._on_bill_id(sent.data[0], data)
        elif header == Header.SCALING_FACTOR:
            return self._on_scaling(sent.data.decode("ascii"), data)
        elif header == Header.ROUTE_BILL:
            return self._on_route(data)
        elif header == Header.READ_BILL_EVENTS:
            return self._on_events(data)
        elif header == Header.MASTER_INHIBIT and self.phase is Phase.INITIALIZING:
            self._send(Header.READ_BILL_EVENTS)
        return []

    def _on_bill_id(self, bill_type: int, data: bytes) -> list[ev.AcceptorEvent]:
        text = data.decode("ascii", "replace")
        if len(text) == 7 and text[2:6].isdigit():
            self._ids[bill_type] = text
        if bill_type == BILL_TYPES:
            for country in sorted({t[:2] for t in self._ids.values()}):
                self._send(Header.SCALING_FACTOR, country.encode("ascii"))
            if not self._ids:
                return [ev.Failed(None, "the validator reports no programmed bills")]
        return []

    def _on_scaling(self, country: str, data: bytes) -> list[ev.AcceptorEvent]:
        if len(data) < 3 or data[0] | data[1] << 8 == 0:
            return [ev.Failed(None, f"no scaling factor for country {country}")]
        self._scaling[country] = data[0] | data[1] << 8
        if all(t[:2] in self._scaling for t in self._ids.values()):
            self._build_table()
            self._send(Header.SET_BILL_OPERATING_MODE, bytes([STACKER_AND_ESCROW]))
            self._sync(force=True)
        return []

    def _build_table(self) -> None:
        self.table = {}
        for bill_type, text in self._ids.items():
            country = text[:2]
            currency = COUNTRY_CURRENCY.get(country, country)
            minor = int(text[2:6]) * self._scaling[country]
            self.table[bill_type] = ev.Denomination(bill_type, minor, currency)

    def _sync(self, force: bool = False) -> None:
        mask = 0
        for bill_type, note in self.table.items():
            if self._want is not None and note.minor in self._want:
                mask |= 1 << (bill_type - 1)
        wanted = (bytes([mask & 0xFF, mask >> 8]), 0 if self._want is None else 1)
        if wanted == self._applied and not force:
            return
        self._send(Header.INHIBITS, wanted[0])
        self._send(Header.MASTER_INHIBIT, bytes([wanted[1]]))
        self._applied = wanted

    def _on_route(self, data: bytes) -> list[ev.AcceptorEvent]:
        if not data:
            return []
        if data[0] == ROUTE_ESCROW_EMPTY:
            self._escrow = None
            return [ev.ProtocolError("route bill: escrow is empty")]
        if data[0] == ROUTE_FAILED:
            return [ev.Failed(ROUTE_FAILED, "failed to route the bill")]
        return [ev.ProtocolError(f"route bill answered {data.hex()}")]

    def _on_events(self, data: bytes) -> list[ev.AcceptorEvent]:
        if len(data) != 11:
            return [ev.ProtocolError(f"bill events: {len(data)} bytes, not 11")]
        counter = data[0]
        out: list[ev.AcceptorEvent] = []
        if self.phase is Phase.INITIALIZING:
            self.phase = Phase.READY
            if self._last is None or counter == 0:
                self._last = counter  # what is buffered was handled before we started
            info = self.info
            assert info is not None
            out.append(ev.Ready(info))
        assert self._last is not None
        if counter == 0 and self._last != 0:
            self._last, self._escrow, self._awaiting = 0, None, None
            self._start()
            return [*out, ev.PoweredUp()]
        count = new_events(self._last, counter)
        if count > 5:
            lost = count - 5
            out.append(
                ev.Failed(None, f"{lost} bill event(s) lost: counter {self._last}→{counter}")
            )
            self._last = _counter_before(counter, 5)
            count = 5
        for index in range(count - 1, -1, -1):
            a, b = data[1 + 2 * index], data[2 + 2 * index]
            event_counter = _counter_before(counter, index)
            if a > 0 and b == 0:
                out += self._credit(a, event_counter)
                return out  # the counter moves on only once the credit is journaled
            out += self._event(a, b)
            self._last = event_counter
        if self.phase is Phase.READY:
            self._sync()
        return out

    def _credit(self, bill_type: int, counter: int) -> list[ev.AcceptorEvent]:
        awaiting = self._awaiting
        if awaiting is None or self._awaiting_counter != counter:
            note = self.table.get(bill_type)
            if note is None:
                self._last = counter
                return [ev.Failed(None, f"bill type {bill_type} stacked, not in the table")]
            self._credits += 1
            credit_id = f"cctalk:{counter}:{self._prefix}-{self._credits}"
            awaiting = ev.Stacked(note.minor, note.currency, credit_id)
            self._awaiting, self._awaiting_counter = awaiting, counter
        self._escrow = None
        return [awaiting]

    def _event(self, a: int, b: int) -> list[ev.AcceptorEvent]:
        if a > 0:  # b == 1: pending credit, the bill waits in escrow
            note = self.table.get(a)
            if note is None:
                self._send(Header.ROUTE_BILL, bytes([Route.RETURN]))
                return [ev.Rejected(f"bill type {a} is not in the table", a)]
            self._escrow = note
            return [ev.Escrowed(note.minor, note.currency)]
        handler = _STATUS_EVENTS.get(b)
        if handler is None:
            return [ev.ProtocolError(f"unknown bill status {b}")]
        return handler(self)


def _returned(host: CcTalkHost) -> list[ev.AcceptorEvent]:
    note, host._escrow = host._escrow, None
    return [ev.Returned(note.minor if note else None)]


StatusHandler = Callable[[CcTalkHost], list[ev.AcceptorEvent]]


def _rejected(code: int) -> StatusHandler:
    return lambda host: [ev.Rejected(BILL_STATUS[code], code)]


_STATUS_EVENTS: dict[int, StatusHandler] = {
    0: lambda host: [],
    1: _returned,
    2: _rejected(2),
    3: _rejected(3),
    4: _rejected(4),
    5: _rejected(5),
    6: lambda host: [ev.Jammed(ev.Where.ACCEPTOR)],
    7: lambda host: [ev.Jammed(ev.Where.STACKER)],
    8: lambda host: [ev.CheatDetected(BILL_STATUS[8])],
    9: lambda host: [ev.CheatDetected(BILL_STATUS[9])],
    10: lambda host: [ev.FaultCleared()],
    11: lambda host: [ev.CashboxRemoved()],
    12: lambda host: [ev.CashboxRestored()],
    13: lambda host: [ev.Failed(13, BILL_STATUS[13])],
    14: lambda host: [ev.CashboxFull()],
    15: lambda host: [ev.Jammed(ev.Where.STACKER)],
    16: lambda host: [ev.Jammed(ev.Where.ACCEPTOR)],
    17: lambda host: [ev.CheatDetected(BILL_STATUS[17])],
    18: lambda host: [ev.CheatDetected(BILL_STATUS[18])],
    19: lambda host: [ev.Failed(19, BILL_STATUS[19])],
    20: _rejected(20),
    21: lambda host: [ev.Failed(21, BILL_STATUS[21])],
}
