"""Money: integer minor units with an ISO 4217 currency.

Guarantees:

* an amount is an ``int`` of minor units (fen for CNY); a ``float`` anywhere —
  constructing, adding, multiplying, comparing — raises ``TypeError``;
* arithmetic and ordering only between amounts of the same currency, else
  ``CurrencyMismatch``; amounts of different currencies are never equal;
* conversion from a ``Decimal`` of major units rounds half-up to the minor unit,
  the one rounding rule of the project;
* formats (documented in the README, "Money formats"):

  ========  ===========================  =======================
  style     zh                           en
  ========  ===========================  =======================
  screen    ``¥1,234.50``                ``CNY 1,234.50``
  printer   ``￥1,234.50`` (U+FFE5)       ``CNY 1,234.50``
  ========  ===========================  =======================

  The printer form uses the full-width yen sign because U+00A5 is not in GBK
  and prints as garbage on GBK-only receipt printers.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from config.rounding import round_half_up

DEFAULT_CURRENCY: Final = "CNY"

# ISO 4217 minor-unit exponents of the currencies the kiosk may meet.
_EXPONENTS: Final[dict[str, int]] = {
    "CNY": 2,
    "HKD": 2,
    "MOP": 2,
    "TWD": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "JPY": 0,
    "KRW": 0,
}
_ZH_SCREEN_SYMBOL: Final = {"CNY": "¥"}
_ZH_PRINTER_SYMBOL: Final = {"CNY": "￥"}


class CurrencyMismatch(ValueError):
    """Two amounts of different currencies met in arithmetic or ordering."""


class MoneyParseError(ValueError):
    """Text that is not an amount of money; the message says why."""


class FormatStyle(enum.Enum):
    SCREEN = "screen"
    PRINTER = "printer"


class Language(enum.Enum):
    ZH = "zh"
    EN = "en"


def exponent(currency: str) -> int:
    """The number of minor-unit digits of ``currency``."""
    try:
        return _EXPONENTS[currency]
    except KeyError:
        raise ValueError(f"unknown currency {currency!r}") from None


def _check_int(value: object, what: str) -> int:
    if isinstance(value, float):
        raise TypeError(f"{what} must be an int of minor units, not a float ({value!r})")
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int of minor units, not {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in integer minor units of ``currency``."""

    minor: int
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        _check_int(self.minor, "Money.minor")
        exponent(self.currency)

    # -- construction -------------------------------------------------------
    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(0, currency)

    @classmethod
    def of_major(cls, major: int, currency: str = DEFAULT_CURRENCY) -> Money:
        """Whole major units: ``Money.of_major(50)`` is fifty yuan."""
        return cls(_check_int(major, "major") * 10 ** exponent(currency), currency)

    @classmethod
    def from_decimal(cls, major: Decimal, currency: str = DEFAULT_CURRENCY) -> Money:
        """A ``Decimal`` of major units, rounded half-up to the minor unit."""
        if not isinstance(major, Decimal):
            raise TypeError(f"from_decimal takes a Decimal, not {type(major).__name__}")
        return cls(round_half_up(major * 10 ** exponent(currency)), currency)

    @classmethod
    def parse(cls, text: str, currency: str = DEFAULT_CURRENCY) -> Money:
        """Parse what a person or a config file writes: ``12``, ``12.3``, ``¥1,234.50``,
        ``￥12.30``, ``CNY 12.30``, ``12.30元``. Never negative, never more decimals
        than the currency has."""
        return parse_money(text, currency)

    # -- arithmetic ---------------------------------------------------------
    def _same(self, other: object) -> Money:
        if isinstance(other, float):
            raise TypeError("money never mixes with floats")
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} do not mix")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same(other).minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same(other).minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __mul__(self, factor: int) -> Money:
        return Money(self.minor * _check_int(factor, "factor"), self.currency)

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        if isinstance(other, float):
            raise TypeError("money never compares with floats")
        if not isinstance(other, Money):
            return NotImplemented
        return self.minor == other.minor and self.currency == other.currency

    def __hash__(self) -> int:
        return hash((self.minor, self.currency))

    def __lt__(self, other: Money) -> bool:
        return self.minor < self._same(other).minor

    def __le__(self, other: Money) -> bool:
        return self.minor <= self._same(other).minor

    def __gt__(self, other: Money) -> bool:
        return self.minor > self._same(other).minor

    def __ge__(self, other: Money) -> bool:
        return self.minor >= self._same(other).minor

    def __bool__(self) -> bool:
        return self.minor != 0

    def is_positive(self) -> bool:
        return self.minor > 0

    def min(self, other: Money) -> Money:
        return self if self <= other else other

    def max(self, other: Money) -> Money:
        return self if self >= other else other

    def to_decimal(self) -> Decimal:
        """Major units, exactly."""
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def to_json(self) -> dict[str, int | str]:
        return {"minor": self.minor, "currency": self.currency}

    @classmethod
    def from_json(cls, data: object) -> Money:
        if not isinstance(data, dict) or set(data) != {"minor", "currency"}:
            raise ValueError(f"not a money object: {data!r}")
        minor, currency = data["minor"], data["currency"]
        if not isinstance(currency, str):
            raise ValueError(f"currency must be a string: {currency!r}")
        return cls(_check_int(minor, "minor"), currency)

    def format(self, lang: Language = Language.ZH, style: FormatStyle = FormatStyle.SCREEN) -> str:
        return format_money(self, lang, style)

    def __str__(self) -> str:
        return format_money(self, Language.EN, FormatStyle.SCREEN)


