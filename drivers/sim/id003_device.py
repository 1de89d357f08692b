"""A simulated ID-003 bill validator, sans-I/O: request frames in, reply bytes out.

It plays the device side of the same framing as the driver: it answers each
status request with its state and moves through the transient states one poll
at a time (accepting → escrow; stacking → VEND VALID, which it repeats until
ACKed → stacked → idle; returning/rejecting → idle). Operation commands are
ACKed, settings echoed, 0x8A answers the currency-assign table of its
denominations (CNY 1, 5, 10, 20, 50, 100 by default).

Scripted inputs and faults (``insert``, ``jam``, ``remove_cashbox``,
``power_cycle``, ``noise``, ``silence``, ``slow`` …) change what the next
replies say, as a real unit would.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from drivers.id003.codes import CURRENCY_COUNTRY, FIRST_ESCROW_CODE, POWER_UPS, Cmd, Status
from drivers.id003.frames import Frame, FrameError, FrameParser, encode

DEFAULT_NOTES_MAJOR = (1, 5, 10, 20, 50, 100)
VERSION = "i(CHN)100-SS ID003-05V280-42 24NOV26 SIM"

_FAULT_STATES = frozenset(
    {
        Status.JAM_IN_ACCEPTOR,
        Status.JAM_IN_STACKER,
        Status.STACKER_FULL,
        Status.STACKER_OPEN,
        Status.FAILURE,
    }
)


def _assign_block(code: int, currency: str, major: int) -> bytes:
    power = 0
    while major % 10 == 0 and major >= 10:
        major //= 10
        power += 1
    return bytes([code, CURRENCY_COUNTRY[currency], major, power])


@dataclass
class Id003Device:
    notes_major: tuple[int, ...] = DEFAULT_NOTES_MAJOR
    currency: str = "CNY"
    status: Status = Status.POWER_UP
    data: bytes = b""
    inhibited: bool = True
    disabled_mask: int = 0
    stacked: list[int] = field(default_factory=list)  # major units of notes in the cashbox
    acks_received: int = 0
    _queue: deque[int] = field(default_factory=deque)  # notes waiting to be inserted
    _escrow: int | None = None
    _init_polls: int = 0
    _parser: FrameParser = field(default_factory=FrameParser)
    _noise: bytes = b""
    _corrupt_next: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    silent: bool = False
    delay_s: float = 0.0
    stuck: bool = False  # the device stops moving on from its current state
    hang_on_stack: bool = False  # the next STACK leaves it stuck in STACKING

    # -- the escrow code of each note ---------------------------------------
    def code_of(self, major: int) -> int:
        return FIRST_ESCROW_CODE + self.notes_major.index(major)

    def _major_of(self, code: int) -> int:
        return self.notes_major[code - FIRST_ESCROW_CODE]

    # -- scripted inputs ----------------------------------------------------
    def insert(self, major: int) -> None:
        with self._lock:
            self._queue.append(major)

    @property
    def waiting(self) -> int:
        """Notes inserted and not yet taken in."""
        with self._lock:
            return len(self._queue) + (self._escrow is not None)

    @property
    def holding(self) -> bool:
        """A note is in the validator (escrow, or on its way in or out)."""
        with self._lock:
            return self._escrow is not None

    def withdraw(self) -> None:
        """The customer takes back the notes not yet drawn in."""
        with self._lock:
            self._queue.clear()

    def jam(self, in_stacker: bool = False) -> None:
        self._set(Status.JAM_IN_STACKER if in_stacker else Status.JAM_IN_ACCEPTOR)

    def cashbox_full(self) -> None:
        self._set(Status.STACKER_FULL)

    def remove_cashbox(self) -> None:
        self._set(Status.STACKER_OPEN)

    def cheat(self) -> None:
        self._set(Status.CHEATED)

    def fail(self, code: int = 0xA2) -> None:
        self._set(Status.FAILURE, bytes([code]))

    def second_note(self) -> None:
        self._set(Status.PAUSE)

    def clear(self) -> None:
        """Clear a jam, put the cashbox back, end a failure, unstick."""
        self.stuck = False
        self._set(Status.DISABLED if self.inhibited else Status.IDLING)

    def stick(self, status: Status = Status.STACKING) -> None:
        """Hang in a transient state (a motor that never finishes)."""
        self.stuck = True
        self._set(status)

    restore_cashbox = clear

    def power_cycle(self, note_in: str | None = None) -> None:
        """Power off and on; ``note_in``: None, "acceptor" or "stacker"."""
        with self._lock:
            if note_in == "stacker" and self._escrow is not None:
                self.stacked.append(self._escrow)
            self._escrow = None
            self.stuck = False
            self.inhibited = True
            self.status = {
                None: Status.POWER_UP,
                "acceptor": Status.POWER_UP_BILL_IN_ACCEPTOR,
                "stacker": Status.POWER_UP_BILL_IN_STACKER,
            }[note_in]
            self.data = b""
            self._parser.clear()

    def noise(self, garbage: bytes = b"\x00\x13\xfc\x02\x99") -> None:
        """Garbage bytes before the next reply."""
        self._noise = garbage

    def corrupt_next(self) -> None:
        """The next reply goes out with a bad CRC."""
        self._corrupt_next = True

    def _set(self, status: Status, data: bytes = b"") -> None:
        with self._lock:
            self.status, self.data = status, data

    # -- the wire -----------------------------------------------------------
    def receive(self, data: bytes) -> bytes:
        """Bytes from the host; returns the bytes to send back (maybe none)."""
        out = bytearray()
        with self._lock:
            for item in self._parser.feed(data):
                if isinstance(item, FrameError) or self.silent:
                    continue  # a real device stays silent on a bad frame
                out += self._reply(item)
        if out and self._noise:
            out[:0], self._noise = self._noise, b""
        if out and self._corrupt_next:
            out[-1] ^= 0xFF
            self._corrupt_next = False
        return bytes(out)

    def _reply(self, frame: Frame) -> bytes:  # noqa: PLR0911 - one answer per command
        cmd = frame.cmd
        if cmd == Cmd.STATUS_REQUEST:
            reply = encode(self.status, self.data)
            self._advance()
            return reply
        if cmd == Cmd.ACK:
            self.acks_received += 1
            if self.status is Status.VEND_VALID:
                self.status, self.data = Status.STACKED, b""
            return b""  # the host's ACK gets no answer
        if cmd == Cmd.RESET:
            self.stuck = False
            if self.status in (Status.STACKING, Status.VEND_VALID, Status.STACKED) and self._escrow:
                self.stacked.append(self._escrow)  # the note is in the cashbox already
            self.status, self.data, self._init_polls, self._escrow = Status.INITIALIZE, b"", 0, None
            return encode(Status.ACK)
        if cmd in (Cmd.STACK_1, Cmd.STACK_2, Cmd.RETURN, Cmd.HOLD):
            return self._escrow_command(cmd)
        if cmd == Cmd.GET_CURRENCY_ASSIGN:
            blocks = b"".join(
                _assign_block(self.code_of(m), self.currency, m) for m in self.notes_major
            )
            return encode(cmd, blocks)
        if cmd == Cmd.GET_VERSION:
            return encode(cmd, VERSION.encode("ascii"))
        if cmd == Cmd.GET_BOOT_VERSION:
            return encode(cmd, b"B05 ")
        if 0xC0 <= cmd <= 0xC7:
            self._setting(cmd, frame.data)
            return encode(cmd, frame.data)
        return encode(Status.INVALID_COMMAND)

    def _setting(self, cmd: int, data: bytes) -> None:
        if cmd == Cmd.SET_INHIBIT and data:
            self.inhibited = data[0] == 1
            if self.status in (Status.IDLING, Status.DISABLED):
                self.status = Status.DISABLED if self.inhibited else Status.IDLING
        elif cmd == Cmd.SET_DENOMINATIONS and len(data) == 2:
            self.disabled_mask = data[0] | data[1] << 8

    def _escrow_command(self, cmd: int) -> bytes:
        if self.status not in (Status.ESCROW, Status.HOLDING):
            return encode(Status.INVALID_COMMAND)
        if cmd in (Cmd.STACK_1, Cmd.STACK_2):
            self.status, self.data = Status.STACKING, b""
            self.stuck, self.hang_on_stack = self.hang_on_stack, False
        elif cmd == Cmd.RETURN:
            self.status, self.data = Status.RETURNING, b""
        else:
            self.status = Status.HOLDING
        return encode(Status.ACK)

    def _advance(self) -> None:
        """What the device does between two polls."""
        status = self.status
        if self.stuck or status in POWER_UPS:
            return
        if status is Status.INITIALIZE:
            self._init_polls += 1
            if self._init_polls >= 2:
                self.status = Status.DISABLED if self.inhibited else Status.IDLING
        elif status in (Status.IDLING, Status.DISABLED):
            self._take_next_note()
        elif status is Status.ACCEPTING:
            self._validate()
        elif status is Status.STACKING:
            self.status, self.data = Status.VEND_VALID, b""
        elif status is Status.STACKED:
            if self._escrow is not None:
                self.stacked.append(self._escrow)
            self._escrow = None
            self._idle()
        elif status in (Status.RETURNING, Status.REJECTING, Status.CHEATED, Status.PAUSE):
            self._escrow = None
            self._idle()

    def _idle(self) -> None:
        self.status, self.data = (Status.DISABLED if self.inhibited else Status.IDLING), b""

    def _take_next_note(self) -> None:
        if self.status is Status.IDLING and self._queue:
            self._escrow = self._queue.popleft()
            self.status = Status.ACCEPTING

    def _validate(self) -> None:
        major = self._escrow
        assert major is not None
        if major not in self.notes_major:
            self.status, self.data = Status.REJECTING, bytes([0x76])
        elif self.disabled_mask >> (self.code_of(major) - FIRST_ESCROW_CODE) & 1:
            self.status, self.data = Status.REJECTING, bytes([0x79])
        else:
            self.status, self.data = Status.ESCROW, bytes([self.code_of(major)])

    @property
    def in_fault(self) -> bool:
        return self.status in _FAULT_STATES
