"""Bills with arrears, coupons and prepaid balance; lookup by phone with a code
sent by SMS; payment notices and receipt copies by SMS; what an uploaded
payment does to the bill. All on the real server with the seeded demo city."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from central.db import sms_outbox
from central.seed import DEMO_PHONE, seed_demo
from central.serve import Central
from tests.central.conftest import Api

TODAY = date(2026, 11, 24)


@pytest.fixture
def api(central: Central) -> Api:
    seed_demo(central.app.state.engine, TODAY)
    return Api(central, "K-1")


def texts(central: Central, kind: str) -> list[tuple[str, str]]:
    with central.app.state.engine.connect() as conn:
        rows = conn.execute(
            select(sms_outbox.c.phone, sms_outbox.c.text)
            .where(sms_outbox.c.kind == kind)
            .order_by(sms_outbox.c.id)
        ).all()
    return [(r.phone, r.text) for r in rows]


def test_bill_has_arrears_coupons_and_tier_usage(api: Api) -> None:
    bill = api.get("/bills/electricity/3301234567").json()
    kinds = [line["kind"] for line in bill["lines"]]
    assert kinds == ["arrears", "current", "current"]
    assert bill["arrears"] == {"minor": 13988, "currency": "CNY"}  # 260 kWh × 0.538
    assert sum(line["amount"]["minor"] for line in bill["lines"]) == 13988 + 10760 + 5880
    assert [c["code"] for c in bill["coupons"]] == ["WINTER5"]
    assert bill["usage_this_period"] == "2860" and bill["prepaid"] is False


def test_prepaid_account_shows_its_balance(api: Api) -> None:
    bill = api.get("/bills/electricity/3301234568").json()
    assert bill["prepaid"] is True and bill["lines"] == [] and bill["coupons"] == []
    assert bill["prepaid_balance"] == {"minor": 320, "currency": "CNY"}


@pytest.mark.parametrize(
    "path",
    ["/bills/electricity/3301234567'; DROP TABLE accounts;--", "/bills/electricity/<b>1</b>"],
)
def test_lookup_of_hostile_account_text_is_just_not_found(
    api: Api, central: Central, path: str
) -> None:
    assert api.get(path).status_code == 404
    assert api.get("/bills/electricity/3301234567").status_code == 200  # table still there


def test_lookup_by_phone_with_the_code_from_the_sms(api: Api, central: Central) -> None:
    assert (
        api.post("/phone/code", json={"service": "water", "phone": DEMO_PHONE}).status_code == 202
    )
    [(phone, text)] = texts(central, "code")
    assert phone == DEMO_PHONE
    code = re.search(r"\d{6}", text).group()  # type: ignore[union-attr]
    body = {"service": "water", "phone": DEMO_PHONE, "code": code}
    bill = api.post("/bills/by-phone", json=body)
    assert bill.status_code == 200 and bill.json()["account"] == "33012345"
    assert api.post("/bills/by-phone", json=body).status_code == 403  # used once


def test_a_phone_without_an_account_gets_the_same_answer_and_no_sms(
    api: Api, central: Central
) -> None:
    answer = api.post("/phone/code", json={"service": "water", "phone": "13700000000"})
    assert answer.status_code == 202 and answer.json() == {"sent": True}
    assert texts(central, "code") == []


def test_five_wrong_codes_spend_the_code(api: Api, central: Central) -> None:
    api.post("/phone/code", json={"service": "water", "phone": DEMO_PHONE})
    code = re.search(r"\d{6}", texts(central, "code")[0][1]).group()  # type: ignore[union-attr]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        body = {"service": "water", "phone": DEMO_PHONE, "code": wrong}
        assert api.post("/bills/by-phone", json=body).status_code == 403
    body = {"service": "water", "phone": DEMO_PHONE, "code": code}
    assert api.post("/bills/by-phone", json=body).status_code == 403


def test_a_second_code_within_a_minute_is_refused_with_retry_after(api: Api) -> None:
    body = {"service": "water", "phone": DEMO_PHONE}
    assert api.post("/phone/code", json=body).status_code == 202
    again = api.post("/phone/code", json=body)
    assert again.status_code == 429 and again.headers["Retry-After"] == "60"


@pytest.mark.parametrize(
    "body",
    [
        {"service": "water", "phone": "138'; DROP TABLE accounts;--"},
        {"service": "water", "phone": "<script>1</script>"},
        {"service": "water", "phone": "１３８００１３８０００"},  # full-width digits
        {"service": "Water!", "phone": DEMO_PHONE},
    ],
)
def test_bad_phone_requests_are_422(api: Api, body: dict[str, str]) -> None:
    assert api.post("/phone/code", json=body).status_code == 422


def payment(service: str, account: str, fen: int) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "kind": "payment_completed",
        "payload": {"kind": "payment_completed", "session": "s", "at": "2026-11-24T10:00:00Z",
                    "data": {"service": service, "account": account, "method": "cash",
                             "amount": {"minor": fen, "currency": "CNY"}}},
    }  # fmt: skip


def test_uploaded_payment_settles_the_bill_and_texts_a_notice_once(
    api: Api, central: Central
) -> None:
    due = 13988 + 10760 + 5880 - 500  # less the coupon
    tx = payment("electricity", "3301234567", due)
    for _ in range(3):  # re-uploads change nothing
        api.post("/transactions/batch", json={"transactions": [tx]})
    bill = api.get("/bills/electricity/3301234567").json()
    assert bill["lines"] == [] and bill["coupons"] == []
    notices = texts(central, "notice")
    assert len(notices) == 1 and notices[0][0] == DEMO_PHONE
    assert f"￥{due // 100}.{due % 100:02d}" in notices[0][1]


def test_a_part_payment_settles_the_oldest_line_and_part_pays_the_next(api: Api) -> None:
    api.post(
        "/transactions/batch", json={"transactions": [payment("electricity", "3301234567", 15000)]}
    )
    bill = api.get("/bills/electricity/3301234567").json()
    assert [line["kind"] for line in bill["lines"]] == ["current", "current"]  # arrears paid
    assert [line["amount"]["minor"] for line in bill["lines"]] == [10760 - 1012, 5880]
    assert [line["billed"]["minor"] for line in bill["lines"]] == [10760, 5880]
    assert bill["arrears"]["minor"] == 0
    assert bill["due"]["minor"] == 9748 + 5880 - 500  # the coupon still applies
    assert bill["prepaid_balance"] is None  # nothing parked


def test_receipt_copy_by_sms(api: Api, central: Central) -> None:
    tx = payment("water", "33012345", 7000)
    assert (
        api.post("/receipts/sms", json={"transaction": tx["id"]}).status_code == 404
    )  # not uploaded
    api.post("/transactions/batch", json={"transactions": [tx]})
    assert api.post("/receipts/sms", json={"transaction": tx["id"]}).status_code == 202
    assert (
        api.post(
            "/receipts/sms", json={"transaction": tx["id"], "phone": "13911112222"}
        ).status_code
        == 202
    )
    sent = texts(central, "receipt")
    assert [p for p, _ in sent] == [DEMO_PHONE, "13911112222"] and "￥70.00" in sent[0][1]
    other = Api(central, "K-2")  # another kiosk cannot ask for it
    assert other.post("/receipts/sms", json={"transaction": tx["id"]}).status_code == 404


def test_re_enrolling_a_kiosk_revokes_its_old_credential(central: Central) -> None:
    old = Api(central, "K-7")
    assert old.post("/heartbeat", json={}).status_code == 204
    new = Api(central, "K-7")  # the machine was replaced
    assert old.post("/heartbeat", json={}).status_code == 401
    assert new.post("/heartbeat", json={}).status_code == 204
