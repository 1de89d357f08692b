"""A prepaid purchase a kiosk could not write to the account card waits at the
server, is offered with the account's bill at the card's next visit, and is
gone once a kiosk reports it written; over the real upload and bill APIs."""

from __future__ import annotations

from pathlib import Path

import requests

from central.books import customers
from central.serve import running

ACCOUNT = "3301234568"
PURCHASE = "6f1d3c56-0000-4000-8000-000000000001"


def _purchase(minor: int = 10000, units: str = "175.17") -> dict[str, object]:
    return {
        "id": PURCHASE, "kind": "payment_completed",
        "payload": _record("payment_completed", {
            "service": "electricity", "account": ACCOUNT, "method": "cash",
            "amount": {"minor": minor, "currency": "CNY"},
            "tendered": {"minor": minor, "currency": "CNY"},
            "excess": {"minor": 0, "currency": "CNY"}, "excess_to": None,
            "details": {"units": units}}),
    }  # fmt: skip


def _event(id_: str, kind: str, **extra: object) -> dict[str, object]:
    data = {"transaction": PURCHASE, "service": "electricity", "account": ACCOUNT, **extra}
    return {"id": id_, "kind": kind, "payload": _record(kind, data)}


def _record(kind: str, data: dict[str, object]) -> dict[str, object]:
    """As a kiosk uploads it: its journal record."""
    return {"kind": kind, "session": "s", "at": "2026-11-25T10:00:00+00:00", "data": data}


def test_a_purchase_not_on_the_card_is_offered_until_written(tmp_path: Path) -> None:
    with running(tmp_path / "c.db") as central:
        with central.app.state.engine.begin() as conn:
            customers.add_account(conn, "electricity", ACCOUNT, "陈*", prepaid=True)
        headers = {"Authorization": f"Bearer {central.enroll()}"}
        api = f"{central.url}/api/v1"

        def upload(*items: dict[str, object]) -> None:
            answer = requests.post(f"{api}/transactions/batch", headers=headers, timeout=5,
                                   json={"transactions": list(items)})  # fmt: skip
            assert answer.status_code == 200, answer.text

        def offered() -> list[dict[str, object]]:
            bill = requests.get(f"{api}/bills/electricity/{ACCOUNT}", headers=headers, timeout=5)
            return list(bill.json()["card_reissues"])

        assert offered() == []
        upload(_purchase())
        assert offered() == []  # written to the card, as far as the server knows
        upload(_event("f-1", "card_load_failed", reason="the card was removed"))
        expected = {"transaction": PURCHASE, "units": "175.17",
                    "amount": {"minor": 10000, "currency": "CNY"}}  # fmt: skip
        assert offered() == [expected]
        upload(_event("f-2", "card_load_failed", reason="interrupted"))  # recovery says it too
        assert offered() == [expected]  # once
        upload(_event("r-1", "card_reissued", sequence=2))
        assert offered() == []


def test_a_failure_for_a_purchase_the_server_never_got_offers_nothing(tmp_path: Path) -> None:
    with running(tmp_path / "c.db") as central:
        with central.app.state.engine.begin() as conn:
            customers.add_account(conn, "electricity", ACCOUNT, "陈*", prepaid=True)
        headers = {"Authorization": f"Bearer {central.enroll()}"}
        api = f"{central.url}/api/v1"
        batch = {"transactions": [_event("f-1", "card_load_failed", reason="x")]}
        requests.post(f"{api}/transactions/batch", json=batch, headers=headers, timeout=5)
        bill = requests.get(f"{api}/bills/electricity/{ACCOUNT}", headers=headers, timeout=5)
        assert bill.json()["card_reissues"] == []
