"""How customer money is accounted for: the two settlement records.

Every note that is stacked ends in exactly one of them:

* ``payment_completed`` — the payment, with the cash tendered and any excess
  and where the excess went (account credit or voucher);
* ``credit_settled`` — cash of a session that did not complete a payment
  (cancelled, timed out, device fault, a late note), credited to the account
  as prepayment or paid out as a printed credit voucher.

Both the flow and start-up recovery build their records here.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from config.choices import PaymentMethod, RefundTarget
from config.records import RecordKind
from kiosk.flow.commands import JournalRecord, JsonValue
from kiosk.money import Money


def payment_completed(
    session: UUID,
    transaction: UUID,
    *,
    service: str | None,
    account: str | None,
    method: PaymentMethod,
    amount: Money,
    tendered: Money,
    excess_to: RefundTarget | None,
    details: Mapping[str, JsonValue] | None = None,
    recovered: bool = False,
) -> JournalRecord:
    """``amount`` pays the bill; ``tendered - amount`` (cash only) goes to ``excess_to``."""
    excess = tendered - amount
    if excess.minor < 0:
        raise ValueError("tendered is less than the payment")
    if excess.is_positive() and excess_to is None:
        raise ValueError("an excess needs a destination")
    return JournalRecord(
        RecordKind.PAYMENT_COMPLETED,
        session,
        {
            "service": service,
            "account": account,
            "method": method.value,
            "amount": amount.to_json(),
            "tendered": tendered.to_json(),
            "excess": excess.to_json(),
            "excess_to": excess_to.value if excess.is_positive() and excess_to else None,
            "details": dict(details or {}),
            "recovered": recovered,
        },
        transaction,
    )


def credit_settled(
    session: UUID,
    transaction: UUID,
    *,
    service: str | None,
    account: str | None,
    amount: Money,
    to: RefundTarget,
    reason: str,
) -> JournalRecord:
    if not amount.is_positive():
        raise ValueError("a credit must be positive")
    return JournalRecord(
        RecordKind.CREDIT_SETTLED,
        session,
        {
            "service": service,
            "account": account,
            "amount": amount.to_json(),
            "to": to.value,
            "reason": reason,
        },
        transaction,
    )
