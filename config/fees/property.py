"""Property management fee: per m² per month, with a daily late fee and a cap.

Rules, written down:

* a month's fee is ``round_half_up(area × price_per_m2_month)`` fen;
* a month is due on ``due_day`` of that month; each day after the due date
  (less ``grace_days``) adds ``late_fee_daily_rate × month's fee``;
* one month's late fee is capped at ``late_fee_cap_rate × month's fee``,
  and is rounded half-up to the fen once, after the cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from config.rounding import FEN_PER_YUAN, round_half_up


@dataclass(frozen=True, slots=True)
class PropertyMonth:
    year: int
    month: int
    due: date
    days_late: int
    fee_fen: int
    late_fen: int

    @property
    def fen(self) -> int:
        return self.fee_fen + self.late_fen


@dataclass(frozen=True, slots=True)
class PropertyBill:
    months: tuple[PropertyMonth, ...]

    @property
    def fee_fen(self) -> int:
        return sum(m.fee_fen for m in self.months)

    @property
    def late_fen(self) -> int:
        return sum(m.late_fen for m in self.months)

    @property
    def fen(self) -> int:
        return self.fee_fen + self.late_fen


@dataclass(frozen=True, slots=True)
class PropertyTariff:
    price_per_m2_month: Decimal
    late_fee_daily_rate: Decimal
    late_fee_cap_rate: Decimal
    due_day: int = 1
    grace_days: int = 0

    def __post_init__(self) -> None:
        if self.price_per_m2_month <= 0:
            raise ValueError("price_per_m2_month must be positive")
        if self.late_fee_daily_rate < 0 or self.late_fee_cap_rate < 0:
            raise ValueError("late-fee rates cannot be negative")
        if not 1 <= self.due_day <= 28:
            raise ValueError("due_day must be between 1 and 28 (every month has it)")
        if self.grace_days < 0:
            raise ValueError("grace_days cannot be negative")

    def monthly_fen(self, area_m2: Decimal) -> int:
        if area_m2 <= 0:
            raise ValueError("area must be positive")
        return round_half_up(area_m2 * self.price_per_m2_month * FEN_PER_YUAN)

    def month(self, area_m2: Decimal, year: int, month: int, today: date) -> PropertyMonth:
        fee = self.monthly_fen(area_m2)
        due = date(year, month, self.due_day)
        days_late = max(0, (today - due).days - self.grace_days)
        late = min(
            Decimal(fee) * self.late_fee_daily_rate * days_late,
            Decimal(fee) * self.late_fee_cap_rate,
        )
        return PropertyMonth(year, month, due, days_late, fee, round_half_up(late))

    def bill(self, area_m2: Decimal, unpaid: list[tuple[int, int]], today: date) -> PropertyBill:
        """The bill for the unpaid ``(year, month)`` pairs as of ``today``."""
        return PropertyBill(tuple(self.month(area_m2, y, m, today) for y, m in sorted(set(unpaid))))
