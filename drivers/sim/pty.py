"""Serve a sans-I/O simulated device on a pseudo-terminal.

The driver opens ``path`` with pyserial exactly as it would open
/dev/ttyUSB0. One thread reads the master side, feeds the device and writes
its replies back, after ``device.delay_s`` if a slow device is being played.

A Linux pty has no parity: the first open with 8E1 is accepted (PARENB is
dropped), but once the line is at 9600 a second open with PARENB fails with
EINVAL. So after a quiet spell the server puts the slave's termios back as it
was created, and a driver that restarts can open the line again, as it could
a real serial port.
"""

from __future__ import annotations

import contextlib
import os
import select
import termios
import threading
import time
import tty
from typing import Protocol

_QUIET_S = 0.3


class WireDevice(Protocol):
    delay_s: float

    def receive(self, data: bytes) -> bytes: ...


class PtyServer:
    def __init__(self, device: WireDevice) -> None:
        self.device = device
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self._initial = termios.tcgetattr(self._slave)
        self.path = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sim {self.path}", daemon=True)
        self.bytes_in = 0
        self.bytes_out = 0

    def start(self) -> PtyServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _restore(self) -> None:
        """Put the line back as created if a driver changed it: also when the
        driver set it and died before sending a byte (the crash harness found
        every later open refused then)."""
        with contextlib.suppress(termios.error):
            if termios.tcgetattr(self._slave) != self._initial:
                termios.tcsetattr(self._slave, termios.TCSANOW, self._initial)

    def __enter__(self) -> PtyServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _run(self) -> None:
        last_traffic = time.monotonic()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                if time.monotonic() - last_traffic > _QUIET_S:
                    self._restore()
                continue
            last_traffic = time.monotonic()
            try:
                data = os.read(self._master, 4096)
            except OSError:
                return
            self.bytes_in += len(data)
            reply = self.device.receive(data)
            if reply:
                if self.device.delay_s:
                    time.sleep(self.device.delay_s)
                os.write(self._master, reply)
                self.bytes_out += len(reply)
