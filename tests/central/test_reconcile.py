"""Daily reconciliation with WeChat Pay over real HTTP: the day's trade bill
downloaded from the simulator and compared with the server's orders, each
kind of difference planted: a missed notification (fixed: marked paid), a
payment the server never made an order for, an order paid here but not
there, an amount that differs, a refund whose notification was lost and one
recorded here only — and the command's report and exit status."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import requests
from sqlalchemy import update

from central import order_work
from central.cli import main
from central.db import orders
from central.providersim.run import settings_toml
from central.providersim.wechat import CST, planted_row
from central.reconcile import reconcile
from tests.central.wechat_rig import Rig, wechat_central
from tests.waiting import wait_until


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with wechat_central(tmp_path) as made:
        yield made


def a_day_with_differences(rig: Rig) -> dict[str, str]:
    today = datetime.now(CST).date()
    sim = rig.wechat.sim
    fine = rig.order(1000)
    requests.post(fine["qrUrl"], timeout=5)
    wait_until(lambda: rig.status(fine["id"]) == "paid", timeout=10)
    sim.faults.lost = True
    missed = rig.order(2000)
    sim.pay(missed["id"])  # the notification never comes, and nobody polls
    only_here = rig.order(3000)
    order_work.paid(rig.central.app.state.engine, "wechat", only_here["id"], 3000, "T-HERE")
    other_amount = rig.order(4000)
    sim.planted.append(planted_row(other_amount["id"], 4500, "4200A", today))
    sim.planted.append(planted_row("ODNEVERMADE", 5000, "4200B", today))
    return {"fine": fine["id"], "missed": missed["id"], "not_there": only_here["id"],
            "amount": other_amount["id"], "unknown": "ODNEVERMADE"}  # fmt: skip


def test_every_kind_of_difference_is_found_and_the_safe_one_fixed(rig: Rig) -> None:
    planted = a_day_with_differences(rig)
    found = reconcile(rig.central.app.state.engine, rig.central.app.state.providers["wechat"],
                      datetime.now(CST).date())  # fmt: skip
    by_kind = {d.kind: d for d in found}
    assert set(by_kind) == {"missed", "not_there", "amount", "unknown"}
    assert {k: d.order_id for k, d in by_kind.items()} == {
        k: v for k, v in planted.items() if k != "fine"
    }
    assert by_kind["missed"].action == "fixed: marked paid"
    assert rig.status(planted["missed"]) == "paid" and rig.events(planted["missed"], "reconciled")
    assert all(by_kind[k].needs_a_person for k in ("not_there", "amount", "unknown"))
    assert rig.status(planted["amount"]) == "created"  # a different amount is never believed
    again = reconcile(rig.central.app.state.engine, rig.central.app.state.providers["wechat"],
                      datetime.now(CST).date())  # fmt: skip
    assert "missed" not in {d.kind for d in again}  # fixed once


def test_the_command_writes_the_report_and_exits_1_while_a_person_is_needed(
    rig: Rig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planted = a_day_with_differences(rig)
    settings = tmp_path / "central.toml"
    settings.write_text(settings_toml(rig.wechat.settings, sandbox=False), encoding="utf-8")
    day = datetime.now(CST).date().isoformat()
    code = main(["reconcile", "--provider", "wechat", "--date", day, "--settings",
                 str(settings), "--db", f"sqlite:///{tmp_path / 'central.db'}",
                 "--out", str(tmp_path / "out")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert "missed: 1 (1 fixed, 0 need a person)" in out and "unknown: 1 (0 fixed" in out
    with (tmp_path / "out" / f"wechat-{day}.csv").open(encoding="utf-8") as report:
        rows = list(csv.DictReader(report))
    assert {r["order"] for r in rows} == {v for k, v in planted.items() if k != "fine"}


def refunding(rig: Rig, fen: int) -> str:
    """A paid order the server is refunding (a late payment)."""
    order = rig.order(fen)
    requests.post(order["qrUrl"], timeout=5)
    wait_until(lambda: rig.status(order["id"]) == "paid", timeout=10)
    with rig.central.app.state.engine.begin() as conn:
        conn.execute(update(orders).where(orders.c.id == order["id"]).values(status="refunding"))
    return str(order["id"])


def test_both_refund_kinds_are_found_and_the_safe_one_fixed(rig: Rig) -> None:
    engine, wechat = rig.central.app.state.engine, rig.central.app.state.providers["wechat"]
    rig.central.app.state.order_worker_paused = True  # it would find the lost refund itself
    # refunded at the provider, its notification lost: still "refunding" here
    lost = refunding(rig, 1100)
    rig.wechat.sim.faults.lost = True
    assert wechat.refund(lost, f"RF{lost}", 1100, 1100, "late payment").status == "done"
    assert rig.status(lost) == "refunding"
    # marked refunded here, never refunded at the provider
    here_only = refunding(rig, 1200)
    assert order_work.mark_refunded(engine, here_only, "by mistake")
    found = reconcile(engine, wechat, datetime.now(CST).date())
    by_kind = {d.kind: d for d in found}
    assert set(by_kind) == {"refund_missed", "refund"}
    assert (by_kind["refund_missed"].order_id, by_kind["refund_missed"].action) == (
        lost,
        "fixed: marked refunded",
    )
    assert rig.status(lost) == "refunded" and rig.events(lost, "reconciled")
    assert by_kind["refund"].order_id == here_only and by_kind["refund"].needs_a_person
    assert (by_kind["refund"].provider_fen, by_kind["refund"].our_fen) == (None, 1200)
    again = {d.kind for d in reconcile(engine, wechat, datetime.now(CST).date())}
    assert again == {"refund"}  # fixed once; the other still waits for a person
