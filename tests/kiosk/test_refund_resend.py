"""A refund the kiosk could not send before it stopped is carried out after the
restart: re-sent at start, and uploaded from the durable outbox."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import func, select

from central.db import refunds
from central.serve import running
from config.loader import defaults, merge, validate
from kiosk.app import KioskApp
from offline_queue.journal import Journal


def test_a_pending_refund_is_carried_out_after_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "var"
    data.mkdir()
    with running(tmp_path / "central.db") as central:
        token = central.enroll("K-R")
        auth = {"Authorization": f"Bearer {token}"}
        api = f"{central.url}/api/v1"
        body = {"userId": "3301234567", "amount": 2000, "paymentMethod": "wechat"}
        order = requests.post(f"{api}/payments/create", json=body, headers=auth, timeout=5).json()
        requests.post(f"{central.url}/sandbox/pay/{order['id']}", timeout=5).raise_for_status()
        (data / "central.json").write_text(
            json.dumps({"kiosk_id": "K-R", "group": "default", "token": token})
        )
        with Journal(data / "journal.db") as journal:  # the run before: server unreachable
            journal.append(
                "qr_refund", None, {"order_id": order["id"], "reason": "late_payment"},
                str(uuid.uuid4()),
            )  # fmt: skip
        settings = validate(merge(defaults(), {
            "paths": {"data_dir": str(data)},
            "acceptor": {"protocol": "none"},
            "card_reader": {"enabled": False},
            "central": {"url": central.url, "heartbeat_s": 1},
        }))  # fmt: skip
        app = KioskApp(settings, lambda view: None)
        app.start()
        try:
            status = f"{api}/payments/{order['id']}"
            deadline = time.monotonic() + 15
            while requests.get(status, headers=auth, timeout=5).json()["status"] != "refunded":
                assert time.monotonic() < deadline, "the pending refund was not carried out"
                time.sleep(0.1)
            assert app.journal is not None
            deadline = time.monotonic() + 15
            while app.journal.outbox_counts()["pending"]:
                assert time.monotonic() < deadline, "the refund record was not uploaded"
                time.sleep(0.1)
        finally:
            app.stop()
        with central.app.state.engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(refunds)) == 1
