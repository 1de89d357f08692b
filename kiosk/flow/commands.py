"""Commands out of the pay flow: what the app shell must do, in order.

Imperative, frozen. The shell runs a batch front to back; a ``JournalRecord``
command finishes (the record is durable) before the next command starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from config.choices import PaymentMethod
from config.records import RecordKind
from kiosk.flow.states import Timer
from kiosk.flow.view import View
from kiosk.money import Money

JsonValue = str | int | bool | None | list["JsonValue"] | Mapping[str, "JsonValue"]


class Command:
    """Base class of every flow command."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Show(Command):
    view: View


@dataclass(frozen=True, slots=True)
class ArmTimer(Command):
    """Fire ``TimerFired(timer, token)`` after ``seconds``; replaces an armed one."""

    timer: Timer
    seconds: int
    token: int


@dataclass(frozen=True, slots=True)
class CancelTimer(Command):
    timer: Timer


@dataclass(frozen=True, slots=True)
class JournalRecord(Command):
    """Append a record durably; with ``transaction`` also queue it for the server."""

    kind: RecordKind
    session: UUID | None
    data: Mapping[str, JsonValue] = field(default_factory=dict)
    transaction: UUID | None = None


# -- bill acceptor ---------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EnableAcceptor(Command):
    denominations: frozenset[Money]
    limit: Money  # the largest note that may still be taken


@dataclass(frozen=True, slots=True)
class DisableAcceptor(Command):
    pass


@dataclass(frozen=True, slots=True)
class StackNote(Command):
    value: Money


@dataclass(frozen=True, slots=True)
class ReturnNote(Command):
    value: Money


# -- central server --------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LookUpBill(Command):
    service: str
    account: str


@dataclass(frozen=True, slots=True)
class RequestPhoneCode(Command):
    service: str
    phone: str


@dataclass(frozen=True, slots=True)
class LookUpBillByPhone(Command):
    service: str
    phone: str
    code: str


@dataclass(frozen=True, slots=True)
class StartCardPayment(Command):
    reference: str
    amount: Money


@dataclass(frozen=True, slots=True)
class CancelCardPayment(Command):
    """Stop waiting for a card or an answer for ``reference`` (the card reader's)."""

    reference: str


@dataclass(frozen=True, slots=True)
class ReverseCardPayment(Command):
    """Void any approval of ``reference`` at the acquirer: its session gave up.
    The ``card_reversal`` record journaled with it is the durable copy."""

    reference: str
    reason: str


@dataclass(frozen=True, slots=True)
class CreateQrOrder(Command):
    reference: str
    amount: Money
    method: PaymentMethod
    account: str = ""  # the order's userId: the customer's orders are listed by it


@dataclass(frozen=True, slots=True)
class QueryQrOrder(Command):
    order_id: str


@dataclass(frozen=True, slots=True)
class CancelQrOrder(Command):
    order_id: str


@dataclass(frozen=True, slots=True)
class RefundQrOrder(Command):
    """A QR payment that arrived after its session ended goes back to the wallet.
    The ``qr_refund`` record journaled with it is the durable copy."""

    order_id: str
    reason: str = "late_payment"


@dataclass(frozen=True, slots=True)
class LoadAccountCard(Command):
    """Write a prepaid purchase to the customer's account card, read it back, verify."""

    transaction: UUID
    account: str
    units: str
    amount: Money


# -- printer ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PrintReceipt(Command):
    transaction: UUID


@dataclass(frozen=True, slots=True)
class PrintVoucher(Command):
    transaction: UUID
    amount: Money


# -- kiosk -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RestartForUpdate(Command):
    """No customer is in a session: restart into the staged release ``version``."""

    version: str


@dataclass(frozen=True, slots=True)
class RequestHealthCheck(Command):
    """Check devices and the server; answer with MethodsAvailable or OutOfServiceSet."""
