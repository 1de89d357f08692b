"""The signed config bundle: publish, and hand each kiosk the newest one meant
for it, with ETag / If-None-Match and long-poll (``wait=`` seconds).

A watcher task in each server process reads the newest bundles when they
change and wakes the long-polls that process holds, so 10,000 waiting kiosks
cost one query per change, not one each. On PostgreSQL a publish notifies
every process at its commit (``NOTIFY kiosk_bundles``; each process LISTENs
on a connection of its own, and reads anyway every ``CHECK_S`` in case it
missed one while reconnecting): a bundle published by any process, or by
``kiosk-central publish``, reaches the long-polls held by all of them within
a second. SQLite, one box's database, is read every ``POLL_S``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import zlib
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from sqlalchemy import Engine, insert, select
from starlette.concurrency import run_in_threadpool

from central import channels
from central.auth import Kiosk, errors
from central.db import bundles
from config.bundle import canonical, targets

API = "/api/v1"
POLL_S = 0.25  # SQLite: how often the versions are read
CHECK_S = 10.0  # PostgreSQL: read this often even with no notification
CHANNEL = "kiosk_bundles"
KEEP = 50  # the newest bundles a kiosk may be offered
MAX_WAIT_S = 900  # the longest hold a kiosk may ask; kiosks ask central.bundle_wait_s (300)
SLOTS = 64
FANOUT_GAP_S = 0.01
router = APIRouter(responses=errors(400, 401, 503))


@dataclass(frozen=True, slots=True)
class Published:
    version: int
    target: dict[str, Any]
    document: str


class VersionTooLow(ValueError):
    pass


def publish(engine: Engine, document: dict[str, Any]) -> int:
    """Store a signed bundle; its version must be above every published one."""
    version = int(document["signed"]["version"])
    with engine.begin() as conn:
        newest = conn.scalar(select(bundles.c.version).order_by(bundles.c.version.desc()))
        if newest is not None and version <= newest:
            raise VersionTooLow(f"version {version} is not above the published {newest}")
        conn.execute(insert(bundles).values(version=version, document=canonical(document).decode()))
        channels.notify(conn, CHANNEL, str(version))  # delivered to the listeners at the commit
    return version


def next_version(engine: Engine) -> int:
    with engine.connect() as conn:
        newest = conn.scalar(select(bundles.c.version).order_by(bundles.c.version.desc()))
    return (newest or 0) + 1


class BundleWatch:
    """The newest bundles, and the long-polls waiting for a change.

    Waiters are spread over ``SLOTS`` events by kiosk; a change wakes one slot
    every ``FANOUT_GAP_S``, so that 10,000 answers do not all queue on the event
    loop at once in front of other kiosks' bill lookups."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.newest: list[Published] = []
        self._slots = [asyncio.Event() for _ in range(SLOTS)]
        self._loop: asyncio.AbstractEventLoop | None = None

    def event_for(self, kiosk_id: str) -> asyncio.Event:
        return self._slots[zlib.crc32(kiosk_id.encode()) % SLOTS]

    def _read(self) -> list[Published] | None:
        """The newest bundles if they changed since the last read, else None: a
        poll reads the version numbers, and the documents only after a change."""
        known = [p.version for p in self.newest]
        newest = bundles.c.version.desc()
        with self._engine.connect() as conn:
            versions = list(conn.scalars(select(bundles.c.version).order_by(newest).limit(KEEP)))
            if versions == known:
                return None
            rows = conn.execute(
                select(bundles.c.version, bundles.c.document).order_by(newest).limit(KEEP)
            ).all()
        return [Published(v, json.loads(d)["signed"]["target"], d) for v, d in rows]

    def refresh(self) -> None:
        """Read the newest bundles now (from any thread)."""
        newest = self._read()
        if newest is None:
            return
        if self._loop is not None and self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._swap_soon(newest), self._loop).result(10)
        else:
            self.newest = newest

    async def _swap_soon(self, newest: list[Published]) -> None:
        self._swap(newest)

    def _swap(self, newest: list[Published] | None) -> None:
        """On the event loop's thread (asyncio.Event is not thread-safe)."""
        if newest is not None and [p.version for p in newest] != [p.version for p in self.newest]:
            self.newest = newest
            old, self._slots = self._slots, [asyncio.Event() for _ in range(SLOTS)]
            asyncio.get_running_loop().create_task(self._wake(old))

    @staticmethod
    async def _wake(slots: list[asyncio.Event]) -> None:
        for event in slots:
            event.set()
            await asyncio.sleep(FANOUT_GAP_S)

    async def _check(self) -> None:
        with contextlib.suppress(Exception):  # a database hiccup: try again at the next
            self._swap(await run_in_threadpool(self._read))

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._engine.dialect.name == "postgresql":
            await self._listen()
        while True:
            await self._check()
            await asyncio.sleep(POLL_S)

    async def _listen(self) -> None:
        """Read the newest bundles at each notification (and every ``CHECK_S``)."""

        async def heard(_: str) -> None:
            await self._check()

        await channels.listen(self._engine, CHANNEL, heard, CHECK_S)

    def for_kiosk(self, kiosk_id: str, group: str) -> Published | None:
        return next((p for p in self.newest if targets(p.target, kiosk_id, group)), None)


@router.get(
    f"{API}/config/bundle",
    responses={
        200: {"description": "the newest signed bundle for this kiosk",
              "content": {"application/json": {}}},
        304: {"description": "the kiosk has it already (If-None-Match); after wait= seconds"},
        404: {"description": "no bundle is published for this kiosk"},
    },
)  # fmt: skip
async def get_bundle(
    request: Request,
    kiosk: Kiosk,
    wait: Annotated[int, Query(ge=0, le=MAX_WAIT_S, description="long-poll seconds")] = 0,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    watch: BundleWatch = request.app.state.bundles
    group: str = request.state.kiosk_group
    # Held a little less than asked, at random: a fleet that came up together
    # (a server restart) does not renew its long-polls in step for ever after.
    deadline = time.monotonic() + wait * random.uniform(0.8, 1.0)  # noqa: S311
    while True:
        changed = watch.event_for(kiosk)
        found = watch.for_kiosk(kiosk, group)
        etag = f'"{found.version if found else 0}"'
        remaining = deadline - time.monotonic()
        if if_none_match != etag or remaining <= 0:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), remaining)
    if if_none_match == etag:
        return Response(status_code=304, headers={"ETag": etag})
    if found is None:
        raise HTTPException(404, "no bundle is published for this kiosk")
    return Response(
        found.document,
        media_type="application/json",
        headers={"ETag": etag, "Cache-Control": "no-cache"},
    )
