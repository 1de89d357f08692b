"""The real reference server on loopback with a real SQLite file, and a kiosk's
authenticated HTTP session against it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from central.seed import seed_demo
from central.serve import Central, running


class Api(requests.Session):
    """A kiosk's session: its credential on every call, paths under /api/v1."""

    def __init__(
        self, central: Central, kiosk_id: str, group: str = "default", token: str | None = None
    ) -> None:
        super().__init__()
        self.base = f"{central.url}/api/v1"
        self.token = token or central.enroll(kiosk_id, group)
        self.headers["Authorization"] = f"Bearer {self.token}"

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return super().request(method, f"{self.base}{url!s}", *args, **kwargs)


def populate(url: str | Path, kiosk: str = "K-1", count: int = 300, *, seed: bool = True) -> None:
    """A kiosk's ``count`` payments uploaded, and (``seed``) the demo city's
    accounts and bills."""
    with running(url) as central:
        api = Api(central, kiosk)
        batch = [
            {"id": str(uuid.uuid4()), "kind": "payment_completed",
             "payload": {"amount": {"minor": 100 + n, "currency": "CNY"}}}
            for n in range(count)
        ]  # fmt: skip
        assert api.post("/transactions/batch", json={"transactions": batch}).status_code == 200
        if seed:
            seed_demo(central.app.state.engine, date(2026, 11, 24))


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Central]:
    with running(tmp_path / "central.db") as server:
        yield server


POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database on 127.0.0.1:5432, dropped afterwards. `make test`
    installs and starts PostgreSQL; elsewhere a missing server skips, saying so."""
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    name = f"kiosk_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"no PostgreSQL server on 127.0.0.1:5432: {str(exc).splitlines()[0]}")
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
