"""A kiosk killed while its customer paid a QR code: at its next start the
journal's recovery records ``qr_unresolved`` (with the session's service,
account, amount and method) and uploads it. The server settles it: the
order was paid at the provider → the payment completes (the bill lines are
settled, the account's phone hears of it, nothing is refunded); not paid →
the order is closed at the provider, so the phone can no longer pay."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import requests
from sqlalchemy import select

from central.books import ledger, verify
from central.db import orders, sms_outbox
from central.seed import DEMO_PHONE, seed_demo
from config.choices import PaymentMethod
from kiosk.bills import Bill, BillLine
from kiosk.flow import events as e
from kiosk.recovery import recover
from offline_queue.journal import Journal
from offline_queue.sync import SyncWorker
from tests.central.wechat_rig import Rig, wechat_central
from tests.kiosk.flow_harness import Harness, yuan
from tests.kiosk.test_recovery import crash, ids
from tests.waiting import wait_until

ACCOUNT = ("electricity", "3301234567")
DUE = 13988 + 10760 + 5880 - 500  # the demo's bill, less its coupon


def killed_while_paying(rig: Rig, journal_path: Path, order: dict[str, str]) -> None:
    """The kiosk's flow up to waiting for the QR payment, journaled, then kill -9."""
    h = Harness()
    seeded = Bill(*ACCOUNT, "王*华", (BillLine("电费", "Electricity", yuan(f"{DUE / 100:.2f}")),))
    h.to_method(seeded)
    h.send(e.MethodChosen(PaymentMethod.WECHAT), e.QrOrderCreated(order["id"], order["qrUrl"]))
    crash(journal_path, h)
    with Journal(journal_path) as journal:
        recover(journal, ids())  # the next start
        worker = SyncWorker(journal, rig.central.url, rig.api.token)
        assert worker.sync_once() is None and journal.outbox_counts()["pending"] == 0
        worker.stop()


def test_a_payment_made_while_the_kiosk_was_down_completes(tmp_path: Path) -> None:
    with wechat_central(tmp_path) as rig:
        seed_demo(rig.central.app.state.engine, date(2026, 11, 24))
        order = rig.order(DUE)
        requests.post(order["qrUrl"], timeout=5)  # the customer paid; the kiosk died
        wait_until(lambda: rig.status(order["id"]) == "paid", timeout=10)
        killed_while_paying(rig, tmp_path / "journal.db", order)
        bill = rig.api.get("/bills/electricity/3301234567").json()
        assert bill["lines"] == [] and bill["due"]["minor"] == 0  # the bill is paid
        engine = rig.central.app.state.engine
        with engine.connect() as conn:
            assert conn.scalar(select(orders.c.status)) == "paid"  # not refunded
            assert conn.scalar(select(orders.c.settled_by)) is not None
            notices = conn.execute(select(sms_outbox.c.phone, sms_outbox.c.text)).all()
            assert [p for p, _ in notices] == [DEMO_PHONE]
            assert ledger.balance_of(conn, "unapplied:wechat") == 0
            assert verify.problems(conn) == []
        assert rig.wechat.sim.orders[order["id"]].refunded == 0


def test_an_order_not_paid_when_the_kiosk_died_is_closed(tmp_path: Path) -> None:
    with wechat_central(tmp_path) as rig:
        seed_demo(rig.central.app.state.engine, date(2026, 11, 24))
        order = rig.order(DUE)
        killed_while_paying(rig, tmp_path / "journal.db", order)
        wait_until(lambda: rig.status(order["id"]) == "cancelled", timeout=10)
        assert rig.wechat.sim.orders[order["id"]].state == "CLOSED"
        assert requests.post(order["qrUrl"], timeout=5).status_code == 409  # too late to pay
        bill = rig.api.get("/bills/electricity/3301234567").json()
        assert bill["due"]["minor"] == DUE  # nothing settled
