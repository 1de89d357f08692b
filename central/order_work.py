"""The server's side of an order at a real provider (WeChat Pay, Alipay): a
payment heard from the provider (its notification, or a query when none
came), an order the kiosk gave up on closed at the provider, and a refund
carried out there. The provider is never called inside a database
transaction; what must happen later is a state the order worker finds:

* ``closing``: given up; the worker closes it at the provider (→
  ``cancelled``), unless it was paid meanwhile (→ ``refunding``);
* ``refunding``: to be given back; the worker refunds it (→ ``refunded``),
  asking again after a failure until the provider answers; a refund the
  provider accepted but has not finished is followed by its refund query
  (a refund notification that never comes changes nothing).

A payment that lands on an order the kiosk already gave up on (``cancelled``,
``closing``) is refunded automatically: the money arrived too late.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from sqlalchemy import Connection, Engine, bindparam, select, update

from central import channels, order_watch
from central.books import events
from central.db import order_events, orders
from central.providers.base import BadNotification, Notification, Provider, ProviderError

log = logging.getLogger(__name__)
GIVEN_UP = ("cancelled", "closing")
QUERY_AFTER_S = 3.0  # a status poll asks the provider once an order waited this long
QUERY_EVERY_S = 2.0


def _move(engine: Engine, order_id: str, old: tuple[str, ...], new: str, detail: str = "",
          **values: object) -> bool:  # fmt: skip
    """One transition, journaled, and — paid or refunded — posted to the books,
    all in one database transaction."""
    with engine.begin() as conn:
        return _move_in(conn, order_id, old, new, detail, **values)


def _move_in(conn: Connection, order_id: str, old: tuple[str, ...], new: str, detail: str = "",
             **values: object) -> bool:  # fmt: skip
    """``_move`` in the caller's database transaction."""
    row = conn.execute(
        update(orders).where(orders.c.id == order_id, orders.c.status.in_(old))
        .values(status=new, **values)
        .returning(orders.c.method, orders.c.amount_fen, orders.c.kiosk_id)
    ).first()  # fmt: skip
    if row is None:
        return False
    journal(conn, order_id, new, detail)
    if new == "paid" or (new == "refunding" and "created" not in old):
        events.order_paid(conn, order_id, row.method, row.amount_fen, row.kiosk_id)
    if new == "refunded":
        events.order_refunded(conn, order_id, row.method, row.amount_fen, row.kiosk_id)
    return True


_PAID_CHECK = select(orders.c.amount_fen, orders.c.provider).where(
    orders.c.id == bindparam("order")
)


def paid(engine: Engine, provider: str, order_id: str, amount_fen: int,
         trade_no: str | None) -> str:  # fmt: skip
    """The provider says the order was paid (notification or query): the
    outcome — ``paid``, ``late`` (refunding), ``already`` — or BadNotification
    for an order this server never made with this provider, or another amount.
    One database transaction: the check, and the transition it allows."""
    with engine.begin() as conn:
        row = conn.execute(_PAID_CHECK, {"order": order_id}).first()
        if row is None or row.provider != provider:
            raise BadNotification("unknown_order", f"no {provider} order {order_id}")
        if row.amount_fen != amount_fen:
            raise BadNotification(
                "amount", f"{order_id}: {amount_fen} fen, the order is {row.amount_fen}"
            )
        if _move_in(conn, order_id, ("created",), "paid", trade_no or "", trade_no=trade_no):
            return "paid"
        if _move_in(conn, order_id, GIVEN_UP, "refunding", "paid after it was given up",
                    trade_no=trade_no):  # fmt: skip
            return "late"
    return "already"


def refunded(engine: Engine, notice: Notification) -> None:
    """The provider says a refund was done."""
    note(engine, notice.order_id, "refund_notified", f"{notice.refund_id} {notice.amount_fen} fen")
    _move(engine, notice.order_id, ("refunding",), "refunded", "by notification")


def mark_refunded(engine: Engine, order_id: str, detail: str) -> bool:
    """A ``refunding`` order the provider says it refunded (its statement)."""
    return _move(engine, order_id, ("refunding",), "refunded", detail)


