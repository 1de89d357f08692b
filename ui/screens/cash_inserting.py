"""Cash: what is due, what went in, what is left, and which notes are taken."""

from __future__ import annotations

from kiosk.flow import State
from kiosk.flow import events as e
from kiosk.flow.view import View
from kiosk.money import Money
from ui.i18n import money, translate
from ui.screens.base import Context, Screen
from ui.widgets import button, label


class CashInsertingScreen(Screen):
    states = (State.CASH_INSERTING,)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.due = label(role="lead")
        self.paid = label(role="total")
        self.left = label(role="lead")
        self.escrow = label(role="hint")
        self.notes = label(role="hint")
        self.change = label(role="hint")
        self.finish = button("", lambda: ctx.post(e.CashFinishPressed()), "primary")
        for widget in (self.due, self.paid, self.left, self.escrow, self.notes, self.change):
            self.first.addWidget(widget)
        self.first.addStretch(1)
        self.second.addStretch(1)
        self.second.addWidget(self.finish)

    def present(self, view: View) -> None:
        super().present(view)
        amount = view.amount
        assert amount is not None
        paid = view.paid or Money.zero(amount.currency)
        self.title.setText(translate("Cash", "Insert notes one at a time"))
        self.due.setText(
            translate("Cash", "To pay: {amount}").format(amount=money(amount, self.lang))
        )
        self.paid.setText(
            translate("Cash", "Inserted: {amount}").format(amount=money(paid, self.lang))
        )
        left = amount - paid if paid < amount else Money.zero(amount.currency)
        self.left.setText(
            translate("Cash", "Still to pay: {amount}").format(amount=money(left, self.lang))
        )
        self.escrow.setText(
            translate("Cash", "Checking a note of {amount}…").format(
                amount=money(view.escrow, self.lang)
            )
            if view.escrow
            else ""
        )
        self.escrow.setVisible(view.escrow is not None)
        cash = self.ctx.settings().cash
        notes = " ".join(
            money(Money(f, amount.currency), self.lang) for f in cash.denominations_fen
        )
        self.notes.setText(translate("Cash", "Notes taken: {notes}").format(notes=notes))
        self.change.setText(
            translate("Cash", "No change is given: any extra goes to your account.")
        )
        self.finish.setText(translate("Cash", "Finish with what I inserted"))
        self.finish.setVisible(paid.is_positive() and paid < amount)
