"""WeChat Pay API v3 on the wire: our client against the simulator over real
HTTP, and both sides checked against the wechatpayv3 SDK's own code — the
SDK's request signature equals ours, the SDK verifies and decrypts the
simulator's notifications, and the SDK as a merchant places an order with
the simulator. Forged, altered, stale and wrong-key notifications are
refused by name."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
import requests
from fastapi import FastAPI, Request, Response
from wechatpayv3 import WeChatPay as SdkPay  # type: ignore[import-untyped]
from wechatpayv3 import WeChatPayType
from wechatpayv3.core import Core  # type: ignore[import-untyped]
from wechatpayv3.utils import (  # type: ignore[import-untyped]
    build_authorization,
    load_private_key,
    rsa_verify,
)

from central.cli import main
from central.providers import keys, wechat_wire
from central.providers.base import BadNotification, ProviderError
from central.providers.wechat import WechatPay
from central.providersim.run import WechatRig, settings_toml, wechat_rig
from central.providersim.wechat import CST
from central.serve import serving
from tests.waiting import wait_until


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[WechatRig, WechatPay]]:
    made = wechat_rig(tmp_path, notify_url="http://127.0.0.1:9/unused")
    with serving(made.sim.app) as url:
        made.sim.base_url = url
        yield made, WechatPay(replace(made.settings, gateway=url))


def order_no() -> str:
    return f"OD{time.time_ns()}"


def test_an_order_is_made_paid_queried_refunded_in_part_and_billed(
    rig: tuple[WechatRig, WechatPay],
) -> None:
    made, pay = rig
    no = order_no()
    code_url = pay.create(no, 30128, "电费 3301234567")
    assert code_url.startswith(made.sim.base_url + "/pay/")
    assert pay.query(no).status == "created"
    assert requests.post(code_url, timeout=5).status_code == 200  # the phone pays
    found = pay.query(no)
    assert found.status == "paid" and found.amount_fen == 30128 and found.trade_no
    refund = pay.refund(no, f"RF{no}", 10000, 30128, "part")
    assert refund.status == "done" and refund.amount_fen == 10000
    assert pay.query_refund(no, f"RF{no}").amount_fen == 10000
    with pytest.raises(ProviderError, match="INVALID_REQUEST"):  # never more than was paid
        pay.refund(no, f"RG{no}", 30000, 30128, "too much")
    rows = pay.statement(datetime.now(CST).date())  # the provider's day
    assert [(r.kind, r.order_id, r.amount_fen) for r in rows] == [
        ("payment", no, 30128), ("refund", no, 10000)
    ]  # fmt: skip


def test_a_paid_order_cannot_be_closed_and_a_closed_one_cannot_be_paid(
    rig: tuple[WechatRig, WechatPay],
) -> None:
    _, pay = rig
    paid, closed = order_no(), order_no() + "C"
    code_url = pay.create(paid, 100, "x")
    requests.post(code_url, timeout=5)
    with pytest.raises(ProviderError, match="paid"):
        pay.close(paid)
    late = pay.create(closed, 100, "x")
    pay.close(closed)
    assert requests.post(late, timeout=5).status_code == 409
    assert pay.query(closed).status == "closed"


def test_a_reused_order_number_with_other_terms_is_refused(
    rig: tuple[WechatRig, WechatPay],
) -> None:
    _, pay = rig
    no = order_no()
    first = pay.create(no, 100, "x")
    assert pay.create(no, 100, "x") == first  # the same order asked again
    with pytest.raises(ProviderError, match="OUT_TRADE_NO_USED"):
        pay.create(no, 200, "x")


def test_the_provider_down_or_failing_is_a_provider_error_to_retry(
    rig: tuple[WechatRig, WechatPay],
) -> None:
    made, pay = rig
    made.sim.faults.down = True
    with pytest.raises(ProviderError) as down:
        pay.create(order_no(), 100, "x")
    assert down.value.retry
    made.sim.faults.down = False
    made.sim.faults.error_5xx = 1
    with pytest.raises(ProviderError, match="SYSTEM_ERROR"):
        pay.create(order_no(), 100, "x")
    assert pay.create(order_no(), 100, "x")  # and then it works again


def test_an_answer_not_signed_by_the_platform_is_refused(
    rig: tuple[WechatRig, WechatPay], tmp_path: Path
) -> None:
    made, pay = rig
    made.sim.platform_key = wechat_wire.new_key()  # someone else answers
    with pytest.raises(ProviderError, match="BAD_SIGNATURE"):
        pay.create(order_no(), 100, "x")


def test_our_request_signature_is_the_sdks(rig: tuple[WechatRig, WechatPay]) -> None:
    made, _ = rig
    pem = Path(made.settings.merchant_key_file).read_text()
    body = json.dumps({"mchid": "1900000109"})
    sdk = build_authorization(
        "/v3/x?y=1", "POST", "1900000109", "SERIAL", load_private_key(pem), body, "NONCE1"
    )
    timestamp = dict(wechat_wire.AUTH_FIELD.findall(sdk))["timestamp"]
    ours = wechat_wire.authorization(
        wechat_wire.load_private(pem.encode()), "1900000109", "SERIAL", "POST", "/v3/x?y=1",
        body, timestamp=timestamp, nonce_str="NONCE1",
    )  # fmt: skip
    assert ours == sdk


def notification(made: WechatRig, no: str = "OD1", total: int = 100, **more: object) -> str:
    resource = {"mchid": made.settings.mchid, "appid": made.settings.appid, "out_trade_no": no,
                "transaction_id": "4200001", "trade_state": "SUCCESS",
                "amount": {"total": total, "currency": "CNY"}, **more}  # fmt: skip
    return made.sim.notification("TRANSACTION.SUCCESS", "transaction", resource)


def test_the_sdk_verifies_and_decrypts_the_simulators_notification(
    rig: tuple[WechatRig, WechatPay],
) -> None:
    made, pay = rig
    body = notification(made, "OD42", 30128)
    headers = wechat_wire.signed_headers(made.sim.platform_key, made.sim.platform_key_id, body)
    core = Core(
        made.settings.mchid, made.settings.merchant_serial,
        Path(made.settings.merchant_key_file).read_text(),
        Path(made.settings.apiv3_key_file).read_text(),
        public_key=Path(made.settings.platform_key_file).read_text(),
        public_key_id=made.settings.platform_key_id,
    )  # fmt: skip
    read = core.callback(headers, body)
    assert read["resource"]["out_trade_no"] == "OD42"
    assert read["resource"]["amount"]["total"] == 30128
    assert rsa_verify(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body,
                      headers["Wechatpay-Signature"], core._public_key)  # fmt: skip
    ours = pay.notification(headers, body.encode())
    assert (ours.kind, ours.order_id, ours.amount_fen) == ("paid", "OD42", 30128)


@pytest.mark.parametrize("forgery", ["unsigned", "altered", "wrong_key", "stale", "wrong_apiv3",
                                     "wrong_merchant", "unknown_serial"])  # fmt: skip
def test_a_forged_notification_is_refused_by_name(
    rig: tuple[WechatRig, WechatPay], forgery: str
) -> None:
    made, pay = rig
    body = notification(made)
    key, serial = made.sim.platform_key, made.sim.platform_key_id
    if forgery == "wrong_key":
        key = wechat_wire.new_key()
    if forgery == "unknown_serial":
        serial = "PUB_KEY_ID_SOMEONE_ELSE"
    if forgery == "wrong_apiv3":
        made.sim.apiv3_key = b"0" * 32
        body = notification(made)
    if forgery == "wrong_merchant":
        body = notification(made, mchid="1900000999")
    headers = wechat_wire.signed_headers(key, serial, body)
    if forgery == "unsigned":
        headers = {}
    if forgery == "altered":
        body = body.replace('"TRANSACTION.SUCCESS"', '"TRANSACTION.SUCCESS" ')
    if forgery == "stale":
        old = str(int(time.time()) - 600)
        message = wechat_wire.answer_message(old, "N", body)
        headers = {**headers, "Wechatpay-Timestamp": old, "Wechatpay-Nonce": "N",
                   "Wechatpay-Signature": wechat_wire.sign(key, message)}  # fmt: skip
    reasons = {"unsigned": "signature", "altered": "signature", "wrong_key": "signature",
               "stale": "stale", "wrong_apiv3": "decrypt", "wrong_merchant": "merchant",
               "unknown_serial": "signature"}  # fmt: skip
    with pytest.raises(BadNotification) as refused:
        pay.notification(headers, body.encode())
    assert refused.value.reason == reasons[forgery]


def test_the_sdk_as_a_merchant_places_an_order_with_the_simulator(
    rig: tuple[WechatRig, WechatPay],
) -> None:
    """The simulator speaks the protocol the SDK speaks (the SDK's gateway is a
    constant: pointed at the simulator through its private attribute)."""
    made, _ = rig
    sdk = SdkPay(
        wechatpay_type=WeChatPayType.NATIVE, mchid=made.settings.mchid,
        private_key=Path(made.settings.merchant_key_file).read_text(),
        cert_serial_no=made.settings.merchant_serial,
        apiv3_key=Path(made.settings.apiv3_key_file).read_text(), appid=made.settings.appid,
        notify_url="http://127.0.0.1:9/n",
        public_key=Path(made.settings.platform_key_file).read_text(),
        public_key_id=made.settings.platform_key_id,
    )  # fmt: skip
    sdk._core._gate_way = made.sim.base_url
    code, message = sdk.pay(description="电费", out_trade_no=order_no(), amount={"total": 100})
    assert code == 200 and json.loads(message)["code_url"].startswith(made.sim.base_url)


def test_notifications_are_retried_until_the_merchant_answers_success(
    rig: tuple[WechatRig, WechatPay],
) -> None:
    made, pay = rig
    answers = [500, 500, 204]
    heard: list[str] = []
    merchant = FastAPI()

    @merchant.post("/notify")
    async def notify(request: Request) -> Response:
        heard.append((await request.body()).decode())
        return Response(status_code=answers[min(len(heard), len(answers)) - 1])

    with serving(merchant) as url:
        settings = replace(pay.settings, notify_url=f"{url}/notify")
        no = order_no()
        requests.post(WechatPay(settings).create(no, 100, "x"), timeout=5)
        wait_until(lambda: any(d.delivered for d in made.sim.deliveries), timeout=10)
    [delivery] = made.sim.deliveries
    assert delivery.attempts == [500, 500, 204] and len(heard) == 3


def test_key_files_others_may_read_are_refused(tmp_path: Path) -> None:
    made = wechat_rig(tmp_path, "http://127.0.0.1:9/n")
    Path(made.settings.merchant_key_file).chmod(0o644)
    with pytest.raises(keys.KeyFileError, match="chmod 600"):
        WechatPay(made.settings)


def test_the_adapter_never_shows_its_keys(rig: tuple[WechatRig, WechatPay]) -> None:
    made, pay = rig
    apiv3 = Path(made.settings.apiv3_key_file).read_text()
    shown = repr(pay) + str(vars(pay.settings) if hasattr(pay.settings, "__dict__") else "")
    assert "PRIVATE KEY" not in shown and apiv3 not in shown and made.settings.mchid in shown


def test_the_server_will_not_start_with_a_key_others_may_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = wechat_rig(tmp_path, "http://127.0.0.1:9/n")
    settings = tmp_path / "central.toml"
    settings.write_text(settings_toml(made.settings, sandbox=False), encoding="utf-8")
    Path(made.settings.apiv3_key_file).chmod(0o640)
    code = main(["serve", "--settings", str(settings), "--db", f"sqlite:///{tmp_path}/c.db"])
    assert code == 2 and "chmod 600" in capsys.readouterr().err
