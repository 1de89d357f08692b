"""The reference central server: the HTTP API under /api/v1 (FastAPI).

Implemented so far: enrollment with a one-time code (the kiosk receives its
own bearer credential), the transaction batch upload — idempotent by each
transaction's UUID: the answer lists what was stored and what was already
there — and the heartbeat. Every call but enrollment is authenticated, and a
kiosk reads and writes only its own data.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from central import payments
from central.auth import Kiosk, token_hash
from central.db import enrollment_codes, heartbeats, kiosks, make_engine, transactions

API = "/api/v1"
MAX_BATCH = 1000


_hash = token_hash


class EnrollRequest(BaseModel):
    code: str = Field(min_length=8, max_length=64)


class EnrollResponse(BaseModel):
    kiosk_id: str
    token: str


class Transaction(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    kind: str = Field(min_length=1, max_length=32)
    payload: dict[str, Any]


class Batch(BaseModel):
    transactions: list[Transaction] = Field(max_length=MAX_BATCH)


class BatchResult(BaseModel):
    stored: list[str]
    duplicates: list[str]


class Heartbeat(BaseModel):
    devices: dict[str, str] = Field(default_factory=dict)
    queue_depth: int = Field(ge=0, default=0)
    versions: dict[str, str] = Field(default_factory=dict)
    paper_low: bool = False


def create_app(database_url: str = "sqlite:///var/central.db") -> FastAPI:
    engine = make_engine(database_url)
    app = FastAPI(title="Payment kiosk central server", version="1.0.0")
    app.state.engine = engine
    app.include_router(payments.router)

    @app.post(f"{API}/enroll", response_model=EnrollResponse)
    def enroll(request: EnrollRequest) -> EnrollResponse:
        token = secrets.token_urlsafe(32)
        with engine.begin() as conn:
            row = conn.execute(
                select(enrollment_codes.c.kiosk_id).where(
                    enrollment_codes.c.code_hash == _hash(request.code),
                    enrollment_codes.c.used == 0,
                )
            ).first()
            if row is None:
                raise HTTPException(403, "unknown or used enrollment code")
            conn.execute(
                update(enrollment_codes)
                .where(enrollment_codes.c.code_hash == _hash(request.code))
                .values(used=1)
            )
            conn.execute(insert(kiosks).values(id=row[0], token_hash=_hash(token)))
        return EnrollResponse(kiosk_id=str(row[0]), token=token)

    @app.post(f"{API}/transactions/batch", response_model=BatchResult)
    def upload(batch: Batch, kiosk: Kiosk) -> BatchResult:
        """Store each transaction once: one database transaction for the batch,
        item by item only if another upload of the same ids raced this one."""
        ids = list(dict.fromkeys(item.id for item in batch.transactions))
        rows = [
            {"id": item.id, "kiosk_id": kiosk, "kind": item.kind,
             "payload": json.dumps(item.payload, sort_keys=True)}
            for item in {item.id: item for item in batch.transactions}.values()
        ]  # fmt: skip
        try:
            with engine.begin() as conn:
                known = set(
                    conn.scalars(select(transactions.c.id).where(transactions.c.id.in_(ids)))
                )
                new = [row for row in rows if row["id"] not in known]
                if new:
                    conn.execute(insert(transactions), new)
        except IntegrityError:
            known = set()
            for row in rows:
                try:
                    with engine.begin() as conn:
                        conn.execute(insert(transactions), row)
                except IntegrityError:
                    known.add(row["id"])
        return BatchResult(
            stored=[i for i in ids if i not in known], duplicates=[i for i in ids if i in known]
        )

    @app.post(f"{API}/heartbeat", status_code=204)
    def heartbeat(body: Heartbeat, kiosk: Kiosk) -> None:
        with engine.begin() as conn:
            conn.execute(insert(heartbeats).values(kiosk_id=kiosk, body=body.model_dump_json()))

    return app


def new_enrollment_code(engine: Engine, kiosk_id: str) -> str:
    code = secrets.token_hex(8)
    with engine.begin() as conn:
        conn.execute(insert(enrollment_codes).values(code_hash=_hash(code), kiosk_id=kiosk_id))
    return code
