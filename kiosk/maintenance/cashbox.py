"""What is in the cashbox, computed from the journal.

There is no cashbox counter to drift: the content is every ``note_stacked``
record since the last ``cash_collected`` record, counted once per credit id
(a credit the device offered twice is journaled once, but the count would not
double even if it were). A collection is itself a journal record — what the
journal counted, what the collector counted, the difference — and the next
period starts after it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from kiosk.flow.records import RecordKind
from kiosk.money import Money
from offline_queue.journal import Journal

STACKED = RecordKind.NOTE_STACKED.value
COLLECTED = RecordKind.CASH_COLLECTED.value


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
