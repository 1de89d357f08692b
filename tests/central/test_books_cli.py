"""``kiosk-central books …`` on the books kiosks built through the API, on
SQLite and on PostgreSQL: the trial balance, a statement, a kiosk's day,
revenue per tier, a collection counted short and one counted over, and
``verify`` finding a tampered entry and a tampered bill line."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import text

from central.cli import main
from central.seed import seed_demo
from central.serve import Central, running
from tests.central.conftest import Api

DAY = "2026-11-24"
OWED = 13988 + 10760 + 5880  # the demo's electricity account; a ¥5 coupon


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return (
        f"sqlite:///{tmp_path / 'central.db'}"
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )


@pytest.fixture
def central(db: str) -> Iterator[Central]:
    with running(db) as server:
        seed_demo(server.app.state.engine, date(2026, 11, 24))
        yield server


def upload(api: Api, kind: str, data: dict[str, Any], at: str = f"{DAY}T02:00:00Z") -> str:
    tx = {"id": str(uuid.uuid4()), "kind": kind,
          "payload": {"kind": kind, "session": "s", "at": at, "data": data}}  # fmt: skip
    answer = api.post("/transactions/batch", json={"transactions": [tx]})
    assert answer.status_code == 200 and answer.json()["refused"] == [], answer.text
    return str(tx["id"])


def fen(minor: int) -> dict[str, Any]:
    return {"minor": minor, "currency": "CNY"}


def a_day(api: Api) -> list[str]:
    """K-1's day: the electricity bill in cash with ¥3.72 change kept as credit, a
    water bill by WeChat, a late note on a voucher, a gas purchase in two tiers;
    two collections. The collections' ids."""
    upload(api, "payment_completed", {
        "service": "electricity", "account": "3301234567", "method": "cash",
        "amount": fen(OWED - 500), "tendered": fen(OWED - 500 + 372), "excess": fen(372),
        "excess_to": "account_credit", "details": {}})  # fmt: skip
    order = api.post("/payments/create", json={"userId": "u1", "amount": 7000,
                                                "paymentMethod": "wechat"}).json()  # fmt: skip
    requests.post(order["qrUrl"], data={"pay": "1"}, timeout=5).raise_for_status()
    upload(api, "payment_completed", {
        "service": "water", "account": "33012345", "method": "wechat", "amount": fen(7000),
        "details": {"order_id": order["id"]}})  # fmt: skip
    upload(api, "credit_settled", {"service": None, "account": None, "amount": fen(1000),
                                   "to": "voucher", "reason": "late_note"})  # fmt: skip
    first = upload(api, "cash_collected", {"total": fen(OWED - 500 + 372 + 1000)},
                   at=f"{DAY}T05:00:00Z")  # fmt: skip
    upload(api, "payment_completed", {
        "service": "gas", "account": "330123456", "method": "cash", "amount": fen(10000),
        "details": {"units": "37.06", "tiers": [
            {"tier": 1, "units": "10.00", "price": "2.61", "fen": 2610},
            {"tier": 2, "units": "27.06", "price": "2.83", "fen": 7390}]}},
        at=f"{DAY}T06:00:00Z")  # fmt: skip
    second = upload(api, "cash_collected", {"total": fen(10000)}, at=f"{DAY}T09:00:00Z")
    return [first, second]


