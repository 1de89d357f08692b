"""ID-003 over pyserial: 9600 8E1, polled every 150 ms by one owner thread.

The ACK to VEND VALID is queued only once the credit sink has journaled the
note (``PolledSerialDriver``), and is sent before anything else.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import serial

from drivers import acceptor as ev
from drivers.id003.codes import Cmd
from drivers.id003.frames import Frame, FrameParser
from drivers.id003.host import Id003Host, Request
from drivers.serial_driver import PolledSerialDriver, Wire


class Id003Driver(PolledSerialDriver):
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
        self._id003 = host or Id003Host()
        super().__init__(
            port,
            listener,
            credit,
            self._id003,
            poll_interval_s=poll_interval_s,
            reply_timeout_s=reply_timeout_s,
            baudrate=baudrate,
            clock=clock,
        )
        self._parser = FrameParser()

    def _serial_settings(self) -> tuple[int, str, float]:
        return serial.EIGHTBITS, serial.PARITY_EVEN, serial.STOPBITS_ONE

    def _is_ack(self, request: Wire) -> bool:
        return isinstance(request, Request) and request.cmd == Cmd.ACK

    def _exchange_reply(self, request: Wire, deadline: float) -> list[ev.AcceptorEvent] | None:
        events: list[ev.AcceptorEvent] = []
        while self._clock() < deadline:
            for item in self._parser.feed(self._read_some()):
                if isinstance(item, Frame):
                    return events + self._id003.on_frame(item, self._clock())
                events += self._id003.on_error(item)
        self._parser.clear()  # a false SYNC must not swallow the next reply
        self._dispatch(events)
        return None
