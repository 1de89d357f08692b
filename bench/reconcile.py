"""Reconciliation of a busy day: ``--orders`` WeChat Pay orders paid, in the
server's database and in the simulator's trade bill, reconciled by
``central.reconcile`` (the statement downloaded over HTTP, parsed, compared
order by order). Prints the seconds (goal: 10,000 orders in under 10 s).

    python bench/reconcile.py [--orders 10000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from central.db import kiosks, order_events, orders
from central.providersim.wechat import CST, SimOrder
from central.reconcile import reconcile
from tests.central.wechat_rig import wechat_central


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, wechat_central(Path(folder)) as rig:
        now = datetime.now(CST)
        engine = rig.central.app.state.engine
        ids = [f"OD{n:012d}" for n in range(args.orders)]
        with engine.begin() as conn:
            conn.execute(insert(kiosks).values(id="K-BENCH", token_hash="bench"))
            conn.execute(insert(orders), [
                {"id": i, "kiosk_id": "K-BENCH", "user_id": "u", "amount_fen": 100 + n % 900,
                 "method": "wechat", "status": "paid", "provider": "wechat",
                 "trade_no": f"4200{n:020d}"}
                for n, i in enumerate(ids)
            ])  # fmt: skip
            conn.execute(insert(order_events), [
                {"order_id": i, "event": "paid", "detail": "", "at": now.astimezone(UTC)}
                for i in ids
            ])  # fmt: skip
        settings = rig.wechat.settings
        for n, order_id in enumerate(ids):
            rig.wechat.sim.orders[order_id] = SimOrder(
                order_id, settings.appid, settings.mchid, "bench", 100 + n % 900, "", now,
                f"t{n}", "SUCCESS", f"4200{n:020d}", now,
            )  # fmt: skip
        start = time.perf_counter()
        found = reconcile(engine, rig.central.app.state.providers["wechat"], now.date())
        seconds = time.perf_counter() - start
    print(f"reconciled {args.orders:,} orders in {seconds:.2f} s ({len(found)} differences; "
          f"goal under 10 s: {'met' if seconds < 10 else 'NOT met'})")  # fmt: skip


if __name__ == "__main__":
    main()
