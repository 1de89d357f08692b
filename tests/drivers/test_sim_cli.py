"""``kiosk-sim bill`` as a person runs it: a pty path out, commands in."""

from __future__ import annotations

import queue
import subprocess
import sys
from pathlib import Path

import pytest
from escpos.printer import Network

from drivers import acceptor as ev
from drivers.cctalk.driver import CcTalkDriver
from drivers.id003.driver import Id003Driver
from drivers.printer.document import Document, Text
from drivers.printer.printer import ReceiptPrinter
from drivers.printer.status import Health
from tests.drivers.id003_rig import NOTES


def script() -> str:
    path = Path(sys.executable).with_name("kiosk-sim")
    if not path.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    return str(path)


def next_of(events: queue.Queue[ev.AcceptorEvent], kind: type, timeout: float) -> object:
    try:
        while True:
            event = events.get(timeout=timeout)
            if isinstance(event, kind):
                return event
    except queue.Empty:
        return None


@pytest.mark.parametrize("protocol", ["id003", "cctalk"])
def test_simulator_from_the_command_line(protocol: str) -> None:
    with subprocess.Popen(
        [script(), "bill", "--protocol", protocol],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as sim:
        assert sim.stdin is not None and sim.stdout is not None
        path = sim.stdout.readline().strip()
        assert path.startswith("/dev/pts/")
        events: queue.Queue[ev.AcceptorEvent] = queue.Queue()
        kind = Id003Driver if protocol == "id003" else CcTalkDriver
        driver = kind(path, events.put, lambda c: True, poll_interval_s=0.02, reply_timeout_s=0.1)
        driver.start()
        try:
            assert next_of(events, ev.Ready, 5) is not None
            driver.enable(NOTES)
            sim.stdin.write("help\n")
            sim.stdin.flush()
            listing: list[str] = []
            while not listing or "quit" not in listing[-1]:
                listing.append(sim.stdout.readline())
            assert any(line.split()[0] == "insert" for line in listing)
            escrowed = None
            for _ in range(20):  # until the device has been enabled
                sim.stdin.write("insert 20\n")
                sim.stdin.flush()
                escrowed = next_of(events, ev.Escrowed, 0.5)
                if escrowed is not None:
                    break
            assert isinstance(escrowed, ev.Escrowed) and escrowed.minor == 2000
            sim.stdin.write("bogus\nquit\n")
            sim.stdin.flush()
            assert "unknown command 'bogus'" in sim.stdout.read()
        finally:
            driver.stop()
        assert sim.wait(timeout=5) == 0


def test_printer_simulator_from_the_command_line(tmp_path: Path) -> None:
    with subprocess.Popen(
        [script(), "printer", "--port", "0", "--out", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as sim:
        assert sim.stdin is not None and sim.stdout is not None
        host, port = sim.stdout.readline().strip().rsplit(":", 1)
        printer = ReceiptPrinter(lambda: Network(host, int(port), timeout=1))
        assert printer.print(Document((Text("你好 hello"),))).printed
        assert sim.stdout.readline().startswith("receipt printed: ")
        sim.stdin.write("paper-out\n")
        sim.stdin.flush()
        assert sim.stdout.readline().strip() == "ok"
        assert printer.status().health is Health.PAPER_OUT
        sim.stdin.write("quit\n")
        sim.stdin.flush()
        assert sim.wait(timeout=5) == 0
    assert len(list(tmp_path.glob("receipt-*.png"))) == 1
