"""What the central server says is due on an account, as the kiosk shows it.

A bill is a list of lines (arrears, this period, late fees: what is still
outstanding on each) less the coupons that apply, less the account's credit
(预存款) that the server sets against them. A prepaid account (an IC-card
meter) may also buy units; the purchase is offered when nothing is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from kiosk.money import Money


@dataclass(frozen=True, slots=True)
class BillLine:
    label_zh: str
    label_en: str
    amount: Money
    due_date: str | None = None  # ISO date as the server sent it


@dataclass(frozen=True, slots=True)
class Coupon:
    code: str
    label_zh: str
    label_en: str
    amount: Money  # the discount, positive


@dataclass(frozen=True, slots=True)
class CardReissue:
    """A purchase paid for earlier whose write to the account card failed: the
    kiosk the card is in now writes it."""

    transaction: UUID  # the purchase's payment
    units: str
    amount: Money


@dataclass(frozen=True, slots=True)
class Bill:
    service: str
    account: str
    holder: str  # as the server masks it, e.g. "张*明"
    lines: tuple[BillLine, ...]
    currency: str = "CNY"
    coupons: tuple[Coupon, ...] = ()
    prepaid: bool = False
    prepaid_balance: Money | None = None  # the credit left once this bill is paid
    usage_this_period: Decimal | None = None
    card_reissues: tuple[CardReissue, ...] = ()
    credit_applied: Money | None = None  # the account's credit set against the lines

    @property
    def subtotal(self) -> Money:
        return sum((line.amount for line in self.lines), Money.zero(self.currency))

    @property
    def discount(self) -> Money:
        """Coupons reduce the amount due, never below zero."""
        total = sum((c.amount for c in self.coupons), Money.zero(self.currency))
        return total.min(self.subtotal)

    @property
    def credit(self) -> Money:
        """The credit applied, never more than the coupons leave due."""
        applied = self.credit_applied or Money.zero(self.currency)
        return applied.min(self.subtotal - self.discount)

    @property
    def due(self) -> Money:
        return self.subtotal - self.discount - self.credit

    @property
    def is_purchase(self) -> bool:
        """Nothing is due on a prepaid account: the customer buys units."""
        return self.prepaid and not self.due.is_positive()
