"""Heartbeats written behind: one row a kiosk with its newest heartbeat, written
within a second, in one statement for many kiosks; kept through a failed
write; the last second written when the server stops."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from central.db import kiosk_status, make_async_engine, make_engine
from central.heartbeats import HeartbeatWriter
from central.serve import running
from tests.central.conftest import Api
from tests.waiting import wait_until


def beat(n: int) -> dict[str, object]:
    return {"devices": {"acceptor": "ok"}, "queue_depth": n}


def status(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(kiosk_status.c.kiosk_id, kiosk_status.c.body)).all()
    return {str(kiosk): int(json.loads(body)["queue_depth"]) for kiosk, body in rows}


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_each_kiosk_keeps_its_newest_heartbeat_in_one_row(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("postgres_url") if database == "postgres" else tmp_path / "c.db"
    with running(url) as central:
        one, two = Api(central, "K-1"), Api(central, "K-2")
        for n in range(3):
            assert one.post("/heartbeat", json=beat(n)).status_code == 204
        assert two.post("/heartbeat", json=beat(7)).status_code == 204
        engine = central.app.state.engine
        wait_until(lambda: status(engine) == {"K-1": 2, "K-2": 7}, timeout=5)
        assert one.post("/heartbeat", json=beat(9)).status_code == 204
        wait_until(lambda: status(engine) == {"K-1": 9, "K-2": 7}, timeout=5)


def test_the_last_second_is_written_when_the_server_stops(tmp_path: Path) -> None:
    with running(tmp_path / "c.db") as central:
        Api(central, "K-1")  # enrolled
        central.app.state.heartbeats.add("K-1", json.dumps(beat(5)))  # not yet flushed
        engine = central.app.state.engine
    assert status(engine) == {"K-1": 5}


def test_a_failed_write_keeps_the_heartbeats_and_a_newer_one_wins(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO kiosks (id, token_hash) VALUES ('K-1', 'x')")

    async def scenario() -> tuple[int, int, int]:
        database = make_async_engine(url)
        writer = HeartbeatWriter(database)
        writer.add("K-1", json.dumps(beat(1)))
        writer.add("K-2", json.dumps(beat(1)))  # not (yet) a kiosk: the statement fails
        failed = await writer.flush()
        kept = writer.pending
        with engine.begin() as conn:  # enrolled meanwhile
            conn.exec_driver_sql("INSERT INTO kiosks (id, token_hash) VALUES ('K-2', 'y')")
        writer.add("K-1", json.dumps(beat(2)))  # newer than the one kept
        written = await writer.flush()
        await database.dispose()
        return failed, kept, written

    assert asyncio.run(scenario()) == (0, 2, 2)
    assert status(engine) == {"K-1": 2, "K-2": 1}
