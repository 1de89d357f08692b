"""ccTalk over pyserial: 9600 8N1, the bill events polled every 200 ms.

On the single-wire bus the host hears its own bytes first: with ``echo`` (the
default) the driver reads them back and checks them before the reply; an
adapter with separate lines (``echo=False``) sends no loop-back. A credit is
taken as consumed — the event counter moves past it — only once the credit
sink has journaled it (``PolledSerialDriver``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import serial

from drivers import acceptor as ev
from drivers.cctalk.frames import Packet, PacketParser
from drivers.cctalk.host import CcTalkHost
from drivers.serial_driver import PolledSerialDriver, Wire

log = logging.getLogger(__name__)


class CcTalkDriver(PolledSerialDriver):
    def __init__(
        self,
        port: str,
        listener: ev.Listener,
        credit: ev.CreditSink,
        *,
        host: CcTalkHost | None = None,
        echo: bool = True,
        poll_interval_s: float = 0.2,
        reply_timeout_s: float = 0.25,
        baudrate: int = 9600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cctalk = host or CcTalkHost()
        super().__init__(
            port,
            listener,
            credit,
            self._cctalk,
            poll_interval_s=poll_interval_s,
            reply_timeout_s=reply_timeout_s,
            baudrate=baudrate,
            clock=clock,
        )
        self._echo = echo
        self._parser = PacketParser(self._cctalk.checksum)

    def _serial_settings(self) -> tuple[int, str, float]:
        return serial.EIGHTBITS, serial.PARITY_NONE, serial.STOPBITS_ONE

    def _is_ack(self, request: Wire) -> bool:
        return False  # ccTalk acknowledges a credit by moving on, not with a packet

    def _exchange_reply(self, request: Wire, deadline: float) -> list[ev.AcceptorEvent] | None:
        events: list[ev.AcceptorEvent] = []
        chunk = b""
        self._parser.clear()  # no sync byte: bytes left from an earlier exchange answer nothing
        if self._echo:
            heard_echo, chunk = self._strip_echo(request.wire, deadline)
            if not heard_echo:
                events.append(ev.ProtocolError("no loop-back echo of our request (check echo=)"))
        while True:
            for item in self._parser.feed(chunk):
                if isinstance(item, Packet):
                    return events + self._cctalk.on_packet(item, self._clock())
                events += self._cctalk.on_error(item)
            if self._clock() >= deadline:
                break
            chunk = self._read_some()
        self._parser.clear()
        self._dispatch(events)
        return None

    def _strip_echo(self, wire: bytes, deadline: float) -> tuple[bool, bytes]:
        """Read our own bytes back; return whether they came, and what followed them."""
        heard = bytearray()
        while len(heard) < len(wire) and self._clock() < deadline:
            heard += self._read_some()
        if bytes(heard[: len(wire)]) == wire:
            return True, bytes(heard[len(wire) :])
        return False, bytes(heard)  # not our bytes: the parser sorts them out
