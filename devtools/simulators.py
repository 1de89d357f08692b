"""The demo's simulator window: a technician's hand on the simulated devices.

Every button works a simulator at its wire, never the kiosk itself: a note
goes into the ID-003 acceptor on its pseudo-terminal, a card into the vpcd
slot that the real pcscd reads, paper out on the ESC/POS printer, the QR paid
on the reference server's sandbox page, and the network cut in the TCP proxy
between the kiosk and its central server. The kiosk finds out as it would on
a street: through its drivers and its sync.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import requests
from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from drivers.sim.escpos_device import EscposDevice
from drivers.sim.id003_device import Id003Device
from drivers.sim.netproxy import Proxy
from drivers.sim.pcscd import Slot
from drivers.sim.vicc import UNIONPAY, AccountCard, EmvCard, EmvProfile, VirtualCard

NOTES = (1, 5, 10, 20, 50, 100)
CARDS: tuple[tuple[str, Callable[[], VirtualCard]], ...] = (
    ("Account card: prepaid electricity 3301234568",
     lambda: AccountCard(account="3301234568", service="electricity")),
    ("Account card: electricity 3301234567",
     lambda: AccountCard(account="3301234567", service="electricity")),
    ("Bank card (approved)", EmvCard),
    ("Bank card (declined)",
     lambda: EmvCard(profile=EmvProfile(UNIONPAY.aid, "UnionPay", "6222020005000002", "281231"))),
)  # fmt: skip


@dataclass
class Devices:
    """The simulators the window works (any may be absent)."""

    acceptor: Id003Device | None
    printer: EscposDevice | None
    slot: Slot | None
    network: Proxy | None
    qr_url: Callable[[], str | None]  # the QR code the kiosk shows now, if any


class SimulatorWindow(QWidget):
    closed = Signal()  # the desktop demo ends with this window
    said = Signal(str)  # from the helper threads: shown on the Qt main thread

    def __init__(self, devices: Devices) -> None:
        super().__init__()
        self.devices = devices
        self.setWindowTitle("Kiosk simulators")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.said.connect(self.status.setText)
        self._hand = threading.Lock()  # one card movement at a time
        column = QVBoxLayout(self)
        column.addWidget(self._acceptor_box())
        column.addWidget(self._card_box())
        column.addWidget(self._other_box())
        column.addWidget(self.status)
        column.addStretch(1)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed.emit()
        super().closeEvent(event)

    def press(self, text: str) -> None:
        """Press the button showing ``text`` (the tests and the demo script use it)."""
        for candidate in self.findChildren(QPushButton):
            if candidate.text() == text:
                candidate.click()
                return
        raise LookupError(f"no simulator button {text!r}")

    def _acceptor_box(self) -> QGroupBox:
        box, grid = _box("Bill acceptor (ID-003)")
        acceptor = self.devices.acceptor
        for index, major in enumerate(NOTES):
            grid.addWidget(
                self._button(f"Insert ¥{major}", acceptor is not None, _note(acceptor, major)),
                index // 3,
                index % 3,
            )
        grid.addWidget(self._button("Jam", acceptor is not None, self._jam), 2, 0)
        grid.addWidget(self._button("Clear jam", acceptor is not None, self._clear), 2, 1)
        return box

    def _card_box(self) -> QGroupBox:
        box, grid = _box("Card reader (pcscd + vpcd)")
        slot = self.devices.slot
        for row, (text, make) in enumerate(CARDS):
            grid.addWidget(self._button(text, slot is not None, self._insert(text, make)), row, 0)
        grid.addWidget(self._button("Pull the card", slot is not None, self._pull), len(CARDS), 0)
        return box

    def _other_box(self) -> QGroupBox:
        box, grid = _box("Phone, printer, network")
        printer, network = self.devices.printer, self.devices.network
        grid.addWidget(self._button("Pay the QR code", True, self._pay_qr), 0, 0)
        grid.addWidget(self._button("Paper out", printer is not None, self._paper(True)), 1, 0)
        grid.addWidget(self._button("Paper in", printer is not None, self._paper(False)), 1, 1)
        grid.addWidget(self._button("Cut the network", network is not None, self._cut), 2, 0)
        grid.addWidget(
            self._button("Restore the network", network is not None, self._restore), 2, 1
        )
        return box

    def _button(self, text: str, usable: bool, action: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setEnabled(usable)
        button.setMinimumHeight(44)

        def run() -> None:
            try:
                action()
            except Exception as exc:  # a simulator refusing is shown, not fatal
                self.say(f"{text}: {type(exc).__name__}: {exc}")

        button.clicked.connect(run)
        return button

    def say(self, text: str) -> None:
        self.status.setText(text)

    # -- actions ---------------------------------------------------------------
    def _jam(self) -> None:
        assert self.devices.acceptor is not None
        self.devices.acceptor.jam()
        self.say("acceptor jammed")

    def _clear(self) -> None:
        assert self.devices.acceptor is not None
        self.devices.acceptor.clear()
        self.say("jam cleared")

    def _off_thread(self, action: Callable[[], None], done: str) -> None:
        """Run ``action`` (which waits on pcscd or the network) on a helper thread,
        never on the Qt main thread the kiosk's screens share; report the result."""

        def run() -> None:
            try:
                with self._hand:
                    action()
            except Exception as exc:  # a simulator refusing is shown, not fatal
                self.said.emit(f"{type(exc).__name__}: {exc}")
            else:
                self.said.emit(done)

        threading.Thread(target=run, daemon=True).start()

    def _insert(self, text: str, make: Callable[[], VirtualCard]) -> Callable[[], None]:
        def insert() -> None:
            slot = self.devices.slot
            assert slot is not None
            self._off_thread(lambda: slot.insert(make()), f"inserted: {text}")

        return insert

    def _pull(self) -> None:
        assert self.devices.slot is not None
        self._off_thread(self.devices.slot.remove, "card pulled")

    def _paper(self, out: bool) -> Callable[[], None]:
        def set_paper() -> None:
            assert self.devices.printer is not None
            self.devices.printer.paper_out = out
            self.say("printer out of paper" if out else "paper loaded")

        return set_paper

    def _cut(self) -> None:
        assert self.devices.network is not None
        self.devices.network.cut()
        self.say("network cut: the kiosk goes offline after two missed heartbeats")

    def _restore(self) -> None:
        assert self.devices.network is not None
        self.devices.network.restore()
        self.say("network back")

    def _pay_qr(self) -> None:
        url = self.devices.qr_url()
        if url is None:
            self.say("no QR code on the kiosk's screen")
            return
        self.say(f"paying {url} …")
        # what the customer's phone does on the sandbox page; on failure the kiosk
        # keeps waiting and polling, and the button can be pressed again
        self._off_thread(
            lambda: requests.post(url, data={"pay": "1"}, timeout=10).raise_for_status(),
            f"paid {url}",
        )


def _note(acceptor: Id003Device | None, major: int) -> Callable[[], None]:
    def insert() -> None:
        assert acceptor is not None
        acceptor.insert(major)

    return insert


def _box(title: str) -> tuple[QGroupBox, QGridLayout]:
    box = QGroupBox(title)
    return box, QGridLayout(box)
