"""Refunds of late QR payments and reversals of late card approvals, on the real
server: by the direct call and by the uploaded journal record, each once."""

from __future__ import annotations

import uuid

import requests
from sqlalchemy import func, select

from central.db import refunds
from central.serve import Central
from tests.central.conftest import Api
from tests.central.test_authorize import APPROVE, DECLINE, request


def paid_order(central: Central, api: Api, fen: int = 16640) -> str:
    body = {"userId": "3301234567", "amount": fen, "paymentMethod": "alipay"}
    order = api.post("/payments/create", json=body).json()
    assert requests.post(order["qrUrl"], timeout=5).status_code == 200  # the phone pays
    return str(order["id"])


def refund_rows(central: Central) -> int:
    with central.app.state.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(refunds)))


def record(kind: str, data: dict[str, object]) -> dict[str, object]:
    """A kiosk's journal record as it uploads it."""
    tx = str(uuid.uuid4())
    payload = {"kind": kind, "session": None, "at": "2026-12-01T10:00:00+00:00", "data": data}
    return {"id": tx, "kind": kind, "payload": payload}


def test_a_paid_order_is_refunded_once_however_often_it_is_asked(central: Central) -> None:
    api = Api(central, "K-1")
    order = paid_order(central, api)
    first = api.post(f"/payments/{order}/refund", json={"reason": "late_payment"})
    assert first.status_code == 200
    assert first.json() == {"reference": order, "status": "refunded", "amount": 16640}
    assert api.post(f"/payments/{order}/refund").json() == first.json()  # idempotent
    batch = {"transactions": [record("qr_refund", {"order_id": order, "reason": "late"})]}
    assert api.post("/transactions/batch", json=batch).status_code == 200  # the outbox's road
    assert api.get(f"/payments/{order}").json()["status"] == "refunded"
    assert refund_rows(central) == 1
    page = requests.get(f"{central.url}/sandbox/pay/{order}", timeout=5)
    assert "refunded" in page.text  # the provider shows it
    assert requests.post(f"{central.url}/sandbox/pay/{order}", timeout=5).status_code == 409


def test_the_uploaded_record_alone_refunds_the_order(central: Central) -> None:
    """The direct call never got through: the durable outbox carries it."""
    api = Api(central, "K-1")
    order = paid_order(central, api)
    batch = {"transactions": [record("qr_refund", {"order_id": order, "reason": "late"})]}
    assert api.post("/transactions/batch", json=batch).json()["stored"]
    assert api.get(f"/payments/{order}").json()["status"] == "refunded"
    assert api.post(f"/payments/{order}/refund").json()["status"] == "refunded"
    assert refund_rows(central) == 1


def test_an_order_never_paid_has_nothing_to_refund(central: Central) -> None:
    api = Api(central, "K-1")
    body = {"userId": "3301234567", "amount": 500, "paymentMethod": "wechat"}
    order = api.post("/payments/create", json=body).json()["id"]
    answer = api.post(f"/payments/{order}/refund")
    assert answer.status_code == 409 and "not paid" in answer.json()["detail"]
    assert api.get(f"/payments/{order}").json()["status"] == "created"
    assert api.post("/payments/OD0000000000000000/refund").status_code == 404


def test_another_kiosk_cannot_refund_an_order(central: Central) -> None:
    order = paid_order(central, Api(central, "K-1"))
    other = Api(central, "K-2")
    assert other.post(f"/payments/{order}/refund").status_code == 404
    batch = {"transactions": [record("qr_refund", {"order_id": order, "reason": "late"})]}
    assert other.post("/transactions/batch", json=batch).status_code == 200  # stored, not done
    assert Api(central, "K-1").get(f"/payments/{order}").json()["status"] == "paid"
    assert refund_rows(central) == 0


def test_a_refund_request_without_credentials_or_with_a_hostile_reason_is_refused(
    central: Central,
) -> None:
    api = Api(central, "K-1")
    order = paid_order(central, api)
    assert requests.post(f"{api.base}/payments/{order}/refund", timeout=5).status_code == 401
    hostile = api.post(f"/payments/{order}/refund", json={"reason": "x'; DROP TABLE orders;--"})
    assert hostile.status_code == 422
    assert api.get(f"/payments/{order}").json()["status"] == "paid"


def test_a_late_card_approval_is_reversed_once(central: Central) -> None:
    api = Api(central, "K-1")
    assert api.post("/cards/authorize", json=request("PAY-1", APPROVE)).json()["approved"]
    assert api.get("/cards/PAY-1").json()["status"] == "approved"
    first = api.post("/cards/PAY-1/reverse", json={"reason": "late_approval"}).json()
    assert first == {"reference": "PAY-1", "status": "reversed", "amount": 16640}
    assert api.post("/cards/PAY-1/reverse").json() == first
    batch = {"transactions": [record("card_reversal", {"reference": "PAY-1", "reason": "late"})]}
    api.post("/transactions/batch", json=batch)
    assert api.get("/cards/PAY-1").json()["status"] == "reversed"
    assert refund_rows(central) == 1
    assert Api(central, "K-2").post("/cards/PAY-1/reverse").status_code == 404


def test_a_reversal_before_the_authorization_declines_it(central: Central) -> None:
    """The kiosk gave up while the acquirer was still deciding: the card is not charged."""
    api = Api(central, "K-1")
    assert api.post("/cards/PAY-7/reverse").json()["status"] == "reversed"
    late = api.post("/cards/authorize", json=request("PAY-7", APPROVE)).json()
    assert late["approved"] is False and late["reason"] == "reversed before authorization"
    assert api.get("/cards/PAY-7").json()["status"] == "reversed"


def test_a_declined_payment_has_nothing_to_reverse(central: Central) -> None:
    api = Api(central, "K-1")
    api.post("/cards/authorize", json=request("PAY-2", DECLINE))
    assert api.post("/cards/PAY-2/reverse").json() == {
        "reference": "PAY-2", "status": "declined", "amount": 0,
    }  # fmt: skip
    assert refund_rows(central) == 0
    assert api.get("/cards/NONE").status_code == 404


def test_an_unresolved_order_is_refunded_if_paid_and_cancelled_if_not(central: Central) -> None:
    """The kiosk gave up without an answer: the server resolves it when the record comes."""
    api = Api(central, "K-1")
    paid = paid_order(central, api)
    body = {"userId": "3301234567", "amount": 500, "paymentMethod": "wechat"}
    unpaid = api.post("/payments/create", json=body).json()
    batch = {"transactions": [record("qr_unresolved", {"order_id": paid}),
                              record("qr_unresolved", {"order_id": unpaid["id"]})]}  # fmt: skip
    assert len(api.post("/transactions/batch", json=batch).json()["stored"]) == 2
    assert api.get(f"/payments/{paid}").json()["status"] == "refunded"
    assert api.get(f"/payments/{unpaid['id']}").json()["status"] == "cancelled"
    assert requests.post(unpaid["qrUrl"], timeout=5).status_code == 409  # too late to pay
    assert refund_rows(central) == 1
