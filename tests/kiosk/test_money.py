from decimal import Decimal

import pytest

from kiosk.money import (
    CurrencyMismatch,
    FormatStyle,
    Language,
    Money,
    MoneyParseError,
    format_money,
    parse_money,
)


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("0", 0),
        ("12", 1200),
        ("12.3", 1230),
        ("12.30", 1230),
        ("0.05", 5),
        (".5", None),
        ("1,234.50", 123450),
        ("¥12.30", 1230),
        ("￥12.30", 1230),
        ("CNY 12.30", 1230),
        ("RMB12", 1200),
        ("12.30元", 1230),
        ("  7  ", 700),
        ("12.", 1200),
    ],
)
def test_parse(text: str, minor: int | None) -> None:
    if minor is None:
        with pytest.raises(MoneyParseError):
            parse_money(text)
    else:
        assert parse_money(text) == Money(minor)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no amount"),
        ("¥", "no amount"),
        ("-5", "negative"),
        ("12.345", "at most 2 digits"),
        ("1,23", "not an amount"),
        ("12a", "not an amount"),
        ("1e3", "not an amount"),
        ("1' OR '1'='1", "not an amount"),
        ("<b>5</b>", "not an amount"),
        ("五元", "not an amount"),
    ],
)
def test_parse_rejects_with_reason(text: str, reason: str) -> None:
    with pytest.raises(MoneyParseError, match=reason):
        parse_money(text)


def test_parse_yen_has_no_fen() -> None:
    assert parse_money("1,200", "JPY") == Money(1200, "JPY")
    with pytest.raises(MoneyParseError, match="at most 0 digits"):
        parse_money("12.5", "JPY")


@pytest.mark.parametrize(
    ("minor", "currency", "lang", "style", "text"),
    [
        (123450, "CNY", Language.ZH, FormatStyle.SCREEN, "¥1,234.50"),
        (123450, "CNY", Language.ZH, FormatStyle.PRINTER, "￥1,234.50"),
        (123450, "CNY", Language.EN, FormatStyle.SCREEN, "CNY 1,234.50"),
        (123450, "CNY", Language.EN, FormatStyle.PRINTER, "CNY 1,234.50"),
        (5, "CNY", Language.ZH, FormatStyle.SCREEN, "¥0.05"),
        (0, "CNY", Language.EN, FormatStyle.SCREEN, "CNY 0.00"),
        (-1230, "CNY", Language.ZH, FormatStyle.PRINTER, "-￥12.30"),
        (-1230, "CNY", Language.EN, FormatStyle.SCREEN, "-CNY 12.30"),
        (100000000, "CNY", Language.EN, FormatStyle.SCREEN, "CNY 1,000,000.00"),
        (1500, "USD", Language.ZH, FormatStyle.SCREEN, "USD 15.00"),
        (1500, "JPY", Language.EN, FormatStyle.SCREEN, "JPY 1,500"),
    ],
)
def test_format(minor: int, currency: str, lang: Language, style: FormatStyle, text: str) -> None:
    assert format_money(Money(minor, currency), lang, style) == text


def test_printer_yen_is_gbk_safe() -> None:
    text = Money(1230).format(Language.ZH, FormatStyle.PRINTER)
    assert text.encode("gbk") == b"\xa3\xa412.30"


@pytest.mark.parametrize("minor", [0, 5, 99, 100, 123450, 10**12])
def test_format_then_parse_round_trips(minor: int) -> None:
    for lang in Language:
        for style in FormatStyle:
            assert parse_money(format_money(Money(minor), lang, style)) == Money(minor)


def test_arithmetic() -> None:
    a, b = Money(1050), Money(250)
    assert a + b == Money(1300)
    assert a - b == Money(800)
    assert -a == Money(-1050)
    assert a * 3 == Money(3150) == 3 * a
    assert b < a and a > b and a >= b and b <= a and a >= Money(1050)
    assert a.min(b) == b and a.max(b) == a
    assert not Money.zero() and Money(1)
    assert Money.of_major(50) == Money(5000)
    assert Money(123450).to_decimal() == Decimal("1234.50")


@pytest.mark.parametrize(
    "action",
    [
        lambda: Money(1.5),  # type: ignore[arg-type]
        lambda: Money(100) + 1.5,  # type: ignore[operator]
        lambda: Money(100) * 1.5,  # type: ignore[operator]
        lambda: 1.5 * Money(100),  # type: ignore[operator]
        lambda: Money(100) < 1.5,  # type: ignore[operator]
        lambda: Money(100) == 1.0,
        lambda: Money(100) != 1.0,
        lambda: Money.of_major(1.5),  # type: ignore[arg-type]
        lambda: Money.from_decimal(1.5),  # type: ignore[arg-type]
        lambda: Money.from_json({"minor": 1.5, "currency": "CNY"}),
        lambda: Money(True),
        lambda: Money("100"),  # type: ignore[arg-type]
        lambda: Money(100) + 100,  # type: ignore[operator]
    ],
)
def test_floats_and_non_money_raise_type_error(action: object) -> None:
    with pytest.raises(TypeError):
        action()  # type: ignore[operator]


def test_currencies_do_not_mix() -> None:
    cny, usd = Money(100, "CNY"), Money(100, "USD")
    with pytest.raises(CurrencyMismatch):
        cny + usd
    with pytest.raises(CurrencyMismatch):
        assert cny < usd
    assert cny != usd
    assert cny != 100  # not money at all: simply unequal
    assert len({Money(5), Money(5), Money(5, "USD")}) == 2
    with pytest.raises(ValueError, match="unknown currency"):
        Money(1, "XXX")


@pytest.mark.parametrize(
    ("major", "minor"),
    [
        ("0.004", 0),
        ("0.005", 1),
        ("0.015", 2),
        ("0.025", 3),
        ("-0.005", -1),
        ("2.675", 268),
        ("1.0049999", 100),
    ],
)
def test_from_decimal_rounds_half_up(major: str, minor: int) -> None:
    assert Money.from_decimal(Decimal(major)) == Money(minor)


def test_json_round_trip_and_rejects_junk() -> None:
    assert Money.from_json(Money(42).to_json()) == Money(42)
    junks: list[object] = [
        None,
        [],
        {"minor": 1},
        {"minor": 1, "currency": 5},
        {"minor": "1", "currency": "CNY"},
    ]
    for junk in junks:
        with pytest.raises((ValueError, TypeError)):
            Money.from_json(junk)
