"""Bills read from the books, tried through the server's API as kiosks upload,
on SQLite and on PostgreSQL: part payments over several visits and kiosks,
the change kept as credit and set against the next bill, ten prepaid
purchases that climb the tiers, and a purchase on the card that never
raises the money balance."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from central.books import customers, ledger
from central.seed import seed_demo
from central.serve import Central, running
from config.fees.tiered import TieredTariff
from config.loader import load_settings
from tests.central.conftest import Api

POWER = ("electricity", "3301234567")  # arrears 139.88, current 107.60 + 58.80, coupon 5.00
OWED = 13988 + 10760 + 5880


@pytest.fixture(params=["sqlite", "postgresql"])
def central(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Central]:
    url = (
        f"sqlite:///{tmp_path / 'central.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    with running(url) as server:
        seed_demo(server.app.state.engine, date(2026, 11, 24))
        yield server


def pay(api: Api, service: str, account: str, fen: int, method: str = "cash",
        excess: int = 0, details: dict[str, Any] | None = None) -> None:  # fmt: skip
    data = {
        "service": service, "account": account, "method": method,
        "amount": {"minor": fen, "currency": "CNY"},
        "tendered": {"minor": fen + excess, "currency": "CNY"},
        "excess": {"minor": excess, "currency": "CNY"},
        "excess_to": "account_credit" if excess else None, "details": details or {},
    }  # fmt: skip
    tx = {
        "id": str(uuid.uuid4()), "kind": "payment_completed",
        "payload": {"kind": "payment_completed", "session": "s", "at": "2026-11-24T10:00:00Z",
                    "data": data},
    }  # fmt: skip
    answer = api.post("/transactions/batch", json={"transactions": [tx]})
    assert answer.status_code == 200 and answer.json()["refused"] == [], answer.text


def paid_order(api: Api, fen: int, method: str = "wechat") -> dict[str, Any]:
    """An order made by the kiosk and paid on the sandbox page: what its payment
    record names."""
    order = api.post("/payments/create", json={"userId": "u1", "amount": fen,
                                                "paymentMethod": method}).json()  # fmt: skip
    assert requests.post(order["qrUrl"], data={"pay": "1"}, timeout=5).status_code == 200
    return {"order_id": order["id"]}


def bill(api: Api, service: str, account: str) -> dict[str, Any]:
    answer = api.get(f"/bills/{service}/{account}")
    assert answer.status_code == 200
    return dict(answer.json())


def due(api: Api, service: str, account: str) -> int:
    return int(bill(api, service, account)["due"]["minor"])


def balance(central: Central, account: str) -> int:
    with central.app.state.engine.connect() as conn:
        return ledger.balance_of(conn, account)


def test_part_payments_over_several_visits_and_kiosks(central: Central) -> None:
    first, second = Api(central, "K-1"), Api(central, "K-2")
    assert due(first, *POWER) == OWED - 500  # the coupon applies when it is paid off
    pay(first, *POWER, 5000)
    assert due(second, *POWER) == OWED - 5000 - 500
    pay(second, *POWER, 12000, method="wechat", details=paid_order(second, 12000))
    answer = bill(first, *POWER)
    assert [x["amount"]["minor"] for x in answer["lines"]] == [10760 - 3012, 5880]
    assert answer["due"]["minor"] == OWED - 17000 - 500
    pay(first, *POWER, OWED - 17000 - 500)
    answer = bill(second, *POWER)
    assert answer["lines"] == [] and answer["coupons"] == [] and answer["due"]["minor"] == 0
    assert balance(central, "receivable:electricity:3301234567") == 0
    assert balance(central, "discounts:electricity") == 500
    assert balance(central, "drawer:K-1") == OWED - 12000 - 500
    assert balance(central, "clearing:wechat") == 12000


def test_the_change_kept_as_credit_is_applied_on_the_next_visit(central: Central) -> None:
    api = Api(central, "K-1")
    pay(api, *POWER, OWED - 500, excess=372)  # ¥310 for ¥301.28: ¥3.72 to the account
    answer = bill(api, *POWER)
    assert answer["due"]["minor"] == 0 and answer["prepaid_balance"]["minor"] == 372
    with central.app.state.engine.begin() as conn:  # next month's bill
        customers.add_line(conn, *POWER, 12000, "12月电费", "Electricity Dec")
    answer = bill(api, *POWER)
    assert answer["credit_applied"] == {"minor": 372, "currency": "CNY"}
    assert answer["due"]["minor"] == 12000 - 372
    assert answer["prepaid_balance"]["minor"] == 0  # what is left once this is paid
    pay(api, *POWER, 12000 - 372)
    assert bill(api, *POWER)["lines"] == []
    assert balance(central, "credit:electricity:3301234567") == 0
    assert balance(central, "receivable:electricity:3301234567") == 0


def test_ten_prepaid_purchases_climb_two_tiers_and_are_priced_tier_by_tier(
    central: Central,
) -> None:
    """Gas, annual tiers at 350 and 500 m³, 310 m³ used: ¥100 ten times, each
    priced by the kiosk from the usage the server answers."""
    api = Api(central, "K-1")
    tariff = load_settings().tariffs["gas"].build()
    assert isinstance(tariff, TieredTariff)
    credit = balance(central, "credit:gas:330123456")
    tiers_bought: list[set[int]] = []
    total = Decimal(0)
    for _ in range(10):
        usage = Decimal(bill(api, "gas", "330123456")["usage_this_period"])
        assert usage == Decimal(310) + total  # every purchase so far counted
        bought = tariff.units_for_amount(usage, 10000)
        tiers_bought.append({x.tier for x in bought.lines})
        total += bought.units
        pay(api, "gas", "330123456", 10000, details={"units": str(bought.units)})
    assert tiers_bought[0] == {1} and tiers_bought[-1] == {3}
    assert {1, 2} in tiers_bought and {2, 3} in tiers_bought  # both boundaries crossed
    assert Decimal(bill(api, "gas", "330123456")["usage_this_period"]) == 310 + total
    first_tier_only = 10 * tariff.units_for_amount(Decimal(0), 10000).units
    assert total < first_tier_only  # the tariff is no longer defeated
    assert balance(central, "credit:gas:330123456") == credit  # units, not money
    assert balance(central, "drawer:K-1") == 100000


def test_a_card_purchase_is_revenue_and_never_the_money_balance(central: Central) -> None:
    api = Api(central, "K-1")
    account = ("electricity", "3301234568")
    before = bill(api, *account)["prepaid_balance"]
    for _ in range(2):
        pay(api, *account, 10000, details={"units": "185.87"})
    assert bill(api, *account)["prepaid_balance"] == before == {"minor": 320, "currency": "CNY"}
    assert balance(central, "revenue:electricity") >= 20000
    used = Decimal(bill(api, *account)["usage_this_period"])
    assert used == Decimal("2700") + 2 * Decimal("185.87")


def test_credit_that_covers_the_bill_leaves_nothing_due_until_the_next_payment(
    central: Central,
) -> None:
    api = Api(central, "K-1")
    pay(api, *POWER, OWED - 500, excess=5000)  # ¥50 of change kept
    with central.app.state.engine.begin() as conn:
        customers.add_line(conn, *POWER, 3000, "12月电费", "Electricity Dec")
    answer = bill(api, *POWER)
    assert answer["due"]["minor"] == 0 and answer["credit_applied"]["minor"] == 3000
    assert answer["prepaid_balance"]["minor"] == 2000
    pay(api, *POWER, 1000)  # the next payment: the credit goes against the line first
    answer = bill(api, *POWER)
    assert answer["lines"] == [] and answer["prepaid_balance"]["minor"] == 2000 + 1000
    assert balance(central, "receivable:electricity:3301234567") == 0
