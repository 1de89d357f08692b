"""The acquirer stand-in's messages: an approval whose answer is lost, a slow
acquirer that the kiosk's reversal overtakes, and the operator's void — each
idempotent, each in the books."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import update

from central import cli, refunds
from central.books import ledger, verify
from central.books.units import CST
from central.db import authorizations
from central.serve import Central
from tests.central.conftest import Api
from tests.central.test_authorize import APPROVE, request

LOST, SLOW = "6222020003000004", "6222020004000003"


def held(central: Central) -> int:
    """What the acquirer holds for card payments no kiosk applied."""
    with central.app.state.engine.connect() as conn:
        assert verify.problems(conn) == []
        return ledger.balance_of(conn, "unapplied:acquirer")


def test_an_approval_whose_answer_is_lost_is_reversed(central: Central) -> None:
    api = Api(central, "K-1")
    lost = api.post("/cards/authorize", json=request("PAY-L", LOST))
    assert lost.status_code == 504  # the kiosk hears nothing ...
    assert api.get("/cards/PAY-L").json()["status"] == "approved"  # ... but it was approved
    assert held(central) == 16640
    reversed_ = api.post("/cards/PAY-L/reverse", json={"reason": "no_answer"}).json()
    assert reversed_ == {"reference": "PAY-L", "status": "reversed", "amount": 16640}
    assert api.post("/cards/PAY-L/reverse", json={"reason": "no_answer"}).json() == reversed_
    assert held(central) == 0


def test_a_slow_acquirer_overtaken_by_the_reversal_declines(central: Central) -> None:
    central.app.state.acquirer_stall_s = 0.0  # the reversal is recorded first, below
    api = Api(central, "K-1")
    assert api.post("/cards/PAY-S/reverse", json={"reason": "no_answer"}).status_code == 200
    late = api.post("/cards/authorize", json=request("PAY-S", SLOW)).json()
    assert late["approved"] is False and late["reason"] == "reversed before authorization"
    assert held(central) == 0


def approved(api: Api, reference: str) -> str:
    answer = api.post("/cards/authorize", json=request(reference, APPROVE)).json()
    assert answer["approved"] is True
    return str(answer["auth_code"])


def test_an_operator_voids_an_approval_once_with_its_code(central: Central) -> None:
    api = Api(central, "K-1")
    code = approved(api, "PAY-V")
    with central.app.state.engine.begin() as conn:
        with pytest.raises(refunds.NothingToRefund, match="authorization code"):
            refunds.void_card(conn, "PAY-V", "000000" if code != "000000" else "111111", "x")
        first = refunds.void_card(conn, "PAY-V", code, "customer called")
        again = refunds.void_card(conn, "PAY-V", code, "customer called")
    assert first == again == refunds.Refund("PAY-V", "voided", 16640)
    assert api.get("/cards/PAY-V").json()["status"] == "voided"
    # the kiosk's own reversal, arriving after: nothing more goes back
    assert api.post("/cards/PAY-V/reverse").json()["status"] == "reversed"
    assert held(central) == 0


def test_a_void_after_the_day_or_of_a_paid_bill_is_refused(central: Central) -> None:
    api = Api(central, "K-1")
    code = approved(api, "PAY-D")
    tomorrow = central_today() + timedelta(days=1)
    with central.app.state.engine.begin() as conn:
        with pytest.raises(refunds.NothingToRefund, match="batch has closed"):
            refunds.void_card(conn, "PAY-D", code, "late", today=tomorrow)
        conn.execute(
            update(authorizations)
            .where(authorizations.c.reference == "PAY-D")
            .values(settled_by="T-1")
        )
        with pytest.raises(refunds.NothingToRefund, match="paid a bill"):
            refunds.void_card(conn, "PAY-D", code, "paid")
    with central.app.state.engine.begin() as conn, pytest.raises(refunds.UnknownReference):
        refunds.void_card(conn, "PAY-NONE", code, "x")


def central_today() -> date:
    return datetime.now(CST).date()


def test_the_void_command(central: Central, capsys: pytest.CaptureFixture[str]) -> None:
    api = Api(central, "K-1")
    code = approved(api, "PAY-C")
    db = str(central.app.state.engine.url)
    assert cli.main(["void", "PAY-C", "--db", db]) == 2  # no code: usage
    assert cli.main(["void", "PAY-C", "--auth-code", "x", "--db", db]) == 1
    assert "does not match" in capsys.readouterr().err
    assert cli.main(["void", "PAY-C", "--auth-code", code, "--db", db]) == 0
    assert capsys.readouterr().out == "PAY-C: voided (16640 fen)\n"
    assert held(central) == 0
