"""Languages: English source strings, Chinese from Qt Linguist.

Every customer-facing string in ``ui/`` goes through ``tr`` (or is marked with
``QT_TRANSLATE_NOOP`` in a table here), so ``pyside6-lupdate`` finds it and
``ui/i18n/kiosk_zh_CN.ts`` holds its Chinese. ``make`` compiles the .ts into
the .qm that ``Languages`` loads; a test fails on any string without a
finished translation. Chinese is the default; the language button switches
for the current customer only.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QTranslator

from config.choices import PaymentMethod
from kiosk.flow import Notice
from kiosk.money import Language, Money

log = logging.getLogger(__name__)
FOLDER = Path(__file__).with_name("i18n")
QM = {Language.ZH: FOLDER / "kiosk_zh_CN.qm"}


def translate(context: str, text: object) -> str:
    """``text`` in the language in use (``QT_TRANSLATE_NOOP`` marks are typed ``object``)."""
    return QCoreApplication.translate(context, str(text))


class Languages:
    """Installs the translator of the language in use.

    One translator per application, whichever ``Languages`` installed it: a
    second window (a test, the gallery) switching language replaces it rather
    than stacking another on top."""

    _installed: QTranslator | None = None  # shared by every instance

    def __init__(self) -> None:
        self.current = Language.EN

    def use(self, lang: Language) -> None:
        if Languages._installed is not None:
            QCoreApplication.removeTranslator(Languages._installed)
            Languages._installed = None
        path = QM.get(lang)
        if path is not None:
            translator = QTranslator()
            if not translator.load(str(path)):
                raise FileNotFoundError(f"{path} is missing: run make (pyside6-lrelease)")
            QCoreApplication.installTranslator(translator)
            Languages._installed = translator
        self.current = lang


def money(amount: Money | None, lang: Language) -> str:
    return "" if amount is None else amount.format(lang)


NOTICES = {
    Notice.INVALID_ACCOUNT: QT_TRANSLATE_NOOP(
        "Notice", "That is not an account number. Check the digits on your bill."
    ),
    Notice.INVALID_PHONE: QT_TRANSLATE_NOOP("Notice", "Enter the 11-digit mobile number."),
    Notice.INVALID_CODE: QT_TRANSLATE_NOOP("Notice", "Enter the 6-digit code from the text."),
    Notice.CODE_SENT: QT_TRANSLATE_NOOP(
        "Notice", "We have sent a 6-digit code to your phone. Enter it below."
    ),
    Notice.WRONG_CARD: QT_TRANSLATE_NOOP(
        "Notice", "This card belongs to another service. Choose that service or take the card."
    ),
    Notice.ACCOUNT_NOT_FOUND: QT_TRANSLATE_NOOP(
        "Notice", "No account with that number. Check it and try again."
    ),
    Notice.SERVER_UNAVAILABLE: QT_TRANSLATE_NOOP(
        "Notice", "Bills cannot be looked up right now. Please try again later."
    ),
    Notice.NOTHING_DUE: QT_TRANSLATE_NOOP("Notice", "Nothing is due on this account."),
    Notice.AMOUNT_TOO_SMALL: QT_TRANSLATE_NOOP("Notice", "That amount is below the minimum."),
    Notice.AMOUNT_TOO_LARGE: QT_TRANSLATE_NOOP("Notice", "That amount is above what is due."),
    Notice.PARTIAL_NOT_ALLOWED: QT_TRANSLATE_NOOP("Notice", "This bill must be paid in full."),
    Notice.METHOD_UNAVAILABLE: QT_TRANSLATE_NOOP(
        "Notice", "That way to pay is not available now. Choose another."
    ),
    Notice.NOTE_NOT_ACCEPTED: QT_TRANSLATE_NOOP(
        "Notice", "That note is not accepted. Take it back."
    ),
    Notice.NOTE_OVER_LIMIT: QT_TRANSLATE_NOOP(
        "Notice", "That note is more than is left to pay and was returned. Insert a smaller one."
    ),
    Notice.NOTE_REJECTED: QT_TRANSLATE_NOOP(
        "Notice", "The note was returned. Insert it flat, one note at a time."
    ),
    Notice.INSERT_MORE: QT_TRANSLATE_NOOP("Notice", "Insert more notes."),
    Notice.ACCEPTOR_FAULT: QT_TRANSLATE_NOOP(
        "Notice", "The note reader has a fault. Your money so far is safe."
    ),
    Notice.CARD_DECLINED: QT_TRANSLATE_NOOP(
        "Notice", "Your bank declined the card. No money was taken."
    ),
    Notice.CARD_FAILED: QT_TRANSLATE_NOOP(
        "Notice", "The card could not be read. No money was taken."
    ),
    Notice.CARD_NO_ANSWER: QT_TRANSLATE_NOOP(
        "Notice",
        "The bank did not answer. Your card is not charged.",
    ),
    Notice.QR_FAILED: QT_TRANSLATE_NOOP(
        "Notice", "The QR code could not be made. Choose another way to pay."
    ),
    Notice.RECEIPT_FAILED: QT_TRANSLATE_NOOP(
        "Notice", "The receipt could not be printed. Scan the code for your e-receipt."
    ),
    Notice.CARD_NOT_LOADED: QT_TRANSLATE_NOOP(
        "Notice", "Paid, but not yet written to your card. It will be loaded at your next visit."
    ),
    Notice.CARD_REISSUING: QT_TRANSLATE_NOOP(
        "Notice",
        "A purchase you paid for earlier is being written to your card now. "
        "Please leave the card in.",
    ),
    Notice.CARD_REISSUED: QT_TRANSLATE_NOOP(
        "Notice", "The purchase you paid for earlier is now on your card."
    ),
    Notice.OFFLINE_LIMIT: QT_TRANSLATE_NOOP(
        "Notice", "While the kiosk is offline, one payment may be at most {limit}."
    ),
}

METHODS = {
    PaymentMethod.CASH: QT_TRANSLATE_NOOP("Method", "Cash"),
    PaymentMethod.CARD: QT_TRANSLATE_NOOP("Method", "Bank card"),
    PaymentMethod.WECHAT: QT_TRANSLATE_NOOP("Method", "WeChat Pay"),
    PaymentMethod.ALIPAY: QT_TRANSLATE_NOOP("Method", "Alipay"),
    PaymentMethod.UNIONPAY_QR: QT_TRANSLATE_NOOP("Method", "UnionPay QR"),
}


def notice_text(notice: Notice | None, offline_limit: Money | None, lang: Language) -> str:
    if notice is None:
        return ""
    return translate("Notice", NOTICES[notice]).format(limit=money(offline_limit, lang))


def method_text(method: PaymentMethod | None) -> str:
    return "" if method is None else translate("Method", METHODS[method])
