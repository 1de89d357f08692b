"""Bank card: insert the card; the kiosk reads it and asks the bank."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk.flow import State
from kiosk.flow.view import View
from ui.i18n import money, translate
from ui.screens.base import Context, Screen
from ui.widgets import Spinner, label


class CardPayingScreen(Screen):
    states = (State.CARD_PAYING,)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.amount = label(role="total")
        self.steps = label(role="lead")
        self.spinner = Spinner()
        self.first.addWidget(self.amount)
        self.first.addWidget(self.steps)
        self.first.addStretch(1)
        self.second.addWidget(self.spinner, 0, Qt.AlignmentFlag.AlignHCenter)
        self.second.addStretch(1)

    def present(self, view: View) -> None:
        super().present(view)
        self.title.setText(translate("Card", "Insert your bank card"))
        self.amount.setText(
            translate("Card", "To pay: {amount}").format(amount=money(view.amount, self.lang))
        )
        self.steps.setText(
            translate(
                "Card",
                "Insert the card chip first into the slot below the screen. "
                "Leave it in until the screen says the payment is done.",
            )
        )
