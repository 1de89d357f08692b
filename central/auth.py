"""Kiosk authentication: a bearer credential issued at enrollment, stored hashed."""

from __future__ import annotations

import hashlib
import time
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request
from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from central.db import kiosks, shielded


class Problem(BaseModel):
    detail: str


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route gives: ``{"detail": "…"}``."""
    return {code: {"model": Problem, "description": DESCRIPTIONS[code]} for code in codes}


DESCRIPTIONS = {
    400: "the body is not JSON",
    401: "no kiosk credential, or not one this server issued",
    403: "refused: a used enrollment code, or a wrong or expired one-time code",
    404: "not found, or not this kiosk's",
    409: "conflicts with an earlier request (a reference or order in another state)",
    429: "too soon; Retry-After says when",
    502: "the payment provider refused or could not be reached",
    503: "the database is busy or down (Retry-After says when to try again), or no provider",
    504: "the acquirer did not answer",
}


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


CACHE_S = 60.0  # how long another worker process may still honour a revoked credential


class Credentials:
    """Credential hash → (kiosk, group), remembered for ``CACHE_S``: 10,000 kiosks
    renewing long-polls would otherwise queue on the database for every call."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[str, str, float]] = {}

    async def find(self, engine: AsyncEngine, digest: str) -> tuple[str, str] | None:
        hit = self._known.get(digest)
        if hit is not None and hit[2] > time.monotonic():
            return hit[0], hit[1]
        query = select(kiosks.c.id, kiosks.c.group_name).where(kiosks.c.token_hash == digest)

        async def read(conn: AsyncConnection) -> tuple[str, str] | None:
            row = (await conn.execute(query)).first()
            return None if row is None else (str(row[0]), str(row[1]))

        found = await shielded(engine, read)
        if found is None:
            self._known.pop(digest, None)
            return None
        self._known[digest] = (*found, time.monotonic() + CACHE_S)
        return found

    def forget(self, kiosk: str) -> None:
        """A re-enrolled kiosk: its old credential stops working in this process now."""
        self._known = {k: v for k, v in self._known.items() if v[0] != kiosk}


async def kiosk_id(request: Request, authorization: Annotated[str | None, Header()] = None) -> str:
    """The kiosk a bearer credential belongs to; 401 for anything else. Asked on
    the event loop, so the thread pool stays free for real work."""
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(401, "a kiosk credential is required")
    credentials: Credentials = request.app.state.credentials
    found = await credentials.find(request.app.state.async_engine, token_hash(authorization[7:]))
    if found is None:
        raise HTTPException(401, "unknown kiosk credential")
    request.state.kiosk_group = found[1]
    return found[0]


Kiosk = Annotated[str, Depends(kiosk_id)]
