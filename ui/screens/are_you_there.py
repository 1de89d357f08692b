"""The session is about to time out: continue, or end it now."""

from __future__ import annotations

from kiosk.flow import State
from kiosk.flow import events as e
from kiosk.flow.view import View
from ui.i18n import money, translate
from ui.screens.base import Context, Screen
from ui.widgets import button, label


class AreYouThereScreen(Screen):
    states = (State.ARE_YOU_THERE,)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.detail = label(role="lead")
        self.more = button("", lambda: ctx.post(e.ScreenTouched()), "primary")
        self.end = button("", lambda: ctx.post(e.CancelPressed()), "quiet")
        self.first.addWidget(self.detail)
        self.first.addStretch(1)
        self.second.addStretch(1)
        self.second.addWidget(self.more)
        self.second.addWidget(self.end)

    def present(self, view: View) -> None:
        super().present(view)
        self.title.setText(translate("AreYouThere", "Are you still there?"))
        paid = view.paid if view.paid and view.paid.is_positive() else None
        self.detail.setText(
            translate(
                "AreYouThere",
                "You have inserted {amount}. If you leave, it is kept for you as the session ends.",
            ).format(amount=money(paid, self.lang))
            if paid
            else translate("AreYouThere", "The session ends soon unless you continue.")
        )
        self.more.setText(translate("AreYouThere", "Yes, I need more time"))
        self.end.setText(translate("AreYouThere", "End now"))
