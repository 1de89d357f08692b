"""The demo's simulator window works the simulators at their wire, and the
kiosk notices through its drivers and its sync."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pytestqt.qtbot import QtBot

from central.serve import Central, running
from config.choices import PaymentMethod
from devtools.simulators import Devices, SimulatorWindow
from drivers.sim.netproxy import Proxy
from kiosk.flow import State
from kiosk.money import Money
from tests.kiosk.test_central_client import seed
from tests.ui.rig import acceptor, printer, start_kiosk, state, to_paying, view
from ui.app import KioskUi


@pytest.fixture
def rig(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[KioskUi, SimulatorWindow, Central]]:
    with running(tmp_path / "central.db") as central:
        seed(central)
        network = Proxy(urlsplit(central.url).port or 80)
        ui = start_kiosk(qtbot, tmp_path, central, url=network.url)
        devices = Devices(acceptor(ui), printer(ui), None, network, lambda: view(ui).qr_url)
        window = SimulatorWindow(devices)
        qtbot.addWidget(window)
        window.show()
        try:
            yield ui, window, central
        finally:
            ui.stop()
            network.close()


def test_notes_paper_and_network_from_the_simulator_window(
    qtbot: QtBot, rig: tuple[KioskUi, SimulatorWindow, Central]
) -> None:
    ui, window, _ = rig
    window.press("Cut the network")  # the attract screen says what still works
    qtbot.waitUntil(lambda: not view(ui).online, timeout=15_000)
    window.press("Restore the network")
    qtbot.waitUntil(lambda: view(ui).online, timeout=15_000)
    to_paying(qtbot, ui, "现金")
    qtbot.waitUntil(lambda: not acceptor(ui).inhibited, timeout=10_000)
    window.press("Insert ¥100")
    qtbot.waitUntil(lambda: view(ui).paid == Money(10000), timeout=10_000)
    window.press("Paper out")
    assert printer(ui).paper_out
    window.press("Pay the QR code")  # none on a cash screen: the window says so
    assert window.status.text() == "no QR code on the kiosk's screen"
    window.press("Jam")
    qtbot.waitUntil(lambda: state(ui) is State.CANCELLED, timeout=15_000)
    assert view(ui).credited == Money(10000)


def test_the_qr_code_paid_from_the_simulator_window(
    qtbot: QtBot, rig: tuple[KioskUi, SimulatorWindow, Central]
) -> None:
    ui, window, _ = rig
    to_paying(qtbot, ui, "支付宝")
    qtbot.waitUntil(lambda: view(ui).qr_url is not None, timeout=10_000)
    window.press("Pay the QR code")
    qtbot.waitUntil(lambda: state(ui) is State.DONE, timeout=15_000)
    assert view(ui).method is PaymentMethod.ALIPAY
