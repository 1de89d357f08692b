"""Orders at WeChat Pay, end to end over real HTTP: a kiosk's order made at
the simulator, the phone paying on its page, the signed notification taken
once however often it comes (or found by a query when it is lost), the
order the kiosk gave up on closed, a payment that lands too late refunded
by the server on its own, a kiosk's refund carried out at the provider, and
forged or wrong-amount notifications refused with the order unpaid."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from central import refunds
from central.db import orders
from central.providers import wechat_wire
from central.serve import running
from central.settings import CentralSettings
from config.choices import PaymentMethod
from kiosk.flow import Notice, State
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.shell.central import CentralService
from tests.central.conftest import Api
from tests.central.wechat_rig import Rig, wechat_central
from tests.kiosk.flow_harness import Harness
from tests.waiting import wait_until


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with wechat_central(tmp_path) as made:
        yield made


def test_an_order_paid_on_the_phone_is_paid_by_the_signed_notification(rig: Rig) -> None:
    order = rig.order()
    assert order["qrUrl"].startswith(rig.wechat.sim.base_url)  # the provider's code_url
    assert requests.post(order["qrUrl"], timeout=5).status_code == 200
    wait_until(lambda: rig.events(order["id"], "paid") == 1, timeout=10)
    assert rig.status(order["id"]) == "paid"
    assert rig.central.app.state.notify_refused == {}
    rig.books_hold(clearing=30128, unapplied=30128)  # held until a kiosk payment applies it


def test_a_lost_notification_is_found_by_a_query(rig: Rig) -> None:
    rig.wechat.sim.faults.lost = True
    order = rig.order()
    requests.post(order["qrUrl"], timeout=5)
    time.sleep(0.5)
    assert rig.status(order["id"]) == "created"  # nothing heard yet
    wait_until(lambda: rig.status(order["id"]) == "paid", timeout=15)  # the poll asks


def test_a_notification_sent_before_the_create_call_returned(rig: Rig) -> None:
    rig.wechat.sim.faults.early = True
    order = rig.order()
    wait_until(lambda: rig.status(order["id"]) == "paid", timeout=10)
    assert rig.events(order["id"], "paid") == 1


def test_a_thousand_duplicate_notifications_pay_once(rig: Rig) -> None:
    rig.wechat.sim.faults.lost = True  # we send them ourselves
    order = rig.order(100)
    rig.wechat.sim.pay(order["id"])
    sim = rig.wechat.sim
    resource = sim._transaction(sim.orders[order["id"]])
    body = sim.notification("TRANSACTION.SUCCESS", "transaction", resource)
    url = f"{rig.central.url}/api/v1/notify/wechatpay"

    def send(_: int) -> int:
        headers = wechat_wire.signed_headers(sim.platform_key, sim.platform_key_id, body)
        return requests.post(url, data=body.encode(), headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(send, range(1000)))
    assert set(answers) == {204}
    assert rig.events(order["id"], "paid") == 1 and rig.status(order["id"]) == "paid"


@pytest.mark.parametrize("forgery", ["unsigned", "wrong_key", "stale", "wrong_amount",
                                     "unknown_order"])  # fmt: skip
def test_a_forged_or_wrong_notification_never_pays_the_order(rig: Rig, forgery: str) -> None:
    order = rig.order(30128)
    sim = rig.wechat.sim
    resource: dict[str, Any] = {
        "mchid": rig.wechat.settings.mchid, "appid": rig.wechat.settings.appid,
        "out_trade_no": order["id"], "transaction_id": "4200000001", "trade_state": "SUCCESS",
        "amount": {"total": 30128, "currency": "CNY"},
    }  # fmt: skip
    if forgery == "wrong_amount":
        resource["amount"] = {"total": 1, "currency": "CNY"}
    if forgery == "unknown_order":
        resource["out_trade_no"] = "OD_NOT_OURS"
    body = sim.notification("TRANSACTION.SUCCESS", "transaction", resource)
    key = wechat_wire.new_key() if forgery == "wrong_key" else sim.platform_key
    headers = wechat_wire.signed_headers(key, sim.platform_key_id, body)
    if forgery == "unsigned":
        headers = {}
    if forgery == "stale":
        old = str(int(time.time()) - 3600)
        headers |= {"Wechatpay-Timestamp": old, "Wechatpay-Signature": wechat_wire.sign(
            key, wechat_wire.answer_message(old, headers["Wechatpay-Nonce"], body))}  # fmt: skip
    answer = requests.post(f"{rig.central.url}/api/v1/notify/wechatpay", data=body.encode(),
                           headers=headers, timeout=5)  # fmt: skip
    assert answer.status_code == 400 and answer.json()["code"] == "FAIL"
    assert rig.status(order["id"]) == "created"
    reason = {"unsigned": "signature", "wrong_key": "signature", "stale": "stale",
              "wrong_amount": "amount", "unknown_order": "unknown_order"}[forgery]  # fmt: skip
    assert rig.central.app.state.notify_refused[("wechat", reason)] == 1


def test_an_order_the_kiosk_cancels_is_closed_at_the_provider(rig: Rig) -> None:
    order = rig.order()
    answer = rig.api.post(f"/payments/{order['id']}/cancel")
    assert answer.json()["status"] == "cancelled"
    assert rig.wechat.sim.orders[order["id"]].state == "CLOSED"
    assert requests.post(order["qrUrl"], timeout=5).status_code == 409  # the phone cannot pay


def test_a_payment_that_lands_after_the_kiosk_gave_up_is_refunded_by_the_server(
    rig: Rig,
) -> None:
    """The kiosk restarted while its customer paid: it journals qr_unresolved; the
    server closes the order at the provider, but the phone was quicker: the
    money is given back without anyone asking."""
    order = rig.order(5000)
    rig.wechat.sim.faults.down = True  # the close cannot get through yet
    with rig.central.app.state.engine.begin() as conn:
        assert refunds.settle_unresolved(conn, "K-1", order["id"]) == "closing"
    rig.wechat.sim.faults.down = False
    rig.wechat.sim.pay(order["id"])  # the phone pays meanwhile
    wait_until(lambda: rig.status(order["id"]) == "refunded", timeout=15)
    sim_order = rig.wechat.sim.orders[order["id"]]
    assert sim_order.state == "REFUND" and sim_order.refunded == 5000
    rig.books_hold(clearing=0, unapplied=0)  # taken and given back, in the books


def test_a_kiosk_refund_is_carried_out_at_the_provider(rig: Rig) -> None:
    order = rig.order(2000)
    requests.post(order["qrUrl"], timeout=5)
    wait_until(lambda: rig.status(order["id"]) == "paid", timeout=10)
    answer = rig.api.post(f"/payments/{order['id']}/refund", json={"reason": "late_payment"})
    assert answer.json() == {"reference": order["id"], "status": "refunded", "amount": 2000}
    assert rig.wechat.sim.orders[order["id"]].refunded == 2000
    again = rig.api.post(f"/payments/{order['id']}/refund", json={"reason": "late_payment"})
    assert again.json()["status"] == "refunded"
    assert rig.wechat.sim.orders[order["id"]].refunded == 2000  # once
    rig.books_hold(clearing=0, unapplied=0)


def test_the_provider_down_at_create_is_a_502_and_the_order_failed(rig: Rig) -> None:
    rig.wechat.sim.faults.down = True
    answer = rig.api.post("/payments/create", json={"userId": "1", "amount": 100,
                                                    "paymentMethod": "wechat"})  # fmt: skip
    assert answer.status_code == 502
    with rig.central.app.state.engine.connect() as conn:
        assert conn.scalar(select(orders.c.status)) == "failed"


def test_the_provider_down_at_create_the_kiosk_offers_another_method(rig: Rig) -> None:
    """The kiosk's own client and pay flow: the 502 becomes "choose another way
    to pay", with every method still offered."""
    rig.wechat.sim.faults.down = True
    h = Harness()
    h.to_method()
    out = h.send(e.MethodChosen(PaymentMethod.WECHAT))
    [create] = h.of(c.CreateQrOrder, out)
    answers: list[e.Event] = []
    client = CentralService(rig.central.url, rig.central.enroll("K-2"), answers.append)
    try:
        client.execute(create)
        wait_until(lambda: bool(answers), timeout=10)
    finally:
        client.stop()
    [failed] = answers
    assert isinstance(failed, e.QrOrderFailed) and "502" in failed.reason
    h.send(failed)
    assert (h.current(), h.flow.view().notice) == (State.CHOOSE_METHOD, Notice.QR_FAILED)
    assert PaymentMethod.CASH in h.flow.view().methods


