"""PostgreSQL ``LISTEN``: one connection of a server process's own, on which
other processes' ``NOTIFY`` arrive at their commit. Used by the bundle watch
(a new bundle) and the order watch (an order changed)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import psycopg
from sqlalchemy import Connection, Engine, text

_NOTIFY = text("SELECT pg_notify(:channel, :payload)")


def notify(conn: Connection, channel: str, payload: str) -> None:
    """Sent at the caller's commit (PostgreSQL; nothing on SQLite)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_NOTIFY, {"channel": channel, "payload": payload})


async def listen(
    engine: Engine,
    channel: str,
    heard: Callable[[str], Awaitable[None]],
    every_s: float,
) -> None:
    """Call ``heard(payload)`` at each notification on ``channel``, and
    ``heard("")`` on connecting and every ``every_s`` (what changed while not
    listening, or a notification lost); a lost connection is opened again a
    second later. Runs until cancelled."""
    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                await conn.execute(f"LISTEN {channel}")
                await heard("")
                while True:
                    async for message in conn.notifies(timeout=every_s):
                        await heard(message.payload)
                    await heard("")
        except psycopg.Error:
            await heard("")
            await asyncio.sleep(1)
