"""Order-status polls held until their order changes (``GET
/api/v1/payments/{id}?wait=``): the kiosk learns a payment the moment the
provider's notification lands, with one request instead of one every few
seconds.

Every change of an order is journaled (``order_work.journal``), and on
PostgreSQL the journal line notifies ``kiosk_orders`` with the order's id at
its commit, so a notification taken by any server process wakes the poll
held by another. Each process LISTENs on a connection of its own
(``central.channels``) and wakes every held poll every ``CHECK_S`` anyway
(a notification lost while reconnecting). SQLite, one box's database: every
held poll looks again every ``POLL_S``."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import Engine

from central import channels

CHANNEL = "kiosk_orders"
CHECK_S = 10.0
POLL_S = 0.25
MAX_HOLD_S = 30  # the longest hold a kiosk may ask


class OrderWatch:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._waiting: dict[str, asyncio.Event] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closed = False  # the server is stopping: no poll is held any more

    def close_soon(self) -> None:
        """From any thread: every held poll answered now, none held again (a
        server stopping waits for the requests in flight)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._close)

    def _close(self) -> None:
        self.closed = True
        self.wake("")

    def event_for(self, order_id: str) -> asyncio.Event:
        """Taken before the order is read, so that a change between the read
        and the wait is not missed."""
        return self._waiting.setdefault(order_id, asyncio.Event())

    @staticmethod
    async def held(event: asyncio.Event, seconds: float) -> None:
        """Until the order changes, or ``seconds``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    def wake(self, order_id: str) -> None:
        """The order changed (its id), or anything may have (``""``)."""
        if order_id:
            event = self._waiting.pop(order_id, None)
            if event is not None:
                event.set()
            return
        waiting, self._waiting = self._waiting, {}
        for event in waiting.values():
            event.set()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._engine.dialect.name == "postgresql":

            async def heard(order_id: str) -> None:
                self.wake(order_id)

            await channels.listen(self._engine, CHANNEL, heard, CHECK_S)
        while True:
            await asyncio.sleep(POLL_S)
            self.wake("")
