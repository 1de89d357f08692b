"""How to pay: one button per method the kiosk can take right now."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QGridLayout

from config.choices import PaymentMethod
from kiosk.flow import State
from kiosk.flow import events as e
from kiosk.flow.view import View
from ui.i18n import method_text, money, translate
from ui.screens.base import Context, Screen
from ui.screens.pools import Buttons
from ui.widgets import label


class ChooseMethodScreen(Screen):
    states = (State.CHOOSE_METHOD,)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.amount = label(role="total")
        self.grid = QGridLayout()
        self.grid.setSpacing(24)
        self.tiles = Buttons(self.grid, "tile")
        self.offline = label(role="hint")
        self.first.addWidget(self.amount)
        self.first.addLayout(self.grid)
        self.first.addWidget(self.offline)
        self.first.addStretch(1)
        self.second.addStretch(1)

    def set_landscape(self, landscape: bool) -> None:
        """The tiles below the amount in portrait; in landscape in the other
        half, beside it, so that a notice above them still leaves them room."""
        super().set_landscape(landscape)
        here, there = (self.first, self.second) if landscape else (self.second, self.first)
        if here.indexOf(self.grid) >= 0:
            here.removeItem(self.grid)
            there.insertLayout(0 if landscape else 1, self.grid)

    def present(self, view: View) -> None:
        super().present(view)
        self.title.setText(translate("Method", "How would you like to pay?"))
        self.amount.setText(
            translate("Method", "To pay: {amount}").format(amount=money(view.amount, self.lang))
        )
        config = self.ctx.settings().services.get(view.service or "")
        order = config.methods if config else tuple(PaymentMethod)
        methods = [m for m in order if m in view.methods]
        self.tiles.show(
            [(m, method_text(m), partial(self.ctx.post, e.MethodChosen(m))) for m in methods]
        )
        self.offline.setText(
            translate("Method", "The kiosk is offline: only cash can be taken now.")
        )
        self.offline.setVisible(not view.online)
