"""A central server on loopback with WeChat Pay at its simulator: fresh keys,
the simulator served, the server's adapter pointed at it, a kiosk's session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from central.books import ledger, verify
from central.db import order_events
from central.providersim.run import WechatRig, wechat_rig
from central.serve import Central, free_port, running, serving
from central.settings import CentralSettings
from tests.central.conftest import Api


@dataclass
class Rig:
    central: Central
    wechat: WechatRig
    api: Api

    def order(self, fen: int = 30128) -> dict[str, Any]:
        answer = self.api.post("/payments/create", json={"userId": "3301234567", "amount": fen,
                                                         "paymentMethod": "wechat"})  # fmt: skip
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def status(self, order_id: str) -> str:
        return str(self.api.get(f"/payments/{order_id}").json()["status"])

    def books_hold(self, clearing: int, unapplied: int) -> None:
        with self.central.app.state.engine.connect() as conn:
            assert ledger.balance_of(conn, "clearing:wechat") == clearing
            assert ledger.balance_of(conn, "unapplied:wechat") == unapplied
            assert verify.problems(conn) == []

    def events(self, order_id: str, event: str) -> int:
        with self.central.app.state.engine.connect() as conn:
            found = conn.scalar(
                select(func.count()).where(
                    order_events.c.order_id == order_id, order_events.c.event == event
                )
            )
        return int(found or 0)


@contextmanager
def wechat_central(
    folder: Path, database: str | None = None, mode: str = "public_key"
) -> Iterator[Rig]:
    port = free_port()
    made = wechat_rig(folder, f"http://127.0.0.1:{port}/api/v1/notify/wechatpay", mode=mode)
    with serving(made.sim.app) as url:
        made.sim.base_url = url
        made.settings = replace(made.settings, gateway=url)
        settings = CentralSettings(wechat=made.settings)
        with running(database or folder / "central.db", port=port, settings=settings) as central:
            yield Rig(central, made, Api(central, "K-1"))
