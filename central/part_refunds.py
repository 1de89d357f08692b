"""Part of a paid order given back to the customer's wallet (部分退款).

A QR payment that paid a bill left what it paid over as the account's credit
(预存款); the customer may ask for part of it back. The refund comes out of
that credit and goes back through the order's provider:

1. ``ask``: in one database transaction, the order (locked) must be paid,
   with a real provider, and have paid a bill; the amount at most what the
   order has not yet given back and at most the account's credit. The row
   (``order_refunds``, ``requested``) and its posting (credit → refunds
   payable) are written, and the order's journal says so.
2. Outside any transaction the provider is asked (``carry_out``), under the
   refund's own id, so asking again is the same refund: ``done`` posts the
   money out (refunds payable → the provider's clearing); ``processing`` waits
   for the refund's notification or query; a provider that did not answer
   leaves it ``requested``, and the order worker asks again.

A late payment the kiosk gave up on is refunded whole instead
(``refunds.refund_order``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, insert, select, update

from central.books import chart, events, ledger
from central.books.postings import Line
from central.db import order_refunds, orders, transactions
from central.order_work import journal
from central.providers.base import BadNotification, Notification, Provider, ProviderError

ASKED, DONE = events.PART_ASKED, events.PART_DONE  # posting kinds (not uploads)
WAITING = ("requested", "processing")


class Refused(ValueError):
    """The part refund cannot be made, and why."""


@dataclass(frozen=True, slots=True)
class PartRefund:
    refund_id: str
    order_id: str
    amount_fen: int
    status: str  # requested, processing, done
    provider: str = ""  # the order's: wechat, alipay


def ask(conn: Connection, order_id: str, amount_fen: int, reason: str, by: str) -> PartRefund:
    """Record the part refund of ``order_id`` (step 1); Refused says why not."""
    order = conn.execute(select(orders).where(orders.c.id == order_id).with_for_update()).first()
    if order is None:
        raise Refused(f"no order {order_id}")
    if order.provider == "sandbox":
        raise Refused(f"order {order_id} is on the sandbox provider: nothing to refund through")
    if order.status != "paid" or order.settled_by is None:
        raise Refused(f"order {order_id} is {order.status} and paid no bill: refund it whole")
    if amount_fen <= 0:
        raise Refused("the amount is a positive number of fen")
    given = (
        conn.scalar(
            select(func.coalesce(func.sum(order_refunds.c.amount_fen), 0)).where(
                order_refunds.c.order_id == order_id
            )
        )
        or 0
    )
    if given + amount_fen > order.amount_fen:
        raise Refused(f"order {order_id}: {order.amount_fen} fen paid, {given} given back already")
    service, account = _account(conn, order.settled_by)
    credit = ledger.balance_of(conn, chart.credit(service, account))
    if amount_fen > credit:
        raise Refused(f"{service} {account} has {credit} fen of credit, {amount_fen} asked")
    count = (
        conn.scalar(
            select(func.count())
            .select_from(order_refunds)
            .where(order_refunds.c.order_id == order_id)
        )
        or 0
    )
    refund_id = f"RP{order_id}{count + 1:02d}"
    conn.execute(
        insert(order_refunds).values(
            refund_id=refund_id, order_id=order_id, amount_fen=amount_fen, status="requested",
            service=service, account=account, reason=reason[:200], asked_by=by[:64],
        )
    )  # fmt: skip
    lines = [Line(chart.credit(service, account), debit=amount_fen),
             Line(chart.REFUNDS_PAYABLE, credit=amount_fen)]  # fmt: skip
    ledger.record(conn, f"{refund_id}:asked", ASKED, lines, order.kiosk_id)
    journal(conn, order_id, "part_refund", f"{refund_id}: {amount_fen} fen asked by {by}")
    return PartRefund(refund_id, order_id, amount_fen, "requested", str(order.provider))


def _account(conn: Connection, payment: str) -> tuple[str, str]:
    stored = conn.scalar(select(transactions.c.payload).where(transactions.c.id == payment))
    record = json.loads(stored) if stored else {}
    data = record.get("data") if isinstance(record, dict) else None
    service = data.get("service") if isinstance(data, dict) else None
    account = data.get("account") if isinstance(data, dict) else None
    if not isinstance(service, str) or not isinstance(account, str):
        raise Refused(f"the payment {payment} names no account to take the refund from")
    return service, account


def carry_out(engine: Engine, provider: Provider, refund_id: str) -> str:
    """Ask the provider for a recorded part refund (step 2): its status after."""
    with engine.connect() as conn:
        row = conn.execute(
            select(order_refunds).where(order_refunds.c.refund_id == refund_id)
        ).one()
        total = conn.scalar(select(orders.c.amount_fen).where(orders.c.id == row.order_id)) or 0
    if row.status not in WAITING:
        return str(row.status)
    try:
        if row.status == "processing":
            found = provider.query_refund(row.order_id, refund_id)
        else:
            found = provider.refund(row.order_id, refund_id, row.amount_fen, total, row.reason)
    except ProviderError:
        return str(row.status)  # asked again by the order worker
    if found.status == "done":
        return finish(engine, refund_id)
    if found.status == "processing":
        with engine.begin() as conn:
            conn.execute(
                update(order_refunds)
                .where(
                    order_refunds.c.refund_id == refund_id, order_refunds.c.status == "requested"
                )
                .values(status="processing")
            )
    return "processing"


def _row(conn: Connection, refund_id: str) -> Row[Any]:
    return conn.execute(select(order_refunds).where(order_refunds.c.refund_id == refund_id)).one()


def finish(engine: Engine, refund_id: str) -> str:
    """The provider says the part refund is done (its answer, query or
    notification): posted once."""
    with engine.begin() as conn:
        row = conn.execute(
            select(order_refunds).where(order_refunds.c.refund_id == refund_id)
        ).one()
        done = conn.execute(
            update(order_refunds)
            .where(order_refunds.c.refund_id == refund_id, order_refunds.c.status.in_(WAITING))
            .values(status="done", done_at=datetime.now(UTC))
        ).rowcount
        if done:
            provider = conn.scalar(select(orders.c.provider).where(orders.c.id == row.order_id))
            kiosk = conn.scalar(select(orders.c.kiosk_id).where(orders.c.id == row.order_id))
            lines = [Line(chart.REFUNDS_PAYABLE, debit=row.amount_fen),
                     Line(chart.clearing(str(provider)), credit=row.amount_fen)]  # fmt: skip
            ledger.record(conn, f"{refund_id}:done", DONE, lines, kiosk)
            journal(conn, row.order_id, "part_refunded", f"{refund_id}: {row.amount_fen} fen")
    return "done"


def notified(engine: Engine, notice: Notification) -> None:
    """A verified refund notification for a part refund: for that order and
    amount, or BadNotification (refused, counted, nothing posted)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(order_refunds).where(order_refunds.c.refund_id == notice.refund_id)
        ).one()
    if row.order_id != notice.order_id or row.amount_fen != notice.amount_fen:
        raise BadNotification(
            "amount", f"{notice.refund_id}: {notice.amount_fen} fen for {notice.order_id}, "
            f"the refund is {row.amount_fen} for {row.order_id}",
        )  # fmt: skip
    finish(engine, str(notice.refund_id))


def known(engine: Engine, refund_id: str) -> bool:
    with engine.connect() as conn:
        found = conn.scalar(
            select(order_refunds.c.refund_id).where(order_refunds.c.refund_id == refund_id)
        )
    return found is not None


def work_once(engine: Engine, providers: dict[str, Provider]) -> int:
    """The order worker's round for part refunds not yet done; how many."""
    found = [(r, p) for r, p in waiting(engine) if p in providers]
    for refund_id, name in found:
        carry_out(engine, providers[name], refund_id)
    return len(found)


def waiting(engine: Engine) -> list[tuple[str, str]]:
    """(refund id, provider) of every part refund not yet done."""
    with engine.connect() as conn:
        return [
            (str(r), str(p))
            for r, p in conn.execute(
                select(order_refunds.c.refund_id, orders.c.provider)
                .join(orders, orders.c.id == order_refunds.c.order_id)
                .where(order_refunds.c.status.in_(WAITING))
            )
        ]
