"""What the server itself knows of an electronic payment a kiosk uploads: the
order (QR) or authorization (card) it names, read for ``postings.Claim``, and
marked settled by the payment that claimed it, so no other payment can."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, select, update

from central import refunds
from central.books.postings import Claim
from central.db import authorizations, orders


def _reference(method: object, details: object) -> tuple[str, str] | None:
    """("order", id) for a QR payment, ("card", reference) for a card one."""
    if not isinstance(details, Mapping) or method == "cash":
        return None
    key, what = ("reference", "card") if method == "card" else ("order_id", "order")
    value = details.get(key)
    return (what, value) if isinstance(value, str) and value else None


def of(conn: Connection, method: object, details: object) -> Claim | None:
    found = _reference(method, details)
    if found is None:
        return None
    what, reference = found
    if what == "order":
        row = conn.execute(
            select(orders.c.kiosk_id, orders.c.status, orders.c.amount_fen, orders.c.settled_by)
            .where(orders.c.id == reference)
            .with_for_update()
        ).first()
        if row is None:
            return Claim(reference)
        return Claim(reference, True, row.kiosk_id, row.status, row.amount_fen, row.settled_by)
    auth = conn.execute(
        select(authorizations.c.kiosk_id, authorizations.c.approved,
               authorizations.c.amount_fen, authorizations.c.settled_by)
        .where(authorizations.c.reference == reference)
        .with_for_update()
    ).first()  # fmt: skip
    if auth is None:
        return Claim(reference)
    state = "approved" if auth.approved else "declined"
    if refunds.reversed_before(conn, reference):
        state = "reversed"
    return Claim(reference, True, auth.kiosk_id, state, auth.amount_fen, auth.settled_by)


def settle(conn: Connection, method: object, details: object, transaction: str) -> None:
    found = _reference(method, details)
    if found is None:
        return
    what, reference = found
    table = orders if what == "order" else authorizations
    key = orders.c.id if what == "order" else authorizations.c.reference
    conn.execute(update(table).where(key == reference).values(settled_by=transaction))
