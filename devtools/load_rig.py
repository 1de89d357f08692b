"""The load benches' rig: a fresh PostgreSQL database seeded with bills and
kiosks, the providers' simulators in a process of their own, and a server
process started and waited for."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import requests
from sqlalchemy import Engine, create_engine, insert

from central.auth import token_hash
from central.books import customers as books
from central.bundles import publish
from central.db import kiosks, make_engine
from central.serve import free_port
from config import bundle

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432"
HEARTBEAT = {
    "devices": {"acceptor": "ok", "printer": "ok", "card_reader": "ok"},
    "queue_depth": 0, "dead_letters": 0, "versions": {"app": "0.1.0", "bundle": "1"},
    "paper_low": False, "cashbox_notes": 120, "cashbox_fen": 1200000,
}  # fmt: skip


def bundle_document(private: str, version: int, group: str = "default") -> dict[str, object]:
    """An empty config bundle for ``group``, signed with ``private``, a day valid."""
    expires = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    return bundle.sign({"version": version, "target": {"group": group}, "expires": expires,
                        "config": {}}, private)  # fmt: skip


def payment_record(account: str, fen: int, **paid: object) -> dict[str, object]:
    """A kiosk's upload of an electricity payment: cash, or ``method=`` and
    ``details=`` of another."""
    data = {"service": "electricity", "account": account,
            "amount": {"minor": fen, "currency": "CNY"}, "method": "cash"} | paid  # fmt: skip
    return {"id": str(uuid.uuid4()), "kind": "payment_completed", "payload": {
        "kind": "payment_completed", "session": uuid.uuid4().hex,
        "at": datetime.now(UTC).isoformat(), "data": data,
    }}  # fmt: skip


def seed(engine: Engine, count: int, tokens: list[str]) -> None:
    """``count`` electricity accounts with a bill line each, and the kiosks."""
    with engine.begin() as conn:
        for n in range(count):
            account = f"{n:010d}"
            books.add_account(conn, "electricity", account, f"户主{n}", key=f"bench:{account}")
            books.add_line(conn, "electricity", account, 10000 + n % 5000, "电费", "Electricity",
                           due_date="2026-12-31")  # fmt: skip
        conn.execute(insert(kiosks), [
            {"id": f"B-{n:05d}", "token_hash": token_hash(t), "group_name": "default"}
            for n, t in enumerate(tokens)
        ])  # fmt: skip


@contextlib.contextmanager
def database() -> Iterator[str]:
    name = f"kiosk_bench_{secrets.token_hex(4)}"
    admin = create_engine(f"{ADMIN}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield f"{ADMIN}/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextlib.contextmanager
def started(command: list[str], port: int, log: IO[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` in a process group of its own, stopped with every process it
    started (a server's workers must not outlive the run, still busy)."""
    process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                requests.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            time.sleep(0.2)
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # long-polls held: it may wait for them
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # and whatever of the group is left
        process.wait()


@contextlib.contextmanager
def simulators(folder: Path, server_url: str) -> Iterator[Path]:
    """The providers' simulators in their own process; the server's settings file."""
    command = [sys.executable, "-m", "central.providersim", "--folder", str(folder),
               "--server", server_url]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - ours
    try:
        assert process.stdout is not None
        yield Path(process.stdout.readline().strip())
    finally:
        process.terminate()
        process.wait()


@dataclass(frozen=True)
class Served:
    """A seeded database and ``kiosk-central serve`` on it, bundle 1 published."""

    engine: Engine
    port: int
    pid: int
    private: str  # the operator key bundle 1 was signed with (publish the next with it)


@contextlib.contextmanager
def served(
    accounts: int, tokens: list[str], folder: Path, log: IO[bytes], *serve_args: str
) -> Iterator[Served]:
    """A fresh database with ``accounts`` bills and a kiosk for each token, the
    provider simulators, and the server (``serve_args`` added to its command)."""
    with database() as url:
        engine = make_engine(url)
        made = time.monotonic()
        seed(engine, accounts, tokens)
        print(f"seeded {accounts} accounts and {len(tokens)} kiosks in "
              f"{time.monotonic() - made:.0f} s")  # fmt: skip
        private, _ = bundle.new_key()
        publish(engine, bundle_document(private, 1))
        port = free_port()
        cli = str(Path(sys.executable).with_name("kiosk-central"))
        try:
            with simulators(folder / "sims", f"http://127.0.0.1:{port}") as settings:
                command = [cli, "serve", "--db", url, "--port", str(port), "--settings",
                           str(settings), *serve_args]  # fmt: skip
                with started(command, port, log) as server:
                    yield Served(engine, port, server.pid, private)
        finally:
            engine.dispose()
