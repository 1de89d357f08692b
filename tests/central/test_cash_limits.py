"""Cash the server cannot check is believed only within the kiosk's limits: a
claim beyond them is refused by name, kept, counted against the kiosk and
flagged, and posted once a person releases it."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from central import review
from central.books import ledger, limits, verify
from central.cli import main
from central.db import releases
from central.seed import seed_demo
from central.serve import Central
from tests.central.conftest import Api
from tests.central.test_books_uploads import OWED, cash, upload

RECEIVABLE = "receivable:electricity:3301234567"


@pytest.fixture
def api(central: Central) -> Api:
    seed_demo(central.app.state.engine, date(2026, 11, 24))
    return Api(central, "K-1")


def set_limits(central: Central, cash_payment: int, drawer: int) -> None:
    with central.app.state.engine.begin() as conn:
        limits.set_limits(conn, "K-1", limits.Limits(cash_payment, drawer), "ops")


def balance(central: Central, account: str) -> int:
    with central.app.state.engine.connect() as conn:
        assert verify.problems(conn) == []
        return ledger.balance_of(conn, account)


def flagged(central: Central) -> list[limits.Flag]:
    with central.app.state.engine.connect() as conn:
        return limits.flagged(conn)


def test_a_cash_payment_over_the_kiosks_limit_is_refused_and_flagged(
    api: Api, central: Central
) -> None:
    set_limits(central, cash_payment=20_000, drawer=1_000_000)
    answer = upload(api, "payment_completed", cash("electricity", "3301234567", 20_001))
    [refused] = answer["refused"]
    assert refused["id"] == answer["id"]
    assert "cash: 20001 fen in one record, over the kiosk's limit of 20000 fen" in refused["reason"]
    assert balance(central, RECEIVABLE) == OWED  # the bill still owes it
    assert balance(central, "drawer:K-1") == 0
    assert flagged(central) == [limits.Flag("K-1", refused=1, short=0)]


def test_the_drawer_limit_counts_cash_since_the_last_collection(api: Api, central: Central) -> None:
    set_limits(central, cash_payment=10_000, drawer=10_000)
    assert upload(api, "payment_completed", cash("water", "33012345", 6_000))["refused"] == []
    second = upload(api, "credit_settled", cash("water", "33012345", 6_000, to="voucher"))
    [refused] = second["refused"]
    assert "the drawer would hold 12000 fen since its last collection" in refused["reason"]
    collected = {"total": {"minor": 6_000, "currency": "CNY"}, "notes": [], "role": "collector"}
    assert upload(api, "cash_collected", collected)["refused"] == []
    third = upload(api, "credit_settled", cash("water", "33012345", 6_000, to="voucher"))
    assert third["refused"] == []  # an emptied drawer
    assert balance(central, "drawer:K-1") == 6_000


def test_a_person_releases_a_refused_claim_and_it_is_posted_once(
    api: Api, central: Central, capsys: pytest.CaptureFixture[str]
) -> None:
    set_limits(central, cash_payment=20_000, drawer=1_000_000)
    answer = upload(api, "payment_completed", cash("electricity", "3301234567", 25_000))
    db = str(central.app.state.engine.url)
    assert main(["review", "--db", db, "flagged"]) == 0
    shown = capsys.readouterr().out
    assert "K-1\t1 refused\t0 fen short" in shown and "over the kiosk's limit" in shown
    tx = answer["id"]
    assert main(["review", "--db", db, "release", tx, "--by", "li.wei",
                 "--reason", "cashbox counted: the notes are there"]) == 0  # fmt: skip
    assert capsys.readouterr().out == f"{tx}: released by li.wei and posted\n"
    assert balance(central, RECEIVABLE) == OWED - 25_000
    assert balance(central, "drawer:K-1") == 25_000
    assert flagged(central) == []
    assert main(["review", "--db", db, "release", tx, "--by", "li.wei", "--reason", "x"]) == 1
    assert "no refused upload" in capsys.readouterr().out
    with central.app.state.engine.connect() as conn:
        [row] = conn.execute(select(releases)).all()
    assert (row.released_by, row.refused[:14]) == ("li.wei", "payment_comple")


def test_a_release_refused_again_for_another_reason_changes_nothing(
    api: Api, central: Central
) -> None:
    forged = {"service": "electricity", "account": "3301234567", "method": "wechat",
              "amount": {"minor": 30128, "currency": "CNY"},
              "details": {"order_id": "OD-NEVER-MADE"}}  # fmt: skip
    answer = upload(api, "payment_completed", forged)
    assert "not one this server has" in answer["refused"][0]["reason"]
    with central.app.state.engine.begin() as conn:
        out = io.StringIO()
        args = review.parser("x").parse_args(
            ["release", answer["id"], "--by", "li.wei", "--reason", "try"]
        )
        assert review.run(args, conn, central.app.state.sms, out) == 1
    assert "not released" in out.getvalue() and "not one this server has" in out.getvalue()
    with central.app.state.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(releases)) == 0
    assert balance(central, RECEIVABLE) == OWED
    assert flagged(central) == [limits.Flag("K-1", refused=1, short=0)]


def test_limits_are_shown_and_set_by_name(
    central: Central, capsys: pytest.CaptureFixture[str]
) -> None:
    Api(central, "K-1")  # enrolled
    db = str(central.app.state.engine.url)
    assert main(["review", "--db", db, "limits", "K-1"]) == 0
    assert capsys.readouterr().out == "K-1: cash per payment 2000000 fen, drawer 20000000 fen\n"
    assert main(["review", "--db", db, "limits", "K-1", "--drawer", "500000"]) == 2  # who?
    assert main(["review", "--db", db, "limits", "K-1", "--drawer", "500000", "--by", "ops"]) == 0
    assert capsys.readouterr().out.endswith("cash per payment 2000000 fen, drawer 500000 fen\n")
    assert main(["review", "--db", db, "limits", "K-404", "--drawer", "5", "--by", "ops"]) == 1
    assert main(["review", "--db", db, "limits", "K-1", "--drawer", "0", "--by", "ops"]) == 1
