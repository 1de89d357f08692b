"""Paid: the amount, where any extra went, the receipt (printed, or a code for
the e-receipt) and an offer to text the receipt to the customer's phone."""

from __future__ import annotations

from PySide6.QtCore import Qt

from config.choices import RefundTarget
from kiosk.flow import Notice, State
from kiosk.flow import events as e
from kiosk.flow.view import View
from ui.i18n import method_text, money, translate
from ui.screens.base import Context, Screen
from ui.widgets import Keypad, button, label, qr_pixmap


class DoneScreen(Screen):
    states = (State.DONE,)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.paid = label(role="total")
        self.extra = label(role="lead")
        self.reference = label(role="hint")
        self.receipt = label(role="lead")
        self.card = label(role="notice")
        self.code = label(role="qr", wrap=False)
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sms = button("", self._offer_sms, "quiet")
        self.sms_result = label(role="hint")
        self.keypad = Keypad(self._send_sms)
        self.keypad.hide()
        self.finish = button("", lambda: ctx.post(e.BackPressed()), "primary")
        for widget in (self.paid, self.card, self.extra, self.reference, self.receipt):
            self.first.addWidget(widget)
        self.first.addWidget(self.code, 0, Qt.AlignmentFlag.AlignHCenter)
        self.first.addStretch(1)
        for part in (self.sms, self.sms_result, self.keypad):
            self.second.addWidget(part)
        self.second.addStretch(1)
        self.second.addWidget(self.finish)
        self._shown_for: str | None = None
        self._writing = False

    def present(self, view: View) -> None:
        super().present(view)
        if view.transaction != self._shown_for:
            self._shown_for = view.transaction
            self.keypad.hide()
            self.sms_result.setText("")
            self._writing = False
        self._present_card(view)
        self.title.setText(translate("Done", "Payment complete. Thank you!"))
        self.paid.setText(
            translate("Done", "Paid {amount} by {method}").format(
                amount=money(view.amount, self.lang), method=method_text(view.method)
            )
        )
        self.extra.setText(self._extra(view))
        self.extra.setVisible(bool(view.credited and view.credited.is_positive()))
        self.reference.setText(
            # a zero-width space after each hyphen lets the long id wrap on a narrow screen
            translate("Done", "Transaction {id}").format(
                id=(view.transaction or "").replace("-", "-\u200b")
            )
        )
        printed = view.notice is not Notice.RECEIPT_FAILED and view.printing
        self.receipt.setText(
            translate("Done", "Take your receipt below the screen.")
            if printed
            else translate("Done", "Scan this code for your e-receipt.")
        )
        link = self.ctx.settings().kiosk.receipt_url.format(transaction=view.transaction or "")
        self.code.setVisible(not printed and view.transaction is not None)
        if not printed:
            self.code.setPixmap(qr_pixmap(link, 360))
        self.sms.setText(translate("Done", "Text the receipt to my phone"))
        self.sms.setVisible(view.online and view.transaction is not None)
        self.finish.setText(translate("Done", "Finish"))
        self.keypad.retranslate()

    def _present_card(self, view: View) -> None:
        """A prepaid purchase goes onto the account card: keep it in until written."""
        if view.card_writing:
            self._writing = True
            text = translate(
                "Done", "Writing the units to your card. Do not take the card out yet."
            )
        elif self._writing and view.notice is not Notice.CARD_NOT_LOADED:
            text = translate("Done", "The units are on your card. You can take the card now.")
        else:
            text = ""
        self.card.setText(text)
        self.card.setVisible(bool(text))

    def _extra(self, view: View) -> str:
        if not view.credited or not view.credited.is_positive():
            return ""
        amount = money(view.credited, self.lang)
        if view.credited_to is RefundTarget.VOUCHER:
            text = translate("Done", "{amount} extra: take the credit voucher printed for it.")
        else:
            text = translate("Done", "{amount} extra was added to your account as prepayment.")
        return text.format(amount=amount)

    def _offer_sms(self) -> None:
        self.keypad.reset(11)
        self.keypad.show()
        self.sms_result.setText(translate("Done", "Enter your mobile number:"))

    def _send_sms(self, phone: str) -> None:
        view = self.view
        if view is None or view.transaction is None:
            return
        self.keypad.hide()
        self.sms_result.setText(translate("Done", "Sending…"))
        self.ctx.services.sms(view.transaction, phone, self._sms_sent)

    def _sms_sent(self, ok: bool | None) -> None:
        self.sms_result.setText(
            translate("Done", "Sent. It will arrive in a minute.")
            if ok
            else translate("Done", "Could not send it now. Your printed or e-receipt is valid.")
        )
