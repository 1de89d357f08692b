"""The kiosk demo with its screens: the reference central server (seeded) as
its own process, the simulated acceptor and printer, and the real kiosk UI.

Without a display it runs offscreen with a scripted customer who touches the
screen's buttons: an electricity bill paid in cash, then a property fee paid
by QR on the sandbox page. Every screen the customer sees is written to
``OUT/screens`` as PNG and every receipt to ``OUT/receipts``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import requests
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication

from config.loader import merge, validate
from config.settings import Settings
from drivers.sim.id003_device import Id003Device
from kiosk.demo_central import central_server, cli
from kiosk.flow import State
from kiosk.flow.view import View
from kiosk.shell.central import enroll
from ui.app import KioskUi


class Customer:
    """Touches buttons by their text and waits for screens, pumping Qt meanwhile."""

    def __init__(self, ui: KioskUi, shots: Path) -> None:
        self.ui, self.shots, self.count = ui, shots, 0

    def snap(self, view: View) -> None:
        self.count += 1
        layout = self.ui.window.layout()
        if layout is not None:
            layout.activate()  # the view has just been applied: lay it out before the picture
        name = f"{self.count:03d}-{self.ui.languages.current.value}-{view.state.value}.png"
        self.ui.window.grab().save(str(self.shots / name))

    def wait(self, condition: object, seconds: float = 15.0) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            QApplication.processEvents()
            if callable(condition) and condition():
                return True
            time.sleep(0.01)
        return False

    def state(self) -> State | None:
        view = self.ui.window.view
        return view.state if view else None

    def touch(self, text: str) -> bool:
        def find() -> list[QAbstractButton]:
            buttons = self.ui.window.findChildren(QAbstractButton)
            return [b for b in buttons if b.isVisible() and b.text() == text]

        if not self.wait(lambda: bool(find())):
            print(f"  no {text!r} button on the {self.state()} screen")
            return False
        QTest.mouseClick(find()[0], Qt.MouseButton.LeftButton)
        return True

    def digits(self, text: str) -> bool:
        return all(self.touch(d) for d in text) and self.touch("确定")


def run_ui_demo(settings: Settings, out: Path) -> bool:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = QApplication.instance() or QApplication(["kiosk-demo"])
    shots, data = out / "screens", out / "ui-var"
    shots.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{out / 'ui-central.db'}"
    cli("seed-demo", "--db", db)
    code = cli("enroll", "K-DEMO-UI", "--db", db)
    with central_server(db, out / "ui-central.log") as url:
        if url is None:
            return False
        enroll(url, code, data / "central.json")
        tree = merge(settings.model_dump(mode="json"), {
            "paths": {"data_dir": str(data)}, "central": {"url": url},
            "card_reader": {"enabled": False},
        })  # fmt: skip
        return _customers(validate(tree), out, shots, app)


def _customers(settings: Settings, out: Path, shots: Path, app: object) -> bool:
    ui = KioskUi(settings, receipts_png=out / "receipts")
    customer = Customer(ui, shots)
    ui.on_view = customer.snap
    ui.window.use_size(1080, 1920)
    ui.window.show()
    ui.start()
    try:
        customer.wait(lambda: ui.window.view is not None and ui.window.view.online)
        ok = _cash(ui, customer) and _qr(ui, customer)
    finally:
        ui.stop()
    print(f"  {customer.count} screens written to {shots}")
    return ok


def _cash(ui: KioskUi, customer: Customer) -> bool:
    print("  customer 1: electricity bill 3301234567 in cash (touches: start, 电费, digits, 确定,")
    print("  pay, 现金; then ¥100 ¥100 ¥100 ¥5 into the acceptor)")
    steps = customer.touch("点击开始") and customer.touch("电费") and customer.digits("3301234567")
    if not (steps and customer.wait(lambda: customer.state() is State.BILL_SHOWN)):
        return False
    view = ui.window.view
    assert view is not None and view.bill is not None
    due = view.bill.due
    if not (customer.touch(f"缴纳 {due.format()}") and customer.touch("现金")):
        return False
    assert ui.app.acceptor is not None and ui.app.acceptor.simulator is not None
    device = ui.app.acceptor.simulator.device
    assert isinstance(device, Id003Device)
    for note in (100, 100, 100, 5):
        customer.wait(lambda: not device.inhibited)
        stacked = len(device.stacked)
        device.insert(note)
        customer.wait(lambda: len(device.stacked) > stacked or customer.state() is State.DONE)  # noqa: B023
    if not customer.wait(lambda: customer.state() is State.DONE):
        print(f"  not paid: {customer.state()}")
        return False
    print(f"  paid {due.format()}, the rest to the account; receipt printed")
    return customer.touch("完成") and customer.wait(lambda: customer.state() is State.ATTRACT)


def _qr(ui: KioskUi, customer: Customer) -> bool:
    print("  customer 2: property fee 101020301 by Alipay QR, in English")
    steps = (
        customer.touch("点击开始") and customer.touch("English") and customer.touch("Property fee")
    )
    steps = steps and all(customer.touch(d) for d in "101020301") and customer.touch("OK")
    if not (steps and customer.wait(lambda: customer.state() is State.BILL_SHOWN)):
        return False
    view = ui.window.view
    assert view is not None and view.bill is not None
    if not (customer.touch(f"Pay {view.bill.due.format(ui.languages.current)}")
            and customer.touch("Alipay")):  # fmt: skip
        return False
    if not customer.wait(lambda: ui.window.view is not None and ui.window.view.qr_url is not None):
        return False
    url = str(ui.window.view.qr_url) if ui.window.view else ""
    requests.post(url, data={"pay": "1"}, timeout=5).raise_for_status()
    print(f"  the phone paid {url} on the sandbox page")
    if not customer.wait(lambda: customer.state() is State.DONE, 20):
        return False
    return customer.touch("Finish") and customer.wait(lambda: customer.state() is State.ATTRACT)
