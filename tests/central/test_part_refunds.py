"""Part refunds (部分退款) through WeChat Pay over real HTTP: a QR payment that
paid a water bill and left credit on the account gives part of that credit
back to the wallet — once, within the credit, with the books holding and the
day's reconciliation agreeing."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from central import part_refunds
from central.books import ledger, verify
from central.cli import main
from central.db import order_refunds
from central.providersim.run import settings_toml
from central.providersim.wechat import CST
from central.reconcile import reconcile
from central.seed import seed_demo
from tests.central.wechat_rig import Rig, wechat_central
from tests.waiting import wait_until

CREDIT = "credit:water:33012345"  # the demo's water account owes ¥70.00


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with wechat_central(tmp_path) as made:
        seed_demo(made.central.app.state.engine, date(2026, 11, 24))
        yield made


def paid_water_bill(rig: Rig, fen: int = 10_000) -> str:
    """¥100 paid by WeChat for a ¥70 bill, uploaded by the kiosk: ¥30 of credit."""
    order = rig.order(fen)
    requests.post(order["qrUrl"], timeout=5)
    wait_until(lambda: rig.status(order["id"]) == "paid", timeout=10)
    data = {
        "service": "water",
        "account": "33012345",
        "method": "wechat",
        "amount": {"minor": fen, "currency": "CNY"},
        "details": {"order_id": order["id"]},
    }
    tx = {"id": str(uuid.uuid4()), "kind": "payment_completed",
          "payload": {"kind": "payment_completed", "session": "s", "at": "2026-12-01T02:00:00Z",
                      "data": data}}  # fmt: skip
    answer = rig.api.post("/transactions/batch", json={"transactions": [tx]}).json()
    assert answer["refused"] == []
    assert balance(rig, CREDIT) == fen - 7_000
    return str(order["id"])


def balance(rig: Rig, account: str) -> int:
    with rig.central.app.state.engine.connect() as conn:
        assert verify.problems(conn) == []
        return ledger.balance_of(conn, account)


def ask(rig: Rig, order_id: str, fen: int) -> part_refunds.PartRefund:
    with rig.central.app.state.engine.begin() as conn:
        return part_refunds.ask(conn, order_id, fen, "customer asked", "li.wei")


def test_part_of_the_credit_goes_back_to_the_wallet_once(rig: Rig) -> None:
    order_id = paid_water_bill(rig)
    engine, wechat = rig.central.app.state.engine, rig.central.app.state.providers["wechat"]
    asked = ask(rig, order_id, 2_000)
    assert balance(rig, CREDIT) == 1_000  # taken from the credit at once
    assert part_refunds.carry_out(engine, wechat, asked.refund_id) == "done"
    assert part_refunds.carry_out(engine, wechat, asked.refund_id) == "done"  # once
    sim_order = rig.wechat.sim.orders[order_id]
    assert sim_order.refunded == 2_000
    time.sleep(0.5)  # the simulator's refund notification, verified and found done already
    assert not rig.central.app.state.notify_refused
    assert balance(rig, "refunds_payable") == 0
    assert balance(rig, "clearing:wechat") == 10_000 - 2_000
    assert rig.status(order_id) == "paid"  # part refunded: still the bill's payment
    assert rig.events(order_id, "part_refunded") == 1
    found = reconcile(engine, wechat, datetime.now(CST).date())
    assert [d for d in found if d.order_id == order_id] == []  # the statement agrees


@pytest.mark.parametrize(
    ("fen", "why"),
    [(1_001, "has 1000 fen of credit"), (0, "positive"), (9_000, "given back already")],
)
def test_a_part_refund_beyond_what_is_left_is_refused(rig: Rig, fen: int, why: str) -> None:
    order_id = paid_water_bill(rig)
    ask(rig, order_id, 2_000)
    with pytest.raises(part_refunds.Refused, match=why):
        ask(rig, order_id, fen)


def test_an_order_that_paid_no_bill_is_refunded_whole_instead(rig: Rig) -> None:
    order = rig.order(5_000)
    with pytest.raises(part_refunds.Refused, match="paid no bill"):
        ask(rig, order["id"], 1_000)
    with pytest.raises(part_refunds.Refused, match="no order"):
        ask(rig, "OD-NONE", 1_000)


def test_a_processing_refund_is_followed_by_its_query(rig: Rig) -> None:
    order_id = paid_water_bill(rig)
    rig.wechat.sim.faults.refund_processing = True
    rig.central.app.state.order_worker_paused = True  # this test is the worker
    engine, wechat = rig.central.app.state.engine, rig.central.app.state.providers["wechat"]
    asked = ask(rig, order_id, 1_500)
    assert part_refunds.carry_out(engine, wechat, asked.refund_id) == "processing"
    assert balance(rig, "refunds_payable") == 1_500  # owed to the customer meanwhile
    assert part_refunds.work_once(engine, {"wechat": wechat}) == 1  # asks: still processing
    assert part_refunds.work_once(engine, {"wechat": wechat}) == 1  # asks again: done
    assert part_refunds.work_once(engine, {"wechat": wechat}) == 0
    with engine.connect() as conn:
        status = conn.scalar(select(order_refunds.c.status))
    assert status == "done"
    assert balance(rig, "refunds_payable") == 0


def test_the_refund_command(rig: Rig, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    order_id = paid_water_bill(rig)
    settings = tmp_path / "central.toml"
    settings.write_text(settings_toml(rig.wechat.settings, sandbox=False), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'central.db'}"
    common = ["--settings", str(settings), "--db", db]
    assert main(["refund", order_id, "--amount", "500", *common]) == 2  # who asks?
    assert main(["refund", order_id, "--amount", "500", "--by", "li.wei", *common]) == 0
    assert capsys.readouterr().out == f"RP{order_id}01: 500 fen of {order_id}, done\n"
    assert main(["refund", order_id, "--amount", "5000", "--by", "li.wei", *common]) == 1
    assert "credit" in capsys.readouterr().err
    assert balance(rig, CREDIT) == 2_500
