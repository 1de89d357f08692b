"""Kiosk authentication: a bearer credential issued at enrollment, stored hashed."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy import Engine, select

from central.db import kiosks


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def kiosk_id(request: Request, authorization: Annotated[str | None, Header()] = None) -> str:
    """The kiosk a bearer credential belongs to; 401 for anything else."""
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(401, "a kiosk credential is required")
    engine: Engine = request.app.state.engine
    with engine.connect() as conn:
        row = conn.execute(
            select(kiosks.c.id).where(kiosks.c.token_hash == token_hash(authorization[7:]))
        ).first()
    if row is None:
        raise HTTPException(401, "unknown kiosk credential")
    return str(row[0])


Kiosk = Annotated[str, Depends(kiosk_id)]
