"""What the kiosk reads back from its own journal: one typed answer per question.

The journal (``offline_queue.journal``) stores records by kind; only this
module asks it for records of a kind and turns them into the kiosk's facts:

* ``payment`` / ``last_payment`` / ``payments_for``: a completed payment (for
  a reprint, the account screen's list);
* ``offline_allowance``: what the kiosk may still take offline today;
* ``last_cctalk_counter``: where the ccTalk acceptor's event counter was;
* ``technician_out_of_service``: the technician's switch, across a restart;
* ``maintenance_records``: the menu's audit trail, newest first (the PIN lockout);
* ``cashbox``: the notes in the cashbox since the last collection (and the
  ``cash_collected`` record that closes a period);
* ``pending_give_backs``: refunds and reversals the outbox has not sent yet.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from config.records import RecordKind
from config.settings import Settings
from kiosk.flow import commands as c
from kiosk.money import Money
from offline_queue.journal import Entry, Journal

PAYMENT = RecordKind.PAYMENT_COMPLETED.value
STACKED = RecordKind.NOTE_STACKED.value
COLLECTED = RecordKind.CASH_COLLECTED.value
MAINTENANCE = RecordKind.MAINTENANCE.value
GIVE_BACKS = (RecordKind.QR_REFUND.value, RecordKind.CARD_REVERSAL.value)
ALLOWANCE_SCAN = 2000  # offline payments in one day, at the most
CCTALK_SCAN = 20
PAYMENTS_SCAN = 500


@dataclass(frozen=True, slots=True)
class Payment:
    """A ``payment_completed`` record with its transaction id."""

    transaction: str
    at: str  # ISO 8601, UTC
    amount: Money
    method: str | None
    service: str | None
    account: str | None
    offline: bool
    data: dict[str, Any]  # the whole record, as the receipt prints it

    @classmethod
    def of(cls, transaction: str, entry: Entry) -> Payment:
        data = entry.data
        details = data.get("details")
        return cls(
            transaction=transaction,
            at=entry.at,
            amount=Money.from_json(data["amount"]),
            method=_text(data.get("method")),
            service=_text(data.get("service")),
            account=_text(data.get("account")),
            offline=isinstance(details, dict) and bool(details.get("offline")),
            data=data,
        )


def payment(journal: Journal, transaction: str) -> Payment | None:
    """The completed payment ``transaction``; None if it is not one."""
    entry = journal.transaction(transaction)
    if entry is None or entry.kind != PAYMENT:
        return None
    return Payment.of(transaction, entry)


def last_payment(journal: Journal) -> Payment | None:
    newest = journal.latest_transactions(PAYMENT, limit=1)
    return Payment.of(*newest[0]) if newest else None


def payments_for(
    journal: Journal, service: str, account: str, scan: int = PAYMENTS_SCAN
) -> list[Payment]:
    """This account's payments among the newest ``scan``, newest first."""
    found = []
    for transaction, entry in journal.latest_transactions(PAYMENT, limit=scan):
        if entry.data.get("service") == service and entry.data.get("account") == account:
            found.append(Payment.of(transaction, entry))
    return found


def offline_allowance(journal: Journal, settings: Settings, now: datetime) -> Money:
    """Today's offline limit less the offline payments already taken today
    (the kiosk's local day)."""
    zone = ZoneInfo(settings.kiosk.timezone)
    today = now.astimezone(zone).date()
    spent = 0
    for entry in journal.latest([PAYMENT], limit=ALLOWANCE_SCAN):
        if datetime.fromisoformat(entry.at).astimezone(zone).date() != today:
            break
        if Payment.of("", entry).offline:
            spent += Money.from_json(entry.data["amount"]).minor
    left = max(settings.offline.max_per_day_fen - spent, 0)
    return Money(left, settings.kiosk.currency)


def last_cctalk_counter(journal: Journal, prefix: str) -> int | None:
    """The event counter of the newest ccTalk credit (credit ids ``<prefix><n>:…``)."""
    for entry in journal.latest([STACKED], limit=CCTALK_SCAN):
        credit_id = str(entry.data.get("credit_id") or "")
        if credit_id.startswith(prefix):
            return int(credit_id.removeprefix(prefix).split(":")[0])
    return None


def maintenance_records(journal: Journal, limit: int) -> list[Entry]:
    """The newest ``limit`` maintenance records, newest first."""
    return journal.latest([MAINTENANCE], limit=limit)


def technician_out_of_service(journal: Journal, scan: int = 500) -> bool:
    """Did a technician leave the kiosk out of service (before a restart)?"""
    for entry in maintenance_records(journal, scan):
        if entry.data.get("action") == "out_of_service":
            return bool(entry.data.get("on"))
    return False


