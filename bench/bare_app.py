"""A bare in-memory app answering the central server's hot routes with the
same shapes and no work behind them: the server stack's own limit (uvicorn,
its loop and HTTP parser, Starlette routing), measured under the same load
as the real server by bench/central_load.py.

An order is paid as soon as it is made (the phone's pay call is answered and
forgotten: with several workers it may reach another process). A publish
writes the version to the file ``BARE_VERSION`` names, which every worker
reads ten times a second to wake its long-polls.

    BARE_VERSION=FILE uvicorn --app-dir bench bare_app:app --loop uvloop --http httptools
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BILL = {
    "service": "electricity", "account": "3301234567", "holder": "张*明",
    "lines": [{"kind": "current", "label_zh": "11月电费", "label_en": "November",
               "amount": {"minor": 30128, "currency": "CNY"},
               "billed": {"minor": 30128, "currency": "CNY"}, "due_date": "2026-12-15"}],
    "arrears": {"minor": 0, "currency": "CNY"}, "coupons": [],
    "credit_applied": {"minor": 0, "currency": "CNY"}, "due": {"minor": 30128, "currency": "CNY"},
    "prepaid": False, "prepaid_balance": None, "usage_this_period": None, "card_reissues": [],
}  # fmt: skip


class Bare:
    def __init__(self) -> None:
        self.orders: dict[str, dict[str, object]] = {}
        self.stored: set[str] = set()
        self.version = 1
        self.changed = asyncio.Event()


state = Bare()


def _kiosk(request: Request) -> bool:
    return request.headers.get("authorization", "").startswith("Bearer ")


async def bill(request: Request) -> Response:
    if not _kiosk(request):
        return JSONResponse({"detail": "a kiosk credential is required"}, 401)
    return JSONResponse(BILL)


async def create(request: Request) -> Response:
    body = await request.json()
    order_id = uuid.uuid4().hex
    order = {"id": order_id, "userId": body["userId"], "amount": body["amount"],
             "paymentMethod": body["paymentMethod"], "status": "paid",
             "qrUrl": f"http://127.0.0.1:{request.scope['server'][1]}/pay/{order_id}"}  # fmt: skip
    state.orders[order_id] = order
    return JSONResponse(order)


async def status(request: Request) -> Response:
    order = state.orders.get(request.path_params["order_id"])
    return JSONResponse(order) if order else JSONResponse({"detail": "no such order"}, 404)


async def pay(request: Request) -> Response:
    await request.body()
    return Response("<h1>paid</h1>", media_type="text/html")


async def batch(request: Request) -> Response:
    body = json.loads(await request.body())
    ids = [t["id"] for t in body["transactions"]]
    new = [i for i in ids if i not in state.stored]
    state.stored.update(new)
    return JSONResponse({"stored": new, "duplicates": [i for i in ids if i not in new],
                         "refused": []})  # fmt: skip


async def heartbeat(request: Request) -> Response:
    await request.body()
    return Response(status_code=204)


async def bundle(request: Request) -> Response:
    etag = f'"{state.version}"'
    wait = float(request.query_params.get("wait", "0"))
    if request.headers.get("if-none-match") == etag and wait > 0:
        changed = state.changed
        try:
            await asyncio.wait_for(changed.wait(), wait)
        except TimeoutError:
            return Response(status_code=304, headers={"ETag": etag})
        etag = f'"{state.version}"'
    return Response(b'{"signed": {}}', media_type="application/json", headers={"ETag": etag})


async def publish(request: Request) -> Response:
    VERSION.write_text(str(state.version + 1), encoding="utf-8")
    return Response(status_code=204)


VERSION = Path(os.environ.get("BARE_VERSION", "bare-version.txt"))


async def _watch() -> None:
    while True:
        with contextlib.suppress(OSError, ValueError):
            version = int(VERSION.read_text(encoding="utf-8"))
            if version != state.version:
                state.version = version
                old, state.changed = state.changed, asyncio.Event()
                old.set()
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    task = asyncio.create_task(_watch())
    yield
    task.cancel()


app = Starlette(
    lifespan=lifespan,
    routes=[
        Route("/api/v1/bills/{service}/{account}", bill),
        Route("/api/v1/payments/create", create, methods=["POST"]),
        Route("/api/v1/payments/{order_id}", status),
        Route("/pay/{order_id}", pay, methods=["POST"]),
        Route("/api/v1/transactions/batch", batch, methods=["POST"]),
        Route("/api/v1/heartbeat", heartbeat, methods=["POST"]),
        Route("/api/v1/config/bundle", bundle),
        Route("/bare/publish", publish, methods=["POST"]),
    ],
)
