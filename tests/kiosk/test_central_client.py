"""The flow asking the real central server: bill lookup and a QR payment paid
on the sandbox page; a server that is down or answers nonsense."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import cast

import pytest
import requests
from sqlalchemy import select

from central.books import customers
from central.db import sms_outbox
from central.enrollment import new_enrollment_code
from central.seed import DEMO_PHONE, seed_demo
from central.serve import Central, free_port, running
from config.choices import PaymentMethod
from kiosk.flow import Notice, PayFlow, State
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.shell.central import BadAnswer, CentralService, bill_from_json, enroll
from kiosk.shell.runner import FlowRunner
from offline_queue.journal import Journal
from tests.kiosk.flow_harness import SETTINGS, yuan
from tests.waiting import wait_until


def seed(central: Central) -> None:
    with central.app.state.engine.begin() as conn:
        customers.add_account(conn, "electricity", "3301234567", "王*华")
        customers.add_line(conn, "electricity", "3301234567", 16640, "10月电费", "Oct")


def kiosk(journal: Journal, url: str, token: str) -> tuple[FlowRunner, CentralService]:
    services: list[CentralService] = []

    def service(command: c.Command) -> None:
        if isinstance(command, CentralService.COMMANDS):
            services[0].execute(command)

    runner = FlowRunner(PayFlow(SETTINGS), journal, services=service)
    services.append(CentralService(url, token, runner.post, timeout_s=2))
    runner.start()
    return runner, services[0]


def test_lookup_and_qr_payment_on_the_sandbox(tmp_path: Path) -> None:
    with running(tmp_path / "c.db") as central, Journal(tmp_path / "j.db") as journal:
        seed(central)
        runner, service = kiosk(journal, central.url, central.enroll())
        try:
            for event in (
                e.StartPressed(),
                e.ServiceChosen("electricity"),
                e.AccountEntered("3301234567"),
            ):
                runner.post(event).wait(2)
            wait_until(lambda: runner.flow.state is State.BILL_SHOWN)
            assert runner.flow.view().bill.due == yuan("166.40")  # type: ignore[union-attr]
            runner.post(e.AmountChosen(yuan("166.40"))).wait(2)
            runner.post(e.MethodChosen(PaymentMethod.WECHAT)).wait(2)
            wait_until(lambda: runner.flow.view().qr_url is not None)
            url = runner.flow.view().qr_url
            assert url is not None and "/sandbox/pay/" in url
            assert requests.post(url, timeout=5).status_code == 200  # the customer's phone
            # the state moves before the runner has run the journal command: wait for it
            wait_until(lambda: bool(journal.latest(["payment_completed"])))
            [done] = journal.latest(["payment_completed"])
            assert done.data["method"] == "wechat"
        finally:
            runner.stop()
            service.stop()


def test_server_down_is_server_unavailable(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        runner, service = kiosk(journal, f"http://127.0.0.1:{free_port()}", "t")
        try:
            for event in (
                e.StartPressed(),
                e.ServiceChosen("electricity"),
                e.AccountEntered("3301234567"),
            ):
                runner.post(event).wait(2)
            wait_until(lambda: runner.flow.view().notice is Notice.SERVER_UNAVAILABLE)
            assert runner.flow.state is State.IDENTIFY
        finally:
            runner.stop()
            service.stop()


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"service": "electricity", "account": "1", "holder": "x", "lines": [{"label_zh": "a"}]},
        {"service": "electricity", "account": "1", "holder": "x", "lines": [
            {"label_zh": "a", "label_en": "a", "amount": {"minor": 1.5, "currency": "CNY"}}]},
        {"service": "e", "account": "1", "holder": "x", "lines": [], "usage_this_period": "lots"},
        {"service": "e", "account": "1", "holder": "x", "lines": [
            {"label_zh": "a", "label_en": "a", "amount": {"minor": 1000, "currency": "CNY"}}],
         "credit_applied": {"minor": 372, "currency": "CNY"},
         "due": {"minor": 1000, "currency": "CNY"}},  # the due is not lines less credit
        {"service": "e", "account": "1", "holder": "x", "lines": [],
         "credit_applied": {"minor": -5, "currency": "CNY"}},
    ],
)  # fmt: skip
def test_a_bill_that_is_not_a_bill_is_refused(answer: object) -> None:
    with pytest.raises(BadAnswer, match="not a bill"):
        bill_from_json(answer)


def test_the_credit_the_server_applies_comes_off_the_due() -> None:
    found = bill_from_json(
        {"service": "e", "account": "1", "holder": "x",
         "lines": [{"label_zh": "a", "label_en": "a",
                    "amount": {"minor": 12000, "currency": "CNY"}}],
         "credit_applied": {"minor": 372, "currency": "CNY"},
         "due": {"minor": 11628, "currency": "CNY"}}
    )  # fmt: skip
    assert found.credit == yuan("3.72") and found.due == yuan("116.28")


def test_phone_lookup_through_the_flow_with_the_texted_code(tmp_path: Path) -> None:

    with running(tmp_path / "c.db") as central, Journal(tmp_path / "j.db") as journal:
        seed_demo(central.app.state.engine, date(2026, 11, 24))
        runner, service = kiosk(journal, central.url, central.enroll())
        try:
            for event in (
                e.StartPressed(),
                e.ServiceChosen("electricity"),
                e.PhoneEntered(DEMO_PHONE),
            ):
                runner.post(event).wait(2)

            def texted() -> str | None:
                with central.app.state.engine.connect() as conn:
                    return cast(
                        str | None,
                        conn.scalar(select(sms_outbox.c.text).where(sms_outbox.c.kind == "code")),
                    )

            wait_until(lambda: texted() is not None)
            code = re.search(r"\d{6}", texted() or "").group()  # type: ignore[union-attr]
            runner.post(e.CodeEntered("000000" if code != "000000" else "111111")).wait(2)
            wait_until(lambda: runner.flow.view().notice is Notice.ACCOUNT_NOT_FOUND)
            runner.post(e.CodeEntered(code)).wait(2)
            wait_until(lambda: runner.flow.state is State.BILL_SHOWN)
            found = runner.flow.view().bill
            assert found is not None and found.account == "3301234567"
            assert found.discount == yuan("5.00") and found.coupons[0].code == "WINTER5"
        finally:
            service.stop()
            runner.stop()


def test_bills_with_bad_coupons_or_balances_are_refused() -> None:
    good = {"service": "water", "account": "1", "holder": "x", "lines": []}
    assert bill_from_json(
        good | {"prepaid_balance": {"minor": 5, "currency": "CNY"}}
    ).prepaid_balance == yuan("0.05")
    for bad in (
        {
            "coupons": [
                {
                    "code": "A",
                    "label_zh": "a",
                    "label_en": "a",
                    "amount": {"minor": -5, "currency": "CNY"},
                }
            ]
        },
        {
            "coupons": [
                {
                    "code": "A",
                    "label_zh": "a",
                    "label_en": "a",
                    "amount": {"minor": 1.5, "currency": "CNY"},
                }
            ]
        },
        {"prepaid_balance": "lots"},
    ):
        with pytest.raises(BadAnswer):
            bill_from_json(good | bad)


@pytest.mark.parametrize(
    "units", ["-5", "0", "1e9", "175.171", "１７５", "175.17; DROP TABLE", "<b>9</b>", ""]
)
def test_a_reissue_with_units_a_card_cannot_hold_is_refused(units: str) -> None:
    good = {"service": "electricity", "account": "1", "holder": "x", "lines": []}
    reissue = {"transaction": "6f1d3c56-0000-4000-8000-000000000001", "units": "175.17",
               "amount": {"minor": 10000, "currency": "CNY"}}  # fmt: skip
    [parsed] = bill_from_json(good | {"card_reissues": [reissue]}).card_reissues
    assert (parsed.units, parsed.amount) == ("175.17", yuan("100"))
    for bad in ({**reissue, "units": units}, {**reissue, "transaction": "not-a-uuid"}):
        with pytest.raises(BadAnswer, match="not a bill"):
            bill_from_json(good | {"card_reissues": [bad]})


def test_enrollment_keeps_the_credential_for_the_kiosk_user_only(tmp_path: Path) -> None:
    with running(tmp_path / "c.db") as central:
        code = new_enrollment_code(central.app.state.engine, "K-3", "north")
        path = tmp_path / "data" / "central.json"
        credentials = enroll(central.url, code, path)
        assert (credentials.kiosk_id, credentials.group) == ("K-3", "north")
        assert path.stat().st_mode & 0o777 == 0o600
        assert json.loads(path.read_text())["token"] == credentials.token
        with pytest.raises(requests.HTTPError):  # a code works once
            enroll(central.url, code, tmp_path / "again.json")


def test_a_held_status_poll_answers_paid_at_once_and_a_cancel_is_not_queued_behind_it(
    tmp_path: Path,
) -> None:
    with running(tmp_path / "c.db") as central:
        token = central.enroll()
        answers: list[object] = []
        service = CentralService(central.url, token, answers.append, timeout_s=2, qr_hold_s=20)
        headers = {"Authorization": f"Bearer {token}"}
        body = {"userId": "3301234567", "amount": 16640, "paymentMethod": "wechat"}
        made = [requests.post(f"{central.url}/api/v1/payments/create", json=body,
                              headers=headers, timeout=5).json() for _ in range(2)]  # fmt: skip
        held, other = made
        try:
            service.execute(c.QueryQrOrder(held["id"]))
            service.execute(c.CancelQrOrder(other["id"]))
            wait_until(lambda: answers == [e.QrCancelled(other["id"])], timeout=5)
            assert requests.post(held["qrUrl"], timeout=5).status_code == 200  # the phone
            wait_until(lambda: len(answers) == 2, timeout=5)  # the hold is 20 s
            assert answers[1] == e.QrPaid(held["id"])
        finally:
            service.stop()