def refresh(engine: Engine, provider: Provider, order_id: str) -> None:
    """Ask the provider what became of a waiting order (no notification came)."""
    try:
        found = provider.query(order_id)
    except ProviderError as exc:
        log.warning("query of %s at %s failed: %s", order_id, provider.name, exc)
        return
    if found.status in ("paid", "refunded"):
        try:
            paid(engine, provider.name, order_id, found.amount_fen, found.trade_no)
        except BadNotification as exc:
            log.error("the provider's answer for %s does not match: %s", order_id, exc)
    elif found.status == "closed":
        _move(engine, order_id, ("created", "closing"), "cancelled", "closed at the provider")


def close(engine: Engine, provider: Provider, order_id: str) -> str:
    """Close a given-up order at the provider: the order's status after it."""
    try:
        provider.close(order_id)
    except ProviderError as exc:
        if exc.code != "paid":
            log.warning("close of %s at %s failed: %s", order_id, provider.name, exc)
            return _status(engine, order_id)
        refresh(engine, provider, order_id)  # paid meanwhile: it is refunded
    _move(engine, order_id, ("closing", "created"), "cancelled", "closed at the provider")
    return _status(engine, order_id)


def refund(engine: Engine, provider: Provider, order_id: str) -> str:
    """Carry out a ``refunding`` order's refund at the provider (in full)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(orders.c.amount_fen, orders.c.status).where(orders.c.id == order_id)
        ).first()
    if row is None or row.status != "refunding":
        return row.status if row is not None else "unknown"
    refund_id = f"RF{order_id}"
    try:
        if _asked(engine, order_id):  # accepted before: what became of it
            done = provider.query_refund(order_id, refund_id)
        else:
            done = provider.refund(order_id, refund_id, row.amount_fen, row.amount_fen,
                                   "late payment")  # fmt: skip
            note(engine, order_id, "refund_requested", f"{refund_id}: {done.status}")
    except ProviderError as exc:
        log.warning("refund of %s at %s failed (asked again later): %s", order_id,
                    provider.name, exc)  # fmt: skip
        return "refunding"
    if done.status == "done":
        _move(engine, order_id, ("refunding",), "refunded", refund_id)
    return _status(engine, order_id)


def _asked(engine: Engine, order_id: str) -> bool:
    with engine.connect() as conn:
        found = conn.scalar(
            select(order_events.c.id).where(
                order_events.c.order_id == order_id, order_events.c.event == "refund_requested"
            )
        )
    return found is not None


_JOURNAL = order_events.insert()


def journal(conn: Connection, order_id: str, event: str, detail: str = "") -> None:
    """One line of the order's journal (``order_events``), in the caller's
    transaction; past its creation, the status polls held for the order are
    woken at the commit (``central.order_watch``)."""
    conn.execute(_JOURNAL, {"order_id": order_id, "event": event, "detail": detail[:200]})
    if event != "created":
        channels.notify(conn, order_watch.CHANNEL, order_id)


def note(engine: Engine, order_id: str, event: str, detail: str = "") -> None:
    """The same, in a transaction of its own."""
    with engine.begin() as conn:
        journal(conn, order_id, event, detail)


def _status(engine: Engine, order_id: str) -> str:
    with engine.connect() as conn:
        return str(conn.scalar(select(orders.c.status).where(orders.c.id == order_id)))


def work_once(engine: Engine, providers: Mapping[str, Provider]) -> int:
    """One round of the worker: every closing and refunding order; how many."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(orders.c.id, orders.c.status, orders.c.provider).where(
                orders.c.status.in_(("closing", "refunding")),
                orders.c.provider.in_(list(providers)),
            )
        ).all()
    for order_id, status, name in rows:
        provider = providers[name]
        if status == "closing":
            close(engine, provider, order_id)
        else:
            refund(engine, provider, order_id)
    return len(rows)


class Queries:
    """When a waiting order was last asked about (a status poll asks the
    provider at most every ``QUERY_EVERY_S``)."""

    def __init__(self) -> None:
        self._asked: dict[str, float] = {}

    def due(self, order_id: str, age_s: float) -> bool:
        now = time.monotonic()
        if age_s < QUERY_AFTER_S or now - self._asked.get(order_id, 0.0) < QUERY_EVERY_S:
            return False
        if len(self._asked) > 10_000:
            self._asked.clear()
        self._asked[order_id] = now
        return True
