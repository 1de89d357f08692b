"""The customer's account, opened from the bill: prepaid balance, coupons,
recent payments (the server's orders and this kiosk's journal), and a reprint
of a past payment's receipt. It is a panel over the bill, not a flow state:
closing it returns to the bill, and the session's countdown keeps running."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGridLayout

from config.choices import PaymentMethod
from kiosk.bills import Bill
from kiosk.flow.view import View
from kiosk.money import Language, Money
from ui.i18n import method_text, money, translate
from ui.screens.base import Context, Order, Screen, clear
from ui.widgets import button, label

if TYPE_CHECKING:
    from kiosk.ledger import Payment


class AccountPanel(Screen):
    def __init__(self, ctx: Context, close: Callable[[], None]) -> None:
        super().__init__(ctx)
        self.summary = label(role="lead")
        self.orders_title = label(role="lead")
        self.orders = label(role="line")
        self.payments_title = label(role="lead")
        self.payments = QGridLayout()
        self.payments.setSpacing(12)
        self.result = label(role="hint")
        self.back = button("", close, "primary")
        for widget in (self.summary, self.orders_title, self.orders):
            self.first.addWidget(widget)
        self.first.addStretch(1)
        self.second.addWidget(self.payments_title)
        self.second.addLayout(self.payments)
        self.second.addWidget(self.result)
        self.second.addStretch(1)
        self.second.addWidget(self.back)
        self.bill: Bill | None = None

    def open(self, bill: Bill) -> None:
        self.bill = bill
        self.result.setText("")
        self.orders.setText(translate("Account", "Asking the server…"))
        self.ctx.services.orders(bill.account, self._orders_arrived)
        self.retranslate()

    def present(self, view: View) -> None:
        self.retranslate()

    def retranslate(self) -> None:
        bill = self.bill
        if bill is None:
            return
        self.title.setText(translate("Account", "Account {account}").format(account=bill.account))
        lines = []
        if bill.prepaid_balance is not None:
            lines.append(
                translate("Account", "Prepaid balance: {amount}").format(
                    amount=money(bill.prepaid_balance, self.lang)
                )
            )
        zh = self.lang is Language.ZH
        for coupon in bill.coupons:
            lines.append(
                translate("Account", "Coupon {code}: {label}, {amount} off").format(
                    code=coupon.code,
                    label=coupon.label_zh if zh else coupon.label_en,
                    amount=money(coupon.amount, self.lang),
                )
            )
        if not lines:
            lines.append(translate("Account", "No balance or coupons on this account."))
        self.summary.setText("\n".join(lines))
        self.orders_title.setText(translate("Account", "Recent QR orders"))
        self.payments_title.setText(translate("Account", "Paid at this kiosk"))
        self.back.setText(translate("Account", "Back to the bill"))
        self._fill_payments(self.ctx.services.payments(bill.service, bill.account))

    def _orders_arrived(self, orders: Sequence[Order] | None) -> None:
        if orders is None:
            self.orders.setText(translate("Account", "Orders cannot be shown right now."))
            return
        rows = []
        for order in orders[:5]:
            amount = order.get("amount")
            if not isinstance(amount, int) or isinstance(amount, bool):
                continue
            try:
                method = method_text(PaymentMethod(order.get("paymentMethod")))
            except ValueError:
                continue
            status = {
                "paid": translate("Account", "paid"),
                "cancelled": translate("Account", "cancelled"),
            }
            state = status.get(str(order.get("status")), translate("Account", "not paid"))
            rows.append(f"{money(Money(amount), self.lang)}  {method}  {state}")
        self.orders.setText("\n".join(rows) or translate("Account", "No orders yet."))

    def _fill_payments(self, payments: Sequence[Payment]) -> None:
        clear(self.payments)
        if not payments:
            self.payments.addWidget(
                label(translate("Account", "No payments at this kiosk yet."), "line"), 0, 0
            )
        for row, payment in enumerate(payments[:4]):
            text = f"{payment.at[:10]}  {money(payment.amount, self.lang)}"
            self.payments.addWidget(label(text, "line"), row, 0)
            reprint = button(
                translate("Account", "Reprint"),
                partial(self._reprint, payment.transaction),
                "quiet",
            )
            self.payments.addWidget(reprint, row, 1)

    def _reprint(self, transaction: str) -> None:
        self.result.setText(translate("Account", "Printing…"))
        self.ctx.services.reprint(transaction, self._reprinted)

    def _reprinted(self, ok: bool) -> None:
        self.result.setText(
            translate("Account", "Take your receipt below the screen.")
            if ok
            else translate("Account", "The printer cannot print now.")
        )
