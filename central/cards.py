"""Card authorization through the sandbox acquirer.

Test PANs (any valid Luhn number; the last four digits decide):

* ``…0002`` — declined, ``51`` insufficient funds;
* ``…0003`` — the acquirer is slow: it decides after ``ACQUIRER_STALL_S``
  (longer than any kiosk timeout), so the kiosk has given up and sent its
  reversal first, and the authorization is declined;
* ``…0004`` — approved at the acquirer, but the answer is lost on the way
  back (504 after the approval is recorded): the kiosk must reverse it;
* anything else — approved with a six-digit authorization code.

The messages a real acquirer takes, each idempotent by the payment reference:
authorization; reversal (冲正), sent by the kiosk for an approval it gave up
on or whose answer it never had (it may come before the authorization it
names, which is then declined); and void (撤销), an operator's cancel of an
approved payment the same day, naming its authorization code.

Authorization is idempotent by the kiosk's payment reference: asking again
returns the first answer. The full PAN is used for the decision and dropped;
only the masked PAN is stored.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field, StrictInt
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from central import refunds
from central.auth import Kiosk, engine_of, errors
from central.books import events
from central.db import authorizations
from central.payments import RefundAnswer, RefundRequest, carry_out

API = "/api/v1"
ACQUIRER_STALL_S = 30.0
router = APIRouter(responses=errors(400, 401, 503))


class CardData(BaseModel):
    pan: Annotated[str, Field(pattern=r"^[0-9]{12,19}$")]
    expiry: str | None = Field(default=None, pattern=r"^[0-9]{4,6}$")


class Amount(BaseModel):
    minor: StrictInt = Field(gt=0, le=10_000_000, description="fen; never a float")
    currency: Literal["CNY"] = "CNY"


class AuthorizationRequest(BaseModel):
    reference: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z-]+$")
    amount: Amount
    card: CardData
    masked_pan: str = Field(max_length=32, pattern=r"^[0-9*]+$")
    icc: dict[str, str] = Field(default_factory=dict, description="EMV tags as hex")


class AuthorizationAnswer(BaseModel):
    reference: str
    approved: bool
    auth_code: str
    reason: str


def luhn_ok(pan: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(pan)):
        digit = int(ch) * (2 if i % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def decide(pan: str) -> tuple[bool, str, str]:
    """(approved, authorization code, decline reason) for a test PAN."""
    if not luhn_ok(pan):
        return False, "", "14 invalid card number"
    if pan.endswith("0002"):
        return False, "", "51 insufficient funds"
    return True, f"{secrets.randbelow(1_000_000):06d}", ""


@router.post(
    f"{API}/cards/authorize", response_model=AuthorizationAnswer, responses=errors(409, 504)
)
async def authorize(
    body: AuthorizationRequest, request: Request, kiosk: Kiosk
) -> AuthorizationAnswer:
    if body.card.pan.endswith("0003") and luhn_ok(body.card.pan):
        await asyncio.sleep(request.app.state.acquirer_stall_s)
    answer = await run_in_threadpool(_store, request, kiosk, body)
    if body.card.pan.endswith("0004") and luhn_ok(body.card.pan):
        raise HTTPException(504, "the acquirer's answer was lost")
    return answer


def record(
    conn: Connection, reference: str, kiosk: str, fen: int, masked_pan: str, approved: bool,
    code: str, reason: str = "",
) -> None:  # fmt: skip
    """The acquirer's answer, kept (only the masked PAN); an approval is in the
    books from here (``events.card_approved``)."""
    conn.execute(
        insert(authorizations).values(
            reference=reference, kiosk_id=kiosk, amount_fen=fen, masked_pan=masked_pan,
            approved=int(approved), auth_code=code, reason=reason,
        )
    )  # fmt: skip
    if approved:
        events.card_approved(conn, reference, fen, kiosk)


def _store(request: Request, kiosk: str, body: AuthorizationRequest) -> AuthorizationAnswer:
    engine = engine_of(request)
    with engine.begin() as conn:
        old = conn.execute(
            select(authorizations).where(authorizations.c.reference == body.reference)
        ).first()
        if old is None:
            approved, code, reason = decide(body.card.pan)
            if refunds.reversed_before(conn, body.reference):  # the kiosk gave up first
                approved, code, reason = False, "", "reversed before authorization"
            try:
                record(conn, body.reference, kiosk, body.amount.minor, body.masked_pan,
                       approved, code, reason)  # fmt: skip
            except IntegrityError:
                raise HTTPException(409, "authorization raced; ask again") from None
            return AuthorizationAnswer(
                reference=body.reference, approved=approved, auth_code=code, reason=reason
            )
    if old.kiosk_id != kiosk:
        raise HTTPException(409, "reference already used")
    return AuthorizationAnswer(
        reference=body.reference, approved=bool(old.approved), auth_code=old.auth_code,
        reason=old.reason,
    )  # fmt: skip


@router.post(
    f"{API}/cards/{{reference}}/reverse", response_model=RefundAnswer, responses=errors(404)
)
def reverse(
    reference: str, request: Request, kiosk: Kiosk, body: RefundRequest | None = None
) -> RefundAnswer:
    """Void the approval of a card payment whose session gave up (a late approval).
    Idempotent. A reversal that comes before the authorization it names makes
    that authorization a decline; a declined payment has nothing to reverse."""
    reason = (body or RefundRequest(reason="late_approval")).reason
    return carry_out(request, lambda conn: refunds.reverse_card(conn, kiosk, reference, reason))


@router.get(f"{API}/cards/{{reference}}", response_model=RefundAnswer, responses=errors(404))
def card_payment(reference: str, request: Request, kiosk: Kiosk) -> RefundAnswer:
    """What became of a card payment: approved, declined or reversed."""
    with engine_of(request).connect() as conn:
        try:
            found = refunds.card_status(conn, kiosk, reference)
        except refunds.UnknownReference as exc:
            raise HTTPException(404, str(exc)) from None
    return RefundAnswer(reference=found.reference, status=found.status, amount=found.amount_fen)
