"""The reference central server: the HTTP API under /api/v1 (FastAPI).

Here: enrollment with a one-time code (the kiosk receives its own bearer
credential). In ``uploads``: the transaction batch upload, idempotent by each
transaction's UUID; heartbeat and telemetry; the SMS copy of a receipt. Bills,
orders, card authorization and the config bundle have their own modules.
Every call but enrollment is authenticated, and a kiosk reads and writes only
its own data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from central import (
    bills,
    bundles,
    cards,
    collector,
    notify,
    order_watch,
    order_work,
    part_refunds,
    payments,
    releases,
    uploads,
)
from central.auth import Credentials, errors, token_hash
from central.db import enrollment_codes, kiosks, make_async_engine, make_engine
from central.heartbeats import HeartbeatWriter
from central.providers.alipay import Alipay
from central.providers.base import Provider
from central.providers.wechat import WechatPay
from central.settings import CentralSettings
from central.settings import load as load_settings
from central.sms import OutboxSender, SmsSender

API = "/api/v1"
WORK_EVERY_S = 0.5
log = logging.getLogger(__name__)


class EnrollRequest(BaseModel):
    code: str = Field(min_length=8, max_length=64)


class EnrollResponse(BaseModel):
    kiosk_id: str
    group: str
    token: str


@contextlib.asynccontextmanager
async def _background(
    state: State, engine: Engine, providers: dict[str, Provider]
) -> AsyncIterator[None]:
    """The server's own tasks while it serves: the bundle watch, the order
    watch, the order worker, the heartbeat writer (its last second written at the end)."""
    state.bundles.refresh()
    tasks = [
        asyncio.create_task(state.bundles.run()),
        asyncio.create_task(state.orders.run()),
        asyncio.create_task(_order_worker(state, engine, providers)),
        asyncio.create_task(state.heartbeats.run()),
    ]
    yield
    state.orders.close_soon()  # any poll still held is answered, without the database
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await state.heartbeats.flush()
    await state.async_engine.dispose()


def create_app(
    database_url: str = "sqlite:///var/central.db", *, sms: SmsSender | None = None,
    settings: CentralSettings | None = None, tune_gc: bool = False,
) -> FastAPI:  # fmt: skip
    """``settings``: the payment providers and whether the sandbox is mounted;
    without, neither (a production server without providers takes cash and
    card only). ``tune_gc``: the serving process's cycle collector tuned once
    the app has started (``central.collector``; ``kiosk-central serve``)."""
    settings = settings or CentralSettings()
    engine = make_engine(database_url)
    async_engine = make_async_engine(database_url)
    watch = bundles.BundleWatch(engine)
    providers = _providers(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with _background(app.state, engine, providers):
            if tune_gc:
                collector.settle()
            yield

    app = FastAPI(title="Payment kiosk central server", version="1.0.0", lifespan=lifespan)
    app.state.engine = engine
    app.state.async_engine = async_engine
    app.state.sms = sms or OutboxSender()
    app.state.credentials = Credentials()
    app.state.heartbeats = HeartbeatWriter(async_engine)
    app.state.bundles = watch
    app.state.releases = releases.Offers(engine)
    app.state.orders = order_watch.OrderWatch(engine)
    app.state.acquirer_stall_s = cards.ACQUIRER_STALL_S
    app.state.providers = providers
    app.state.sandbox = settings.sandbox
    app.state.queries = order_work.Queries()
    app.state.order_worker_paused = False  # True: the worker skips its rounds (tests, repairs)
    app.state.notify_refused = Counter()
    for module in (bills, payments, cards, bundles, uploads, notify, releases):
        app.include_router(module.router)
    if settings.sandbox:
        app.include_router(payments.sandbox)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def database_busy(_: Request, exc: Exception) -> JSONResponse:
        """A database that is down or out of connections: 503 and when to retry,
        which kiosks treat as "server down" (never as a rejection)."""
        log.error("database unavailable: %s", type(exc).__name__)
        return JSONResponse({"detail": "the database is busy; try again"}, status_code=503,
                            headers={"Retry-After": "2"})  # fmt: skip

    @app.get(f"{API}/health")
    def health() -> dict[str, str]:
        """Is the server up? For a technician's reachability test; no credential."""
        return {"status": "ok"}

    @app.post(f"{API}/enroll", response_model=EnrollResponse, responses=errors(400, 403))
    def enroll(request: EnrollRequest) -> EnrollResponse:
        token = secrets.token_urlsafe(32)
        code = token_hash(request.code)
        with engine.begin() as conn:
            row = conn.execute(
                select(enrollment_codes.c.kiosk_id, enrollment_codes.c.group_name).where(
                    enrollment_codes.c.code_hash == code, enrollment_codes.c.used == 0
                )
            ).first()
            if row is None:
                raise HTTPException(403, "unknown or used enrollment code")
            conn.execute(
                update(enrollment_codes).where(enrollment_codes.c.code_hash == code).values(used=1)
            )
            kiosk_id, group = str(row[0]), str(row[1])
            known = conn.scalar(select(kiosks.c.id).where(kiosks.c.id == kiosk_id))
            if known:  # re-enrolling a replaced machine: the old credential stops working
                conn.execute(
                    update(kiosks).where(kiosks.c.id == kiosk_id)
                    .values(token_hash=token_hash(token), group_name=group)
                )  # fmt: skip
                app.state.credentials.forget(kiosk_id)
            else:
                conn.execute(
                    insert(kiosks).values(
                        id=kiosk_id, token_hash=token_hash(token), group_name=group
                    )
                )
        return EnrollResponse(kiosk_id=kiosk_id, group=group, token=token)

    return app


def _providers(settings: CentralSettings) -> dict[str, Provider]:
    """The adapters the settings set up (their keys read and checked here)."""
    found: dict[str, Provider] = {}
    if settings.wechat is not None:
        found["wechat"] = WechatPay(settings.wechat)
    if settings.alipay is not None:
        found["alipay"] = Alipay(settings.alipay)
    return found


async def _order_worker(state: State, engine: Engine, providers: dict[str, Provider]) -> None:
    """Closes and refunds at the providers what the orders ask for (``order_work``),
    every ``WORK_EVERY_S`` unless ``state.order_worker_paused``."""
    if not providers:
        return
    while True:
        try:
            if not state.order_worker_paused:
                await run_in_threadpool(order_work.work_once, engine, providers)
                await run_in_threadpool(part_refunds.work_once, engine, providers)
        except Exception:
            log.exception("the order worker's round failed; it goes on")
        await asyncio.sleep(WORK_EVERY_S)


def app_from_environment() -> FastAPI:
    """For ``kiosk-central serve --workers N``: each worker's app, from
    KIOSK_CENTRAL_DB and (if set) the settings file KIOSK_CENTRAL_SETTINGS."""
    found = os.environ.get("KIOSK_CENTRAL_SETTINGS")
    settings = load_settings(Path(found)) if found else CentralSettings()
    if os.environ.get("KIOSK_CENTRAL_SANDBOX") == "1":
        settings = replace(settings, sandbox=True)
    return create_app(os.environ["KIOSK_CENTRAL_DB"], settings=settings, tune_gc=True)
