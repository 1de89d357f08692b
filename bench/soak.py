"""The kiosk left running: the real app with its screens (offscreen), the ID-003
driver polling its simulator on a pty, the simulated printer, the local central
server as its own process (enrolled: sync and heartbeat run); first idle, then
a customer every few seconds buying ¥100 of prepaid electricity in cash by
the screen's buttons. Each minute it prints the process's resident memory,
threads, open files and the journal's size; at the end the RSS slope per day
after the warm-up, by least squares over the minutes. The simulators' own
records of every note and receipt are dropped after each customer: what is
measured is the kiosk.

    python bench/soak.py --minutes 30 [--idle 5] [--every 5] [--warmup 5]
    (goal: RSS slope <= 1 MB per day)
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402

from config.loader import load_settings, merge, validate  # noqa: E402
from devtools.demo_central import central_server, cli  # noqa: E402
from devtools.ui_demo import Customer  # noqa: E402
from drivers.sim.id003_device import Id003Device  # noqa: E402
from kiosk.flow import State  # noqa: E402
from kiosk.shell.central import enroll  # noqa: E402
from ui.app import KioskUi  # noqa: E402

ACCOUNT = "3301234568"  # the demo city's prepaid meter: it can buy again and again


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def journal_mb(data: Path) -> float:
    return sum(p.stat().st_size for p in data.glob("journal.db*")) / 2**20


def slope_per_day(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (minutes, MB), in MB per day."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    return sxy / sxx * 60 * 24 if sxx else 0.0


def buy(ui: KioskUi, customer: Customer) -> bool:
    """One customer: start, electricity, the meter's number, ¥100, cash, a ¥100 note."""
    steps = customer.touch("点击开始") and customer.touch("电费") and customer.digits(ACCOUNT)
    if not (steps and customer.wait(lambda: customer.state() is State.BILL_SHOWN)):
        return False
    if not (customer.touch("¥100.00") and customer.touch("现金")):
        return False
    acceptor = ui.app.acceptor
    assert acceptor is not None and acceptor.simulator is not None
    device = acceptor.simulator.device
    assert isinstance(device, Id003Device)
    customer.wait(lambda: not device.inhibited)
    device.insert(100)
    if not customer.wait(lambda: customer.state() is State.DONE, 20):
        return False
    done = customer.touch("完成") and customer.wait(lambda: customer.state() is State.ATTRACT)
    # The simulators keep every note and receipt for the tests to read: dropped
    # here, so that what grows is the kiosk, not its simulated devices.
    device.stacked.clear()
    printer = ui.app.printer
    if printer is not None and printer.simulator is not None:
        printer.simulator.device.receipts.clear()
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="the whole run")
    parser.add_argument("--idle", type=float, default=5.0, help="minutes with no customer first")
    parser.add_argument(
        "--every", type=float, default=5.0, help="seconds from one customer to the next"
    )
    parser.add_argument("--warmup", type=float, default=5.0, help="minutes left out of the slope")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    with TemporaryDirectory() as folder:
        out = Path(folder)
        data = out / "var"
        data.mkdir()
        db = f"sqlite:///{out / 'central.db'}"
        cli("seed-demo", "--db", db)
        code = cli("enroll", "K-SOAK-1", "--db", db)
        with central_server(db, out / "central.log") as url:
            assert url is not None, (out / "central.log").read_text()
            enroll(url, code, data / "central.json")
            tree = merge(load_settings().model_dump(mode="json"), {
                "paths": {"data_dir": str(data)}, "central": {"url": url},
                "card_reader": {"enabled": False},
            })  # fmt: skip
            ui = KioskUi(validate(tree), receipts_png=None)
            ui.window.use_size(1080, 1920)
            ui.window.show()
            ui.start()
            customer = Customer(ui, out)
            try:
                run(app, ui, customer, data, args)
            finally:
                ui.stop()


def run(
    app: QApplication, ui: KioskUi, customer: Customer, data: Path, args: argparse.Namespace
) -> None:
    started = time.monotonic()
    end = started + args.minutes * 60
    next_minute, next_customer = started, started + args.idle * 60
    served = failed = 0
    samples: list[tuple[float, float]] = []
    print("minute  RSS MB  threads  open files  journal MB  customers", flush=True)
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_minute:
            minute = (now - started) / 60
            rss = rss_mb()
            samples.append((minute, rss))
            print(
                f"{minute:6.1f}  {rss:6.1f}  {threading.active_count():7d}  {open_files():10d}"
                f"  {journal_mb(data):10.2f}  {served:9d}",
                flush=True,
            )
            next_minute += 60
        if now >= next_customer:
            if buy(ui, customer):
                served += 1
            else:
                failed += 1
                print(f"  a customer did not get through (at {customer.state()})", flush=True)
            next_customer = time.monotonic() + args.every
        customer.wait(lambda: False, 0.05)  # the Qt loop turns meanwhile
    app.processEvents()
    after = [(x, y) for x, y in samples if x >= args.warmup]
    slope = slope_per_day(after) if len(after) >= 2 else float("nan")
    print(
        f"{args.minutes:.0f} min: {served} customers ({failed} did not get through); RSS "
        f"{samples[0][1]:.1f} -> {samples[-1][1]:.1f} MB; slope after {args.warmup:.0f} min "
        f"of warm-up {slope:+.2f} MB per day (goal <= 1 MB per day)",
        flush=True,
    )


if __name__ == "__main__":
    main()
