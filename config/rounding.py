"""The one rounding rule of the project: half-up (away from zero) to the fen."""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

FEN_PER_YUAN = 100


def round_half_up(value: Decimal) -> int:
    """Round a Decimal to the nearest integer, halves away from zero."""
    if not isinstance(value, Decimal):
        raise TypeError(f"round_half_up takes a Decimal, not {type(value).__name__}")
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan_to_fen(value: Decimal) -> int:
    """A Decimal of yuan as fen, rounded half-up."""
    return round_half_up(value * FEN_PER_YUAN)


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    """The largest multiple of ``step`` not above ``value`` (value ≥ 0)."""
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step
