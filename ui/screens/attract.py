"""The idle screen: what the kiosk does, and one big button to start."""

from __future__ import annotations

from kiosk.flow import State
from kiosk.flow.view import View
from kiosk.money import Language
from ui.i18n import translate
from ui.screens.base import Context, Screen, flow_events
from ui.widgets import button, label


class AttractScreen(Screen):
    states = (State.ATTRACT,)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.title.setProperty("role", "hero-title")
        self.services = label(role="services")
        self.start = button("", lambda: ctx.post(flow_events().StartPressed()), "hero")
        self.card_hint = label(role="hint")
        self.status = label(role="hint")
        self.first.addStretch(1)
        self.first.addWidget(self.services)
        self.first.addStretch(1)
        self.second.addStretch(1)
        self.second.addWidget(self.start)
        self.second.addWidget(self.card_hint)
        self.second.addWidget(self.status)
        self.second.addStretch(1)

    def present(self, view: View) -> None:
        super().present(view)
        self.title.setText(translate("Attract", "Pay your bills here"))
        zh = self.lang is Language.ZH
        names = [name_zh if zh else name_en for name_zh, name_en in self.ctx.look().services]
        self.services.setText(" · ".join(names))
        self.start.setText(translate("Attract", "Touch to start"))
        self.card_hint.setText(translate("Attract", "Have an account card? Insert it to start."))
        status = []
        if not view.online:
            status.append(
                translate("Attract", "Offline: cash only, prepaid cards up to the offline limit.")
            )
        if not view.printing:
            status.append(translate("Attract", "Receipts are electronic today (scan a code)."))
        self.status.setText("\n".join(status))
        self.status.setVisible(bool(status))
