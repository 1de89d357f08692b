"""Cash from the drawer to the bank: a ``cash_collected`` upload moves what
the kiosk's journal counted into transit; the cash centre's count
(``count``) moves it to the bank and posts any difference to over/short, so
each collection's expected (the drawer as the books had it), collected (as
the kiosk counted it) and counted amounts stand side by side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from central.books import chart, ledger
from central.books.postings import Line
from central.books.reports import WHEN
from central.db import entries, postings

COLLECTED = "cash_collected"
COUNTED = "cash_counted"


class NotACollection(LookupError):
    """No collection of that kiosk by that id (or the prefix names several)."""


@dataclass(frozen=True, slots=True)
class Collection:
    id: str
    at: datetime
    expected: int  # the drawer's balance in the books just before it
    collected: int  # what the kiosk's journal counted and sent into transit
    counted: int | None  # what the cash centre counted (None: not yet)

    @property
    def over_short(self) -> int | None:
        return None if self.counted is None else self.counted - self.collected


def collections(conn: Connection, kiosk: str) -> list[Collection]:
    rows = conn.execute(
        select(postings.c.id, WHEN)
        .where(postings.c.kiosk_id == kiosk, postings.c.kind == COLLECTED)
        .order_by(WHEN, postings.c.id)
    ).all()
    return [_collection(conn, kiosk, posting, at) for posting, at in rows]


def _collection(conn: Connection, kiosk: str, posting: str, at: datetime) -> Collection:
    drawer, transit = chart.drawer(kiosk), chart.in_transit(kiosk)
    first = conn.scalar(select(func.min(entries.c.id)).where(entries.c.posting == posting))
    before = conn.execute(
        select(func.sum(entries.c.debit_fen), func.sum(entries.c.credit_fen)).where(
            entries.c.account == drawer, entries.c.id < (first or 0)
        )
    ).one()
    collected = conn.scalar(
        select(func.sum(entries.c.debit_fen)).where(
            entries.c.posting == posting, entries.c.account == transit
        )
    )
    counted = conn.scalar(
        select(func.sum(entries.c.debit_fen)).where(
            entries.c.posting == f"count:{posting}", entries.c.account == chart.BANK
        )
    )
    return Collection(
        posting, at, chart.balance(drawer, int(before[0] or 0), int(before[1] or 0)),
        int(collected or 0), None if counted is None else int(counted),
    )  # fmt: skip


def find(conn: Connection, kiosk: str, collection: str) -> Collection:
    """The kiosk's collection by its id, or by a prefix that names one."""
    found = [c for c in collections(conn, kiosk) if c.id.startswith(collection)]
    exact = [c for c in found if c.id == collection]
    if exact:
        return exact[0]
    if len(found) != 1:
        raise NotACollection(
            f"{'no' if not found else len(found)} collections of {kiosk} match {collection!r}"
        )
    return found[0]


def count(conn: Connection, kiosk: str, collection: str, counted: int) -> Collection:
    """Record the cash centre's count of a collection (once): bank debited with
    what was counted, transit credited with what was collected, the difference
    to over/short. ValueError if it was counted before or the count is negative."""
    if counted < 0:
        raise ValueError("a count cannot be negative")
    found = find(conn, kiosk, collection)
    if found.counted is not None:
        raise ValueError(f"collection {found.id} was counted before: {found.counted} fen")
    short = found.collected - counted
    lines = [
        Line(chart.BANK, debit=counted),
        Line(chart.in_transit(kiosk), credit=found.collected),
        Line(chart.OVER_SHORT, debit=short) if short > 0 else Line(chart.OVER_SHORT, credit=-short),
    ]
    ledger.record(conn, f"count:{found.id}", COUNTED, [x for x in lines if x.debit or x.credit],
                  kiosk)  # fmt: skip
    return find(conn, kiosk, found.id)
