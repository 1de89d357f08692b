"""The host side of ID-003, sans-I/O: what to send next, and what a reply means.

Rules:

* The host speaks first and alternately: ``next_request(now)`` says what to
  send (a queued command, else a status poll) and whether a reply is due; the
  reply goes to ``on_frame``, a silence to ``on_timeout``. No I/O, no clock, no
  thread: the transport passes ``now``.
* Start-up: status until the device answers, RESET until ACK, then during
  INITIALIZE read the currency-assign table (0x8A) and the version, send the
  settings and check every echo; ready on DISABLED or IDLING.
* Escrow waits for the application (``stack``, ``return_note``, ``hold``).
* VEND VALID is the credit: a ``Stacked`` event with a ``credit_id``; ACK is
  queued only by ``confirm_credit(credit_id)``, which the transport calls
  after the credit sink journaled it. Until then every poll offers the same
  credit again; a VEND VALID repeated after its ACK is ACKed again, never
  credited again.
* A VEND VALID or a note seen at power-up / on connecting is never ACKed: it is
  reported as ``PoweredUpWithNote`` for the application to reconcile with its
  journal, and the device is reset.
* Every status, reject and failure code maps to an event, once per change.
* A device stuck in a transient state longer than ``watchdog_s`` is reported
  and reset; ``offline_after`` silent polls in a row mean disconnected.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from drivers import acceptor as ev
from drivers.id003.codes import (
    COUNTRY_CURRENCY,
    CURRENCY_COUNTRY,
    FAILURE_CODES,
    FIRST_ESCROW_CODE,
    POWER_UPS,
    REJECT_REASONS,
    TRANSIENT,
    Cmd,
    Status,
)
from drivers.id003.frames import Frame, FrameError, encode
from drivers.link import LinkHealth

MINOR_DIGITS = {"JPY": 0, "KRW": 0}


class Phase(enum.Enum):
    CONNECTING = "connecting"
    RESETTING = "resetting"
    INITIALIZING = "initializing"
    READY = "ready"


@dataclass(frozen=True, slots=True)
class Request:
    cmd: int
    data: bytes
    expects_reply: bool

    @property
    def wire(self) -> bytes:
        return encode(self.cmd, self.data)

    @property
    def is_poll(self) -> bool:
        return self.cmd == Cmd.STATUS_REQUEST


def parse_currency_assign(data: bytes) -> tuple[ev.Denomination, ...]:
    """Blocks of [escrow code][country][base][power]; value = base × 10^power."""
    notes = []
    for i in range(0, len(data) - len(data) % 4, 4):
        code, country, base, power = data[i : i + 4]
        if country == 0 or base == 0:
            continue
        currency = COUNTRY_CURRENCY.get(country, f"X{country:02d}")
        minor = base * 10**power * 10 ** MINOR_DIGITS.get(currency, 2)
        notes.append(ev.Denomination(code, minor, currency))
    return tuple(notes)


def denomination_mask(table: tuple[ev.Denomination, ...], enabled: frozenset[int]) -> bytes:
    """C0 data: bit (code - 0x61) set = that escrow code disabled."""
    mask = 0
    for note in table:
        if note.minor not in enabled:
            mask |= 1 << (note.code - FIRST_ESCROW_CODE)
    return bytes([mask & 0xFF, mask >> 8 & 0xFF])


class Id003Host:
    def __init__(
        self,
        *,
        credit_prefix: str = "id003",
        watchdog_s: float = 60.0,
        offline_after: int = 3,
        stack_command: Cmd = Cmd.STACK_1,
    ) -> None:
        self.phase = Phase.CONNECTING
        self.table: tuple[ev.Denomination, ...] = ()
        self.version = ""
        self._credit_prefix = credit_prefix
        self._watchdog_s = watchdog_s
        self._stack_command = stack_command
        self._queue: deque[Request] = deque()
        self._sent: Request | None = None
        self._status: Status | None = None
        self._status_since = 0.0
        self._link = LinkHealth(offline_after)
        self._want_enabled: frozenset[int] | None = None  # None: inhibited
        self._applied: tuple[bool, bytes] | None = None  # (inhibited, C0 mask) on the device
        self._escrow: ev.Denomination | None = None
        self._credits = 0
        self._credit: ev.Stacked | None = None
        self._credit_confirmed = False
        self._settings_sent = False

    # -- application intents ------------------------------------------------
    def enable(self, minors: frozenset[int]) -> None:
        self._want_enabled = minors

    def disable(self) -> None:
        self._want_enabled = None

    def stack(self) -> list[ev.AcceptorEvent]:
        return self._escrow_command(self._stack_command)

    def return_note(self) -> list[ev.AcceptorEvent]:
        return self._escrow_command(Cmd.RETURN)

    def hold(self) -> list[ev.AcceptorEvent]:
        return self._escrow_command(Cmd.HOLD)

    def reset(self) -> None:
        self._restart()

    def confirm_credit(self, credit_id: str) -> None:
        credit = self._credit
        if credit is not None and credit.credit_id == credit_id and not self._credit_confirmed:
            self._credit_confirmed = True
            self._queue.appendleft(Request(Cmd.ACK, b"", expects_reply=False))

    @property
    def pending(self) -> bool:
        """A command waits to be sent (sent at once, without waiting for the poll)."""
        return bool(self._queue)

    @property
    def info(self) -> ev.DeviceInfo | None:
        if self.phase is not Phase.READY:
            return None
        return ev.DeviceInfo("id003", self._model(), self.version, self.table)

    def _escrow_command(self, cmd: Cmd) -> list[ev.AcceptorEvent]:
        if self._status not in (Status.ESCROW, Status.HOLDING) or self._escrow is None:
            return [ev.ProtocolError(f"{cmd.name} ignored: no note in escrow")]
        self._queue.append(Request(cmd, b"", expects_reply=True))
        return []

    # -- the wire -----------------------------------------------------------
    def next_request(self, now: float) -> Request:
        if self._queue:
            self._sent = self._queue.popleft()
        else:
            self._sent = Request(Cmd.STATUS_REQUEST, b"", expects_reply=True)
        return self._sent

    def on_error(self, error: FrameError) -> list[ev.AcceptorEvent]:
        return [ev.ProtocolError(error.detail)]

    def on_timeout(self, now: float) -> list[ev.AcceptorEvent]:
        sent = self._sent
        if sent is not None and sent.expects_reply and sent.cmd != Cmd.STATUS_REQUEST:
            self._queue.appendleft(sent)  # unanswered: send it again
        disconnected = self._link.missed()
        if disconnected is None:
            return []
        self._queue.clear()
        self.phase = Phase.CONNECTING
        return [disconnected]

    def on_frame(self, frame: Frame, now: float) -> list[ev.AcceptorEvent]:
        out = self._link.heard()
        sent = self._sent
        if sent is None or sent.cmd == Cmd.STATUS_REQUEST:
            out += self._on_status(frame, now)
        elif sent.cmd in (Cmd.RESET, Cmd.STACK_1, Cmd.STACK_2, Cmd.RETURN, Cmd.HOLD):
            out += self._on_ack(sent, frame)
        elif sent.cmd in (Cmd.GET_VERSION, Cmd.GET_BOOT_VERSION, Cmd.GET_CURRENCY_ASSIGN):
            out += self._on_info(sent, frame)
        else:
            out += self._on_echo(sent, frame)
        return out

    # -- replies ------------------------------------------------------------
    def _on_ack(self, sent: Request, frame: Frame) -> list[ev.AcceptorEvent]:
        if frame.cmd == Status.ACK:
            if sent.cmd == Cmd.RESET:
                self.phase = Phase.INITIALIZING
                self._applied = None
            return []
        if sent.cmd == Cmd.RESET:
            self._queue.append(sent)  # keep resetting until the device ACKs
        return [ev.ProtocolError(f"{Cmd(sent.cmd).name} answered {frame.cmd:#04x}, not ACK")]

    def _on_info(self, sent: Request, frame: Frame) -> list[ev.AcceptorEvent]:
        if frame.cmd != sent.cmd:
            self._queue.append(sent)
            return [ev.ProtocolError(f"{Cmd(sent.cmd).name} answered {frame.cmd:#04x}")]
        if sent.cmd == Cmd.GET_CURRENCY_ASSIGN:
            self.table = parse_currency_assign(frame.data)
            if not self.table:
                return [ev.Failed(None, "the acceptor reports no denominations")]
        elif sent.cmd == Cmd.GET_VERSION:
            self.version = frame.data.decode("ascii", "replace").strip()
        return []

    def _on_echo(self, sent: Request, frame: Frame) -> list[ev.AcceptorEvent]:
        if frame.cmd == sent.cmd and frame.data == sent.data:
            return []
        self._restart()
        return [
            ev.ProtocolError(
                f"setting {sent.cmd:#04x} {sent.data.hex()} echoed as "
                f"{frame.cmd:#04x} {frame.data.hex()}: resetting"
            )
        ]

    def _restart(self) -> None:
        self._queue.clear()
        self._queue.append(Request(Cmd.RESET, b"", expects_reply=True))
        self.phase = Phase.RESETTING
        self._applied = None
        self._settings_sent = False

    def _on_status(self, frame: Frame, now: float) -> list[ev.AcceptorEvent]:
        try:
            status = Status(frame.cmd)
        except ValueError:
            return [ev.ProtocolError(f"unknown status {frame.cmd:#04x}")]
        changed = status is not self._status
        previous, self._status = self._status, status
        if changed:
            self._status_since = now
        if self.phase is Phase.CONNECTING:
            return self._on_connect(status)
        out = self._watchdog(status, now)
        if out:
            return out
        if status in POWER_UPS:
            self._restart()
            return [self._power_up_event(status)]
        if status is Status.INITIALIZE or self.phase is not Phase.READY:
            return self._initializing(status)
        out += self._ready_status(status, previous, frame.data, changed)
        return out

    def _initializing(self, status: Status) -> list[ev.AcceptorEvent]:
        """Settings once per reset; ready when they are through and the device idles."""
        if self.phase is Phase.READY:  # the device re-initialized on its own
            self._settings_sent = False
        self.phase = Phase.INITIALIZING
        if not self._settings_sent:
            self._send_settings()
        idle = status in (Status.IDLING, Status.DISABLED)
        if idle and not self._queue and self.table:
            self.phase = Phase.READY
            return [ev.Ready(ev.DeviceInfo("id003", self._model(), self.version, self.table))]
        return []

    def _model(self) -> str:
        return self.version.split(" ")[0] if self.version else "ID-003"

    def _on_connect(self, status: Status) -> list[ev.AcceptorEvent]:
        out: list[ev.AcceptorEvent] = []
        if status in POWER_UPS:
            out.append(self._power_up_event(status))
        elif status in (Status.VEND_VALID, Status.STACKING, Status.STACKED):
            out.append(ev.PoweredUpWithNote(ev.Where.STACKER))
        elif status in (Status.ESCROW, Status.HOLDING, Status.ACCEPTING):
            out.append(ev.PoweredUpWithNote(ev.Where.ACCEPTOR))
        self._restart()
        return out

    @staticmethod
    def _power_up_event(status: Status) -> ev.AcceptorEvent:
        if status is Status.POWER_UP_BILL_IN_ACCEPTOR:
            return ev.PoweredUpWithNote(ev.Where.ACCEPTOR)
        if status is Status.POWER_UP_BILL_IN_STACKER:
            return ev.PoweredUpWithNote(ev.Where.STACKER)
        return ev.PoweredUp()

    def _watchdog(self, status: Status, now: float) -> list[ev.AcceptorEvent]:
        stuck = now - self._status_since
        if status in TRANSIENT and stuck > self._watchdog_s and self._credit is None:
            self._restart()
            return [ev.Failed(None, f"stuck in {status.name} for {stuck:.0f} s: resetting")]
        return []

    def _send_settings(self) -> None:
        for cmd in (Cmd.GET_CURRENCY_ASSIGN, Cmd.GET_VERSION):
            self._queue.append(Request(cmd, b"", expects_reply=True))
        self._queue.append(Request(Cmd.SET_DENOMINATIONS, b"\x00\x00", expects_reply=True))
        self._queue.append(Request(Cmd.SET_SECURITY, b"\x00\x00", expects_reply=True))
        self._queue.append(Request(Cmd.SET_COMMUNICATION_MODE, b"\x00", expects_reply=True))
        self._queue.append(Request(Cmd.SET_DIRECTION, b"\x00", expects_reply=True))
        self._queue.append(Request(Cmd.SET_INHIBIT, b"\x01", expects_reply=True))
        self._applied = (True, b"")
        self._settings_sent = True

    def _sync_settings(self) -> None:
        """Bring the device's inhibit and denominations to what the app wants (when idle)."""
        inhibited = self._want_enabled is None
        mask = denomination_mask(self.table, self._want_enabled or frozenset())
        wanted = (inhibited, b"" if inhibited else mask)
        if self._applied == wanted or self._queue:
            return
        if not inhibited:
            self._queue.append(Request(Cmd.SET_DENOMINATIONS, mask, expects_reply=True))
        self._queue.append(Request(Cmd.SET_INHIBIT, b"\x01" if inhibited else b"\x00", True))
        self._applied = wanted

    def _ready_status(
        self, status: Status, previous: Status | None, data: bytes, changed: bool
    ) -> list[ev.AcceptorEvent]:
        out: list[ev.AcceptorEvent] = []
        if status in (Status.IDLING, Status.DISABLED):
            if previous in _FAULTS:
                out.append(ev.FaultCleared())
            if previous is Status.STACKER_OPEN:
                out.append(ev.CashboxRestored())
            self._escrow, self._credit, self._credit_confirmed = None, None, False
            self._sync_settings()
        elif status is Status.ESCROW:
            out += self._on_escrow(data, changed)
        elif status is Status.VEND_VALID:
            out += self._on_vend_valid(data)
        elif status is Status.STACKED:
            self._escrow = None
        elif status is Status.RETURNING and changed:
            out.append(ev.Returned(self._escrow.minor if self._escrow else None))
            self._escrow = None
        elif status is Status.REJECTING and changed:
            code = data[0] if data else None
            reason = REJECT_REASONS.get(code, "unknown reason") if code is not None else "rejected"
            out.append(ev.Rejected(reason, code))
        elif changed:
            out += self._fault_event(status, data)
        return out

    def _on_escrow(self, data: bytes, changed: bool) -> list[ev.AcceptorEvent]:
        if not changed:
            return []
        code = data[0] if data else None
        note = next((n for n in self.table if n.code == code), None)
        if note is None:
            self._queue.append(Request(Cmd.RETURN, b"", expects_reply=True))
            shown = "none" if code is None else f"{code:#04x}"
            return [ev.Rejected(f"escrow code {shown} is not in the denomination table", code)]
        self._escrow = note
        return [ev.Escrowed(note.minor, note.currency)]

    def _on_vend_valid(self, data: bytes) -> list[ev.AcceptorEvent]:
        if self._credit is not None:
            if self._credit_confirmed:  # our ACK was lost: ACK again, credit nothing
                self._queue.appendleft(Request(Cmd.ACK, b"", expects_reply=False))
                return []
            return [self._credit]  # not journaled yet: offer the same credit again
        note = self._escrow
        if data:
            note = next((n for n in self.table if n.code == data[0]), note)
        if note is None:
            self._restart()
            return [ev.PoweredUpWithNote(ev.Where.STACKER)]
        self._credits += 1
        self._credit = ev.Stacked(
            note.minor, note.currency, f"{self._credit_prefix}-{self._credits}"
        )
        self._credit_confirmed = False
        return [self._credit]

    @staticmethod
    def _fault_event(status: Status, data: bytes) -> list[ev.AcceptorEvent]:
        if status is Status.FAILURE:
            code = data[0] if data else None
            text = FAILURE_CODES.get(code, "unknown failure") if code is not None else "failure"
            return [ev.Failed(code, text)]
        event = _STATUS_EVENTS.get(status)
        return [event] if event is not None else []


_STATUS_EVENTS: dict[Status, ev.AcceptorEvent] = {
    Status.JAM_IN_ACCEPTOR: ev.Jammed(ev.Where.ACCEPTOR),
    Status.JAM_IN_STACKER: ev.Jammed(ev.Where.STACKER),
    Status.STACKER_FULL: ev.CashboxFull(),
    Status.STACKER_OPEN: ev.CashboxRemoved(),
    Status.CHEATED: ev.CheatDetected("the acceptor reports a cheat attempt"),
    Status.PAUSE: ev.Paused(),
    Status.COMMUNICATION_ERROR: ev.ProtocolError("the acceptor reports a communication error"),
    Status.INVALID_COMMAND: ev.ProtocolError("the acceptor refused the last command as invalid"),
}

_FAULTS = frozenset(
    {
        Status.STACKER_FULL,
        Status.STACKER_OPEN,
        Status.JAM_IN_ACCEPTOR,
        Status.JAM_IN_STACKER,
        Status.CHEATED,
        Status.FAILURE,
        Status.PAUSE,
    }
)

__all__ = ["CURRENCY_COUNTRY", "Id003Host", "Phase", "Request"]
