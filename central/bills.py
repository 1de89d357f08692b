"""Account and bill lookup: by service and account number, or by phone number
with a one-time code sent by SMS."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field, StrictInt
from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from central.auth import Kiosk, engine_of, errors
from central.books import bills as books
from central.books import units
from central.db import accounts, card_reissues, phone_codes, shielded

API = "/api/v1"
CODE_TTL_S = 300
CODE_ATTEMPTS = 5
CODE_RESEND_S = 60
router = APIRouter(responses=errors(400, 401, 503))

Service = Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$")
Phone = Field(pattern=r"^1[3-9][0-9]{9}$")


class Money(BaseModel):
    minor: StrictInt = Field(description="minor units (fen); never a float")
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")


class BillLine(BaseModel):
    kind: Literal["current", "arrears", "late_fee"]
    label_zh: str
    label_en: str
    amount: Money = Field(description="what is still outstanding on the line")
    billed: Money = Field(description="the line as issued (more than amount: part paid)")
    due_date: str | None


class Coupon(BaseModel):
    code: str
    label_zh: str
    label_en: str
    amount: Money


class CardReissue(BaseModel):
    transaction: str = Field(description="the purchase's payment transaction")
    units: str
    amount: Money


class BillAnswer(BaseModel):
    service: str
    account: str
    holder: str
    lines: list[BillLine]
    arrears: Money = Field(description="the overdue part of the lines")
    coupons: list[Coupon] = Field(description="coupons that apply to this bill")
    credit_applied: Money = Field(
        description="the account's credit (预存款) set against the lines when the due is paid"
    )
    due: Money = Field(description="the lines, less the coupons, less the credit applied")
    prepaid: bool = Field(description="the account buys units ahead (an IC-card meter)")
    prepaid_balance: Money | None = Field(
        description="the account's credit left after this bill (None: a billed account that "
        "never had any)"
    )
    usage_this_period: str | None = Field(
        description="units used so far in the tariff's period (a decimal), for tier advice"
    )
    card_reissues: list[CardReissue] = Field(
        default_factory=list,
        description="purchases paid for but not yet on the account card: the kiosk the card "
        "is in writes them",
    )


class CodeRequest(BaseModel):
    service: str = Service
    phone: str = Phone


class PhoneLookup(BaseModel):
    service: str = Service
    phone: str = Phone
    code: str = Field(pattern=r"^[0-9]{6}$")


_ACCOUNT = select(accounts).where(
    accounts.c.service == bindparam("service"), accounts.c.account == bindparam("account")
)
_REISSUES = (
    select(card_reissues)
    .where(card_reissues.c.service == bindparam("service"),
           card_reissues.c.account == bindparam("account"), card_reissues.c.done == 0)
    .order_by(card_reissues.c.created_at, card_reissues.c.purchase)
)  # fmt: skip


def bill_answer(conn: Connection, service: str, account: str) -> BillAnswer | None:
    """What the books say is due: the lines still outstanding (oldest first),
    the coupons, the credit set against them, the due."""
    keys = {"service": service, "account": account}
    row = conn.execute(_ACCOUNT, keys).first()
    if row is None:
        return None
    lines = books.open_lines(conn, service, account)
    offers = books.open_coupons(conn, service, account) if lines else []
    owed = books.due(conn, service, account, sum(int(x.amount_fen) for x in offers))
    reissues = conn.execute(_REISSUES, keys).all()
    usage = units.used(conn, service, account, datetime.now(UTC))
    if usage is None and row.prepaid:
        usage = Decimal(0)
    return BillAnswer(
        service=service,
        account=account,
        holder=row.holder,
        lines=[
            BillLine(
                kind=x.kind,
                label_zh=x.label_zh,
                label_en=x.label_en,
                amount=Money(minor=x.outstanding_fen),
                billed=Money(minor=x.amount_fen),
                due_date=x.due_date,
            )
            for x in lines
        ],
        arrears=Money(minor=sum(int(x.outstanding_fen) for x in lines if x.kind == "arrears")),
        coupons=[
            Coupon(
                code=x.code,
                label_zh=x.label_zh,
                label_en=x.label_en,
                amount=Money(minor=x.amount_fen),
            )
            for x in offers
        ],
        credit_applied=Money(minor=owed.credit_applied),
        due=Money(minor=owed.due),
        prepaid=bool(row.prepaid),
        prepaid_balance=(
            Money(minor=owed.credit_left) if row.prepaid or owed.credit or owed.credited else None
        ),
        usage_this_period=None if usage is None else str(usage),
        card_reissues=[
            CardReissue(transaction=x.purchase, units=x.units, amount=Money(minor=x.amount_fen))
            for x in reissues
        ],
    )


@router.get(
    f"{API}/bills/{{service}}/{{account}}", response_model=BillAnswer, responses=errors(404)
)
async def bill(service: str, account: str, request: Request, kiosk: Kiosk) -> BillAnswer:
    """What is due on an account: outstanding lines, arrears, coupons, the credit
    applied, the due, and the credit left."""
    engine: AsyncEngine = request.app.state.async_engine

    async def read(conn: AsyncConnection) -> BillAnswer | None:
        return await conn.run_sync(bill_answer, service, account)

    answer = await shielded(engine, read)
    if answer is None:
        raise HTTPException(404, "no such account")
    return answer


def _code_hash(phone: str, code: str) -> str:
    return hashlib.sha256(f"{phone}:{code}".encode()).hexdigest()


@router.post(f"{API}/phone/code", status_code=202, responses=errors(429))
def send_code(body: CodeRequest, request: Request, kiosk: Kiosk) -> dict[str, bool]:
    """Text a one-time code to the phone if it has an account for the service.
    The answer is the same either way: a kiosk cannot probe who is a customer."""
    now = time.time()
    with engine_of(request).begin() as conn:
        recent = conn.execute(
            select(phone_codes.c.id).where(
                phone_codes.c.phone == body.phone,
                phone_codes.c.expires_at > now + CODE_TTL_S - CODE_RESEND_S,
            )
        ).first()
        if recent is not None:
            raise HTTPException(429, "a code was sent less than a minute ago",
                                headers={"Retry-After": str(CODE_RESEND_S)})  # fmt: skip
        known = conn.execute(
            select(accounts.c.account).where(
                accounts.c.service == body.service, accounts.c.phone == body.phone
            )
        ).first()
        if known is not None:
            code = f"{secrets.randbelow(1_000_000):06d}"
            conn.execute(
                insert(phone_codes).values(phone=body.phone, service=body.service,
                                           code_hash=_code_hash(body.phone, code),
                                           expires_at=now + CODE_TTL_S)
            )  # fmt: skip
            request.app.state.sms.send(
                conn, body.phone, "code", f"【缴费终端】验证码 {code}，5分钟内有效。Code {code}."
            )
    return {"sent": True}


@router.post(f"{API}/bills/by-phone", response_model=BillAnswer, responses=errors(403, 404))
def bill_by_phone(body: PhoneLookup, request: Request, kiosk: Kiosk) -> BillAnswer:
    """The bill of the phone's account for the service, once the code is right.
    Five wrong codes spend the code."""
    with engine_of(request).begin() as conn:
        row = conn.execute(
            select(phone_codes)
            .where(phone_codes.c.phone == body.phone, phone_codes.c.service == body.service,
                   phone_codes.c.used == 0, phone_codes.c.expires_at > time.time(),
                   phone_codes.c.attempts < CODE_ATTEMPTS)
            .order_by(phone_codes.c.id.desc())
        ).first()  # fmt: skip
        right = row is not None and secrets.compare_digest(
            row.code_hash, _code_hash(body.phone, body.code)
        )
        answer = None
        if row is not None:  # a wrong try counts, and is committed before the 403
            conn.execute(
                update(phone_codes).where(phone_codes.c.id == row.id)
                .values(attempts=phone_codes.c.attempts + 1, used=int(right))
            )  # fmt: skip
        if right:
            account = conn.scalar(
                select(accounts.c.account)
                .where(accounts.c.service == body.service, accounts.c.phone == body.phone)
                .order_by(accounts.c.account)
            )
            answer = bill_answer(conn, body.service, str(account)) if account else None
    if not right:
        raise HTTPException(403, "wrong or expired code")
    if answer is None:
        raise HTTPException(404, "no account for this phone")
    return answer
