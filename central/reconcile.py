"""Daily reconciliation (对账) with a payment provider: the day's statement
downloaded and compared, order by order, with what this server recorded.

* ``missed``: paid at the provider, not here (a notification lost and never
  queried): marked paid now — and refunded, if the kiosk had given the order
  up (the money came too late);
* ``unknown``: paid at the provider for an order this server never made;
* ``not_there``: paid here, not in the provider's statement;
* ``amount``: paid at both, for different amounts;
* ``refund_missed``: refunded at the provider, still ``refunding`` here:
  marked refunded now;
* ``refund``: refunded amounts differ, or refunded here only.

What is safe is fixed and journaled (``order_events``: ``reconciled``);
the rest needs a person. A CSV of every difference and a summary line per
kind; the command exits 1 while anything needs a person.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from central import order_work
from central.books.reports import day_bounds
from central.db import order_events, order_refunds, orders
from central.providers.base import BadNotification, Provider, StatementRow

PAID_HERE = ("paid", "refunding", "refunded")
FIXED = "fixed"
PERSON = "needs a person"


@dataclass(frozen=True, slots=True)
class Difference:
    kind: str
    order_id: str
    provider_fen: int | None
    our_fen: int | None
    action: str  # what was done: fixed (and how), or needs a person

    @property
    def needs_a_person(self) -> bool:
        return self.action == PERSON


def reconcile(engine: Engine, provider: Provider, day: date) -> list[Difference]:
    rows = provider.statement(day)
    paid_there = {r.order_id: r for r in rows if r.kind == "payment"}
    refunded_there: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.kind == "refund":
            refunded_there[row.order_id] += row.amount_fen
    ours = _orders(engine, provider.name, set(paid_there) | set(refunded_there))
    paid_here, refunded_here = _paid_on(engine, provider.name, day)
    out = [_payment(engine, provider, row, ours.get(row.order_id)) for row in paid_there.values()]
    out += [
        Difference("not_there", order_id, None, fen, PERSON)
        for order_id, fen in sorted(paid_here.items())
        if order_id not in paid_there
    ]
    for order_id in sorted(set(refunded_there) | set(refunded_here)):
        out.append(_refund(engine, order_id, refunded_there.get(order_id), ours.get(order_id),
                           refunded_here.get(order_id)))  # fmt: skip
    return [d for d in out if d.kind]


def _orders(engine: Engine, name: str, ids: set[str]) -> dict[str, tuple[str, int]]:
    found: dict[str, tuple[str, int]] = {}
    listed = sorted(ids)
    with engine.connect() as conn:
        for start in range(0, len(listed), 500):
            chunk = listed[start : start + 500]
            for order_id, status, fen in conn.execute(
                select(orders.c.id, orders.c.status, orders.c.amount_fen).where(
                    orders.c.id.in_(chunk), orders.c.provider == name
                )
            ):
                found[order_id] = (status, fen)
    return found


def _paid_on(engine: Engine, name: str, day: date) -> tuple[dict[str, int], dict[str, int]]:
    """Orders this server heard paid on ``day`` (CST), and refunded on it."""
    start, end = day_bounds(day)
    paid: dict[str, int] = {}
    refunded: dict[str, int] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(order_events.c.order_id, order_events.c.event, orders.c.amount_fen)
            .join(orders, orders.c.id == order_events.c.order_id)
            .where(orders.c.provider == name, order_events.c.at >= start,
                   order_events.c.at < end,
                   order_events.c.event.in_(("paid", "refunding", "refunded")))
        ).all()  # fmt: skip
        parts = conn.execute(
            select(order_refunds.c.order_id, order_refunds.c.amount_fen)
            .join(orders, orders.c.id == order_refunds.c.order_id)
            .where(orders.c.provider == name, order_refunds.c.status == "done",
                   order_refunds.c.done_at >= start, order_refunds.c.done_at < end)
        ).all()  # fmt: skip
    for order_id, event, fen in rows:
        if event == "refunded":
            refunded[order_id] = fen
        elif event == "paid" or order_id not in paid:
            paid[order_id] = fen
    for order_id, fen in parts:  # part refunds: what the statement lists, each
        refunded[order_id] = refunded.get(order_id, 0) + fen
    return paid, refunded


def _payment(
    engine: Engine, provider: Provider, row: StatementRow, ours: tuple[str, int] | None
) -> Difference:
    order_id, fen, trade_no = row.order_id, row.amount_fen, row.trade_no
    if ours is None:
        return Difference("unknown", order_id, fen, None, PERSON)
    status, our_fen = ours
    if our_fen != fen:
        return Difference("amount", order_id, fen, our_fen, PERSON)
    if status in PAID_HERE:
        return Difference("", order_id, fen, our_fen, "")
    try:
        outcome = order_work.paid(engine, provider.name, order_id, fen, trade_no)
    except BadNotification:
        return Difference("missed", order_id, fen, our_fen, PERSON)
    order_work.note(engine, order_id, "reconciled", f"missed payment: {outcome}")
    how = "marked paid" if outcome == "paid" else "marked paid; given up: refunded"
    return Difference("missed", order_id, fen, our_fen, f"{FIXED}: {how}")


def _refund(
    engine: Engine, order_id: str, there: int | None, ours: tuple[str, int] | None,
    here: int | None,
) -> Difference:  # fmt: skip
    waiting = there is not None and here is None and ours is not None and ours[0] == "refunding"
    if waiting and order_work.mark_refunded(engine, order_id, "by reconciliation"):
        order_work.note(engine, order_id, "reconciled", "refund found in the statement")
        return Difference("refund_missed", order_id, there, None, f"{FIXED}: marked refunded")
    if there == here:
        return Difference("", order_id, there, here, "")
    if there is not None and here is None and ours is not None and ours[0] == "refunded":
        return Difference("", order_id, there, here, "")  # refunded here on another day
    return Difference("refund", order_id, there, here, PERSON)


def write_report(found: list[Difference], path: Path) -> list[str]:
    """The CSV of every difference; the summary lines (one per kind)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["kind", "order", "provider_fen", "our_fen", "action"])
        for d in found:
            writer.writerow([d.kind, d.order_id, d.provider_fen, d.our_fen, d.action])
    kinds: dict[str, list[Difference]] = defaultdict(list)
    for d in found:
        kinds[d.kind].append(d)
    return [
        f"{kind}: {len(items)} ({sum(not d.needs_a_person for d in items)} fixed, "
        f"{sum(d.needs_a_person for d in items)} need a person)"
        for kind, items in sorted(kinds.items())
    ]
