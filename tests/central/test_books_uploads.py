"""The books as kiosks upload, through the server's own API: the seeded bills
are receivable, a part payment reduces what is owed (nothing parked), a
prepaid purchase never touches a money balance, a replay posts nothing, and a
record the books cannot take is kept and refused by name."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from central.books import ledger
from central.db import postings
from central.seed import seed_demo
from central.serve import Central
from tests.central.conftest import Api

OWED = 13988 + 10760 + 5880  # the demo's electricity account: arrears and the current bill


@pytest.fixture
def api(central: Central) -> Api:
    seed_demo(central.app.state.engine, date(2026, 11, 24))
    return Api(central, "K-1")


def upload(api: Api, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    tx = {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "payload": {"kind": kind, "session": "s", "at": "2026-11-24T10:00:00Z", "data": data},
    }
    answer = api.post("/transactions/batch", json={"transactions": [tx, tx]})  # fmt: skip
    assert answer.status_code == 200
    return {"id": tx["id"], **answer.json()}


def balance(central: Central, account: str) -> int:
    with central.app.state.engine.connect() as conn:
        return ledger.balance_of(conn, account)


def cash(service: str, account: str, fen: int, **more: Any) -> dict[str, Any]:
    return {"service": service, "account": account, "method": "cash",
            "amount": {"minor": fen, "currency": "CNY"}, **more}  # fmt: skip


def test_a_part_payment_reduces_what_is_owed(api: Api, central: Central) -> None:
    receivable = "receivable:electricity:3301234567"
    assert balance(central, receivable) == OWED  # issued when seeded
    upload(api, "payment_completed", cash("electricity", "3301234567", 5000))
    assert balance(central, receivable) == OWED - 5000
    assert balance(central, "credit:electricity:3301234567") == 0  # nothing parked
    assert balance(central, "drawer:K-1") == 5000


def test_a_prepaid_purchase_is_revenue_and_leaves_the_money_balance_alone(
    api: Api, central: Central
) -> None:
    credit = "credit:electricity:3301234568"
    before = balance(central, credit)  # the seeded prepayment, carried in
    revenue = balance(central, "revenue:electricity")
    for _ in range(2):
        upload(api, "payment_completed",
               cash("electricity", "3301234568", 10000, details={"units": "185.18"}))  # fmt: skip
    assert balance(central, credit) == before
    assert balance(central, "revenue:electricity") == revenue + 20000


def test_a_replay_posts_nothing_and_the_trial_balance_is_zero(api: Api, central: Central) -> None:
    answer = upload(api, "payment_completed", cash("water", "33012345", 1000))
    again = api.post("/transactions/batch", json={"transactions": [
        {"id": answer["id"], "kind": "payment_completed", "payload": {"data": {}}}]})  # fmt: skip
    assert again.json()["duplicates"] == [answer["id"]]
    with central.app.state.engine.connect() as conn:
        found = ledger.balances(conn)
    assert sum(b.debits for b in found) == sum(b.credits for b in found)
    assert balance(central, "drawer:K-1") == 1000


def test_a_record_the_books_cannot_take_is_kept_and_refused_by_name(
    api: Api, central: Central
) -> None:
    answer = upload(api, "payment_completed", cash("water", "33012345", 1000) | {"method": "gold"})
    assert answer["stored"] == [answer["id"]]  # kept: the kiosk's record is never lost
    [refusal] = answer["refused"]
    assert refusal["id"] == answer["id"] and "not a payment method: 'gold'" in refusal["reason"]
    with central.app.state.engine.connect() as conn:
        row = conn.execute(select(postings).where(postings.c.id == answer["id"])).one()
    assert row.kind == "refused" and "gold" in row.note
