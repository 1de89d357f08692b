"""Orders and the sandbox payment provider (the platform's two named calls:
``GET /api/v1/orders?userId=…`` and ``POST /api/v1/payments/create``)."""

from __future__ import annotations

import enum
import secrets
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, StrictInt
from sqlalchemy import insert, select, update

from central.auth import Kiosk, engine_of, errors
from central.db import orders

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
        qrUrl=f"{base}sandbox/pay/{order_id}" if method in QR_METHODS else None,
    )


@router.post(f"{API}/payments/create", response_model=Order)
def create_payment(body: CreatePayment, request: Request, kiosk: Kiosk) -> Order:
    """An order; for a QR method its URL is the sandbox provider's pay page."""
    order_id = "OD" + secrets.token_hex(8).upper()
    with engine_of(request).begin() as conn:
        conn.execute(
            insert(orders).values(
                id=order_id, kiosk_id=kiosk, user_id=body.userId, amount_fen=body.amount,
                method=body.paymentMethod.value,
            )
        )  # fmt: skip
        row = conn.execute(select(orders).where(orders.c.id == order_id)).one()
    return _order(row, str(request.base_url))


@router.get(f"{API}/payments/{{order_id}}", response_model=Order, responses=errors(404))
def payment_status(order_id: str, request: Request, kiosk: Kiosk) -> Order:
    with engine_of(request).connect() as conn:
        row = conn.execute(
            select(orders).where(orders.c.id == order_id, orders.c.kiosk_id == kiosk)
        ).first()
    if row is None:
        raise HTTPException(404, "no such order for this kiosk")
    return _order(row, str(request.base_url))


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


@router.get("/sandbox/pay/{order_id}", response_class=HTMLResponse, include_in_schema=False)
def sandbox_page(order_id: str, request: Request) -> str:
    with engine_of(request).connect() as conn:
        row = conn.execute(select(orders).where(orders.c.id == order_id)).first()
    if row is None:
        raise HTTPException(404, "no such order")
    amount = f"{row.amount_fen // 100}.{row.amount_fen % 100:02d}"
    return PAGE.format(order=order_id, amount=amount, status=row.status)


@router.post("/sandbox/pay/{order_id}", response_class=HTMLResponse, include_in_schema=False)
def sandbox_pay(order_id: str, request: Request) -> str:
    """The provider's callback: the order is paid."""
    with engine_of(request).begin() as conn:
        done = conn.execute(
            update(orders).where(orders.c.id == order_id, orders.c.status == "created")
            .values(status="paid")
        ).rowcount  # fmt: skip
    if not done:
        raise HTTPException(409, "the order is not waiting for payment")
    return sandbox_page(order_id, request)


@router.post(f"{API}/payments/{{order_id}}/cancel", response_model=Order, responses=errors(404))
def cancel_payment(order_id: str, request: Request, kiosk: Kiosk) -> Order:
    """Cancel an unpaid order; a paid one stays paid (the answer says so)."""
    with engine_of(request).begin() as conn:
        conn.execute(
            update(orders)
            .where(
                orders.c.id == order_id, orders.c.kiosk_id == kiosk, orders.c.status == "created"
            )
            .values(status="cancelled")
        )
        row = conn.execute(
            select(orders).where(orders.c.id == order_id, orders.c.kiosk_id == kiosk)
        ).first()
    if row is None:
        raise HTTPException(404, "no such order for this kiosk")
    return _order(row, str(request.base_url))
