"""Orders (the platform's two named calls: ``GET /api/v1/orders?userId=…`` and
``POST /api/v1/payments/create``), at the payment provider the settings
name for the method (WeChat Pay: ``central/providers``) or, where the
settings enable it, the sandbox provider and its pay page (the demo's and
the tests'; never mounted in production)."""

from __future__ import annotations

import enum
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, StrictInt
from sqlalchemy import Connection, Engine, Row, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.concurrency import run_in_threadpool

from central import order_watch, order_work, refunds
from central.auth import Kiosk, engine_of, errors
from central.books import events
from central.db import orders, shielded
from central.providers.base import ProviderError

API = "/api/v1"
router = APIRouter(responses=errors(400, 401, 503))


class Method(enum.Enum):
    WECHAT = "wechat"
    ALIPAY = "alipay"
    UNIONPAY_QR = "unionpay_qr"
    CARD = "card"
    CASH = "cash"


QR_METHODS = {Method.WECHAT, Method.ALIPAY, Method.UNIONPAY_QR}


class CreatePayment(BaseModel):
    userId: str = Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z-]+$")
    amount: StrictInt = Field(gt=0, le=10_000_000, description="fen; never a float")
    paymentMethod: Method


class Order(BaseModel):
    id: str
    userId: str
    amount: int
    paymentMethod: Method
    status: str
    qrUrl: str | None = None


def _order(row: object, base: str) -> Order:
    method = Method(row.method)  # type: ignore[attr-defined]
    order_id = str(row.id)  # type: ignore[attr-defined]
    return Order(
        id=order_id,
        userId=row.user_id,  # type: ignore[attr-defined]
        amount=row.amount_fen,  # type: ignore[attr-defined]
        paymentMethod=method,
        status=row.status,  # type: ignore[attr-defined]
        qrUrl=(
            row.qr_url  # type: ignore[attr-defined]
            or (f"{base}sandbox/pay/{order_id}" if method in QR_METHODS else None)
        ),
    )


def open_order(
    conn: Connection, kiosk: str, user_id: str, amount_fen: int, method: str,
    provider: str = "sandbox",
) -> str:  # fmt: skip
    """A new order, waiting to be paid: its id (journaled ``created``)."""
    order_id = "OD" + secrets.token_hex(8).upper()
    conn.execute(
        insert(orders).values(
            id=order_id, kiosk_id=kiosk, user_id=user_id, amount_fen=amount_fen, method=method,
            provider=provider,
        )
    )  # fmt: skip
    order_work.journal(conn, order_id, "created", f"{amount_fen} fen by {method} ({provider})")
    return order_id


def mark_paid(conn: Connection, order_id: str, trade_no: str | None = None) -> bool:
    """The provider says it was paid: once (False if it was not waiting)."""
    done = conn.execute(
        update(orders).where(orders.c.id == order_id, orders.c.status == "created")
        .values(status="paid", trade_no=trade_no)
    ).rowcount  # fmt: skip
    if done:
        order_work.journal(conn, order_id, "paid", trade_no or "")
        row = conn.execute(select(orders).where(orders.c.id == order_id)).one()
        events.order_paid(conn, order_id, row.method, row.amount_fen, row.kiosk_id)
    return bool(done)


PROVIDER_OF = {Method.WECHAT: "wechat", Method.ALIPAY: "alipay"}


@router.post(f"{API}/payments/create", response_model=Order, responses=errors(502))
def create_payment(body: CreatePayment, request: Request, kiosk: Kiosk) -> Order:
    """An order; for a QR method its URL is what the QR code shows: the
    provider's ``code_url`` (WeChat Pay), or the sandbox's pay page. 502 when
    the provider refuses or cannot be reached (the kiosk offers another way
    to pay); 503 when no provider for the method is set up."""
    providers = request.app.state.providers
    name = PROVIDER_OF.get(body.paymentMethod)
    provider = providers.get(name) if name else None
    if provider is None and body.paymentMethod in QR_METHODS and not request.app.state.sandbox:
        raise HTTPException(503, f"no payment provider for {body.paymentMethod.value}")
    engine = engine_of(request)
    with engine.begin() as conn:  # stored first: a notification may beat the answer
        order_id = open_order(conn, kiosk, body.userId, body.amount, body.paymentMethod.value,
                              provider.name if provider else "sandbox")  # fmt: skip
    if provider is not None:
        try:
            code_url = provider.create(order_id, body.amount, f"缴费 {body.userId}")
        except ProviderError as exc:
            with engine.begin() as conn:
                conn.execute(update(orders).where(orders.c.id == order_id,
                                                  orders.c.status == "created")
                             .values(status="failed"))  # fmt: skip
                order_work.journal(conn, order_id, "failed", str(exc))
            raise HTTPException(502, f"the payment provider refused: {exc.code}") from None
        with engine.begin() as conn:
            row = conn.execute(
                update(orders).where(orders.c.id == order_id).values(qr_url=code_url)
                .returning(*orders.c)
            ).one()  # fmt: skip
    else:
        with engine.connect() as conn:
            row = conn.execute(select(orders).where(orders.c.id == order_id)).one()
    return _order(row, str(request.base_url))