def test_without_the_sandbox_nothing_unauthenticated_marks_an_order_paid(tmp_path: Path) -> None:
    with running(tmp_path / "c.db", settings=CentralSettings()) as central:
        api = Api(central, "K-1")
        made = api.post("/payments/create", json={"userId": "1", "amount": 100,
                                                  "paymentMethod": "alipay"})  # fmt: skip
        assert made.status_code == 503  # no provider for it, and no sandbox
        assert requests.post(f"{central.url}/sandbox/pay/OD1", timeout=5).status_code == 404
        notify = requests.post(f"{central.url}/api/v1/notify/wechatpay", data=b"{}", timeout=5)
        assert notify.status_code == 404  # no WeChat Pay here


def test_the_keys_never_reach_a_log_line_or_the_database(
    rig: Rig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    order = rig.order(900)
    requests.post(order["qrUrl"], timeout=5)
    wait_until(lambda: rig.status(order["id"]) == "paid", timeout=10)
    rig.api.post(f"/payments/{order['id']}/refund", json={"reason": "late_payment"})
    settings = rig.wechat.settings
    secrets = [Path(settings.apiv3_key_file).read_text().strip()]
    pem = Path(settings.merchant_key_file).read_text()
    secrets += [line for line in pem.splitlines() if line and "-----" not in line][:3]
    files = [tmp_path / "central.db", tmp_path / "central.db-wal"]
    database = "".join(f.read_bytes().decode("latin-1") for f in files if f.exists())
    assert order["id"] in database  # the scan sees what the server wrote
    for secret in secrets:
        assert secret not in caplog.text and secret not in database


def test_fault_duplicate_notifications_pay_once(rig: Rig) -> None:
    rig.wechat.sim.faults.duplicate = True
    order = rig.order(700)
    requests.post(order["qrUrl"], timeout=5)
    wait_until(lambda: sum(d.delivered for d in rig.wechat.sim.deliveries) >= 1, timeout=10)
    wait_until(lambda: rig.status(order["id"]) == "paid", timeout=10)
    time.sleep(0.3)  # the second copy lands too
    assert rig.events(order["id"], "paid") == 1
    rig.books_hold(clearing=700, unapplied=700)


def test_fault_delayed_and_slow_provider(rig: Rig) -> None:
    rig.wechat.sim.faults.delay_s = 1.0
    rig.wechat.sim.faults.slow_s = 0.3
    started = time.monotonic()
    order = rig.order(800)  # slow, but within the client's timeout
    requests.post(order["qrUrl"], timeout=5)
    wait_until(lambda: rig.events(order["id"], "paid") == 1, timeout=10)
    assert time.monotonic() - started >= 1.0


def test_fault_out_of_order_a_late_payment_notice_never_undoes_a_refund(rig: Rig) -> None:
    """The payment's notification is held back; the kiosk's poll finds the order
    paid by a query, the kiosk has it refunded, the refund's notification comes,
    and only then the payment's: the order stays refunded, paid once."""
    rig.wechat.sim.faults.out_of_order = True
    rig.wechat.sim.faults.delay_s = 3.0
    order = rig.order(900)
    requests.post(order["qrUrl"], timeout=5)
    wait_until(lambda: rig.status(order["id"]) == "paid", timeout=15)  # by query
    refund = rig.api.post(f"/payments/{order['id']}/refund", json={"reason": "late_payment"})
    assert refund.json()["status"] == "refunded"
    wait_until(lambda: all(d.delivered for d in rig.wechat.sim.deliveries), timeout=15)
    assert rig.status(order["id"]) == "refunded" and rig.events(order["id"], "paid") == 1
    rig.books_hold(clearing=0, unapplied=0)


def test_a_refund_whose_notification_is_lost_is_found_by_the_refund_query(rig: Rig) -> None:
    rig.wechat.sim.faults.refund_processing = True
    order = rig.order(1200)
    requests.post(order["qrUrl"], timeout=5)
    wait_until(lambda: rig.status(order["id"]) == "paid", timeout=10)
    rig.wechat.sim.faults.lost = True  # the refund's notification will not come
    answer = rig.api.post(f"/payments/{order['id']}/refund", json={"reason": "late_payment"})
    assert answer.json()["status"] == "refunding"  # accepted, not yet done
    wait_until(lambda: rig.status(order["id"]) == "refunded", timeout=10)  # the worker asks
    assert rig.events(order["id"], "refund_requested") == 1  # one refund, then queries
    rig.books_hold(clearing=0, unapplied=0)


def test_on_postgresql_duplicate_notifications_pay_once_and_the_books_hold(
    tmp_path: Path, postgres_url: str
) -> None:
    with wechat_central(tmp_path, database=postgres_url) as pg:
        pg.wechat.sim.faults.duplicate = True
        order = pg.order(30128)
        requests.post(order["qrUrl"], timeout=5)
        wait_until(lambda: pg.status(order["id"]) == "paid", timeout=10)
        sim = pg.wechat.sim
        body = sim.notification("TRANSACTION.SUCCESS", "transaction",
                                sim._transaction(sim.orders[order["id"]]))  # fmt: skip
        url = f"{pg.central.url}/api/v1/notify/wechatpay"

        def send(_: int) -> int:
            headers = wechat_wire.signed_headers(sim.platform_key, sim.platform_key_id, body)
            return requests.post(url, data=body.encode(), headers=headers, timeout=30).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(send, range(200))) == {204}
        assert pg.events(order["id"], "paid") == 1
        pg.books_hold(clearing=30128, unapplied=30128)
