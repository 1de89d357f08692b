"""Property fees against numbers worked by hand: ¥2.50/m²/month, due on the
15th, 0.05 % of the month's fee per day late, at most 20 %."""

from datetime import date
from decimal import Decimal as D

import pytest

from config.fees.property import PropertyTariff

DEMO = PropertyTariff(D("2.50"), D("0.0005"), D("0.20"), due_day=15)
TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("area", "fen"),
    [
        ("89.5", 22375),  # 223.75
        ("100.33", 25083),  # 250.825 → half-up
        ("60", 15000),
    ],
)
def test_monthly_fee(area: str, fen: int) -> None:
    assert DEMO.monthly_fen(D(area)) == fen


@pytest.mark.parametrize(
    ("year", "month", "days_late", "late_fen"),
    [
        (2026, 11, 9, 101),  # 22375 × 0.0005 × 9 = 100.6875
        (2026, 10, 40, 448),  # 22375 × 0.0005 × 40 = 447.5 → half-up
        (2025, 1, 678, 4475),  # 7585.125 capped at 20 % = 4475
        (2026, 12, 0, 0),  # not yet due
    ],
)
def test_late_fee(year: int, month: int, days_late: int, late_fen: int) -> None:
    line = DEMO.month(D("89.5"), year, month, TODAY)
    assert (line.days_late, line.late_fen, line.fee_fen) == (days_late, late_fen, 22375)


def test_bill_over_several_months() -> None:
    bill = DEMO.bill(D("89.5"), [(2026, 11), (2026, 10), (2026, 10)], TODAY)
    assert [(m.year, m.month) for m in bill.months] == [(2026, 10), (2026, 11)]
    assert (bill.fee_fen, bill.late_fen, bill.fen) == (44750, 549, 45299)


def test_grace_days() -> None:
    tariff = PropertyTariff(D("2.50"), D("0.0005"), D("0.20"), due_day=15, grace_days=5)
    # 9 days after the due date less 5 days of grace: 22375 × 0.0005 × 4 = 44.75
    assert tariff.month(D("89.5"), 2026, 11, TODAY).late_fen == 45


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ((D(0), D(0), D(0)), "price_per_m2_month"),
        ((D(1), D(-1), D(0)), "negative"),
        ((D(1), D(0), D(0), 29), "due_day"),
    ],
)
def test_bad_tables_are_refused(args: tuple[object, ...], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        PropertyTariff(*args)  # type: ignore[arg-type]


def test_bad_area_is_refused() -> None:
    with pytest.raises(ValueError, match="area"):
        DEMO.monthly_fen(D(0))