@router.get(f"{API}/payments/{{order_id}}", response_model=Order, responses=errors(404))
async def payment_status(
    order_id: str,
    request: Request,
    kiosk: Kiosk,
    wait: Annotated[int, Query(ge=0, le=order_watch.MAX_HOLD_S,
                               description="hold seconds while it waits to be paid")] = 0,
) -> Order:  # fmt: skip
    """The order's status; with ``wait=``, an order still waiting to be paid
    is answered when it changes (paid, cancelled…) or after ``wait`` seconds
    (``central.order_watch``). One that has waited a few seconds with no word
    from its provider is asked about at the provider (a lost notification),
    during a hold too. Read on the event loop; the provider's query (rare) in
    the thread pool."""
    reads: AsyncEngine = request.app.state.async_engine
    watch: order_watch.OrderWatch = request.app.state.orders
    deadline = time.monotonic() + wait
    while True:
        changed = watch.event_for(order_id)
        row = await _mine_now(reads, order_id, kiosk)
        provider = request.app.state.providers.get(row.provider)
        if provider is not None and row.status == "created":
            age = time.time() - _epoch(row.created_at)
            if request.app.state.queries.due(order_id, age):
                await run_in_threadpool(order_work.refresh, engine_of(request), provider, order_id)
                row = await _mine_now(reads, order_id, kiosk)
        remaining = deadline - time.monotonic()
        if row.status != "created" or remaining <= 0 or watch.closed:
            return _order(row, str(request.base_url))
        await watch.held(changed, min(remaining, order_work.QUERY_EVERY_S))
        if watch.closed:  # the server stops: answered as read, no database touched
            return _order(row, str(request.base_url))


_MINE = select(orders).where(
    orders.c.id == bindparam("order"), orders.c.kiosk_id == bindparam("kiosk")
)


def _mine(engine: Engine, order_id: str, kiosk: str) -> Row[Any]:
    with engine.connect() as conn:
        return _found(conn.execute(_MINE, {"order": order_id, "kiosk": kiosk}).first())


async def _mine_now(engine: AsyncEngine, order_id: str, kiosk: str) -> Row[Any]:
    """``_mine`` on the event loop."""

    async def read(conn: AsyncConnection) -> Row[Any] | None:
        return (await conn.execute(_MINE, {"order": order_id, "kiosk": kiosk})).first()

    return _found(await shielded(engine, read))


def _found(row: Row[Any] | None) -> Row[Any]:
    if row is None:
        raise HTTPException(404, "no such order for this kiosk")
    return row


def _epoch(at: datetime | None) -> float:
    if at is None:
        return time.time()
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


@router.get(f"{API}/orders", response_model=list[Order])
def list_orders(
    request: Request, kiosk: Kiosk, user_id: Annotated[str, Query(alias="userId")]
) -> list[Order]:
    """A customer's orders made at this kiosk, newest first."""
    with engine_of(request).connect() as conn:
        rows = conn.execute(
            select(orders)
            .where(orders.c.user_id == user_id, orders.c.kiosk_id == kiosk)
            .order_by(orders.c.created_at.desc(), orders.c.id)
            .limit(50)
        ).all()
    return [_order(row, str(request.base_url)) for row in rows]