@dataclass(frozen=True, slots=True)
class Cashbox:
    since_seq: int  # the period starts after this record (0: the first period)
    since_at: str | None  # when the last collection was
    last_seq: int  # the newest record counted
    notes: tuple[tuple[Money, int], ...]  # (denomination, count), smallest first
    currency: str

    @property
    def count(self) -> int:
        return sum(n for _, n in self.notes)

    @property
    def total(self) -> Money:
        total = Money.zero(self.currency)
        for value, n in self.notes:
            total = total + Money(value.minor * n, value.currency)
        return total

    def to_json(self) -> dict[str, Any]:
        return {
            "since_seq": self.since_seq,
            "since_at": self.since_at,
            "last_seq": self.last_seq,
            "notes": [{"value": v.to_json(), "count": n} for v, n in self.notes],
            "count": self.count,
            "total": self.total.to_json(),
        }


def cashbox(journal: Journal, currency: str) -> Cashbox:
    """The notes stacked since the last collection.

    There is no cashbox counter to drift: the content is every ``note_stacked``
    record since the last ``cash_collected`` record, counted once per credit id
    (a credit the device offered twice is journaled once, but the count would
    not double even if it were). A collection is itself a journal record (what
    the journal counted, what the collector counted, the difference) and the
    next period starts after it."""
    since = journal.last_of_kind(COLLECTED)
    since_at = None
    if since:
        collected = journal.latest([COLLECTED], limit=1)
        since_at = collected[0].at if collected else None
    counts: Counter[Money] = Counter()
    seen: set[str] = set()
    last = since
    for entry in journal.records_of([STACKED], after=since):
        last = entry.seq
        credit = entry.data.get("credit_id")
        if isinstance(credit, str):
            if credit in seen:
                continue
            seen.add(credit)
        counts[Money.from_json(entry.data["value"])] += 1
    notes = tuple(sorted(counts.items(), key=lambda item: item[0].minor))
    return Cashbox(since, since_at, last, notes, currency)


def collection_record(box: Cashbox, counted: Money | None, role: str) -> dict[str, Any]:
    """The ``cash_collected`` record: the journal's count and the collector's."""
    record = {**box.to_json(), "role": role, "counted": None, "discrepancy": None}
    if counted is not None:
        record["counted"] = counted.to_json()
        record["discrepancy"] = (counted - box.total).to_json()
    return record


def pending_give_backs(
    journal: Journal, limit: int
) -> list[c.RefundQrOrder | c.ReverseCardPayment]:
    """Refunds and reversals still waiting in the outbox, as the commands that
    ask the central server for them, oldest first."""
    found: list[c.RefundQrOrder | c.ReverseCardPayment] = []
    for _, kind, payload in journal.outbox_pending(limit, GIVE_BACKS):
        data = payload.get("data")
        if not isinstance(data, dict):
            continue
        reason = str(data.get("reason") or "")
        order, reference = _text(data.get("order_id")), _text(data.get("reference"))
        if kind == RecordKind.QR_REFUND.value and order is not None:
            found.append(c.RefundQrOrder(order, reason))
        elif kind == RecordKind.CARD_REVERSAL.value and reference is not None:
            found.append(c.ReverseCardPayment(reference, reason))
    return found


NOTES = (
    RecordKind.NOTE_ESCROWED.value, RecordKind.NOTE_STACKED.value, RecordKind.NOTE_RETURNED.value,
)  # fmt: skip


def archive_floor(journal: Journal) -> int:
    """The oldest record an archive must leave in the live journal: what the
    kiosk computes its state from stays — the last recovery checkpoint, the
    last cash collection (the cashbox is counted from it; with none yet, the
    first note ever stacked), the newest note record (the acceptor's
    reconciliation, the ccTalk counter) and the technician's last "out of
    service" (it outlives a restart). ``journal.last_seq + 1`` when none."""
    floor = journal.last_seq + 1
    for kind in (RecordKind.RECOVERY.value, COLLECTED):
        seq = journal.last_of_kind(kind)
        floor = min(floor, seq or floor)
    if not journal.last_of_kind(COLLECTED):
        floor = min(floor, journal.first_of_kind(STACKED) or floor)
    for newest in journal.latest(NOTES, limit=1):
        floor = min(floor, newest.seq)
    for entry in maintenance_records(journal, 500):
        if entry.data.get("action") == "out_of_service":
            floor = min(floor, entry.seq)
            break
    return floor


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
