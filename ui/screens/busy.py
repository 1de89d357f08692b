"""Waiting on the server or a device: what the kiosk is doing, and a spinner."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt

from kiosk.flow import State
from kiosk.flow.view import View
from ui.i18n import translate
from ui.screens.base import Context, Screen
from ui.widgets import Spinner, label

WAITING = {
    State.LOOKING_UP: QT_TRANSLATE_NOOP("Busy", "Looking up your bill…"),
    State.QR_CANCELLING: QT_TRANSLATE_NOOP("Busy", "Cancelling the QR order…"),
    State.COMPLETING: QT_TRANSLATE_NOOP("Busy", "Paid. Printing your receipt…"),
}


class BusyScreen(Screen):
    states = tuple(WAITING)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.spinner = Spinner()
        self.detail = label(role="lead")
        self.first.addStretch(1)
        self.first.addWidget(self.spinner, 0, Qt.AlignmentFlag.AlignHCenter)
        self.first.addWidget(self.detail)
        self.first.addStretch(2)

    def present(self, view: View) -> None:
        super().present(view)
        self.title.setText(translate("Busy", WAITING[view.state]))
        self.detail.setText(translate("Busy", "Please wait. Do not take your card or walk away."))
