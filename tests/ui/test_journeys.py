"""Customers at the whole kiosk: the screens (touched with pytest-qt), the app
shell on the Qt main thread, the real ID-003 driver against the simulated
acceptor on a pseudo-terminal, the simulated ESC/POS printer over TCP, and the
reference central server on loopback with a real SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton
from pytestqt.exceptions import TimeoutError
from pytestqt.qtbot import QtBot

from central.serve import Central, running
from config.loader import defaults, merge, validate
from config.settings import PaymentMethod
from drivers.sim.escpos_device import EscposDevice
from drivers.sim.id003_device import Id003Device
from kiosk.flow import Notice, State
from kiosk.flow.view import View
from kiosk.money import Language, Money
from tests.kiosk.test_central_client import seed
from ui.app import KioskUi
from ui.screens.done import DoneScreen
from ui.screens.qr_waiting import QrWaitingScreen


def settings_for(tmp_path: Path, central_url: str, **extra: object) -> object:
    tree = merge(defaults(), {
        "paths": {"data_dir": str(tmp_path / "var")},
        "central": {"url": central_url, "heartbeat_s": 1, "timeout_s": 2},
        "card_reader": {"enabled": False},
        "cash": {"max_overpay_fen": 1000},
        **extra,
    })  # fmt: skip
    return validate(tree)


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Central]:
    with running(tmp_path / "central.db") as server:
        seed(server)
        yield server


@pytest.fixture
def kiosk(qtbot: QtBot, tmp_path: Path, central: Central) -> Iterator[KioskUi]:
    (tmp_path / "var").mkdir()
    token = central.enroll("K-UI-1")
    credentials = {"kiosk_id": "K-UI-1", "group": "default", "token": token}
    (tmp_path / "var" / "central.json").write_text(json.dumps(credentials))
    ui = KioskUi(settings_for(tmp_path, central.url), receipts_png=tmp_path / "receipts")  # type: ignore[arg-type]
    qtbot.addWidget(ui.window)
    ui.window.use_size(1080, 1920)
    ui.window.show()
    ui.start()
    qtbot.waitUntil(lambda: ui.window.view is not None and ui.window.view.online, timeout=10_000)
    # the acceptor has answered its start-up (until then cash is not offered)
    runner = ui.app.runner
    assert runner is not None
    qtbot.waitUntil(lambda: PaymentMethod.CASH in runner.flow.available_methods, timeout=20_000)
    yield ui
    ui.stop()


def view(ui: KioskUi) -> View:
    assert ui.window.view is not None
    return ui.window.view


def language(ui: KioskUi) -> Language:
    return ui.languages.current


def state(ui: KioskUi) -> State | None:
    return ui.window.view.state if ui.window.view else None


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


def test_cash_with_an_over_limit_note_returned_and_the_language_switched_mid_flow(
    qtbot: QtBot, kiosk: KioskUi
) -> None:
    touch(qtbot, kiosk, "点击开始")
    qtbot.waitUntil(lambda: state(kiosk) is State.CHOOSE_SERVICE)
    touch(qtbot, kiosk, "电费")
    qtbot.waitUntil(lambda: state(kiosk) is State.IDENTIFY)
    type_digits(qtbot, kiosk, "3301234567")
    touch(qtbot, kiosk, "确定")
    qtbot.waitUntil(lambda: state(kiosk) is State.BILL_SHOWN, timeout=10_000)
    touch(qtbot, kiosk, "English")  # mid-flow: the same bill, now in English
    assert language(kiosk) is Language.EN
    touch(qtbot, kiosk, "Pay CNY 166.40")
    qtbot.waitUntil(lambda: state(kiosk) is State.CHOOSE_METHOD)
    touch(qtbot, kiosk, "Cash")
    qtbot.waitUntil(lambda: state(kiosk) is State.CASH_INSERTING)
    device = acceptor(kiosk)
    qtbot.waitUntil(lambda: not device.inhibited, timeout=10_000)
    device.insert(100)
    qtbot.waitUntil(lambda: view(kiosk).paid == Money(10000), timeout=10_000)
    device.insert(100)  # ¥66.40 left, ¥10 over at most: this note comes back
    qtbot.waitUntil(lambda: view(kiosk).notice in (Notice.NOTE_OVER_LIMIT,
                    Notice.NOTE_REJECTED, Notice.NOTE_NOT_ACCEPTED), timeout=10_000)  # fmt: skip
    assert kiosk.window.screens[State.CASH_INSERTING].notice.isVisible()
    paid = view(kiosk).paid
    assert paid is not None and paid.minor == 10000
    device.insert(50)
    qtbot.waitUntil(lambda: device.stacked[-1:] == [50], timeout=10_000)
    device.insert(20)
    qtbot.waitUntil(lambda: state(kiosk) is State.DONE, timeout=15_000)
    done = view(kiosk)
    assert done.credited is not None and done.credited.minor == 360  # ¥170 for ¥166.40
    assert kiosk.window.screens[State.DONE].title.text() == "Payment complete. Thank you!"
    journal = kiosk.app.journal
    assert journal is not None
    [(transaction, record)] = journal.latest_transactions("payment_completed")
    assert record.data["amount"]["minor"] == 16640 and record.data["tendered"]["minor"] == 17000
    assert list((kiosk.app.data_dir.parent / "receipts").glob("*.png"))  # printed
    touch(qtbot, kiosk, "Finish")
    qtbot.waitUntil(lambda: state(kiosk) is State.ATTRACT)
    assert language(kiosk) is Language.ZH  # the next customer starts in Chinese
    # the account panel's reprint goes through the printer's own thread
    assert kiosk.app.receipts is not None
    reprinted: list[bool] = []
    kiosk.app.receipts.reprint(transaction, Language.ZH, reprinted.append)
    qtbot.waitUntil(lambda: reprinted == [True], timeout=10_000)
    assert len(list((kiosk.app.data_dir.parent / "receipts").glob("*.png"))) == 2


def test_qr_paid_on_the_sandbox_with_the_printer_out_of_paper_gives_an_e_receipt(
    qtbot: QtBot, kiosk: KioskUi
) -> None:
    assert kiosk.app.printer is not None and kiosk.app.printer.simulator is not None
    printer = kiosk.app.printer.simulator.device
    assert isinstance(printer, EscposDevice)
    printer.paper_out = True
    touch(qtbot, kiosk, "点击开始")
    touch(qtbot, kiosk, "电费")
    type_digits(qtbot, kiosk, "3301234567")
    touch(qtbot, kiosk, "确定")
    qtbot.waitUntil(lambda: state(kiosk) is State.BILL_SHOWN, timeout=10_000)
    touch(qtbot, kiosk, "缴纳 ¥166.40")
    touch(qtbot, kiosk, "支付宝")
    qtbot.waitUntil(lambda: view(kiosk).qr_url is not None, timeout=10_000)
    screen = kiosk.window.screens[State.QR_WAITING]
    assert isinstance(screen, QrWaitingScreen)
    assert screen.code.isVisible() and not screen.code.pixmap().isNull()
    requests.post(str(view(kiosk).qr_url), data={"pay": "1"}, timeout=5).raise_for_status()
    qtbot.waitUntil(lambda: state(kiosk) is State.DONE, timeout=15_000)
    done = kiosk.window.screens[State.DONE]
    assert isinstance(done, DoneScreen)
    assert view(kiosk).notice is Notice.RECEIPT_FAILED
    assert done.code.isVisible()  # the e-receipt's QR code instead of paper
    assert "电子凭条" in done.receipt.text()
