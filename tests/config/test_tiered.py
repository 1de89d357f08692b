"""Tiered tariffs against numbers worked by hand (demo city electricity and water)."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.fees.tiered import Period, Tier, TieredTariff

ELECTRICITY = TieredTariff(
    "kWh",
    Period.ANNUAL,
    (Tier(D(2760), D("0.538")), Tier(D(4800), D("0.588")), Tier(None, D("0.838"))),
)
WATER = TieredTariff(
    "m³", Period.ANNUAL, (Tier(D(180), D("3.50")), Tier(D(260), D("5.25")), Tier(None, D("10.50")))
)


@pytest.mark.parametrize(
    ("before", "quantity", "lines", "total"),
    [
        # 200 × 0.538 = 107.60
        ("0", "200", [(1, "200", 10760)], 10760),
        # 60 × 0.538 = 32.28; 140 × 0.588 = 82.32
        ("2700", "200", [(1, "60", 3228), (2, "140", 8232)], 11460),
        # 100 × 0.588 = 58.80; 200 × 0.838 = 167.60
        ("4700", "300", [(2, "100", 5880), (3, "200", 16760)], 22640),
        # 760 × 0.538 = 408.88; 2040 × 0.588 = 1199.52; 200 × 0.838 = 167.60
        ("2000", "3000", [(1, "760", 40888), (2, "2040", 119952), (3, "200", 16760)], 177600),
        # 12.34 × 0.838 = 10.34092 → 10.34
        ("5000", "12.34", [(3, "12.34", 1034)], 1034),
        # exactly on a boundary: all of it in tier 2
        ("2760", "10", [(2, "10", 588)], 588),
        ("0", "0", [], 0),
    ],
)
def test_electricity_charge(
    before: str, quantity: str, lines: list[tuple[int, str, int]], total: int
) -> None:
    charge = ELECTRICITY.charge(D(before), D(quantity))
    assert [(line.tier, line.units, line.fen) for line in charge.lines] == [
        (tier, D(units), fen) for tier, units, fen in lines
    ]
    assert charge.fen == total
    assert charge.units == D(quantity)


@pytest.mark.parametrize(
    ("quantity", "fen"),
    [
        ("0.01", 4),  # 3.5 fen: half-up to 4
        ("0.03", 11),  # 10.5 fen: half-up to 11 (banker's rounding would give 10)
        ("0.05", 18),  # 17.5 fen → 18
    ],
)
def test_lines_round_half_up(quantity: str, fen: int) -> None:
    assert WATER.charge(D(0), D(quantity)).fen == fen


@pytest.mark.parametrize(
    ("tariff", "before", "fen", "units", "charged"),
    [
        # 60 kWh for 32.28, then 67.72 / 0.588 = 115.17 (costs 67.71996 → 67.72)
        (ELECTRICITY, "2700", 10000, "175.17", 10000),
        # 92.94 × 0.538 = 50.00172 → 50.00 still fits ¥50; 92.95 would cost 50.01
        (ELECTRICITY, "0", 5000, "92.94", 5000),
        # one step in tier 3 costs 0.838 fen → 1 fen
        (ELECTRICITY, "5000", 1, "0.01", 1),
        (ELECTRICITY, "0", 0, "0", 0),
        # 10 m³ for 35.00, then 65.00 / 5.25 = 12.38 (costs 64.995 → 65.00)
        (WATER, "170", 10000, "22.38", 10000),
        # crossing two boundaries: 180 × 3.5 = 630, 80 × 5.25 = 420, 10 × 10.5 = 105
        (WATER, "0", 115500, "270", 115500),
    ],
)
def test_units_for_amount(
    tariff: TieredTariff, before: str, fen: int, units: str, charged: int
) -> None:
    purchase = tariff.units_for_amount(D(before), fen)
    assert purchase.units == D(units)
    assert purchase.fen == charged


@pytest.mark.parametrize(
    ("before", "tier", "to_next", "next_price"),
    [
        ("0", 1, "2760", "0.588"),
        ("2700", 1, "60", "0.588"),
        ("2760", 2, "2040", "0.838"),
        ("4799.5", 2, "0.5", "0.838"),
        ("4800", 3, None, None),
        ("99999", 3, None, None),
    ],
)
def test_tier_advice(before: str, tier: int, to_next: str | None, next_price: str | None) -> None:
    advice = ELECTRICITY.advice(D(before))
    assert advice.tier == tier
    assert advice.units_to_next == (None if to_next is None else D(to_next))
    assert advice.next_price == (None if next_price is None else D(next_price))


@given(
    before=st.decimals(min_value=0, max_value=10000, places=2),
    fen=st.integers(min_value=0, max_value=500000),
)
def test_purchase_is_the_largest_that_fits(before: D, fen: int) -> None:
    purchase = ELECTRICITY.units_for_amount(before, fen)
    assert purchase.fen <= fen
    assert ELECTRICITY.charge(before, purchase.units + D("0.01")).fen > fen


@given(
    before=st.decimals(min_value=0, max_value=10000, places=2),
    a=st.decimals(min_value=0, max_value=5000, places=2),
    b=st.decimals(min_value=0, max_value=5000, places=2),
)
def test_charge_is_monotonic(before: D, a: D, b: D) -> None:
    low, high = sorted((a, b))
    assert ELECTRICITY.charge(before, low).fen <= ELECTRICITY.charge(before, high).fen


@pytest.mark.parametrize(
    ("tiers", "reason"),
    [
        ((), "at least one tier"),
        ((Tier(D(10), D(1)),), "open-ended"),
        ((Tier(D(10), D(1)), Tier(D(5), D(2)), Tier(None, D(3))), "increase"),
        ((Tier(None, D(1)), Tier(None, D(2))), "only the last"),
        ((Tier(None, D(0)),), "positive"),
    ],
)
def test_bad_tables_are_refused(tiers: tuple[Tier, ...], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        TieredTariff("kWh", Period.MONTHLY, tiers)


def test_negative_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        ELECTRICITY.charge(D(-1), D(1))
    with pytest.raises(ValueError, match="negative"):
        ELECTRICITY.units_for_amount(D(0), -1)
    with pytest.raises(TypeError):
        ELECTRICITY.units_for_amount(D(0), 1.5)  # type: ignore[arg-type]


def test_monthly_tiers() -> None:
    """Gas billed on monthly tiers: 30 m³ at ¥2.61, then ¥3.13."""
    gas = TieredTariff("m³", Period.MONTHLY, (Tier(D(30), D("2.61")), Tier(None, D("3.13"))))
    # 10 × 2.61 = 26.10; 15 × 3.13 = 46.95
    assert gas.charge(D(20), D(25)).fen == 2610 + 4695
    assert gas.advice(D(20)).units_to_next == D(10)
    assert gas.period is Period.MONTHLY
