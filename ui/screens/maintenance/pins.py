"""The PINs page: a new PIN for each role."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit

from kiosk.maintenance.pins import BadPin
from kiosk.maintenance.roles import Function, Role
from ui.i18n import translate
from ui.screens.maintenance.page import Choice, Page
from ui.screens.maintenance.tools import Tools
from ui.widgets import Keypad, label


class PinsPage(Page):
    function = Function.PINS

    def __init__(self, tools: Tools) -> None:
        super().__init__(tools)
        self.lead = label(role="lead")
        self.role = Choice(tuple(r.value for r in Role))
        self.keypad = Keypad(self._pin)
        self.keypad.display.setEchoMode(QLineEdit.EchoMode.Password)
        self.keypad.reset(12)
        self._first: str | None = None
        for widget in (self.lead, self.role, self.keypad, self.result):
            self.column.addWidget(widget)
        self.column.addStretch(1)

    def name(self) -> str:
        return translate("Maintenance", "PINs")

    def refresh(self) -> None:
        self.lead.setText(
            translate("Maintenance", "New PIN for the chosen role (6 to 12 digits), twice.")
            if self._first is None
            else translate("Maintenance", "Type the new PIN again.")
        )
        self.keypad.retranslate()

    def _pin(self, pin: str) -> None:
        self.keypad.reset(12)
        if self._first is None:
            self._first = pin
            self.say("")
        elif pin != self._first:
            self._first = None
            self.say(translate("Maintenance", "The two PINs differ. Start again."))
        else:
            self._first = None
            try:
                self.service.set_pin(Role(self.role.value), pin)
            except BadPin as exc:
                self.say(translate("Maintenance", "Not changed: {why}").format(why=exc))
            else:
                self.say(translate("Maintenance", "PIN changed."))
        self.refresh()
