"""Heartbeats written behind: each kiosk's newest kept in memory and written in
one statement a second, instead of a database transaction per heartbeat
(10,000 kiosks beating every 30 s are 333 a second).

What is kept is each kiosk's newest heartbeat (``kiosk_status``, one row a
kiosk): the fleet's state of now, for an operator's console and metrics to
read (nothing reads it yet: issue 21).
Pending heartbeats are one per kiosk at most, so memory is bounded by the
fleet; a write that fails keeps them for the next second (a newer heartbeat
from the same kiosk replaces its older one). A heartbeat is status, not money:
a server killed loses at most the last second's, which the kiosks send again
30 s later.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from central.db import kiosk_status, transactional

log = logging.getLogger(__name__)
FLUSH_S = 1.0


class HeartbeatWriter:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = transactional(engine)  # one upsert of every kiosk pending
        self._pending: dict[str, dict[str, Any]] = {}

    def add(self, kiosk: str, body: str) -> None:
        self._pending[kiosk] = {"kiosk_id": kiosk, "body": body, "received_at": datetime.now(UTC)}

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def flush(self) -> int:
        """Write what is pending (one upsert); how many kiosks it wrote."""
        rows, self._pending = list(self._pending.values()), {}
        if not rows:
            return 0
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(kiosk_status)
        statement = statement.on_conflict_do_update(
            index_elements=[kiosk_status.c.kiosk_id],
            set_={"body": statement.excluded.body, "received_at": statement.excluded.received_at},
        )
        try:
            async with self._engine.begin() as conn:
                await conn.execute(statement, rows)
        except SQLAlchemyError as exc:
            log.warning("heartbeats not written (%s): kept for the next try", type(exc).__name__)
            for row in rows:  # a newer heartbeat that came meanwhile wins
                self._pending.setdefault(row["kiosk_id"], row)
            return 0
        return len(rows)

    async def run(self) -> None:
        """Every second until cancelled; the server's shutdown then calls
        ``flush`` once more for what came in the last second."""
        while True:
            await asyncio.sleep(FLUSH_S)
            await self.flush()