PAGE = """<!doctype html><html lang="zh"><meta name="viewport" content="width=device-width">
<title>Sandbox pay</title><body style="font-family:sans-serif;text-align:center">
<h1>沙箱支付 Sandbox payment</h1><p>订单 Order {order}</p><p style="font-size:2em">￥{amount}</p>
<p>{status}</p><form method="post">
<button name="pay" value="1" style="font-size:1.5em">支付 Pay</button></form></body></html>"""


sandbox = APIRouter()  # mounted only where the settings enable the sandbox


@sandbox.get("/sandbox/pay/{order_id}", response_class=HTMLResponse, include_in_schema=False)
def sandbox_page(order_id: str, request: Request) -> str:
    with engine_of(request).connect() as conn:
        row = conn.execute(select(orders).where(orders.c.id == order_id)).first()
    if row is None:
        raise HTTPException(404, "no such order")
    amount = f"{row.amount_fen // 100}.{row.amount_fen % 100:02d}"
    return PAGE.format(order=order_id, amount=amount, status=row.status)


@sandbox.post("/sandbox/pay/{order_id}", response_class=HTMLResponse, include_in_schema=False)
def sandbox_pay(order_id: str, request: Request) -> str:
    """The provider's callback: the order is paid."""
    with engine_of(request).begin() as conn:
        done = mark_paid(conn, order_id, f"SANDBOX-{order_id}")
    if not done:
        raise HTTPException(409, "the order is not waiting for payment")
    return sandbox_page(order_id, request)


@router.post(f"{API}/payments/{{order_id}}/cancel", response_model=Order, responses=errors(404))
def cancel_payment(order_id: str, request: Request, kiosk: Kiosk) -> Order:
    """Cancel an unpaid order; a paid one stays paid (the answer says so). A
    provider's order is closed at the provider first (paid meanwhile: paid)."""
    engine = engine_of(request)
    row = _mine(engine, order_id, kiosk)
    provider = request.app.state.providers.get(row.provider)
    if provider is not None:
        if row.status == "created":
            order_work.close(engine, provider, order_id)
        return _order(_mine(engine, order_id, kiosk), str(request.base_url))
    with engine.begin() as conn:
        conn.execute(
            update(orders)
            .where(
                orders.c.id == order_id, orders.c.kiosk_id == kiosk, orders.c.status == "created"
            )
            .values(status="cancelled")
        )
    return _order(_mine(engine, order_id, kiosk), str(request.base_url))


class RefundRequest(BaseModel):
    reason: str = Field(default="late_payment", max_length=64, pattern=r"^[a-z_]*$")


class RefundAnswer(BaseModel):
    reference: str = Field(description="the order id, or the card payment's reference")
    status: str = Field(description="refunded (an order); reversed or declined (a card)")
    amount: int = Field(description="fen given back; 0 when nothing had been taken")


def carry_out(request: Request, work: Callable[[Connection], refunds.Refund]) -> RefundAnswer:
    """Run a refund or reversal; a race with the same ask by the other road
    (the kiosk's upload) is settled by asking once more, which finds it done."""
    for attempt in range(2):
        try:
            with engine_of(request).begin() as conn:
                done = work(conn)
            break
        except refunds.UnknownReference as exc:
            raise HTTPException(404, str(exc)) from None
        except refunds.NothingToRefund as exc:
            raise HTTPException(409, str(exc)) from None
        except IntegrityError:
            if attempt:
                raise
    return RefundAnswer(reference=done.reference, status=done.status, amount=done.amount_fen)


@router.post(
    f"{API}/payments/{{order_id}}/refund", response_model=RefundAnswer, responses=errors(404, 409)
)
def refund_payment(
    order_id: str, request: Request, kiosk: Kiosk, body: RefundRequest | None = None
) -> RefundAnswer:
    """Give a paid order back to the wallet in full (a payment that arrived after
    its session gave up). Idempotent: asking again answers the same and gives
    nothing back twice; 409 if the order was never paid."""
    reason = (body or RefundRequest()).reason
    answer = carry_out(request, lambda conn: refunds.refund_order(conn, kiosk, order_id, reason))
    provider = request.app.state.providers.get(_mine(engine_of(request), order_id, kiosk).provider)
    if provider is not None and answer.status == "refunding":  # at the provider, now
        status = order_work.refund(engine_of(request), provider, order_id)
        answer = RefundAnswer(reference=order_id, status=status, amount=answer.amount)
    return answer
