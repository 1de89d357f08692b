"""What the UI journeys share: a kiosk on the real drivers and the reference
server, and a customer who touches buttons by their text."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel
from pytestqt.exceptions import TimeoutError
from pytestqt.qtbot import QtBot

from central.serve import Central
from config.choices import PaymentMethod
from config.loader import defaults, merge, validate
from config.settings import Settings
from drivers.sim.escpos_device import EscposDevice
from drivers.sim.id003_device import Id003Device
from kiosk.flow import State
from kiosk.flow.view import View
from kiosk.money import Language
from ui.app import KioskUi


def settings_for(tmp_path: Path, central_url: str, **extra: dict[str, object]) -> Settings:
    tree = merge(defaults(), {
        "paths": {"data_dir": str(tmp_path / "var")},
        "central": {"url": central_url, "heartbeat_s": 1, "timeout_s": 2},  # extra's win
        "card_reader": {"enabled": False},
        "cash": {"max_overpay_fen": 1000},
    })  # fmt: skip
    return validate(merge(tree, extra))


def start_kiosk(
    qtbot: QtBot, tmp_path: Path, server: Central, url: str = "", **extra: dict[str, object]
) -> KioskUi:
    """An enrolled kiosk, online, with cash on offer (the acceptor has started);
    ``url``: reach the server there (a proxy) instead of directly."""
    (tmp_path / "var").mkdir()
    token = server.enroll("K-UI-1")
    credentials = {"kiosk_id": "K-UI-1", "group": "default", "token": token}
    (tmp_path / "var" / "central.json").write_text(json.dumps(credentials))
    settings = settings_for(tmp_path, url or server.url, **extra)
    ui = KioskUi(settings, receipts_png=tmp_path / "receipts")
    qtbot.addWidget(ui.window)
    ui.window.use_size(1080, 1920)
    ui.window.show()
    ui.start()
    qtbot.waitUntil(lambda: ui.window.view is not None and ui.window.view.online, timeout=10_000)
    runner = ui.app.runner
    assert runner is not None
    qtbot.waitUntil(lambda: PaymentMethod.CASH in runner.flow.available_methods, timeout=20_000)
    return ui


def view(ui: KioskUi) -> View:
    assert ui.window.view is not None
    return ui.window.view


def language(ui: KioskUi) -> Language:
    return ui.languages.current


def state(ui: KioskUi) -> State | None:
    return ui.window.view.state if ui.window.view else None


def shown_text(ui: KioskUi) -> str:
    """Every label and button text on the screen the customer sees now."""
    screen = ui.window.stack.currentWidget()
    labels = [w.text() for w in screen.findChildren(QLabel) if w.isVisible()]
    buttons = [w.text() for w in screen.findChildren(QAbstractButton) if w.isVisible()]
    return "\n".join(labels + buttons)


def touch(qtbot: QtBot, ui: KioskUi, text: str) -> None:
    """Press the visible button that shows ``text`` (as a customer would), once the
    screen that has it is up."""

    def find() -> list[QAbstractButton]:
        buttons = ui.window.findChildren(QAbstractButton)
        return [b for b in buttons if b.isVisible() and b.text() == text]

    try:
        qtbot.waitUntil(lambda: bool(find()), timeout=10_000)
    except TimeoutError as exc:
        shown = [b.text() for b in ui.window.findChildren(QAbstractButton) if b.isVisible()]
        raise AssertionError(f"no {text!r} on the {state(ui)} screen; it shows {shown}") from exc
    qtbot.mouseClick(find()[0], Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]


def type_digits(qtbot: QtBot, ui: KioskUi, digits: str) -> None:
    for digit in digits:
        touch(qtbot, ui, digit)


def acceptor(ui: KioskUi) -> Id003Device:
    assert ui.app.acceptor is not None and ui.app.acceptor.simulator is not None
    device = ui.app.acceptor.simulator.device
    assert isinstance(device, Id003Device)
    return device


def printer(ui: KioskUi) -> EscposDevice:
    assert ui.app.printer is not None and ui.app.printer.simulator is not None
    device = ui.app.printer.simulator.device
    assert isinstance(device, EscposDevice)
    return device


def to_bill(qtbot: QtBot, ui: KioskUi, service: str = "电费", account: str = "3301234567") -> None:
    touch(qtbot, ui, "点击开始")
    touch(qtbot, ui, service)
    type_digits(qtbot, ui, account)
    touch(qtbot, ui, "确定")
    qtbot.waitUntil(lambda: state(ui) is State.BILL_SHOWN, timeout=10_000)


def to_paying(qtbot: QtBot, ui: KioskUi, method: str) -> None:
    """The seeded ¥166.40 electricity bill, the whole of it, by ``method`` (its label)."""
    to_bill(qtbot, ui)
    touch(qtbot, ui, "缴纳 ¥166.40")
    touch(qtbot, ui, method)


def insert_note(qtbot: QtBot, ui: KioskUi, major: int) -> None:
    """Feed one note once the acceptor takes notes; wait until it is stacked."""
    device = acceptor(ui)
    qtbot.waitUntil(lambda: not device.inhibited, timeout=10_000)
    stacked = len(device.stacked)
    device.insert(major)
    qtbot.waitUntil(lambda: len(device.stacked) > stacked, timeout=10_000)
