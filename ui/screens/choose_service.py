"""Which bill: one big button per service the kiosk offers."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QGridLayout

from kiosk.flow import State
from kiosk.flow import events as e
from kiosk.flow.view import View
from ui.i18n import translate
from ui.screens.base import Context, Screen
from ui.screens.pools import Buttons


class ChooseServiceScreen(Screen):
    states = (State.CHOOSE_SERVICE,)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.grid = QGridLayout()
        self.grid.setSpacing(24)
        self.tiles = Buttons(self.grid, "tile")
        self.first.addLayout(self.grid)
        self.first.addStretch(1)

    def present(self, view: View) -> None:
        super().present(view)
        self.title.setText(translate("ChooseService", "What would you like to pay?"))
        services = [k for k, s in self.ctx.settings().services.items() if s.enabled]
        self.tiles.show(
            [
                (k, self.service_name(k), partial(self.ctx.post, e.ServiceChosen(k)))
                for k in services
            ]
        )
