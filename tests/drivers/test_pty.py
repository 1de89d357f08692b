"""The pty the simulators serve on behaves like a serial port across driver
restarts, also when a driver sets the line and dies before sending a byte."""

from __future__ import annotations

import time

import serial

from drivers.sim.id003_device import Id003Device
from drivers.sim.pty import PtyServer


def open_8e1(path: str) -> serial.Serial:
    return serial.Serial(path, 9600, bytesize=8, parity=serial.PARITY_EVEN, timeout=0.1)


def test_a_driver_that_died_before_sending_can_open_the_line_again() -> None:
    with PtyServer(Id003Device()) as server:
        for _ in range(3):  # opened at 9600 8E1, then killed before its first poll
            port = open_8e1(server.path)
            port.close()
            time.sleep(0.5)
        port = open_8e1(server.path)  # the restarted driver
        try:
            port.write(bytes.fromhex("fc051127 56"))  # STATUS REQUEST
            assert port.read(5)[:1] == b"\xfc"  # the device answers
        finally:
            port.close()
