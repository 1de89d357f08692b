"""Kiosks as locust users: each holds its config long-poll, beats every 30 s and
serves customers (a busy peak: one a minute on average) through the whole
journey — bill lookup, a WeChat Pay order, the phone paying it at the
provider simulator (which notifies the server), the kiosk's status poll held
until the order is paid (``?wait=``, as kiosks hold it: central.qr_hold_s),
and the payment uploaded. The whole payment (the
phone's part left out) is reported as ``payment``.

Run by ``make load`` (bench/load.py), which makes the database, the
simulators, the server and the kiosks' credentials (``KIOSK_TOKENS``: a file,
one a line)."""

from __future__ import annotations

import itertools
import os
import random
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, events, task

TOKENS = Path(os.environ.get("KIOSK_TOKENS", "var/load/tokens.txt"))
ACCOUNTS = int(os.environ.get("KIOSK_ACCOUNTS", "5000"))
PACE_S = float(os.environ.get("KIOSK_PACE_S", "60"))
POLL_S = float(os.environ.get("KIOSK_POLL_S", "2"))  # between holds (timeouts.qr_poll)
HOLD_S = int(os.environ.get("KIOSK_HOLD_S", "15"))  # a status poll's hold (central.qr_hold_s)
WAIT_S = 300  # as the kiosks hold it (central.bundle_wait_s)
HEARTBEAT = {
    "devices": {"acceptor": "ok", "printer": "ok", "card_reader": "ok"},
    "queue_depth": 0, "versions": {"app": "0.1.0"}, "cashbox_notes": 120,
}  # fmt: skip
_tokens: itertools.cycle[str] | None = None


def _next_token() -> str:
    global _tokens  # noqa: PLW0603 - one list of credentials a locust process
    if _tokens is None:
        _tokens = itertools.cycle(TOKENS.read_text(encoding="utf-8").split())
    return next(_tokens)


class Kiosk(FastHttpUser):
    """One kiosk: its credential, its long-poll and heartbeats in greenlets of
    their own, customers as its task."""

    def wait_time(self) -> float:
        return random.expovariate(1 / PACE_S)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {_next_token()}"}
        self.etag = '"0"'
        self.helpers = [gevent.spawn(self._long_poll), gevent.spawn(self._heartbeats)]

    def on_stop(self) -> None:
        gevent.killall(self.helpers)

    def _long_poll(self) -> None:
        while True:
            with self.client.get(
                f"/api/v1/config/bundle?wait={WAIT_S}", name="bundle long-poll",
                headers={**self.headers, "If-None-Match": self.etag}, catch_response=True,
            ) as answer:  # fmt: skip
                if answer.status_code in (200, 304):
                    self.etag = answer.headers.get("ETag", self.etag)
                    answer.success()
                else:
                    answer.failure(f"HTTP {answer.status_code}")
                    gevent.sleep(1)

    def _heartbeats(self) -> None:
        gevent.sleep(random.uniform(0, 30))
        while True:
            self.client.post("/api/v1/heartbeat", json=HEARTBEAT, headers=self.headers,
                             name="heartbeat")  # fmt: skip
            gevent.sleep(30)

    @task
    def customer(self) -> None:
        account = f"{random.randrange(ACCOUNTS):010d}"
        began = time.perf_counter()
        lookup = self.client.get(f"/api/v1/bills/electricity/{account}", headers=self.headers,
                                 name="bill lookup")  # fmt: skip
        if lookup.status_code != 200:
            return
        ask = {"userId": account, "amount": 100, "paymentMethod": "wechat"}
        made = self.client.post("/api/v1/payments/create", json=ask, headers=self.headers,
                                name="order create")  # fmt: skip
        if made.status_code != 200 or made.json() is None:
            return
        order: dict[str, Any] = made.json()
        scanned = time.perf_counter()
        paid = self.client.post(order["qrUrl"], name="phone pays (simulator)")
        if paid.status_code != 200:
            return
        scanning = time.perf_counter() - scanned
        if not self._paid(order["id"]):
            return
        self._upload(account, order["id"])
        events.request.fire(
            request_type="JOURNEY", name="payment", context={}, exception=None,
            response_time=(time.perf_counter() - began - scanning) * 1000, response_length=0,
        )  # fmt: skip

    def _paid(self, order_id: str) -> bool:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = self.client.get(f"/api/v1/payments/{order_id}?wait={HOLD_S}",
                                     headers=self.headers, name="order status")  # fmt: skip
            if status.status_code == 200 and status.json()["status"] == "paid":
                return True
            gevent.sleep(POLL_S)
        return False

    def _upload(self, account: str, order_id: str) -> None:
        data = {
            "service": "electricity",
            "account": account,
            "method": "wechat",
            "amount": {"minor": 100, "currency": "CNY"},
            "details": {"order_id": order_id},
        }
        record = {"id": str(uuid.uuid4()), "kind": "payment_completed", "payload": {
            "kind": "payment_completed", "session": uuid.uuid4().hex,
            "at": datetime.now(UTC).isoformat(), "data": data,
        }}  # fmt: skip
        self.client.post("/api/v1/transactions/batch", json={"transactions": [record]},
                         headers=self.headers, name="upload")  # fmt: skip
