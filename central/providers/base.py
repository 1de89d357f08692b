"""What the central server asks of a payment provider, whichever it is: a QR
order made, queried, closed; a refund made and queried; an asynchronous
notification verified and read; a day's statement. Amounts in fen.

A provider's own states map onto four: ``created`` (waiting to be paid),
``paid``, ``closed`` (can no longer be paid), ``refunded`` (paid, then given
back, in whole or part)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

Status = Literal["created", "paid", "closed", "refunded"]


class ProviderError(RuntimeError):
    """The provider refused, failed or could not be reached; ``code`` is its own
    error code (or ``unreachable``), ``retry`` whether asking again may help."""

    def __init__(self, code: str, message: str, retry: bool = False) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.retry = code, retry


class BadNotification(ValueError):
    """A notification that is not the provider's, or not about what it claims:
    never acted on. ``reason`` names why (for the log and the counters)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ProviderOrder:
    order_id: str  # ours (out_trade_no)
    status: Status
    amount_fen: int
    trade_no: str | None = None  # the provider's
    paid_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    refund_id: str  # ours (out_refund_no / out_request_no)
    order_id: str
    status: Literal["processing", "done", "failed"]
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Notification:
    """A verified notification: an order paid, or a refund done."""

    kind: Literal["paid", "refunded"]
    order_id: str
    amount_fen: int  # paid: the order's total; refunded: the refund's amount
    merchant: str  # the merchant (WeChat mchid, Alipay app_id) it was sent for
    trade_no: str | None = None
    refund_id: str | None = None
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """What the notification endpoint answers, in the provider's format."""

    status: int
    body: bytes
    media_type: str


@dataclass(frozen=True, slots=True)
class StatementRow:
    """One line of a provider's day statement."""

    kind: Literal["payment", "refund"]
    order_id: str
    amount_fen: int
    trade_no: str
    refund_id: str | None = None


class Provider(Protocol):
    name: str  # wechat, alipay

    def create(self, order_id: str, amount_fen: int, description: str) -> str:
        """The QR code's content (code_url / qr_code)."""

    def query(self, order_id: str) -> ProviderOrder: ...

    def close(self, order_id: str) -> None:
        """ProviderError ``paid`` if it was paid meanwhile."""

    def refund(
        self, order_id: str, refund_id: str, amount_fen: int, total_fen: int, reason: str
    ) -> ProviderRefund: ...

    def query_refund(self, order_id: str, refund_id: str) -> ProviderRefund: ...

    def notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        """Verified and read, or BadNotification."""

    def answer(self, ok: bool, why: str = "") -> Answer: ...

    def statement(self, day: date) -> list[StatementRow]: ...