def format_money(
    amount: Money, lang: Language = Language.ZH, style: FormatStyle = FormatStyle.SCREEN
) -> str:
    digits = exponent(amount.currency)
    whole, frac = divmod(abs(amount.minor), 10**digits)
    number = f"{whole:,}" + (f".{frac:0{digits}d}" if digits else "")
    sign = "-" if amount.minor < 0 else ""
    if lang is Language.ZH:
        table = _ZH_PRINTER_SYMBOL if style is FormatStyle.PRINTER else _ZH_SCREEN_SYMBOL
        symbol = table.get(amount.currency)
        if symbol is not None:
            return f"{sign}{symbol}{number}"
    return f"{sign}{amount.currency} {number}"


_PREFIXES = ("¥", "￥", "RMB", "CNY")
_SUFFIXES = ("元", "圆")
_NUMBER = re.compile(r"^(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d*))?$")


def parse_money(text: str, currency: str = DEFAULT_CURRENCY) -> Money:
    if not isinstance(text, str):
        raise TypeError(f"parse_money takes a str, not {type(text).__name__}")
    digits = exponent(currency)
    body = text.strip()
    for prefix in _PREFIXES:
        if body.upper().startswith(prefix):
            body = body[len(prefix) :].strip()
            break
    for suffix in _SUFFIXES:
        if body.endswith(suffix):
            body = body[: -len(suffix)].strip()
            break
    if not body:
        raise MoneyParseError(f"{text!r}: no amount given")
    if body.startswith("-"):
        raise MoneyParseError(f"{text!r}: an amount cannot be negative")
    match = _NUMBER.match(body)
    if match is None:
        raise MoneyParseError(f"{text!r}: not an amount (digits, an optional point and fen)")
    frac = match.group("frac") or ""
    if len(frac) > digits:
        raise MoneyParseError(f"{text!r}: at most {digits} digits after the point for {currency}")
    try:
        major = Decimal(match.group("whole").replace(",", "") + "." + (frac or "0"))
    except InvalidOperation:  # pragma: no cover - the regex admits only digits
        raise MoneyParseError(f"{text!r}: not an amount") from None
    return Money.from_decimal(major, currency)
