"""The PIN pad that the hidden gesture opens: a panel over the attract screen
(not a flow state). The PIN is checked off the main thread (scrypt takes
~70 ms per role); a right one makes the flow enter maintenance, a wrong one
says how many tries are left, and a lockout says until when."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLineEdit

from kiosk.flow.view import View
from kiosk.maintenance.pins import LockState
from kiosk.maintenance.service import PinResult
from ui.i18n import translate
from ui.screens.base import Context, Screen
from ui.widgets import Keypad, button, label

IDLE_MS = 30_000


class PinPanel(Screen):
    def __init__(self, ctx: Context, close: Callable[[], None]) -> None:
        super().__init__(ctx)
        self._close = close
        self.lead = label(role="lead")
        self.status = label(role="notice")
        self.keypad = Keypad(self._check)
        self.keypad.display.setEchoMode(QLineEdit.EchoMode.Password)
        self.cancel = button("", close, "quiet")
        self.first.addWidget(self.lead)
        self.first.addWidget(self.status)
        self.first.addStretch(1)
        self.second.addWidget(self.keypad)
        self.second.addWidget(self.cancel)
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(IDLE_MS)
        self._idle.timeout.connect(close)
        self._checking = False

    def open(self) -> None:
        self.keypad.reset(12)
        self._checking = False
        self._show_lock(self.ctx.services.pin_lock(), None)
        self._idle.start()
        self.retranslate()

    def present(self, view: View) -> None:
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(translate("Maintenance", "Maintenance"))
        self.lead.setText(translate("Maintenance", "Enter your maintenance PIN."))
        self.cancel.setText(translate("Maintenance", "Cancel"))
        self.keypad.retranslate()

    def _check(self, pin: str) -> None:
        if self._checking:
            return
        self._checking = True
        self._idle.start()
        self.keypad.reset(12)
        self.status.setText(translate("Maintenance", "Checking…"))
        self.status.show()
        self.ctx.services.pin(pin, self._answer)

    def _answer(self, result: PinResult | None) -> None:
        self._checking = False
        if result is None:  # the check itself failed (the journal, say): try again
            self.status.setText(
                translate("Maintenance", "The PIN could not be checked. Try again.")
            )
            return
        if result.role is not None:
            self._idle.stop()
            return  # the flow shows the menu
        self._show_lock(result.lock, result.tries_left)

    def _show_lock(self, lock: LockState, tries_left: int | None) -> None:
        if lock.locked_until is not None:
            zone = ZoneInfo(self.ctx.settings().kiosk.timezone)
            until = lock.locked_until.astimezone(zone).strftime("%H:%M")
            text = translate(
                "Maintenance", "Too many wrong PINs. PIN entry is locked until {time}."
            ).format(time=until)
            self.keypad.setEnabled(False)
        elif tries_left is not None:
            text = translate("Maintenance", "Wrong PIN. {n} tries left before the lock.").format(
                n=tries_left
            )
            self.keypad.setEnabled(True)
        else:
            text = ""
            self.keypad.setEnabled(True)
        self.status.setText(text)
        self.status.setVisible(bool(text))
