"""Bills, orders and the sandbox payment provider (the platform's two named calls:
``GET /api/v1/orders?userId=…`` and ``POST /api/v1/payments/create``)."""

from __future__ import annotations

import enum
import secrets
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine, insert, select, update

from central.auth import Kiosk
from central.db import accounts, bill_lines, orders

API = "/api/v1"
router = APIRouter()


class Method(enum.Enum):
    WECHAT = "wechat"
    ALIPAY = "alipay"
    UNIONPAY_QR = "unionpay_qr"
    CARD = "card"
    CASH = "cash"


QR_METHODS = {Method.WECHAT, Method.ALIPAY, Method.UNIONPAY_QR}


class Money(BaseModel):
    minor: int
    currency: str = "CNY"


class BillLine(BaseModel):
    label_zh: str
    label_en: str
    amount: Money
    due_date: str | None


class BillAnswer(BaseModel):
    service: str
    account: str
    holder: str
    lines: list[BillLine]
    prepaid: bool
    usage_this_period: str | None


class CreatePayment(BaseModel):
    userId: str = Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z-]+$")
    amount: int = Field(gt=0, le=10_000_000)  # fen
    paymentMethod: Method


class Order(BaseModel):
    id: str
    userId: str
    amount: int
    paymentMethod: Method
    status: str
    qrUrl: str | None = None


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


@router.get(f"{API}/bills/{{service}}/{{account}}", response_model=BillAnswer)
def bill(service: str, account: str, request: Request, kiosk: Kiosk) -> BillAnswer:
    """What is due on an account: unpaid lines, and whether it buys prepaid units."""
    with _engine(request).connect() as conn:
        row = conn.execute(
            select(accounts).where(accounts.c.service == service, accounts.c.account == account)
        ).first()
        if row is None:
            raise HTTPException(404, "no such account")
        lines = conn.execute(
            select(bill_lines).where(
                bill_lines.c.service == service, bill_lines.c.account == account,
                bill_lines.c.paid == 0,
            ).order_by(bill_lines.c.id)
        ).all()  # fmt: skip
    return BillAnswer(
        service=service,
        account=account,
        holder=row.holder,
        lines=[
            BillLine(
                label_zh=x.label_zh,
                label_en=x.label_en,
                amount=Money(minor=x.amount_fen),
                due_date=x.due_date,
            )
            for x in lines
        ],
        prepaid=bool(row.prepaid),
        usage_this_period=row.usage_this_period,
    )


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
    with _engine(request).begin() as conn:
        conn.execute(
            insert(orders).values(
                id=order_id, kiosk_id=kiosk, user_id=body.userId, amount_fen=body.amount,
                method=body.paymentMethod.value,
            )
        )  # fmt: skip
        row = conn.execute(select(orders).where(orders.c.id == order_id)).one()
    return _order(row, str(request.base_url))


@router.get(f"{API}/payments/{{order_id}}", response_model=Order)
def payment_status(order_id: str, request: Request, kiosk: Kiosk) -> Order:
    with _engine(request).connect() as conn:
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
    with _engine(request).connect() as conn:
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
    with _engine(request).connect() as conn:
        row = conn.execute(select(orders).where(orders.c.id == order_id)).first()
    if row is None:
        raise HTTPException(404, "no such order")
    amount = f"{row.amount_fen // 100}.{row.amount_fen % 100:02d}"
    return PAGE.format(order=order_id, amount=amount, status=row.status)


@router.post("/sandbox/pay/{order_id}", response_class=HTMLResponse, include_in_schema=False)
def sandbox_pay(order_id: str, request: Request) -> str:
    """The provider's callback: the order is paid."""
    with _engine(request).begin() as conn:
        done = conn.execute(
            update(orders).where(orders.c.id == order_id, orders.c.status == "created")
            .values(status="paid")
        ).rowcount  # fmt: skip
    if not done:
        raise HTTPException(409, "the order is not waiting for payment")
    return sandbox_page(order_id, request)


@router.post(f"{API}/payments/{{order_id}}/cancel", response_model=Order)
def cancel_payment(order_id: str, request: Request, kiosk: Kiosk) -> Order:
    """Cancel an unpaid order; a paid one stays paid (the answer says so)."""
    with _engine(request).begin() as conn:
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
