"""10,000 re-uploads of the same batch store each transaction once."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from central.db import transactions
from central.serve import Central
from tests.central.conftest import Api

UPLOADS = 10_000


def test_ten_thousand_re_uploads_store_each_transaction_once(central: Central) -> None:
    batch = [
        {"id": str(uuid.uuid4()), "kind": "payment_completed",
         "payload": {"amount": {"minor": 100 + n, "currency": "CNY"}}}
        for n in range(5)
    ]  # fmt: skip
    first = Api(central, "K-1")
    sessions = [first] + [Api(central, "K-1", token=first.token) for _ in range(3)]  # one each

    def upload(n: int) -> tuple[int, int]:
        answer = sessions[n % 4].post("/transactions/batch", json={"transactions": batch})
        assert answer.status_code == 200
        body = answer.json()
        return len(body["stored"]), len(body["duplicates"])

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(upload, range(UPLOADS)))
    assert sum(stored for stored, _ in results) == len(batch)
    assert sum(dupes for _, dupes in results) == len(batch) * (UPLOADS - 1)
    with central.app.state.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(transactions)) == len(batch)
