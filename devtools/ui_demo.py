"""The kiosk demo with its screens: the reference central server (seeded) as
its own process, the simulated acceptor and printer, and the real kiosk UI.

Without a display it runs offscreen with a scripted customer who touches the
screen's buttons: an electricity bill paid in cash, a property fee paid by QR
on the sandbox page, a water bill paid by bank card, and a prepaid-meter
purchase started by the account card (written back to the card). The cards go
through the real pcscd with the vsmartcard vpcd reader; where the machine has
no pcscd the card customers are left out, and the demo says why. Every screen
the customer sees is written to ``OUT/screens`` as PNG and every receipt to
``OUT/receipts``.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication

from config.loader import merge, validate
from config.settings import Settings
from devtools import desktop as desktop_fit
from devtools.demo_central import books_report, central_server, cli
from devtools.simulators import Devices, SimulatorWindow
from drivers.sim.escpos_device import EscposDevice
from drivers.sim.id003_device import Id003Device
from drivers.sim.netproxy import Proxy
from drivers.sim.pcscd import READER, Pcscd, PcscdUnavailable, Slot
from drivers.sim.vicc import AccountCard, EmvCard
from kiosk.flow import State
from kiosk.flow.view import View
from kiosk.shell.central import enroll
from ui.app import KioskUi

PANEL = (1080, 1920)  # the kiosk's portrait panel, in its own pixels


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


def card_slot() -> tuple[Pcscd, Slot] | None:
    """pcscd with the virtual reader and its slot, or None (and why) without them."""
    service = Pcscd()
    try:
        service.ensure()
        return service, Slot()
    except PcscdUnavailable as exc:
        print(f"  no simulated card reader ({exc}): the card customers are left out")
        return None


def run_ui_demo(settings: Settings, out: Path, panel: tuple[int, int] = PANEL) -> bool:
    """With a display: the kiosk (its ``panel`` scaled to fit the screen) and the
    simulator window beside it, for a person to use until the simulator window
    is closed or the demo gets SIGTERM. Without: offscreen, with the scripted
    customers."""
    desktop = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    placed = None
    if desktop:
        placed = desktop_fit.scale_this_process(panel)
    else:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = QApplication.instance() or QApplication(["kiosk-demo"])
    assert isinstance(app, QApplication)
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
        cards = card_slot()
        network = Proxy(urlsplit(url).port or 80)  # "cut the network" cuts it here
        reader = {"enabled": True, "reader": READER} if cards else {"enabled": False}
        tree = merge(settings.model_dump(mode="json"), {
            "paths": {"data_dir": str(data)}, "central": {"url": network.url},
            "card_reader": reader,
        })  # fmt: skip
        ui = KioskUi(validate(tree), receipts_png=out / "receipts")
        customer = Customer(ui, shots)
        ui.on_view = customer.snap
        ui.window.use_size(*panel)
        ui.window.show()
        ui.start()  # the devices exist from here on
        simulators = SimulatorWindow(
            Devices(_acceptor(ui), _printer(ui), cards[1] if cards else None, network,
                    lambda: ui.window.view.qr_url if ui.window.view else None)
        )  # fmt: skip
        try:
            if desktop:
                _on_the_desktop(app, ui, simulators, placed, out)
                return True
            ok = _customers(ui, customer, cards[1] if cards else None)
            simulators.show()
            simulators.grab().save(str(out / "simulators.png"))
            journal = ui.app.journal
            uploaded = journal is not None and customer.wait(
                lambda: journal.outbox_counts()["pending"] == 0, 30
            )
            print(f"  every transaction uploaded: {'yes' if uploaded else 'NO'}")
            (out / "books").mkdir(exist_ok=True)
            return books_report(db, out / "books", show_trial_balance=True) and ok and uploaded
        finally:
            ui.stop()
            network.close()
            if cards:
                cards[1].remove()
                cards[0].stop()
            print(f"  {customer.count} screens written to {shots}")


def _on_the_desktop(
    app: QApplication, ui: KioskUi, simulators: SimulatorWindow,
    placed: desktop_fit.Fit | None, out: Path,
) -> None:  # fmt: skip
    """Both windows side by side until the simulator window closes or SIGTERM;
    a picture of the desktop as it first looks, in ``out/desktop.png``."""

    def stop(signum: int, frame: object) -> None:
        ui.window.may_close = True
        QTimer.singleShot(0, app.quit)  # in the event loop, even if it has not started yet

    previous = signal.signal(signal.SIGTERM, stop)
    simulators.closed.connect(app.quit)
    simulators.show()
    print(f"  {desktop_fit.place(ui.window, simulators, placed)}", flush=True)
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.02)
    screen = QGuiApplication.primaryScreen()
    screen.grabWindow(0).save(str(out / "desktop.png"))
    print(f"  the desktop as it looks: {out / 'desktop.png'}", flush=True)
    wake = QTimer()  # Python runs a signal handler only when the interpreter gets control
    wake.timeout.connect(lambda: None)
    wake.start(250)
    try:
        app.exec()
    finally:
        wake.stop()
        signal.signal(signal.SIGTERM, previous)


def _customers(ui: KioskUi, customer: Customer, slot: Slot | None) -> bool:
    customer.wait(lambda: ui.window.view is not None and ui.window.view.online)
    ok = _cash(ui, customer) and _qr(ui, customer)
    if ok and slot is not None:
        ok = _bank_card(ui, customer, slot) and _account_card(ui, customer, slot)
    return ok


def _printer(ui: KioskUi) -> EscposDevice | None:
    simulator = ui.app.printer.simulator if ui.app.printer else None
    return simulator.device if simulator else None


def _acceptor(ui: KioskUi) -> Id003Device:
    assert ui.app.acceptor is not None and ui.app.acceptor.simulator is not None
    device = ui.app.acceptor.simulator.device
    assert isinstance(device, Id003Device)  # the demo's settings use the ID-003 simulator
    return device


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
    device = _acceptor(ui)
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


def _bank_card(ui: KioskUi, customer: Customer, slot: Slot) -> bool:
    print("  customer 3: water bill 33012345 by UnionPay bank card")
    steps = customer.touch("点击开始") and customer.touch("水费") and customer.digits("33012345")
    if not (steps and customer.wait(lambda: customer.state() is State.BILL_SHOWN)):
        return False
    view = ui.window.view
    assert view is not None and view.bill is not None
    if not (customer.touch(f"缴纳 {view.bill.due.format()}") and customer.touch("银行卡")):
        return False
    if not customer.wait(lambda: customer.state() is State.CARD_PAYING):
        return False
    slot.insert(EmvCard())
    if not customer.wait(lambda: customer.state() is State.DONE, 30):
        print(f"  not paid: {customer.state()}")
        return False
    print(f"  paid {view.bill.due.format()} by card; the receipt shows the masked card number")
    slot.remove()  # the customer takes the card
    return customer.touch("完成") and customer.wait(lambda: customer.state() is State.ATTRACT)


def _account_card(ui: KioskUi, customer: Customer, slot: Slot) -> bool:
    print("  customer 4: prepaid electricity meter 3301234568: inserts the account card,")
    print("  buys ¥100 of units for cash; the purchase is written to the card")
    card = AccountCard(account="3301234568", service="electricity")
    slot.remove()
    slot.insert(card)
    if not customer.wait(lambda: customer.state() is State.BILL_SHOWN, 20):
        print(f"  the account card was not read: {customer.state()}")
        return False
    if not (customer.touch("¥100.00") and customer.touch("现金")):
        return False
    device = _acceptor(ui)
    customer.wait(lambda: not device.inhibited)
    device.insert(100)
    if not customer.wait(lambda: customer.state() is State.DONE, 20):
        print(f"  not paid: {customer.state()}")
        return False
    journal = ui.app.journal
    assert journal is not None
    loads = ["card_loaded", "card_load_failed"]
    if not customer.wait(lambda: bool(journal.latest(loads))):
        print("  the card was never written")
        return False
    if journal.latest(loads)[0].kind != "card_loaded" or not any(card.purchase):
        print("  the purchase did not reach the card")
        return False
    print("  ¥100 of units bought and written to the account card")
    slot.remove()
    return customer.touch("完成") and customer.wait(lambda: customer.state() is State.ATTRACT)
