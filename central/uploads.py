"""Transactions up from the kiosks: the batch upload (idempotent by each
transaction's UUID), heartbeat and telemetry, and the SMS copy of a receipt."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field, StrictBool, StrictInt
from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from central import ledger
from central.auth import Kiosk, engine_of, errors
from central.books import units
from central.bundles import BundleWatch
from central.db import accounts, transactions
from central.heartbeats import HeartbeatWriter
from central.sms import SmsSender

API = "/api/v1"
MAX_BATCH = 1000
BUNDLE_HEADER = "X-Bundle-Version"
router = APIRouter(responses=errors(400, 401, 503))


class Transaction(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    kind: str = Field(min_length=1, max_length=32)
    payload: dict[str, Any] = Field(
        description="the kiosk's journal record: kind, session, at, and data (the facts)"
    )


class Batch(BaseModel):
    transactions: list[Transaction] = Field(max_length=MAX_BATCH)


class Refusal(BaseModel):
    id: str
    reason: str = Field(description="why the books could not post it (the server keeps it)")


class BatchResult(BaseModel):
    stored: list[str]
    duplicates: list[str]
    refused: list[Refusal] = Field(
        default_factory=list,
        description="stored, but not posted to the books: the operator resolves them",
    )


class Heartbeat(BaseModel):
    devices: dict[str, str] = Field(
        default_factory=dict, description="device → state, e.g. acceptor: ok, printer: paper_low"
    )
    online_since: str | None = None
    queue_depth: StrictInt = Field(ge=0, default=0, description="transactions not yet uploaded")
    dead_letters: StrictInt = Field(ge=0, default=0)
    versions: dict[str, str] = Field(default_factory=dict, description="app, bundle, …")
    paper_low: StrictBool = False
    cashbox_notes: StrictInt = Field(ge=0, default=0)
    cashbox_fen: StrictInt = Field(ge=0, default=0)


class Holdings(BaseModel):
    count: int = Field(description="this kiosk's transactions the server holds")
    newest: str | None = Field(description="one of the last batch received (its id)")


class ReceiptSms(BaseModel):
    transaction: str = Field(min_length=1, max_length=64)
    phone: str | None = Field(default=None, pattern=r"^1[3-9][0-9]{9}$")


@router.post(f"{API}/transactions/batch", response_model=BatchResult)
def upload(batch: Batch, request: Request, kiosk: Kiosk) -> BatchResult:
    """Store each transaction once: one database transaction for the batch,
    item by item only if another upload of the same ids raced this one."""
    return store(engine_of(request), kiosk, batch.transactions, request.app.state.sms)


@router.get(f"{API}/transactions/latest", response_model=Holdings)
def latest(request: Request, kiosk: Kiosk) -> Holdings:
    """What the server holds of this kiosk's uploads: how many, and the newest.
    ``kiosk restore`` refuses a journal copy that lacks them (older than what
    the server already has)."""
    mine = transactions.c.kiosk_id == kiosk
    with engine_of(request).connect() as conn:
        count = conn.scalar(select(func.count()).select_from(transactions).where(mine))
        newest = conn.scalar(
            select(transactions.c.id).where(mine)
            .order_by(transactions.c.received_at.desc(), transactions.c.id.desc()).limit(1)
        )  # fmt: skip
    return Holdings(count=int(count or 0), newest=newest)


_INSERT_NEW = {
    name: dialect.insert(transactions)
    .on_conflict_do_nothing(index_elements=[transactions.c.id])
    .returning(transactions.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}  # built once, for each database the server runs on


def insert_new(conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """Insert the rows whose ids are new, in one statement: the ids inserted.
    In id order, so two uploads of the same ids wait for each other (the
    second then finds them taken) and never deadlock."""
    if not rows:
        return set()
    statement = _INSERT_NEW["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]
    return set(conn.scalars(statement, sorted(rows, key=lambda row: str(row["id"]))))


def store(engine: Engine, kiosk: str, items: Sequence[Transaction], sms: SmsSender) -> BatchResult:
    """The batch upload's work: each new transaction stored and applied (posted
    to the books) in one database transaction, the duplicates told apart."""
    ids = list(dict.fromkeys(item.id for item in items))
    rows = [
        {"id": item.id, "kiosk_id": kiosk, "kind": item.kind,
         "payload": json.dumps(item.payload, sort_keys=True)}
        for item in {item.id: item for item in items}.values()
    ]  # fmt: skip
    refused: list[Refusal] = []
    try:
        with engine.begin() as conn:
            inserted = insert_new(conn, rows)
            known = set(ids) - inserted
            new = [row for row in rows if row["id"] in inserted]
            if new:
                refused = _apply(conn, new, sms)
    except IntegrityError:
        known, refused = set(), []
        for row in rows:
            try:
                with engine.begin() as conn:
                    conn.execute(insert(transactions), row)
                    refused += _apply(conn, [row], sms)
            except IntegrityError:
                known.add(row["id"])
    return BatchResult(
        stored=[i for i in ids if i not in known], duplicates=[i for i in ids if i in known],
        refused=refused,
    )  # fmt: skip


def _apply(conn: Connection, rows: list[dict[str, Any]], sms: SmsSender) -> list[Refusal]:
    refused = []
    for row in rows:
        record = ledger.record_of(row["payload"])
        data = record.get("data")
        why = ledger.apply(
            conn, row["kiosk_id"], row["kind"], data if isinstance(data, dict) else {}, sms,
            row["id"], units.when_of(record.get("at")),
        )  # fmt: skip
        if why is not None:
            refused.append(Refusal(id=row["id"], reason=why))
    return refused


@router.post(
    f"{API}/heartbeat", status_code=204, response_class=Response,
    responses={204: {"description": "kept; `X-Bundle-Version`: the newest config bundle for "
                     "this kiosk (0: none), so a kiosk whose long-poll was lost fetches it",
                     "headers": {"X-Bundle-Version": {"schema": {"type": "integer"}}}}},
)  # fmt: skip
async def heartbeat(body: Heartbeat, request: Request, kiosk: Kiosk) -> Response:
    """Kept as the kiosk's state of now, written within a second (central/heartbeats.py)."""
    writer: HeartbeatWriter = request.app.state.heartbeats
    writer.add(kiosk, body.model_dump_json())
    watch: BundleWatch = request.app.state.bundles
    newest = watch.for_kiosk(kiosk, request.state.kiosk_group)
    return Response(status_code=204, headers={BUNDLE_HEADER: str(newest.version if newest else 0)})


