"""The kiosk's fixed choices, as plain enums: the settings validate them, and
the screens and the flow use them without loading the settings' schema
(pydantic), so the attract screen can paint first."""

from __future__ import annotations

import enum


class PaymentMethod(enum.Enum):
    """Payment methods, named as the central server's API names them."""

    CASH = "cash"
    CARD = "card"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    UNIONPAY_QR = "unionpay_qr"

    @property
    def is_qr(self) -> bool:
        return self in (PaymentMethod.WECHAT, PaymentMethod.ALIPAY, PaymentMethod.UNIONPAY_QR)


class RefundTarget(enum.Enum):
    """Where a cancelled session's stacked cash goes."""

    ACCOUNT_CREDIT = "account_credit"
    VOUCHER = "voucher"


class IdentifyMethod(enum.Enum):
    KEYPAD = "keypad"
    CARD = "card"
    PHONE = "phone"
