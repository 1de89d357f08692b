"""Out of service: say so, and where else the customer can pay."""

from __future__ import annotations

from kiosk.flow import State
from kiosk.flow.view import View
from kiosk.money import Language
from ui.i18n import method_text, translate
from ui.screens.base import Context, Screen
from ui.widgets import label


class OutOfServiceScreen(Screen):
    states = (State.OUT_OF_SERVICE,)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.still = label(role="lead")
        self.elsewhere = label(role="lead")
        self.first.addStretch(1)
        self.first.addWidget(self.still)
        self.first.addWidget(self.elsewhere)
        self.first.addStretch(2)

    def present(self, view: View) -> None:
        super().present(view)
        kiosk = self.ctx.settings().kiosk
        self.title.setText(translate("OutOfService", "Sorry, this kiosk is out of service"))
        operator = kiosk.operator_name_zh if self.lang is Language.ZH else kiosk.operator_name_en
        working = ", ".join(method_text(m) for m in view.methods)
        self.still.setText(
            translate("OutOfService", "Still possible here once it is back: {methods}.").format(
                methods=working
            )
            if working
            else ""
        )
        self.still.setVisible(bool(working))
        self.elsewhere.setText(
            translate(
                "OutOfService",
                "You can also pay in the {operator} app, "
                "by WeChat Pay or Alipay at home, or call {hotline}.",
            ).format(operator=operator, hotline=kiosk.hotline)
        )
