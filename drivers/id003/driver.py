"""ID-003 over pyserial: one owner thread drives ``Id003Host`` on the port.

The thread polls every ``poll_interval_s`` (150 ms by default), sends queued
commands at once, waits ``reply_timeout_s`` for a reply and hands events to
the listener. A ``Stacked`` event goes to the credit sink instead; only when
the sink returns ``True`` is the ACK to VEND VALID queued, and it is sent
before anything else. Public methods are safe from any thread: they queue
work for the owner thread. A port that vanishes (a USB adapter pulled) is
reported as disconnected and reopened every second.
"""

from __future__ import annotations

import logging
import queue
import termios
import threading
import time
from collections.abc import Callable

import serial

from drivers import acceptor as ev
from drivers.id003.codes import Cmd
from drivers.id003.frames import Frame, FrameParser
from drivers.id003.host import Id003Host

log = logging.getLogger(__name__)
_READ_SLICE_S = 0.005
Intent = Callable[[Id003Host], list[ev.AcceptorEvent] | None]


class Id003Driver(ev.BillAcceptor):
    def __init__(
        self,
        port: str,
        listener: ev.Listener,
        credit: ev.CreditSink,
        *,
        poll_interval_s: float = 0.15,
        reply_timeout_s: float = 0.2,
        baudrate: int = 9600,
        host: Id003Host | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.port = port
        self._listener = listener
        self._credit = credit
        self._poll_interval = poll_interval_s
        self._reply_timeout = reply_timeout_s
        self._baudrate = baudrate
        self._host = host or Id003Host()
        self._clock = clock
        self._intents: queue.SimpleQueue[Intent] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"id003 {port}", daemon=True)
        self._serial: serial.Serial | None = None
        self._info: ev.DeviceInfo | None = None
        self._owner: int | None = None
        self._parser = FrameParser()
        self._vend_valid_at: float | None = None
        self.round_trips: list[float] = []  # seconds, status polls only (for bench/)
        self.ack_delays: list[float] = []  # VEND VALID received → ACK written

    # -- BillAcceptor -------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._close()

    def enable(self, denominations: frozenset[int]) -> None:
        self._intents.put(lambda h: h.enable(denominations))

    def disable(self) -> None:
        self._intents.put(lambda h: h.disable())

    def stack(self) -> None:
        self._intents.put(lambda h: h.stack())

    def return_note(self) -> None:
        self._intents.put(lambda h: h.return_note())

    def hold(self) -> None:
        self._intents.put(lambda h: h.hold())

    def reset(self) -> None:
        self._intents.put(lambda h: h.reset())

    def device_info(self) -> ev.DeviceInfo | None:
        return self._info

    # -- the owner thread ---------------------------------------------------
    def _open(self) -> bool:
        try:
            self._serial = serial.Serial(
                self.port,
                self._baudrate,
                bytesize=serial.EIGHTBITS,
                parity=serial.PARITY_EVEN,
                stopbits=serial.STOPBITS_ONE,
                timeout=_READ_SLICE_S,  # set once: changing it reconfigures the port
            )
        except (serial.SerialException, OSError, termios.error) as exc:
            log.warning("cannot open %s: %s", self.port, exc)
            return False
        return True

    def _close(self) -> None:
        if self._serial is not None:
            self._serial.close()
            self._serial = None

    def _run(self) -> None:
        self._owner = threading.get_ident()
        next_poll = 0.0
        while not self._stop.is_set():
            if self._serial is None and not self._open():
                self._stop.wait(1.0)
                continue
            self._drain_intents()
            now = self._clock()
            if not self._host.pending and now < next_poll:
                self._stop.wait(min(next_poll - now, 0.01))
                continue
            try:
                next_poll = self._exchange(now, next_poll)
            except (serial.SerialException, OSError) as exc:
                self._close()
                self._dispatch([ev.Disconnected(f"{self.port}: {exc}")])
            except Exception:  # a bug must not silence the acceptor for good
                log.exception("%s: unexpected error in the owner thread", self.port)
                self._stop.wait(0.5)

    def _exchange(self, now: float, next_poll: float) -> float:
        assert self._serial is not None and threading.get_ident() == self._owner
        request = self._host.next_request(now)
        if request.cmd == Cmd.STATUS_REQUEST:
            next_poll = now + self._poll_interval
        sent_at = self._clock()
        self._serial.write(request.wire)
        if request.cmd == Cmd.ACK and self._vend_valid_at is not None:
            self.ack_delays.append(sent_at - self._vend_valid_at)
            self._vend_valid_at = None
        if not request.expects_reply:
            return next_poll
        frame = self._read_frame(sent_at + self._reply_timeout)
        done = self._clock()
        if frame is None:
            self._dispatch(self._host.on_timeout(done))
            return next_poll
        if request.cmd == Cmd.STATUS_REQUEST:
            self.round_trips.append(done - sent_at)
            if frame.cmd == 0x15:  # VEND VALID: time the way to our ACK
                self._vend_valid_at = self._vend_valid_at or done
        self._dispatch(self._host.on_frame(frame, done))
        return next_poll

    def _read_frame(self, deadline: float) -> Frame | None:
        assert self._serial is not None
        parser = self._parser
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                parser.clear()
                return None
            chunk = self._serial.read(max(1, self._serial.in_waiting))
            for item in parser.feed(chunk):
                if isinstance(item, Frame):
                    return item
                self._dispatch(self._host.on_error(item))

    def _drain_intents(self) -> None:
        while True:
            try:
                intent = self._intents.get_nowait()
            except queue.Empty:
                return
            self._dispatch(intent(self._host) or [])

    def _dispatch(self, events: list[ev.AcceptorEvent]) -> None:
        for event in events:
            if isinstance(event, ev.Stacked):
                self._offer_credit(event)
                continue
            if isinstance(event, ev.Ready):
                self._info = event.info
            if isinstance(event, ev.ProtocolError):
                log.info("%s: %s", self.port, event.detail)
            try:
                self._listener(event)
            except Exception:
                log.exception("acceptor listener failed on %r", event)

    def _offer_credit(self, event: ev.Stacked) -> None:
        try:
            accepted = self._credit(event)
        except Exception:
            log.exception("credit sink failed on %s; the note stays unacknowledged", event)
            accepted = False
        if accepted:
            self._host.confirm_credit(event.credit_id)
