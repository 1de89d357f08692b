"""Tiered residential tariffs (electricity, water, gas) and prepaid purchases.

Tier boundaries are cumulative usage within the tariff's period (a year or a
month): a tier ``upto=2760`` holds usage from the previous boundary up to 2760
units. The caller says how much was used so far in the period; the arithmetic
splits a quantity across the tiers it crosses.

Guarantees:

* ``charge(before, q)``: one line per tier touched, each ``round_half_up(q_i ×
  price_i)`` fen; the total is the sum of the lines.
* ``units_for_amount(before, fen)``: the largest multiple of ``unit_step`` whose
  charge is at most ``fen``; one more step would cost more than ``fen``.
* ``advice(before)``: the units left before the next tier and its price, or
  ``None`` in the last tier.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from config.rounding import FEN_PER_YUAN, floor_to_step, round_half_up


class Period(enum.Enum):
    ANNUAL = "annual"
    MONTHLY = "monthly"


@dataclass(frozen=True, slots=True)
class Tier:
    """Usage up to ``upto`` (cumulative in the period; ``None``: no bound) at ``price``
    yuan per unit."""

    upto: Decimal | None
    price: Decimal


@dataclass(frozen=True, slots=True)
class TierLine:
    tier: int  # 1-based, as printed on bills
    units: Decimal
    price: Decimal  # yuan per unit
    fen: int


@dataclass(frozen=True, slots=True)
class TierCharge:
    lines: tuple[TierLine, ...]

    @property
    def units(self) -> Decimal:
        return sum((line.units for line in self.lines), Decimal(0))

    @property
    def fen(self) -> int:
        return sum(line.fen for line in self.lines)


@dataclass(frozen=True, slots=True)
class TierAdvice:
    tier: int  # the tier the next unit falls in, 1-based
    price: Decimal
    units_to_next: Decimal | None  # None in the last tier
    next_price: Decimal | None


def _line_fen(units: Decimal, price: Decimal) -> int:
    return round_half_up(units * price * FEN_PER_YUAN)


@dataclass(frozen=True, slots=True)
class TieredTariff:
    unit: str
    period: Period
    tiers: tuple[Tier, ...]
    unit_step: Decimal = Decimal("0.01")

    def __post_init__(self) -> None:
        if not self.tiers:
            raise ValueError("a tiered tariff needs at least one tier")
        if self.tiers[-1].upto is not None:
            raise ValueError("the last tier must be open-ended (no 'upto')")
        bounds = [t.upto for t in self.tiers[:-1]]
        if any(b is None for b in bounds):
            raise ValueError("only the last tier may be open-ended")
        previous = Decimal(0)
        for bound in bounds:
            assert bound is not None
            if bound <= previous:
                raise ValueError("tier boundaries must increase")
            previous = bound
        if any(t.price <= 0 for t in self.tiers):
            raise ValueError("tier prices must be positive")
        if self.unit_step <= 0:
            raise ValueError("unit_step must be positive")

    def _spans(self, before: Decimal, quantity: Decimal) -> list[tuple[int, Decimal, Decimal]]:
        """(tier index, units in it, price) for ``quantity`` units after ``before``."""
        if before < 0 or quantity < 0:
            raise ValueError("usage and quantity cannot be negative")
        spans = []
        lower, stop = Decimal(0), before + quantity
        for index, tier in enumerate(self.tiers):
            start = max(before, lower)
            end = stop if tier.upto is None else min(stop, tier.upto)
            if end > start:
                spans.append((index, end - start, tier.price))
            if tier.upto is not None:
                lower = tier.upto
        return spans

    def charge(self, before: Decimal, quantity: Decimal) -> TierCharge:
        """The cost of ``quantity`` units when ``before`` units were used this period."""
        return TierCharge(
            tuple(
                TierLine(index + 1, units, price, _line_fen(units, price))
                for index, units, price in self._spans(before, quantity)
            )
        )

    def tier_at(self, usage: Decimal) -> int:
        """0-based index of the tier the next unit after ``usage`` falls in."""
        for index, tier in enumerate(self.tiers):
            if tier.upto is None or usage < tier.upto:
                return index
        raise AssertionError("the last tier is open-ended")  # pragma: no cover

    def advice(self, before: Decimal) -> TierAdvice:
        index = self.tier_at(before)
        tier = self.tiers[index]
        if tier.upto is None:
            return TierAdvice(index + 1, tier.price, None, None)
        return TierAdvice(index + 1, tier.price, tier.upto - before, self.tiers[index + 1].price)

    def units_for_amount(self, before: Decimal, fen: int) -> TierCharge:
        """The largest purchase (in ``unit_step``) that ``fen`` pays for."""
        if isinstance(fen, bool) or not isinstance(fen, int):
            raise TypeError("fen must be an int")
        if fen < 0:
            raise ValueError("an amount cannot be negative")
        remaining, position, total = fen, before, Decimal(0)
        while remaining > 0:
            index = self.tier_at(position)
            tier = self.tiers[index]
            room = None if tier.upto is None else tier.upto - position
            if room is not None and _line_fen(room, tier.price) <= remaining:
                remaining -= _line_fen(room, tier.price)
                position += room
                total += room
                continue
            units = floor_to_step(Decimal(remaining) / (tier.price * FEN_PER_YUAN), self.unit_step)
            while _line_fen(units + self.unit_step, tier.price) <= remaining and (
                room is None or units + self.unit_step <= room
            ):
                units += self.unit_step
            while units > 0 and _line_fen(units, tier.price) > remaining:
                units -= self.unit_step
            total += units
            break
        return self.charge(before, total)
