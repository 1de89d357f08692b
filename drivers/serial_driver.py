"""A polled serial acceptor driver: one owner thread drives a sans-I/O host.

The thread polls every ``poll_interval_s``, sends queued commands at once,
waits ``reply_timeout_s`` for a reply and hands events to the listener. A
``Stacked`` event goes to the credit sink instead; only when the sink returns
``True`` does the host learn (``confirm_credit``) that it may acknowledge the
device. Public methods are safe from any thread: they queue work for the
owner thread. A port that vanishes (a USB adapter pulled) is reported as
disconnected and reopened every second.

Subclasses say how to open the port and how to read one reply.
"""

from __future__ import annotations

import logging
import queue
import termios
import threading
import time
from abc import abstractmethod
from collections.abc import Callable
from typing import Protocol

import serial

from drivers import acceptor as ev
from drivers.figures import DEFAULT_SIZE, Samples

log = logging.getLogger(__name__)
READ_SLICE_S = 0.005  # set once at open: changing a timeout reconfigures the port


class Wire(Protocol):
    @property
    def wire(self) -> bytes: ...

    @property
    def expects_reply(self) -> bool: ...

    @property
    def is_poll(self) -> bool: ...


class Host(Protocol):
    """What a protocol's sans-I/O host offers the driver loop."""

    @property
    def pending(self) -> bool: ...

    def next_request(self, now: float) -> Wire: ...

    def on_timeout(self, now: float) -> list[ev.AcceptorEvent]: ...

    def confirm_credit(self, credit_id: str) -> None: ...

    def enable(self, minors: frozenset[int]) -> None: ...

    def disable(self) -> None: ...

    def stack(self) -> list[ev.AcceptorEvent]: ...

    def return_note(self) -> list[ev.AcceptorEvent]: ...

    def hold(self) -> list[ev.AcceptorEvent]: ...

    def reset(self) -> None: ...


Intent = Callable[[Host], list[ev.AcceptorEvent] | None]


class PolledSerialDriver(ev.BillAcceptor):
    FIGURES_KEPT = DEFAULT_SIZE  # the latest round trips and ACK delays kept in memory

    def __init__(
        self,
        port: str,
        listener: ev.Listener,
        credit: ev.CreditSink,
        host: Host,
        *,
        poll_interval_s: float,
        reply_timeout_s: float,
        baudrate: int = 9600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.port = port
        self._listener = listener
        self._credit = credit
        self._host = host
        self._poll_interval = poll_interval_s
        self._reply_timeout = reply_timeout_s
        self._baudrate = baudrate
        self._clock = clock
        self._intents: queue.SimpleQueue[Intent] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"acceptor {port}", daemon=True)
        self._serial: serial.Serial | None = None
        self._info: ev.DeviceInfo | None = None
        self._owner: int | None = None
        self._credit_seen_at: float | None = None
        self.round_trips = Samples(self.FIGURES_KEPT)  # seconds, polls only (bench/, bounded)
        self.ack_delays = Samples(self.FIGURES_KEPT)  # credit seen → ACK written (bounded)

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

    # -- what a protocol supplies -------------------------------------------
    @abstractmethod
    def _serial_settings(self) -> tuple[int, str, float]:
        """(bytesize, parity, stopbits) for ``serial.Serial``."""

    @abstractmethod
    def _exchange_reply(self, request: Wire, deadline: float) -> list[ev.AcceptorEvent] | None:
        """Read the reply to ``request`` until ``deadline``: the host's events, or None
        on silence. Runs on the owner thread with the port open."""

    @abstractmethod
    def _is_ack(self, request: Wire) -> bool:
        """Whether ``request`` acknowledges a credit (timed for bench/)."""

    # -- the owner thread ---------------------------------------------------
    def _open(self) -> bool:
        try:
            bytesize, parity, stopbits = self._serial_settings()
            self._serial = serial.Serial(
                self.port,
                self._baudrate,
                bytesize=bytesize,
                parity=parity,
                stopbits=stopbits,
                timeout=READ_SLICE_S,
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
        if request.is_poll:
            next_poll = now + self._poll_interval
        sent_at = self._clock()
        self._serial.write(request.wire)
        if self._is_ack(request) and self._credit_seen_at is not None:
            self.ack_delays.add(sent_at - self._credit_seen_at)
            self._credit_seen_at = None
        if not request.expects_reply:
            return next_poll
        events = self._exchange_reply(request, sent_at + self._reply_timeout)
        done = self._clock()
        if events is None:
            self._dispatch(self._host.on_timeout(done))
            return next_poll
        if request.is_poll:
            self.round_trips.add(done - sent_at)
        self._dispatch(events)
        return next_poll

    def _read_some(self) -> bytes:
        assert self._serial is not None
        data: bytes = self._serial.read(max(1, self._serial.in_waiting))
        return data

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
        if self._credit_seen_at is None:
            self._credit_seen_at = self._clock()
        try:
            accepted = self._credit(event)
        except Exception:
            log.exception("credit sink failed on %s; the note stays unacknowledged", event)
            accepted = False
        if accepted:
            self._host.confirm_credit(event.credit_id)
