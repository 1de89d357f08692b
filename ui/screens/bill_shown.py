"""The bill: what is due line by line (arrears, late fees, coupons), or for a
prepaid meter the balance and amounts to buy; then how much to pay."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QGridLayout

from kiosk.bills import Bill
from kiosk.flow import State
from kiosk.flow import events as e
from kiosk.flow.view import View
from kiosk.money import Language, Money, exponent
from ui.i18n import money, translate
from ui.screens.base import Context, Screen
from ui.screens.pools import Buttons, Rows, one_row
from ui.widgets import Keypad, button, label

PRESETS_FEN = (5000, 10000, 20000)


class BillShownScreen(Screen):
    states = (State.BILL_SHOWN,)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.holder = label(role="lead")
        self.lines = QGridLayout()
        self.rows = Rows(self.lines)
        self.lines.setHorizontalSpacing(24)
        self.lines.setColumnStretch(0, 1)
        self.total = label(role="total")
        self.account = button("", self._open_account, "quiet")
        self.first.addWidget(self.holder)
        self.first.addLayout(self.lines)
        self.first.addWidget(self.total)
        self.first.addWidget(self.account)
        self.first.addStretch(1)
        self.pay_all = button("", self._pay_all, "primary")
        self.presets = QGridLayout()
        self.preset_buttons = Buttons(self.presets, "preset", one_row)
        self.presets.setSpacing(16)
        self.other = button("", self._type_amount, "quiet")
        self.keypad = Keypad(self._pay_typed)
        self.keypad.hide()  # until the customer asks to type an amount
        self.second.addWidget(self.pay_all)
        self.second.addLayout(self.presets)
        self.second.addWidget(self.other)
        self.second.addWidget(self.keypad)
        self.second.addStretch(1)
        self._due: Money | None = None

    def present(self, view: View) -> None:
        super().present(view)
        bill = view.bill
        assert bill is not None
        self.title.setText(
            translate("Bill", "{service} account {account}").format(
                service=self.service_name(view.service), account=bill.account
            )
        )
        self.holder.setText(
            translate("Bill", "Account holder: {holder}").format(holder=bill.holder)
            if bill.holder
            else ""
        )
        self._fill_lines(bill)
        self._fill_amounts(view, bill)
        self.account.setText(translate("Bill", "My account: payments, balance, receipts"))
        self.account.setVisible(self.ctx.open_account is not None and view.online)
        self.keypad.retranslate()

    def _fill_lines(self, bill: Bill) -> None:
        rows: list[tuple[str, str, str]] = []
        zh = self.lang is Language.ZH
        for line in bill.lines:
            rows.append((line.label_zh if zh else line.label_en, money(line.amount, self.lang), ""))
        for coupon in bill.coupons:
            text = translate("Bill", "Coupon {code}: {label}").format(
                code=coupon.code, label=coupon.label_zh if zh else coupon.label_en
            )
            rows.append((text, "-" + money(coupon.amount, self.lang), "discount"))
        if bill.credit:
            text = translate("Bill", "Credit {amount} applied").format(
                amount=money(bill.credit, self.lang)
            )
            rows.append((text, "-" + money(bill.credit, self.lang), "discount"))
        if bill.prepaid_balance is not None:
            label = (
                translate("Bill", "Balance on the meter account")
                if bill.prepaid
                else translate("Bill", "Credit left on the account")
            )
            rows.append((label, money(bill.prepaid_balance, self.lang), ""))
        if bill.usage_this_period is not None:
            rows.append((translate("Bill", "Used this year"), f"{bill.usage_this_period}", ""))
        self.rows.show(rows)

    def _fill_amounts(self, view: View, bill: Bill) -> None:
        config = self.ctx.settings().services.get(bill.service)
        typed = bill.is_purchase or bool(config and config.allow_partial)
        self._due = bill.due if bill.due.is_positive() else None
        self.total.setText(
            translate("Bill", "Due: {amount}").format(amount=money(bill.due, self.lang))
            if not bill.is_purchase
            else translate("Bill", "How much would you like to buy?")
        )
        self.pay_all.setVisible(self._due is not None)
        if self._due is not None:
            self.pay_all.setText(
                translate("Bill", "Pay {amount}").format(amount=money(bill.due, self.lang))
            )
        amounts = [Money(fen, bill.currency) for fen in PRESETS_FEN] if bill.is_purchase else []
        self.preset_buttons.show(
            [(a, money(a, self.lang), partial(self._choose, a)) for a in amounts]
        )
        self.other.setVisible(typed)
        if view.notice is None:
            self.keypad.hide()  # shown when the customer asks to type an amount
        self.other.setText(translate("Bill", "Type another amount (whole yuan)"))
        self.keypad.reset(5)

    def _type_amount(self) -> None:
        self.keypad.reset(5)
        self.keypad.show()

    def _choose(self, amount: Money) -> None:
        self.ctx.post(e.AmountChosen(amount))

    def _pay_all(self) -> None:
        if self._due is not None:
            self._choose(self._due)

    def _pay_typed(self, text: str) -> None:
        bill = self.view.bill if self.view else None
        if bill is not None:
            self._choose(Money(int(text) * 10 ** exponent(bill.currency), bill.currency))
        self.keypad.reset(5)

    def _open_account(self) -> None:
        view = self.view
        if view is not None and view.bill is not None and self.ctx.open_account is not None:
            self.ctx.open_account(view.bill)
