"""Who is paying: the account number on the keypad, the account card, or a
mobile number and a code sent to it by SMS."""

from __future__ import annotations

import enum

from config.choices import IdentifyMethod
from kiosk.flow import Notice, State
from kiosk.flow import events as e
from kiosk.flow.view import View
from ui.i18n import translate
from ui.screens.base import Context, Screen
from ui.widgets import Keypad, button, label


class Mode(enum.Enum):
    ACCOUNT = 20  # the keypad's limit in each mode
    PHONE = 11
    CODE = 6


class IdentifyScreen(Screen):
    states = (State.IDENTIFY,)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.mode = Mode.ACCOUNT
        self.prompt = label(role="lead")
        self.card_hint = label(role="hint")
        self.switch = button("", self._switch, "quiet")
        self.keypad = Keypad(self._entered)
        self.first.addWidget(self.prompt)
        self.first.addWidget(self.card_hint)
        self.first.addWidget(self.switch)
        self.first.addStretch(1)
        self.second.addWidget(self.keypad)
        self._previous: State | None = None

    def present(self, view: View) -> None:
        super().present(view)
        config = self.ctx.settings().services.get(view.service or "")
        ways = config.identify if config else ()
        if self._previous is not State.IDENTIFY:
            self._set_mode(Mode.ACCOUNT if IdentifyMethod.KEYPAD in ways else Mode.PHONE)
        if view.notice is Notice.CODE_SENT and self.mode is Mode.PHONE:
            self._set_mode(Mode.CODE)
        self._previous = view.state
        self.title.setText(
            translate("Identify", "{service}: who is paying?").format(
                service=self.service_name(view.service)
            )
        )
        self.prompt.setText(
            {
                Mode.ACCOUNT: translate(
                    "Identify", "Enter the account number printed on your bill."
                ),
                Mode.PHONE: translate(
                    "Identify", "Enter your mobile number. We will text you a code."
                ),
                Mode.CODE: translate("Identify", "Enter the 6-digit code we texted you."),
            }[self.mode]
        )
        self.card_hint.setText(translate("Identify", "Or insert your account card."))
        self.card_hint.setVisible(IdentifyMethod.CARD in ways)
        phone = IdentifyMethod.PHONE in ways and IdentifyMethod.KEYPAD in ways
        self.switch.setVisible(phone)
        self.switch.setText(
            translate("Identify", "Use my mobile number instead")
            if self.mode is Mode.ACCOUNT
            else translate("Identify", "Use my account number instead")
        )
        self.keypad.retranslate()

    def hideEvent(self, event: object) -> None:
        self._previous = None

    def _set_mode(self, mode: Mode) -> None:
        self.mode = mode
        self.keypad.reset(mode.value)

    def _switch(self) -> None:
        self._set_mode(Mode.PHONE if self.mode is Mode.ACCOUNT else Mode.ACCOUNT)
        if self.view is not None:
            self.present(self.view)
        self.notice.hide()

    def _entered(self, text: str) -> None:
        if self.mode is Mode.ACCOUNT:
            self.ctx.post(e.AccountEntered(text))
        elif self.mode is Mode.PHONE:
            self.ctx.post(e.PhoneEntered(text))
        else:
            self.ctx.post(e.CodeEntered(text))
        self.keypad.reset(self.mode.value)
