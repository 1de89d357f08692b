"""Parking fees against numbers worked by hand: 15 min free, ¥2 per started
30 min, ¥40 a day at most."""

from datetime import timedelta

import pytest

from config.fees.parking import ParkingTariff

DEMO = ParkingTariff(free_minutes=15, period_minutes=30, rate_fen=200, daily_cap_fen=4000)
DEDUCT = ParkingTariff(15, 30, 200, 4000, deduct_free_minutes=True)
NO_CAP = ParkingTariff(15, 30, 200, None)


@pytest.mark.parametrize(
    ("tariff", "stay", "fen"),
    [
        (DEMO, timedelta(0), 0),
        (DEMO, timedelta(minutes=15), 0),
        (DEMO, timedelta(minutes=15, seconds=1), 200),  # 16 started minutes, whole stay charged
        (DEMO, timedelta(minutes=30), 200),
        (DEMO, timedelta(minutes=31), 400),
        (DEMO, timedelta(hours=2), 800),
        (DEMO, timedelta(hours=10), 4000),  # 20 periods: exactly the cap
        (DEMO, timedelta(hours=12), 4000),  # 24 periods = ¥48, capped at ¥40
        (DEMO, timedelta(hours=24), 4000),
        (DEMO, timedelta(hours=25), 4400),  # a full day ¥40 + 1 h (2 periods) ¥4
        (DEMO, timedelta(days=3, minutes=10), 12200),  # 3 × ¥40 + one period
        (DEMO, timedelta(days=2, hours=23), 12000),  # third day capped too
        (DEDUCT, timedelta(minutes=45), 200),  # 30 charged minutes
        (DEDUCT, timedelta(minutes=46), 400),
        (NO_CAP, timedelta(hours=25), 10000),  # 50 periods
    ],
)
def test_parking_fee(tariff: ParkingTariff, stay: timedelta, fen: int) -> None:
    assert tariff.fee(stay).fen == fen


def test_fee_reports_its_working() -> None:
    fee = DEMO.fee(timedelta(hours=25))
    assert (fee.minutes, fee.charged_minutes, fee.full_days, fee.periods) == (1500, 1500, 1, 50)


def test_exit_before_entry_is_refused() -> None:
    with pytest.raises(ValueError, match="before entry"):
        DEMO.fee(timedelta(minutes=-1))


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"free_minutes": -1}, "free_minutes"),
        ({"period_minutes": 0}, "period_minutes"),
        ({"period_minutes": 1441}, "period_minutes"),
        ({"rate_fen": 0}, "rate_fen"),
        ({"daily_cap_fen": 0}, "daily_cap_fen"),
    ],
)
def test_bad_tables_are_refused(kwargs: dict[str, int], reason: str) -> None:
    base = {"free_minutes": 15, "period_minutes": 30, "rate_fen": 200, "daily_cap_fen": 4000}
    with pytest.raises(ValueError, match=reason):
        ParkingTariff(**(base | kwargs))  # type: ignore[arg-type]
