"""Bills, the two platform calls and the sandbox provider, on the real server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import requests

from central.books import customers
from central.serve import Central, running


def seed(central: Central) -> None:
    with central.app.state.engine.begin() as conn:
        customers.add_account(conn, "electricity", "3301234567", "王*华")
        customers.add_line(conn, "electricity", "3301234567", 16640, "10月电费", "Oct",
                           due_date="2026-11-30")  # fmt: skip


def test_bill_lookup(tmp_path: Path) -> None:
    with running(tmp_path / "c.db") as central:
        seed(central)
        headers = {"Authorization": f"Bearer {central.enroll()}"}
        url = f"{central.url}/api/v1/bills/electricity"
        answer = requests.get(f"{url}/3301234567", headers=headers, timeout=5).json()
        assert answer["holder"] == "王*华"
        assert answer["lines"][0]["amount"] == {"minor": 16640, "currency": "CNY"}
        assert requests.get(f"{url}/0000000000", headers=headers, timeout=5).status_code == 404
        assert requests.get(f"{url}/3301234567", timeout=5).status_code == 401


def test_qr_payment_through_the_sandbox_page(tmp_path: Path) -> None:
    with running(tmp_path / "c.db") as central:
        headers = {"Authorization": f"Bearer {central.enroll('K-1')}"}
        api = f"{central.url}/api/v1"
        body = {"userId": "3301234567", "amount": 16640, "paymentMethod": "wechat"}
        order = requests.post(
            f"{api}/payments/create", json=body, headers=headers, timeout=5
        ).json()
        assert order["status"] == "created" and order["qrUrl"].endswith(
            f"/sandbox/pay/{order['id']}"
        )
        page = requests.get(order["qrUrl"], timeout=5)
        assert "￥166.40" in page.text and "Pay" in page.text
        assert requests.post(order["qrUrl"], timeout=5).status_code == 200  # the phone pays
        status = requests.get(f"{api}/payments/{order['id']}", headers=headers, timeout=5).json()
        assert status["status"] == "paid"
        assert requests.post(order["qrUrl"], timeout=5).status_code == 409  # paid once
        listed = requests.get(
            f"{api}/orders", params={"userId": "3301234567"}, headers=headers, timeout=5
        ).json()
        assert [o["id"] for o in listed] == [order["id"]]
        # another kiosk sees none of it
        other = {"Authorization": f"Bearer {central.enroll('K-2')}"}
        assert (
            requests.get(f"{api}/payments/{order['id']}", headers=other, timeout=5).status_code
            == 404
        )
        assert (
            requests.get(
                f"{api}/orders", params={"userId": "3301234567"}, headers=other, timeout=5
            ).json()
            == []
        )


def test_bad_payment_requests_are_refused(tmp_path: Path) -> None:
    with running(tmp_path / "c.db") as central:
        headers = {"Authorization": f"Bearer {central.enroll()}"}
        url = f"{central.url}/api/v1/payments/create"
        for body in (
            {"userId": "1' OR '1'='1", "amount": 100, "paymentMethod": "cash"},
            {"userId": "3301", "amount": 1.5, "paymentMethod": "cash"},
            {"userId": "3301", "amount": -100, "paymentMethod": "cash"},
            {"userId": "3301", "amount": 100, "paymentMethod": "bitcoin"},
        ):
            assert requests.post(url, json=body, headers=headers, timeout=5).status_code == 422


def _order(api: str, headers: dict[str, str]) -> dict[str, str]:
    body = {"userId": "3301234567", "amount": 16640, "paymentMethod": "wechat"}
    answer = requests.post(f"{api}/payments/create", json=body, headers=headers, timeout=5)
    assert answer.status_code == 200, answer.text
    order: dict[str, str] = answer.json()
    return order


def _held_poll(
    api: str, order_id: str, headers: dict[str, str]
) -> tuple[threading.Thread, list[tuple[str, float]]]:
    """A status poll held 30 s on a thread of its own, a second after it was
    sent: the thread, and where its (status, seconds) will land."""
    held: list[tuple[str, float]] = []

    def hold() -> None:
        started = time.monotonic()
        answer = requests.get(f"{api}/payments/{order_id}", params={"wait": 30},
                              headers=headers, timeout=40)  # fmt: skip
        held.append((answer.json()["status"], time.monotonic() - started))

    thread = threading.Thread(target=hold)
    thread.start()
    time.sleep(1)
    return thread, held


def test_a_held_status_poll_is_answered_when_the_order_is_paid_not_at_the_end_of_its_hold(
    tmp_path: Path,
) -> None:
    with running(tmp_path / "c.db") as central:
        headers = {"Authorization": f"Bearer {central.enroll('K-1')}"}
        api = f"{central.url}/api/v1"
        order = _order(api, headers)
        thread, held = _held_poll(api, order["id"], headers)
        assert held == []  # still held: the order waits to be paid
        assert requests.post(order["qrUrl"], timeout=5).status_code == 200  # the phone pays
        thread.join(40)
        [(status, seconds)] = held
        assert status == "paid"
        assert seconds < 10, seconds  # a 30-s hold: only the payment ended it


def test_a_held_status_poll_of_an_unpaid_order_answers_created_when_its_hold_ends(
    tmp_path: Path,
) -> None:
    with running(tmp_path / "c.db") as central:
        headers = {"Authorization": f"Bearer {central.enroll('K-1')}"}
        api = f"{central.url}/api/v1"
        order = _order(api, headers)
        started = time.monotonic()
        answer = requests.get(f"{api}/payments/{order['id']}", params={"wait": 1},
                              headers=headers, timeout=10)  # fmt: skip
        assert answer.json()["status"] == "created"
        assert time.monotonic() - started >= 1
        too_long = requests.get(f"{api}/payments/{order['id']}", params={"wait": 31},
                                headers=headers, timeout=10)  # fmt: skip
        assert too_long.status_code == 422
        cancelled = requests.post(f"{api}/payments/{order['id']}/cancel", headers=headers,
                                  timeout=5)  # fmt: skip
        assert cancelled.json()["status"] == "cancelled"
        started = time.monotonic()
        answer = requests.get(f"{api}/payments/{order['id']}", params={"wait": 30},
                              headers=headers, timeout=10)  # fmt: skip
        assert answer.json()["status"] == "cancelled"  # nothing to wait for: at once
        assert time.monotonic() - started < 5


def test_a_server_that_stops_answers_its_held_status_polls_at_once(tmp_path: Path) -> None:
    with running(tmp_path / "c.db") as central:
        headers = {"Authorization": f"Bearer {central.enroll('K-1')}"}
        api = f"{central.url}/api/v1"
        order = _order(api, headers)

        thread, held = _held_poll(api, order["id"], headers)
        stopping = time.monotonic()
    stopped = time.monotonic() - stopping
    thread.join(40)
    [(status, seconds)] = held
    assert status == "created" and seconds < 10 and stopped < 10, (seconds, stopped)
