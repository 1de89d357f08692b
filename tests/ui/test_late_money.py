"""Money that arrives after its session gave up goes back to its source, at the
whole kiosk: the screens, the app shell, the central server on loopback, and a
proxy between them that makes the server's answers arrive late (the server has
done the work; the kiosk hears of it after the customer's session ended)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from central.db import refunds
from central.serve import Central, running
from drivers.sim.netproxy import Proxy
from drivers.sim.pcscd import Slot
from drivers.sim.vicc import EmvCard
from kiosk.flow import GivenBack, State
from tests.kiosk.test_central_client import seed
from tests.ui.rig import shown_text, start_kiosk, state, to_paying, view
from tests.ui.test_card_journeys import card_reader

LATE_S = 4.0  # how late the server's answers arrive: longer than the kiosk waits


@pytest.fixture
def proxy(central: Central) -> Iterator[Proxy]:
    proxy = Proxy(urlsplit(central.url).port or 80)
    yield proxy
    proxy.close()


def kiosk_api(tmp_path: Path, central: Central) -> requests.Session:
    """The server as this kiosk sees it, without the proxy (for the assertions)."""
    token = json.loads((tmp_path / "var" / "central.json").read_text())["token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def given_back(central: Central) -> list[tuple[str, str, int]]:
    with central.app.state.engine.connect() as conn:
        rows = conn.execute(select(refunds.c.kind, refunds.c.reference, refunds.c.amount_fen))
        return [(r.kind, r.reference, r.amount_fen) for r in rows]


def test_a_qr_payment_after_the_session_gave_up_is_refunded_at_the_server(
    qtbot: QtBot, tmp_path: Path, central: Central, proxy: Proxy
) -> None:
    ui = start_kiosk(
        qtbot, tmp_path, central, proxy.url, central={"timeout_s": 8},
        timeouts={"qr_waiting": 2, "qr_cancelling": 1, "qr_poll": 1},
    )  # fmt: skip
    try:
        to_paying(qtbot, ui, "支付宝")
        qtbot.waitUntil(lambda: view(ui).qr_url is not None, timeout=10_000)
        order = str(view(ui).qr_url).rsplit("/", 1)[1]
        proxy.slow(LATE_S)
        # the phone pays at once, straight to the provider (not through the proxy)
        paid = requests.post(f"{central.url}/sandbox/pay/{order}", data={"pay": "1"}, timeout=5)
        assert paid.status_code == 200
        qtbot.waitUntil(lambda: state(ui) is State.CANCELLED, timeout=15_000)
        # the last screen: still checking, then what became of the money
        qtbot.waitUntil(lambda: view(ui).given_back is not None, timeout=15_000)
        qtbot.waitUntil(lambda: view(ui).given_back is GivenBack.REFUNDED, timeout=15_000)
        assert f"订单 {order} 的付款在本次交易结束后才到账，已退回您的支付宝" in shown_text(ui)
        api = kiosk_api(tmp_path, central)
        status = f"{central.url}/api/v1/payments/{order}"
        qtbot.waitUntil(
            lambda: api.get(status, timeout=5).json()["status"] == "refunded", timeout=30_000
        )
        assert given_back(central) == [("qr", order, 16640)]  # once, by whichever road
        journal = ui.app.journal
        assert journal is not None
        assert journal.latest_transactions("payment_completed") == []
        qtbot.waitUntil(lambda: bool(journal.latest_transactions("qr_refund")), timeout=15_000)
        [(_, refund)] = journal.latest_transactions("qr_refund")
        assert refund.data == {"order_id": order, "reason": "late_payment"}
    finally:
        ui.stop()


def test_a_card_approval_after_the_session_gave_up_is_reversed_at_the_server(
    qtbot: QtBot, tmp_path: Path, pcscd: str, slot: Slot
) -> None:
    with running(tmp_path / "central.db") as central:
        seed(central)
        proxy = Proxy(urlsplit(central.url).port or 80)
        ui = start_kiosk(
            qtbot, tmp_path, central, proxy.url, central={"timeout_s": 10},
            card_reader=card_reader(pcscd), timeouts={"card_paying": 4},
        )  # fmt: skip
        try:
            to_paying(qtbot, ui, "银行卡")
            qtbot.waitUntil(lambda: state(ui) is State.CARD_PAYING, timeout=10_000)
            proxy.slow(LATE_S + 2)  # the acquirer approves; the kiosk hears it too late
            slot.insert(EmvCard())
            qtbot.waitUntil(lambda: state(ui) is State.TIMED_OUT, timeout=15_000)
            # the approval, late, on the last screen: the customer is told it is undone
            qtbot.waitUntil(lambda: view(ui).given_back is GivenBack.REVERSED, timeout=15_000)
            assert "您的卡不会被扣款" in shown_text(ui)
            api = kiosk_api(tmp_path, central)
            journal = ui.app.journal
            assert journal is not None
            [(_, reversal)] = journal.latest_transactions("card_reversal")
            reference = str(reversal.data["reference"])
            card = f"{central.url}/api/v1/cards/{reference}"
            qtbot.waitUntil(
                lambda: api.get(card, timeout=5).json()["status"] == "reversed", timeout=30_000
            )
            # the acquirer had approved ¥166.40 before the reversal voided it
            assert given_back(central) == [("card", reference, 16640)]
            assert journal.latest_transactions("payment_completed") == []
        finally:
            ui.stop()
            proxy.close()
