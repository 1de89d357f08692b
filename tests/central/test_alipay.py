"""Alipay 当面付 on the wire: our client against the simulator over real HTTP,
both checked against python-alipay-sdk's own code (the SDK's signature of a
request equals ours; the SDK verifies the simulator's notification), forged
notifications refused by name, and the central server taking an Alipay
order from the kiosk's create to paid by the signed notification."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
import requests
from alipay import AliPay  # type: ignore[import-untyped]
from sqlalchemy import select

from central.db import orders
from central.providers import alipay_wire, wechat_wire
from central.providers.alipay import Alipay, parse_bill_zip
from central.providers.base import BadNotification, ProviderError
from central.providersim.alipay import CST
from central.providersim.run import AlipayRig, alipay_rig
from central.reconcile import reconcile
from central.serve import free_port, running, serving
from central.settings import CentralSettings
from tests.central.conftest import Api
from tests.waiting import wait_until


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[AlipayRig, Alipay]]:
    made = alipay_rig(tmp_path, "http://127.0.0.1:9/unused")
    with serving(made.sim.app) as url:
        made.sim.base_url = url
        made.settings = replace(made.settings, gateway=f"{url}/gateway.do")
        yield made, Alipay(made.settings)


def test_an_order_is_made_paid_queried_refunded_in_part_and_billed(
    rig: tuple[AlipayRig, Alipay],
) -> None:
    made, pay = rig
    qr = pay.create("OD2026120100001", 30128, "电费")
    assert (
        qr.startswith(made.sim.base_url + "/pay/")
        and pay.query("OD2026120100001").status == "created"
    )
    assert requests.post(qr, timeout=5).status_code == 200  # the phone pays
    found = pay.query("OD2026120100001")
    assert found.status == "paid" and found.amount_fen == 30128 and found.trade_no
    assert pay.refund("OD2026120100001", "RF1", 10000, 30128, "part").status == "done"
    assert pay.query_refund("OD2026120100001", "RF1").amount_fen == 10000
    with pytest.raises(ProviderError, match="REFUND_AMT"):
        pay.refund("OD2026120100001", "RF2", 30000, 30128, "too much")
    with pytest.raises(ProviderError, match="paid"):
        pay.close("OD2026120100001")
    rows = pay.statement(datetime.now(CST).date())
    assert [(r.kind, r.order_id, r.amount_fen) for r in rows] == [
        ("payment", "OD2026120100001", 30128), ("refund", "OD2026120100001", 10000)
    ]  # fmt: skip


def test_a_closed_order_cannot_be_paid(rig: tuple[AlipayRig, Alipay]) -> None:
    _, pay = rig
    qr = pay.create("OD2026120100002", 100, "x")
    pay.close("OD2026120100002")
    assert requests.post(qr, timeout=5).status_code == 409
    assert pay.query("OD2026120100002").status == "closed"


def test_an_answer_not_signed_by_alipay_is_refused(rig: tuple[AlipayRig, Alipay]) -> None:
    made, pay = rig
    made.sim.alipay_key = wechat_wire.new_key()
    with pytest.raises(ProviderError, match="BAD_SIGNATURE"):
        pay.create("OD2026120100003", 100, "x")


def sdk(made: AlipayRig) -> AliPay:
    return AliPay(
        appid=made.settings.app_id, app_notify_url=None,
        app_private_key_string=Path(made.settings.app_key_file).read_text(),
        alipay_public_key_string=Path(made.settings.alipay_public_key_file).read_text(),
        sign_type="RSA2",
    )  # fmt: skip


def test_our_request_signature_is_the_sdks(rig: tuple[AlipayRig, Alipay]) -> None:
    made, _ = rig
    params = {"app_id": made.settings.app_id, "method": "alipay.trade.query",
              "charset": "utf-8", "sign_type": "RSA2", "timestamp": "2026-12-01 10:00:00",
              "version": "1.0", "biz_content": '{"out_trade_no":"OD1"}'}  # fmt: skip
    theirs = dict(parse_qsl(sdk(made).sign_data(dict(params))))
    key = wechat_wire.load_private(Path(made.settings.app_key_file).read_bytes())
    assert alipay_wire.signed_params(key, params)["sign"] == theirs["sign"]


def notice(made: AlipayRig, **changed: str) -> dict[str, str]:
    order = made.sim.orders["OD2026120100004"]
    return {**made.sim.notification(order, {}, made.settings.app_id), **changed}


def test_the_sdk_verifies_the_simulators_notification(rig: tuple[AlipayRig, Alipay]) -> None:
    made, pay = rig
    qr = pay.create("OD2026120100004", 5000, "x")
    made.sim.faults.lost = True
    requests.post(qr, timeout=5)
    form = notice(made)
    signature = form.pop("sign")
    assert sdk(made).verify(dict(form), signature)
    read = pay.notification({}, urlencode({**form, "sign": signature}).encode())
    assert (read.kind, read.order_id, read.amount_fen) == ("paid", "OD2026120100004", 5000)


@pytest.mark.parametrize("forgery", ["unsigned", "wrong_key", "altered", "wrong_app"])
def test_a_forged_notification_is_refused_by_name(
    rig: tuple[AlipayRig, Alipay], forgery: str
) -> None:
    made, pay = rig
    qr = pay.create("OD2026120100004", 5000, "x")
    made.sim.faults.lost = True
    requests.post(qr, timeout=5)
    form = notice(made)
    if forgery == "unsigned":
        form.pop("sign")
    if forgery == "altered":
        form["total_amount"] = "0.01"
    if forgery in ("wrong_key", "wrong_app"):
        if forgery == "wrong_app":
            form["app_id"] = "2021000000000999"
        key = wechat_wire.new_key() if forgery == "wrong_key" else made.sim.alipay_key
        form["sign"] = alipay_wire.sign(key, alipay_wire.unsigned(form, ("sign", "sign_type")))
    with pytest.raises(BadNotification) as refused:
        pay.notification({}, urlencode(form).encode())
    assert refused.value.reason == ("merchant" if forgery == "wrong_app" else "signature")


def test_the_server_takes_an_alipay_order_to_paid_by_the_notification(tmp_path: Path) -> None:
    port = free_port()
    made = alipay_rig(tmp_path, f"http://127.0.0.1:{port}/api/v1/notify/alipay")
    with serving(made.sim.app) as url:
        made.sim.base_url = url
        settings = CentralSettings(alipay=replace(made.settings, gateway=f"{url}/gateway.do"))
        with running(tmp_path / "central.db", port=port, settings=settings) as central:
            api = Api(central, "K-1")
            body = {"userId": "101020301", "amount": 44940, "paymentMethod": "alipay"}
            order = api.post("/payments/create", json=body).json()
            assert order["qrUrl"].startswith(url)
            requests.post(order["qrUrl"], timeout=5)
            wait_until(lambda: api.get(f"/payments/{order['id']}").json()["status"] == "paid",
                       timeout=10)  # fmt: skip
            assert made.sim.attempts == [["success"]]  # answered in Alipay's format
            refund = api.post(f"/payments/{order['id']}/refund", json={"reason": "late_payment"})
            assert refund.json()["status"] == "refunded"
            assert sum(made.sim.orders[order["id"]].refunds.values()) == 44940
            forged = requests.post(f"{central.url}/api/v1/notify/alipay", timeout=5,
                                   data={"out_trade_no": order["id"], "sign": "AAAA"})  # fmt: skip
            assert forged.text == "fail"
            assert central.app.state.notify_refused[("alipay", "signature")] == 1


def test_reconciliation_finds_an_alipay_payment_whose_notification_was_lost(
    tmp_path: Path,
) -> None:
    port = free_port()
    made = alipay_rig(tmp_path, f"http://127.0.0.1:{port}/api/v1/notify/alipay")
    with serving(made.sim.app) as url:
        made.sim.base_url = url
        settings = CentralSettings(alipay=replace(made.settings, gateway=f"{url}/gateway.do"))
        with running(tmp_path / "central.db", port=port, settings=settings) as central:
            api = Api(central, "K-1")
            made.sim.faults.lost = True
            body = {"userId": "1", "amount": 4200, "paymentMethod": "alipay"}
            order = api.post("/payments/create", json=body).json()
            requests.post(order["qrUrl"], timeout=5)
            engine, provider = central.app.state.engine, central.app.state.providers["alipay"]
            [found] = reconcile(engine, provider, datetime.now(CST).date())
            assert (found.kind, found.order_id, found.action) == (
                "missed", order["id"], "fixed: marked paid"
            )  # fmt: skip
            with engine.connect() as conn:
                assert conn.scalar(select(orders.c.status)) == "paid"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[AlipayRig, Api]]:
    port = free_port()
    made = alipay_rig(tmp_path, f"http://127.0.0.1:{port}/api/v1/notify/alipay")
    with serving(made.sim.app) as url:
        made.sim.base_url = url
        settings = CentralSettings(alipay=replace(made.settings, gateway=f"{url}/gateway.do"))
        with running(tmp_path / "central.db", port=port, settings=settings) as central:
            yield made, Api(central, "K-1")


def alipay_order(api: Api, fen: int = 1000) -> dict[str, Any]:
    answer = api.post("/payments/create", json={"userId": "1", "amount": fen,
                                                "paymentMethod": "alipay"})  # fmt: skip
    return dict(answer.json()) | {"http": answer.status_code}


def status(api: Api, order_id: str) -> str:
    return str(api.get(f"/payments/{order_id}").json()["status"])


@pytest.mark.parametrize("fault", ["lost", "duplicate", "early"])
def test_alipay_faults_lost_duplicate_early_end_in_the_order_paid(
    served: tuple[AlipayRig, Api], fault: str
) -> None:
    made, api = served
    setattr(made.sim.faults, fault, True)
    order = alipay_order(api)
    if fault != "early":
        requests.post(order["qrUrl"], timeout=5)
    wait_until(lambda: status(api, order["id"]) == "paid", timeout=15)  # lost: by a query
    if fault == "duplicate":
        wait_until(lambda: len(made.sim.attempts[0]) == 2, timeout=10)  # both copies answered
    assert made.sim.orders[order["id"]].status == "TRADE_SUCCESS"


def test_alipay_down_at_create_is_a_502(served: tuple[AlipayRig, Api]) -> None:
    made, api = served
    made.sim.faults.down = True
    assert alipay_order(api)["http"] == 502


def test_the_bill_is_a_zip_of_the_detail_and_the_summary(
    rig: tuple[AlipayRig, Alipay],
) -> None:
    made, pay = rig
    requests.post(pay.create("OD2026120100009", 700, "水费"), timeout=5)
    today = datetime.now(CST).date()
    content = made.sim.bill_zip(next(iter(made.sim.apps)), today)
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        names = sorted(bundle.namelist())
        summary = bundle.read(names[0]).decode("gbk")
    assert [n.rsplit("_", 1)[1] for n in names] == ["业务明细(汇总).csv", "业务明细.csv"]
    assert ",,1,7.00" in summary  # the summary is not taken for the bill
    assert [(r.order_id, r.amount_fen) for r in parse_bill_zip(content)] == [
        ("OD2026120100009", 700)
    ]


@pytest.mark.parametrize(
    ("content", "why"),
    [(b"PK-not-really", "not a zip"), (b"", "not a zip"), ("only summary", "no trade bill")],
)
def test_a_broken_bill_download_is_refused_by_name(content: bytes | str, why: str) -> None:
    if isinstance(content, str):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as bundle:
            bundle.writestr("x_业务明细(汇总).csv", "#汇总\n门店编号,交易额\n".encode("gbk"))
        content = out.getvalue()
    with pytest.raises(ProviderError, match=why):
        parse_bill_zip(content)
