"""Parking by duration.

Rules (one reading of the common Chinese car-park tariff, written down):

* the stay is counted in whole minutes, any started minute counts;
* a stay of at most ``free_minutes`` is free; over it, the whole stay is charged,
  unless ``deduct_free_minutes`` is set, in which case the free minutes are
  taken off first;
* charged time is cut into 24-hour days counted from entry; within a day every
  started period costs ``rate_fen`` and a day never costs more than
  ``daily_cap_fen`` (if set); full days are capped the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class ParkingFee:
    minutes: int  # the stay, in started minutes
    charged_minutes: int
    full_days: int
    periods: int  # periods charged, caps ignored
    fen: int


@dataclass(frozen=True, slots=True)
class ParkingTariff:
    free_minutes: int
    period_minutes: int
    rate_fen: int
    daily_cap_fen: int | None = None
    deduct_free_minutes: bool = False

    def __post_init__(self) -> None:
        if self.free_minutes < 0:
            raise ValueError("free_minutes cannot be negative")
        if not 0 < self.period_minutes <= MINUTES_PER_DAY:
            raise ValueError("period_minutes must be between 1 and 1440")
        if self.rate_fen <= 0:
            raise ValueError("rate_fen must be positive")
        if self.daily_cap_fen is not None and self.daily_cap_fen <= 0:
            raise ValueError("daily_cap_fen must be positive")

    def _day_fen(self, minutes: int) -> tuple[int, int]:
        periods = math.ceil(minutes / self.period_minutes)
        fen = periods * self.rate_fen
        if self.daily_cap_fen is not None:
            fen = min(fen, self.daily_cap_fen)
        return periods, fen

    def fee(self, stay: timedelta) -> ParkingFee:
        if stay < timedelta(0):
            raise ValueError("exit is before entry")
        minutes = math.ceil(stay / timedelta(minutes=1))
        if minutes <= self.free_minutes:
            return ParkingFee(minutes, 0, 0, 0, 0)
        charged = minutes - self.free_minutes if self.deduct_free_minutes else minutes
        full_days, rest = divmod(charged, MINUTES_PER_DAY)
        day_periods, day_fen = self._day_fen(MINUTES_PER_DAY)
        rest_periods, rest_fen = self._day_fen(rest)
        return ParkingFee(
            minutes,
            charged,
            full_days,
            full_days * day_periods + rest_periods,
            full_days * day_fen + rest_fen,
        )
