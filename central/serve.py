"""The reference central server in a background thread: uvicorn on loopback with
a real SQLite file (tests, benchmarks, demos)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp

from central.app import create_app
from central.enrollment import new_enrollment_code
from central.settings import CentralSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Central:
    url: str
    app: FastAPI
    verify: bool | str = True  # its own certificate, when it serves HTTPS

    def enroll(self, kiosk_id: str = "K-1", group: str = "default") -> str:
        """Enroll ``kiosk_id`` with a fresh one-time code; its bearer credential."""
        code = new_enrollment_code(self.app.state.engine, kiosk_id, group)
        response = requests.post(
            f"{self.url}/api/v1/enroll", json={"code": code}, timeout=5, verify=self.verify
        )
        response.raise_for_status()
        return str(response.json()["token"])


@contextmanager
def serving(app: ASGIApp, port: int = 0, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """``app`` on 127.0.0.1 (a free port unless given; HTTPS with ``tls``, a
    certificate and key) in a thread: its URL."""
    certificate, key = (str(tls[0]), str(tls[1])) if tls is not None else (None, None)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning",
        ssl_certfile=certificate, ssl_keyfile=key,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"{'https' if tls is not None else 'http'}://127.0.0.1:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def running(
    database: Path | str,
    port: int | None = None,
    wrap: Callable[[ASGIApp], ASGIApp] | None = None,
    tls: tuple[Path, Path] | None = None,
    settings: CentralSettings | None = None,
) -> Iterator[Central]:
    """The server on loopback: ``database`` is a SQLite file or a database URL;
    ``wrap``: an ASGI middleware around the app (the crash harness watches uploads);
    ``tls``: (certificate, key) PEM files to serve HTTPS with; ``settings``: its
    providers (by default none, and the sandbox provider enabled: this helper
    serves tests and demos)."""
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    app = create_app(url, settings=settings or CentralSettings(sandbox=True))
    port = port or free_port()
    served: ASGIApp = wrap(app) if wrap is not None else app
    try:
        with serving(served, port, tls) as base:
            try:
                yield Central(base, app, str(tls[0]) if tls is not None else True)
            finally:  # held status polls answered, so that the server stops at once
                app.state.orders.close_soon()
    finally:
        app.state.engine.dispose()