@router.post(f"{API}/receipts/sms", status_code=202, responses=errors(404))
def receipt_sms(body: ReceiptSms, request: Request, kiosk: Kiosk) -> dict[str, bool]:
    """Text a copy of an uploaded payment's receipt: to the phone the customer
    typed, or else to the account's phone."""
    with engine_of(request).begin() as conn:
        row = conn.execute(
            select(transactions.c.kind, transactions.c.payload).where(
                transactions.c.id == body.transaction, transactions.c.kiosk_id == kiosk
            )
        ).first()
        if row is None or row.kind != ledger.PAYMENT:
            raise HTTPException(404, "no such payment from this kiosk (upload it first)")
        payload = ledger.record_data(row.payload)
        phone = body.phone or conn.scalar(
            select(accounts.c.phone).where(
                accounts.c.service == payload.get("service"),
                accounts.c.account == payload.get("account"),
            )
        )
        if not phone:
            raise HTTPException(422, "no phone number for this receipt")
        fen = int(payload["amount"]["minor"])
        request.app.state.sms.send(
            conn, phone, "receipt",
            f"【缴费终端】电子回单 Receipt {body.transaction[:8]}: {payload.get('service')} "
            f"{payload.get('account') or ''} ￥{ledger.yuan(fen)} "
            f"({payload.get('method')}). {kiosk}",
        )  # fmt: skip
    return {"sent": True}
