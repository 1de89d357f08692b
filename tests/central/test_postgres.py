"""The reference server on a real PostgreSQL: migrations, idempotent uploads
under concurrency, bills, orders and bundles."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, insert, select

from central.bundles import publish
from central.db import kiosks, make_engine, metadata, transactions
from central.seed import seed_demo
from central.serve import running
from central.uploads import insert_new
from offline_queue.journal import Journal
from offline_queue.sync import SyncWorker
from tests.central.conftest import Api
from tests.central.test_bundle_poller import signed
from tests.central.test_sync import fill


def test_migrations_match_the_tables(postgres_url: str) -> None:
    with running(postgres_url) as central, central.app.state.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_concurrent_re_uploads_store_each_transaction_once(postgres_url: str) -> None:
    with running(postgres_url) as central:
        api = Api(central, "K-1")
        batch = [
            {"id": str(uuid.uuid4()), "kind": "payment_completed",
             "payload": {"amount": {"minor": 100 + n, "currency": "CNY"}}}
            for n in range(200)
        ]  # fmt: skip

        def send(_: int) -> list[str]:
            answer = api.post("/transactions/batch", json={"transactions": batch})
            assert answer.status_code == 200
            return list(answer.json()["stored"])

        with ThreadPoolExecutor(8) as pool:
            stored = [tx for result in pool.map(send, range(40)) for tx in result]
        assert sorted(stored) == sorted(str(item["id"]) for item in batch)  # each once, in all
        with central.app.state.engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(transactions)) == 200


def test_an_upload_takes_its_ids_in_order_so_two_uploads_wait_rather_than_deadlock(
    postgres_url: str,
) -> None:
    """One upload holds id A and is about to take B; another sends B, A. Taken
    in the order sent, the second would hold B and wait for A: a deadlock.
    Taken by id, it waits for A first, and then finds both taken."""
    engine = make_engine(postgres_url)
    kiosk = f"K-{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(insert(kiosks).values(id=kiosk, token_hash=uuid.uuid4().hex))
    row = {"kiosk_id": kiosk, "kind": "payment_completed", "payload": "{}"}
    a, b = sorted(str(uuid.uuid4()) for _ in range(2))
    try:
        with engine.connect() as first:
            first.begin()
            assert insert_new(first, [{**row, "id": a}]) == {a}
            with ThreadPoolExecutor(1) as pool:

                def second() -> set[str]:
                    with engine.begin() as conn:
                        return insert_new(conn, [{**row, "id": b}, {**row, "id": a}])

                waiting = pool.submit(second)
                time.sleep(0.5)  # the second upload is waiting on A, holding nothing
                assert insert_new(first, [{**row, "id": b}]) == {b}  # no deadlock here
                first.commit()
                assert waiting.result(timeout=10) == set()  # both were taken by then
    finally:
        engine.dispose()


def test_bills_orders_and_bundles_on_postgres(postgres_url: str) -> None:
    with running(postgres_url) as central:
        seed_demo(central.app.state.engine, date(2026, 11, 24))
        api = Api(central, "K-1")
        bill = api.get("/bills/electricity/3301234567").json()
        assert bill["arrears"]["minor"] == 13988 and bill["coupons"][0]["code"] == "WINTER5"
        body = {"userId": "3301234567", "amount": 30128, "paymentMethod": "alipay"}
        order = api.post("/payments/create", json=body).json()
        assert api.get(f"/payments/{order['id']}").json()["status"] == "created"
        publish(central.app.state.engine, signed(1))
        central.app.state.bundles.refresh()
        assert api.get("/config/bundle").headers["ETag"] == '"1"'


def test_migrations_match_the_tables_on_sqlite(tmp_path: Path) -> None:
    with running(tmp_path / "c.db") as central, central.app.state.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_a_database_that_goes_away_answers_503_and_the_kiosk_retries(
    postgres_url: str, tmp_path: Path
) -> None:
    with running(postgres_url) as central, Journal(tmp_path / "j.db") as journal:
        api = Api(central, "K-1")
        fill(journal, 10)
        admin = create_engine(postgres_url.rsplit("/", 1)[0] + "/postgres",
                              isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{postgres_url.rsplit("/", 1)[1]}" WITH (FORCE)')
        admin.dispose()
        answer = api.get("/bills/electricity/3301234567")
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "2"
        worker = SyncWorker(journal, central.url, api.token, timeout_s=5)
        assert worker.sync_once() is not None  # wait and try again: nothing dead
        assert journal.outbox_counts() == {"pending": 10, "sent": 0, "dead": 0}
        worker.stop()


def test_connections_the_database_dropped_cost_one_503_then_the_pool_is_renewed(
    postgres_url: str,
) -> None:
    """No ping before each use: the first request on a dropped connection fails
    (503, the kiosk retries); the pool is renewed and the next one is served."""
    with running(postgres_url) as central:
        seed_demo(central.app.state.engine, date(2026, 11, 24))
        api = Api(central, "K-1")
        assert api.get("/bills/electricity/3301234567").status_code == 200
        assert api.post("/transactions/batch", json={"transactions": []}).status_code == 200
        admin = create_engine(postgres_url.rsplit("/", 1)[0] + "/postgres",
                              isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as conn:  # a database restart, as the server's pools see it
            dropped = conn.exec_driver_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                f"WHERE datname = '{postgres_url.rsplit('/', 1)[1]}'"
            ).scalar()
        admin.dispose()
        assert dropped
        answers = [api.get("/bills/electricity/3301234567").status_code for _ in range(3)]
        print("lookups after the drop:", answers)
        assert answers[0] in (200, 503) and answers[1:] == [200, 200]
        body = {"transactions": [{"id": str(uuid.uuid4()), "kind": "payment_completed",
                                  "payload": {"data": {}}}]}  # fmt: skip
        uploads = [api.post("/transactions/batch", json=body).status_code for _ in range(3)]
        print("uploads after the drop:", uploads)
        assert uploads[0] in (200, 503) and uploads[1:] == [200, 200]
