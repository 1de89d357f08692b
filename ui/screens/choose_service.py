"""Which bill: one big button per service the kiosk offers."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QGridLayout

from kiosk.flow import State
from kiosk.flow import events as e
from kiosk.flow.view import View
from ui.i18n import translate
from ui.screens.base import Context, Screen, clear
from ui.widgets import button


class ChooseServiceScreen(Screen):
    states = (State.CHOOSE_SERVICE,)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.grid = QGridLayout()
        self.grid.setSpacing(24)
        self.first.addLayout(self.grid)
        self.first.addStretch(1)

    def present(self, view: View) -> None:
        super().present(view)
        self.title.setText(translate("ChooseService", "What would you like to pay?"))
        clear(self.grid)
        services = [(k, s) for k, s in self.ctx.settings().services.items() if s.enabled]
        for index, (key, _) in enumerate(services):
            tile = button(
                self.service_name(key), partial(self.ctx.post, e.ServiceChosen(key)), "tile"
            )
            self.grid.addWidget(tile, index // 2, index % 2)
