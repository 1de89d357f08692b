"""QR payment: the code to scan with the payment app, the amount and the method."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap

from kiosk.flow import State
from kiosk.flow.view import View
from ui.i18n import method_text, money, translate
from ui.screens.base import Context, Screen
from ui.widgets import Spinner, label, qr_pixmap

QR_PX = 560


class QrWaitingScreen(Screen):
    states = (State.QR_WAITING,)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.amount = label(role="total")
        self.steps = label(role="lead")
        self.code = label(role="qr", wrap=False)
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.spinner = Spinner()
        self.first.addWidget(self.amount)
        self.first.addWidget(self.steps)
        self.first.addStretch(1)
        self.second.addWidget(self.code, 0, Qt.AlignmentFlag.AlignHCenter)
        self.second.addWidget(self.spinner, 0, Qt.AlignmentFlag.AlignHCenter)
        self.second.addStretch(1)
        self._url: str | None = None

    def present(self, view: View) -> None:
        super().present(view)
        method = method_text(view.method)
        self.title.setText(translate("Qr", "Scan with {method}").format(method=method))
        self.amount.setText(
            translate("Qr", "To pay: {amount}").format(amount=money(view.amount, self.lang))
        )
        self.steps.setText(
            translate(
                "Qr",
                "Open {method} on your phone, scan the code and confirm. "
                "This screen moves on by itself once you have paid.",
            ).format(method=method)
            if view.qr_url
            else translate("Qr", "Making your payment code…")
        )
        if view.qr_url != self._url:
            self._url = view.qr_url
            self.code.setPixmap(qr_pixmap(view.qr_url, QR_PX) if view.qr_url else QPixmap())
        self.code.setVisible(view.qr_url is not None)
        self.spinner.setVisible(view.qr_url is None)
