"""A session that ended without paying: what happened, and where the
customer's money is (none taken, added to the account, or a voucher)."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from config.choices import PaymentMethod, RefundTarget
from kiosk.flow import GivenBack, Outcome, State
from kiosk.flow import events as e
from kiosk.flow.view import View
from ui.i18n import money, translate
from ui.screens.base import Context, Screen
from ui.widgets import button, label

TITLES = {
    Outcome.CANCELLED: QT_TRANSLATE_NOOP("Ended", "Payment cancelled"),
    Outcome.TIMED_OUT: QT_TRANSLATE_NOOP("Ended", "The session ended because nobody was there"),
    Outcome.DEVICE_FAULT: QT_TRANSLATE_NOOP("Ended", "Sorry, a device failed"),
    Outcome.PAID: QT_TRANSLATE_NOOP("Ended", "Payment complete"),
}
QR_EXPIRED = QT_TRANSLATE_NOOP("Ended", "The QR code expired before it was paid")
LATE = {
    GivenBack.CHECKING: QT_TRANSLATE_NOOP(
        "Ended",
        "We are still checking with {wallet} whether order {order} was paid. "
        "If it was, the money goes back to your {wallet} automatically.",
    ),
    GivenBack.REFUNDING: QT_TRANSLATE_NOOP(
        "Ended",
        "Your payment for order {order} arrived after the session ended. "
        "It is being refunded to your {wallet}.",
    ),
    GivenBack.REFUNDED: QT_TRANSLATE_NOOP(
        "Ended",
        "Your payment for order {order} arrived after the session ended. "
        "It has been refunded to your {wallet}.",
    ),
    GivenBack.REVERSED: QT_TRANSLATE_NOOP(
        "Ended",
        "The bank approved the card after the session ended. "
        "The payment was cancelled: your card is not charged.",
    ),
}
WALLETS = {
    PaymentMethod.WECHAT: QT_TRANSLATE_NOOP("Ended", "WeChat Pay"),
    PaymentMethod.ALIPAY: QT_TRANSLATE_NOOP("Ended", "Alipay"),
    PaymentMethod.UNIONPAY_QR: QT_TRANSLATE_NOOP("Ended", "UnionPay QuickPass"),
}
QR_METHODS = (PaymentMethod.WECHAT, PaymentMethod.ALIPAY)


class EndedScreen(Screen):
    states = (State.CANCELLED, State.TIMED_OUT)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.money_line = label(role="total")
        self.help = label(role="lead")
        self.done = button("", lambda: ctx.post(e.CancelPressed()), "primary")
        self.first.addWidget(self.money_line)
        self.first.addWidget(self.help)
        self.first.addStretch(1)
        self.second.addStretch(1)
        self.second.addWidget(self.done)

    def present(self, view: View) -> None:
        super().present(view)
        outcome = view.outcome or (
            Outcome.TIMED_OUT if view.state is State.TIMED_OUT else Outcome.CANCELLED
        )
        expired = outcome is Outcome.TIMED_OUT and view.method in QR_METHODS
        self.title.setText(translate("Ended", QR_EXPIRED if expired else TITLES[outcome]))
        credited = view.credited if view.credited and view.credited.is_positive() else None
        if view.given_back is not None:
            wallet = WALLETS.get(view.method) if view.method else None
            text = translate("Ended", LATE[view.given_back]).format(
                order=view.qr_order or "", wallet=translate("Ended", wallet) if wallet else ""
            )
        elif credited is None:
            text = translate("Ended", "No money was taken.")
        elif view.credited_to is RefundTarget.VOUCHER:
            text = translate(
                "Ended",
                "Your {amount} is on the credit voucher printed below the screen. "
                "Keep it: it pays a future bill or is refunded at the service counter.",
            )
        else:
            text = translate(
                "Ended",
                "Your {amount} was added to account {account} as prepayment. "
                "It counts towards the next bill.",
            )
        self.money_line.setText(
            text.format(amount=money(credited, self.lang), account=view.account or "")
        )
        hotline = self.ctx.settings().kiosk.hotline
        self.help.setText(translate("Ended", "Questions? Call {hotline}.").format(hotline=hotline))
        self.done.setText(translate("Ended", "OK"))
