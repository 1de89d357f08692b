"""Bill acceptors over a pseudo-terminal: poll round trips against the wire time,
and the time from VEND VALID to its ACK with the durable journal write inside.

A pty moves bytes at memory speed, so the wire time of the same bytes at 9600
baud (11 bits a byte for ID-003's 8E1, 10 for ccTalk's 8N1) is printed beside
each measurement: on a real line the wire time dominates, and the software's
share is the measured time.

    python bench/bill_acceptor.py [--polls N] [--notes N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # ui/, not bench/ui.py

from config.choices import PaymentMethod
from config.loader import load_settings
from drivers import acceptor as ev
from drivers.cctalk.driver import CcTalkDriver
from drivers.id003.driver import Id003Driver
from drivers.serial_driver import PolledSerialDriver
from drivers.sim.cctalk_device import CcTalkDevice
from drivers.sim.id003_device import Id003Device
from drivers.sim.pty import PtyServer
from kiosk.bills import Bill, BillLine
from kiosk.flow import PayFlow, State
from kiosk.flow import events as e
from kiosk.money import Money
from kiosk.shell.acceptor_link import AcceptorLink
from kiosk.shell.runner import FlowRunner
from offline_queue.journal import Journal

BAUD = 9600


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def wait(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("bench: timed out")
        time.sleep(0.005)


def polls(driver: PolledSerialDriver, count: int) -> list[float]:
    wait(lambda: driver.device_info() is not None)
    driver.round_trips.clear()
    wait(lambda: len(driver.round_trips) >= count, timeout=120)
    return driver.round_trips.latest()[:count]


def until(
    condition: Callable[[], bool], meanwhile: Callable[[], None], timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("bench: timed out")
        meanwhile()


def painter() -> tuple[Callable[[], None], Callable[[Callable[[], object]], None], list[float]]:
    """The kiosk's window on this thread, painting the next sample screen at each
    call (the frames' times are kept); and the Qt bridge the flow runs through."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from devtools.gallery import preview_window, sample_views
    from kiosk.money import Language
    from ui.bridge import Bridge

    app = QApplication.instance() or QApplication([])
    window = preview_window(load_settings(), Language.ZH, (1080, 1920))
    views = [view for _, view in sample_views()]
    bridge = Bridge()
    frames: list[float] = []
    turn = 0

    def paint() -> None:
        nonlocal turn
        started = time.perf_counter()
        window.show_view(views[turn % len(views)])
        window.repaint()
        app.processEvents()
        frames.append(time.perf_counter() - started)
        turn += 1

    return paint, bridge.dispatch, frames


def report(name: str, samples: list[float], wire_bytes: int, bits: int) -> None:
    wire = wire_bytes * bits / BAUD
    p50, p99 = pct(samples, 50), pct(samples, 99)
    print(
        f"{name:34}{p50 * 1e3:9.3f}{p99 * 1e3:9.3f}{wire * 1e3:10.2f}"
        f"{p50 / wire:9.3f}x{p99 / wire:8.3f}x"
    )


def vend_valid_to_ack(
    notes: int, poll_s: float = 0.02, paint: Callable[[], None] | None = None,
    dispatch: Callable[[Callable[[], object]], None] | None = None,
) -> list[float]:  # fmt: skip
    """Seconds from VEND VALID read to ACK written, for ``notes`` ¥10 notes.
    With ``paint``, this thread paints screens without pause meanwhile (the
    flow's work comes to it through ``dispatch``, as in the kiosk)."""
    settings = load_settings()
    device = Id003Device()
    idle = paint or (lambda: time.sleep(0.005))
    with tempfile.TemporaryDirectory() as folder, PtyServer(device) as server:
        journal = Journal(Path(folder) / "journal.db")
        runner = FlowRunner(
            PayFlow(settings), journal, services=lambda command: None, dispatch=dispatch
        )
        link = AcceptorLink(runner, journal)
        driver = Id003Driver(
            server.path, link.on_event, link.credit, poll_interval_s=poll_s, reply_timeout_s=0.1
        )
        runner.acceptor = driver
        runner.start()
        driver.start()
        try:
            wait(lambda: driver.device_info() is not None)
            due = Money.of_major(notes * 10)
            bill = Bill("electricity", "3301234567", "王*华", (BillLine("电费", "Power", due),))
            for event in (
                e.StartPressed(),
                e.ServiceChosen("electricity"),
                e.AccountEntered("3301234567"),
                e.BillFound(bill),
                e.AmountChosen(due),
                e.MethodChosen(PaymentMethod.CASH),
            ):
                done = runner.post(event)
                until(done.is_set, idle)
            for n in range(notes):
                until(lambda: not device.inhibited, idle)
                device.insert(10)
                until(lambda: len(device.stacked) > n, idle)  # noqa: B023 - waited on at once
            until(lambda: runner.flow.state is not State.CASH_INSERTING, idle)
            return driver.ack_delays.latest()
        finally:
            driver.stop()
            runner.stop()
            journal.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=500)
    parser.add_argument("--notes", type=int, default=40)
    args = parser.parse_args()
    sink: list[ev.AcceptorEvent] = []
    print(f"{'':34}{'p50 ms':>9}{'p99 ms':>9}{'wire ms':>10}{'p50/wire':>10}{'p99/wire':>9}")

    with PtyServer(Id003Device()) as server:
        id003 = Id003Driver(server.path, sink.append, lambda c: True, poll_interval_s=0.005)
        id003.start()
        try:
            # status request 5 bytes + DISABLED 5 bytes, 8E1
            report("ID-003 poll round trip", polls(id003, args.polls), 10, 11)
        finally:
            id003.stop()

    with PtyServer(CcTalkDevice()) as server:
        cctalk = CcTalkDriver(server.path, sink.append, lambda c: True, poll_interval_s=0.005)
        cctalk.start()
        try:
            # header 159: request 5 bytes (its echo is the same bytes) + reply 16, 8N1
            report("ccTalk bill-event poll round trip", polls(cctalk, args.polls), 21, 10)
        finally:
            cctalk.stop()

    poll = load_settings().acceptor.poll_interval_ms / 1000
    paint, dispatch, frames = painter()
    painted = vend_valid_to_ack(args.notes, poll, paint, dispatch)
    print(
        f"\nVEND VALID received → ACK sent at the kiosk's {poll * 1e3:.0f} ms poll while this "
        f"process paints screens without pause ({len(frames)} frames, p50 "
        f"{pct(frames, 50) * 1e3:.1f} ms): {len(painted)} notes, p50 "
        f"{pct(painted, 50) * 1e3:.3f} ms, p99 {pct(painted, 99) * 1e3:.3f} ms, max "
        f"{max(painted) * 1e3:.3f} ms (goal p99 <= one poll, {poll * 1e3:.0f} ms)"
    )
    delays = vend_valid_to_ack(args.notes)
    print(
        f"\nVEND VALID received → ACK sent, durable journal write included "
        f"({len(delays)} notes, WAL + synchronous=FULL):"
    )
    print(
        f"  p50 {pct(delays, 50) * 1e3:.3f} ms, p99 {pct(delays, 99) * 1e3:.3f} ms, "
        f"mean {statistics.fmean(delays) * 1e3:.3f} ms; the ACK itself is 5 bytes = "
        f"{5 * 11 / BAUD * 1e3:.2f} ms on the wire"
    )


if __name__ == "__main__":
    main()
