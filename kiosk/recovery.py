"""Start-up recovery: settle sessions that took money and did not finish.

Runs before the first customer. It reads the journal since the last recovery
and, for each session, applies the flow's own rules (``flow.settlement``):

* cash stacked and not accounted for: if it reached the amount the customer
  chose, the payment completes (excess to the account or a voucher); otherwise
  it is credited to the account as prepayment or paid out as a voucher, by the
  service's setting;
* a card authorized or a QR order paid without a completed payment: the
  payment completes — the customer's money was taken, the bill is paid;
* a QR order created and never resolved: the server is asked to settle it;
* a card payment started and never answered (the kiosk stopped while the
  acquirer was asked): a ``card_reversal`` undoes whatever the acquirer
  decided, and is sent at start with the other pending reversals;
* a purchase being written to an account card that the card never confirmed:
  a ``card_load_failed`` transaction tells the server to reissue it (the card's
  purchase sequence number keeps a meter from loading it twice);
* a session left open is closed.

Everything it does is journaled, then a ``recovery`` record marks the point up
to which the journal has been reviewed. Running it twice changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from config.choices import PaymentMethod, RefundTarget
from config.records import RecordKind
from kiosk.flow.commands import JournalRecord
from kiosk.flow.settlement import credit_settled, payment_completed
from kiosk.journaling import write
from kiosk.money import Money
from offline_queue.journal import Entry, Journal

log = logging.getLogger(__name__)


CARD_KINDS = (RecordKind.CARD_STARTED, RecordKind.CARD_AUTHORIZED, RecordKind.CARD_REVERSAL)


@dataclass(slots=True)
class SessionSummary:
    session: UUID
    currency: str = "CNY"
    stacked: int = 0
    settled: int = 0
    context: dict[str, Any] = field(default_factory=dict)
    completed: bool = False
    closed: bool = False
    receipt_done: bool = False
    card: dict[str, Any] | None = None
    card_started: str | None = None  # the reference an authorization may have gone out for
    card_reversed: set[str] = field(default_factory=set)
    qr_order: str | None = None
    qr_paid: bool = False
    card_loads: dict[str, bool] = field(default_factory=dict)  # transaction → card answered

    def _card(self, kind: RecordKind, data: dict[str, Any]) -> None:
        if kind is RecordKind.CARD_STARTED:
            self.card_started = data["reference"]
        elif kind is RecordKind.CARD_AUTHORIZED:
            self.card = data
        else:
            self.card_reversed.add(data["reference"])

    def add(self, entry: Entry) -> None:
        kind, data = RecordKind(entry.kind), entry.data
        if "service" in data and "refund_to" in data:
            self.context = data
        if kind is RecordKind.NOTE_STACKED:
            money = Money.from_json(data["value"])
            self.stacked += money.minor
            self.currency = money.currency
        elif kind is RecordKind.CREDIT_SETTLED:
            self.settled += Money.from_json(data["amount"]).minor
        elif kind is RecordKind.PAYMENT_COMPLETED:
            self.completed = True
            if data["method"] == PaymentMethod.CASH.value:
                self.settled += Money.from_json(data["tendered"]).minor
        elif kind in CARD_KINDS:
            self._card(kind, data)
        elif kind is RecordKind.QR_ORDER_CREATED:
            self.qr_order = data["order_id"]
        elif kind is RecordKind.QR_PAID:
            self.qr_paid = True
        elif kind is RecordKind.CARD_LOADING:
            self.card_loads.setdefault(data["transaction"], False)
        elif kind in (RecordKind.CARD_LOADED, RecordKind.CARD_LOAD_FAILED):
            self.card_loads[data["transaction"]] = True
        elif kind in (RecordKind.RECEIPT_PRINTED, RecordKind.RECEIPT_FAILED):
            self.receipt_done = True
        elif kind is RecordKind.SESSION_CLOSED:
            self.closed = True


@dataclass(frozen=True, slots=True)
class Voucher:
    transaction: UUID
    amount: Money


@dataclass(slots=True)
class RecoveryReport:
    sessions_checked: int = 0
    records: list[JournalRecord] = field(default_factory=list)
    vouchers: list[Voucher] = field(default_factory=list)
    receipts_to_reprint: list[UUID] = field(default_factory=list)  # sessions paid, no receipt

    @property
    def settled_sessions(self) -> int:
        return len({r.session for r in self.records if r.kind is not RecordKind.SESSION_CLOSED})


def summarize(entries: Iterable[Entry]) -> dict[UUID, SessionSummary]:
    summaries: dict[UUID, SessionSummary] = {}
    for entry in entries:
        if entry.session is None:
            continue
        try:
            key = UUID(entry.session)
        except ValueError:
            log.warning("record %d has a session id that is not a UUID; skipped", entry.seq)
            continue
        summaries.setdefault(key, SessionSummary(key)).add(entry)
    return summaries


def settle(summary: SessionSummary, new_id: Callable[[], UUID]) -> list[JournalRecord]:
    """The records that leave ``summary`` with no customer money unaccounted for."""
    ctx, out = summary.context, []
    service, account = ctx.get("service"), ctx.get("account")
    refund_to = RefundTarget(ctx.get("refund_to", RefundTarget.VOUCHER.value))
    target = Money.from_json(ctx["amount"]) if ctx.get("amount") else None
    sid = summary.session

    if not summary.completed and target is not None and (summary.card or summary.qr_paid):
        method = PaymentMethod(ctx.get("method") or PaymentMethod.CARD.value)
        details = {"order_id": summary.qr_order} if summary.qr_paid else dict(summary.card or {})
        out.append(
            payment_completed(
                sid, new_id(), service=service, account=account, method=method, amount=target,
                tendered=target, excess_to=None, details=details, recovered=True,
            )
        )  # fmt: skip
        summary.completed = True

    unsettled = Money(summary.stacked - summary.settled, summary.currency)
    if unsettled.is_positive():
        if not summary.completed and target is not None and unsettled >= target:
            out.append(
                payment_completed(
                    sid, new_id(), service=service, account=account,
                    method=PaymentMethod.CASH, amount=target, tendered=unsettled,
                    excess_to=refund_to, recovered=True,
                )
            )  # fmt: skip
            summary.completed = True
        else:
            to = refund_to if account else RefundTarget.VOUCHER
            out.append(
                credit_settled(
                    sid, new_id(), service=service, account=account, amount=unsettled,
                    to=to, reason="recovered",
                )
            )  # fmt: skip

    started = summary.card_started
    open_card = not (summary.closed or summary.completed or summary.card)
    if started and open_card and started not in summary.card_reversed:
        # the kiosk stopped while the acquirer was asked: whatever it answered, undo it
        out.append(
            JournalRecord(
                RecordKind.CARD_REVERSAL, sid, {"reference": started, "reason": "interrupted"},
                new_id(),
            )
        )  # fmt: skip
    if summary.qr_order and not summary.qr_paid and not summary.closed:
        out.append(
            JournalRecord(
                RecordKind.QR_UNRESOLVED,
                sid,
                {"order_id": summary.qr_order, **ctx, "recovered": True},
                new_id(),
            )
        )
    for transaction, answered in summary.card_loads.items():
        if not answered:  # the write may or may not have reached the card: the server decides
            data: dict[str, Any] = {
                "transaction": transaction, "service": service, "account": account,
                "reason": "interrupted: the card did not confirm the purchase",
            }  # fmt: skip
            out.append(JournalRecord(RecordKind.CARD_LOAD_FAILED, sid, data, new_id()))
    if not summary.closed:
        out.append(JournalRecord(RecordKind.SESSION_CLOSED, sid, {"outcome": "recovered"}))
    return out


def recover(journal: Journal, new_id: Callable[[], UUID] = uuid4) -> RecoveryReport:
    checkpoint = journal.last_of_kind(RecordKind.RECOVERY.value)
    sessions = journal.sessions_after(checkpoint)
    summaries = summarize(journal.session_records(sessions)) if sessions else {}
    report = RecoveryReport(sessions_checked=len(summaries))
    for summary in summaries.values():
        records = settle(summary, new_id)
        for record in records:
            write(journal, record)
            _note(report, record)
        if summary.completed and not summary.receipt_done:
            report.receipts_to_reprint.append(summary.session)
    write(
        journal,
        JournalRecord(
            RecordKind.RECOVERY,
            None,
            {
                "checked_after": checkpoint,
                "sessions_checked": report.sessions_checked,
                "sessions_settled": report.settled_sessions,
            },
        ),
    )
    if report.settled_sessions:
        log.warning(
            "recovery settled %d session(s) left unfinished", report.settled_sessions,
            extra={"vouchers": len(report.vouchers)},
        )  # fmt: skip
    return report


def _note(report: RecoveryReport, record: JournalRecord) -> None:
    report.records.append(record)
    data = record.data
    if record.kind is RecordKind.PAYMENT_COMPLETED:
        excess = Money.from_json(data["excess"])
        if data["excess_to"] == RefundTarget.VOUCHER.value and record.transaction:
            report.vouchers.append(Voucher(record.transaction, excess))
    elif record.kind is RecordKind.CREDIT_SETTLED and data["to"] == RefundTarget.VOUCHER.value:
        assert record.transaction is not None
        report.vouchers.append(Voucher(record.transaction, Money.from_json(data["amount"])))