def books(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> tuple[int, str]:
    code = main(["books", *args, "--db", db])
    return code, capsys.readouterr().out


def test_the_reports_of_a_day(
    central: Central, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    a_day(Api(central, "K-1"))
    code, out = books(capsys, db, "trial-balance", "--date", DAY)
    assert code == 0 and out.rstrip().endswith("balanced")
    assert "vouchers" in out and "in_transit:K-1" in out
    code, out = books(capsys, db, "trial-balance")  # the order was paid today, not on DAY
    held = next(line for line in out.splitlines() if line.startswith("unapplied:wechat"))
    assert "clearing:wechat" in out and held.split()[-1] == "0.00"  # paid and applied
    code, out = books(capsys, db, "statement", "--service", "electricity",
                      "--account", "3301234567")  # fmt: skip
    assert code == 0 and "payment_completed" in out
    assert out.rstrip().endswith("owes 0.00, credit 3.72")
    code, out = books(capsys, db, "kiosk-day", "--kiosk", "K-1", "--date", DAY)
    day = dict(line.rsplit(None, 1) for line in out.splitlines()[1:-1])
    assert day["cash in"] == f"{(OWED - 500 + 372 + 1000 + 10000) / 100:,.2f}"
    assert day["QR wechat"] == "70.00" and day["credit vouchers printed"] == "10.00"
    assert day["kept as customers' credit"] == "3.72"
    assert day["drawer at the end of the day"] == "0.00"
    code, out = books(capsys, db, "revenue", "--from", DAY, "--to", DAY)
    rows = {tuple(line.split()[:2]): line.split()[-1] for line in out.splitlines()[2:]}
    assert rows[("gas", "1")] == "26.10" and rows[("gas", "2")] == "73.90"
    assert rows[("electricity", "coupons")] == "-5.00"


def test_a_collection_counted_short_and_one_counted_over(
    central: Central, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = a_day(Api(central, "K-1"))
    collected = OWED - 500 + 372 + 1000
    code, out = books(capsys, db, "count", "--kiosk", "K-1", "--collection", first[:8],
                      "--counted", str(collected - 1000))  # fmt: skip
    assert code == 0 and "over/short -10.00" in out
    code, _ = books(capsys, db, "count", "--kiosk", "K-1", "--collection", second,
                    "--counted", "10500")  # fmt: skip
    assert code == 0
    code, out = books(capsys, db, "collections", "--kiosk", "K-1")
    table = {line.split()[0]: line.split()[3:] for line in out.splitlines()[2:]}
    shown = f"{collected / 100:,.2f}"
    assert table[first] == [shown, shown, f"{(collected - 1000) / 100:,.2f}", "-10.00"]
    assert table[second] == ["100.00", "100.00", "105.00", "5.00"]
    code = main(["books", "count", "--kiosk", "K-1", "--collection", first, "--counted", "1",
                 "--db", db])  # fmt: skip
    assert code == 1 and "counted before" in capsys.readouterr().err  # counted once
    code, out = books(capsys, db, "trial-balance")
    assert "over_short" in out and out.rstrip().endswith("balanced")
    over_short = next(line for line in out.splitlines() if line.startswith("over_short"))
    assert over_short.split()[-1] == "5.00"  # short 10.00, over 5.00: credits less debits
    assert books(capsys, db, "verify")[0] == 0


@pytest.mark.parametrize(
    ("tamper", "names"),
    [
        ("UPDATE entries SET credit_fen = credit_fen + 1 WHERE id = "
         "(SELECT MAX(id) FROM entries WHERE credit_fen > 0)", "does not balance"),
        ("UPDATE bill_lines SET outstanding_fen = outstanding_fen + 100 WHERE id = "
         "(SELECT MIN(id) FROM bill_lines)", "its receivable is"),
        ("DELETE FROM entries WHERE posting IN (SELECT id FROM postings WHERE kind = "
         "'credit_settled')", "was never posted"),
    ],
)  # fmt: skip
def test_verify_finds_a_tampered_book(
    central: Central, db: str, capsys: pytest.CaptureFixture[str], tamper: str, names: str
) -> None:
    a_day(Api(central, "K-1"))
    assert books(capsys, db, "verify") == (0, "books verify: ok\n")
    with central.app.state.engine.begin() as conn:
        if "DELETE" in tamper:
            conn.execute(text(tamper))
            conn.execute(text("DELETE FROM postings WHERE kind = 'credit_settled'"))
        else:
            conn.execute(text(tamper))
    code, out = books(capsys, db, "verify")
    assert code == 1 and names in out and "DIFFERENCE" in out
