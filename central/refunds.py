"""Money that arrived after its session gave up goes back to its source.

A kiosk whose customer left before a QR payment or a card approval arrived
asks twice, by two roads that end here: the direct call
(``POST /api/v1/payments/{order_id}/refund``,
``POST /api/v1/cards/{reference}/reverse``) and the journal record it uploads
(``qr_refund``, ``card_reversal``) through its durable outbox. Whichever comes
first carries it out; the other finds it done. One ``refunds`` row per order or
card reference, so nothing is ever given back twice.

* An order is refunded only if it was paid: its status becomes ``refunded``
  and the sandbox provider's page shows it. An order that was never paid has
  nothing to give back (``NothingToRefund``).
* An order the kiosk gave up on without an answer (``qr_unresolved``) is
  cancelled if unpaid and refunded if paid.
* A card reversal voids an approved authorization. A reversal that arrives
  before the authorization it names (the kiosk gave up while the acquirer was
  still deciding) is kept as a tombstone: the later authorization is declined,
  so the card is never charged.
* An operator's void cancels an approved card payment that no bill took, the
  same day, naming its authorization code (``kiosk-central void``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, insert, select, update

from central import order_work
from central.books import events
from central.books.units import CST
from central.db import authorizations, orders, refunds

QR, CARD = "qr", "card"


class UnknownReference(LookupError):
    """No order or authorization of that reference belongs to the kiosk."""


class NothingToRefund(ValueError):
    """The order was never paid: nothing to give back."""


@dataclass(frozen=True, slots=True)
class Refund:
    reference: str
    status: str  # refunded (an order); reversed, voided or declined (a card payment)
    amount_fen: int


def refund_order(conn: Connection, kiosk: str, order_id: str, reason: str) -> Refund:
    """Refund a paid order of ``kiosk`` in full; asking again answers the same.
    A sandbox order is refunded at once; a provider's order becomes
    ``refunding`` and the server's order worker refunds it at the provider
    (``central/order_work.py``), then ``refunded``."""
    row = conn.execute(
        select(orders.c.status, orders.c.amount_fen, orders.c.provider, orders.c.method,
               orders.c.settled_by)
        .where(orders.c.id == order_id, orders.c.kiosk_id == kiosk)
    ).first()  # fmt: skip
    if row is None:
        raise UnknownReference(f"no order {order_id} from this kiosk")
    if row.status in ("refunded", "refunding"):
        return Refund(order_id, row.status, row.amount_fen)
    if row.status != "paid":
        raise NothingToRefund(f"order {order_id} is {row.status}, not paid")
    if row.settled_by is not None:
        raise NothingToRefund(f"order {order_id} paid a bill ({row.settled_by}): not late")
    status = "refunded" if row.provider == "sandbox" else "refunding"
    done = conn.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.status == "paid")
        .values(status=status)
    ).rowcount
    if done:
        _record(conn, QR, order_id, kiosk, row.amount_fen, reason)
        order_work.journal(conn, order_id, status, reason)
        if status == "refunded":
            events.order_refunded(conn, order_id, row.method, row.amount_fen, kiosk)
    return Refund(order_id, status, row.amount_fen)


def settle_unresolved(conn: Connection, kiosk: str, order_id: str) -> str:
    """A kiosk gave up on an order without hearing whether it was paid (its cancel
    went unanswered, or it restarted while waiting): an unpaid order is cancelled
    so the phone can no longer pay it, a paid one is refunded. The new status."""
    provider = conn.scalar(select(orders.c.provider).where(orders.c.id == order_id))
    given_up = "cancelled" if provider in (None, "sandbox") else "closing"
    cancelled = conn.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.kiosk_id == kiosk, orders.c.status == "created")
        .values(status=given_up)
    ).rowcount
    if cancelled:
        order_work.journal(conn, order_id, given_up, "unresolved")
        return given_up
    try:
        return refund_order(conn, kiosk, order_id, "unresolved").status
    except NothingToRefund:
        return "cancelled"


def reverse_card(conn: Connection, kiosk: str, reference: str, reason: str) -> Refund:
    """Void the authorization of ``reference``; before it exists, forbid it."""
    auth = conn.execute(
        select(authorizations.c.kiosk_id, authorizations.c.approved,
               authorizations.c.amount_fen, authorizations.c.settled_by)
        .where(authorizations.c.reference == reference)
    ).first()  # fmt: skip
    if auth is not None and auth.kiosk_id != kiosk:
        raise UnknownReference(f"no card payment {reference} from this kiosk")
    if auth is not None and not auth.approved:
        return Refund(reference, "declined", 0)
    if auth is not None and auth.settled_by is not None:
        raise NothingToRefund(f"card payment {reference} paid a bill ({auth.settled_by})")
    amount = auth.amount_fen if auth is not None else 0
    if _record(conn, CARD, reference, kiosk, amount, reason) and auth is not None:
        events.card_reversed(conn, reference, amount, kiosk)
    return Refund(reference, "reversed", amount)


def void_card(
    conn: Connection, reference: str, auth_code: str, reason: str, today: date | None = None
) -> Refund:
    """An operator's void (撤销) of an approved card payment: the authorization
    code must match, the day (CST) must be the authorization's own (after that
    the acquirer's batch has closed), and the payment must not have paid a bill
    (voiding it would leave the bill paid with no money behind it). Voiding
    again, or a payment the kiosk already reversed, answers the same."""
    auth = conn.execute(
        select(authorizations).where(authorizations.c.reference == reference)
    ).first()
    if auth is None:
        raise UnknownReference(f"no card payment {reference}")
    if not auth.approved:
        return Refund(reference, "declined", 0)
    if not secrets.compare_digest(auth.auth_code, auth_code):
        raise NothingToRefund(f"card payment {reference}: the authorization code does not match")
    done = _card_reason(conn, reference)
    if done is not None:
        return Refund(reference, _card_outcome(done), auth.amount_fen)
    if auth.settled_by is not None:
        raise NothingToRefund(f"card payment {reference} paid a bill ({auth.settled_by})")
    when = auth.created_at if auth.created_at.tzinfo else auth.created_at.replace(tzinfo=UTC)
    if (today or datetime.now(CST).date()) != when.astimezone(CST).date():
        raise NothingToRefund(f"card payment {reference}: the day's batch has closed")
    _record(conn, CARD, reference, auth.kiosk_id, auth.amount_fen, f"void: {reason}")
    events.card_reversed(conn, reference, auth.amount_fen, auth.kiosk_id)
    return Refund(reference, "voided", auth.amount_fen)


def _card_reason(conn: Connection, reference: str) -> str | None:
    """Why ``reference`` was given back (its ``refunds`` row), or None."""
    return conn.scalar(
        select(refunds.c.reason).where(refunds.c.kind == CARD, refunds.c.reference == reference)
    )


def _card_outcome(reason: str) -> str:
    return "voided" if reason.startswith("void") else "reversed"


def reversed_before(conn: Connection, reference: str) -> bool:
    """Whether a reversal (or void) of ``reference`` is already recorded."""
    return _card_reason(conn, reference) is not None


def card_status(conn: Connection, kiosk: str, reference: str) -> Refund:
    """What became of a card payment: approved, declined, reversed."""
    auth = conn.execute(
        select(authorizations).where(
            authorizations.c.reference == reference, authorizations.c.kiosk_id == kiosk
        )
    ).first()
    if auth is None:
        if reversed_before(conn, reference):
            return Refund(reference, "reversed", 0)
        raise UnknownReference(f"no card payment {reference} from this kiosk")
    done = _card_reason(conn, reference)
    if done is not None:
        return Refund(reference, _card_outcome(done), auth.amount_fen)
    return Refund(reference, "approved" if auth.approved else "declined", auth.amount_fen)


def _record(
    conn: Connection, kind: str, reference: str, kiosk: str, amount_fen: int, reason: str
) -> bool:
    """One row per reference: a second ask (the other road) changes nothing. Two
    asks racing each other: the loser's transaction fails on the unique key and
    is asked again by its caller (the upload goes item by item, the route retries)."""
    known = conn.scalar(
        select(refunds.c.id).where(refunds.c.kind == kind, refunds.c.reference == reference)
    )
    if known is None:
        conn.execute(
            insert(refunds).values(
                kind=kind, reference=reference, kiosk_id=kiosk, amount_fen=amount_fen,
                reason=reason[:64],
            )
        )  # fmt: skip
    return known is None
