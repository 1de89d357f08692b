"""Bills and balances in the books: a bill line is receivable from the day it
is issued (the revenue is earned then) and carries what is still outstanding
on it; a payment settles lines oldest first and may part-pay one; what is due
is read from the books (``due``). A prepayment carried in from before the
books stands against ``opening``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Row, bindparam, func, select, update

from central.books import chart, ledger
from central.books.postings import Line
from central.db import bill_lines, coupons

ISSUED = "bill_issued"
OPENING = "opening"


def issue(
    conn: Connection, line_id: int, service: str, account: str, fen: int, tier: int | None = None
) -> bool:
    """Bill line ``line_id`` is owed: receivable against revenue (its tier's), once."""
    return ledger.record(
        conn, f"bill:{line_id}", ISSUED,
        [Line(chart.receivable(service, account), debit=fen),
         Line(chart.revenue(service, tier), credit=fen)],
    )  # fmt: skip


def open_credit(conn: Connection, key: str, service: str, account: str, fen: int) -> bool:
    """A prepayment the account had before the books: its credit against opening."""
    return ledger.record(
        conn, f"opening:{key}", OPENING,
        [Line(chart.OPENING, debit=fen), Line(chart.credit(service, account), credit=fen)],
    )  # fmt: skip


def clear_account(conn: Connection, key: str, service: str, account: str) -> None:
    """Bring the account's receivable and credit to zero against opening (the
    demo's re-seeding replaces an account's bills; the books keep their past)."""
    lines = []
    codes = [chart.receivable(service, account), chart.credit(service, account)]
    found = ledger.balances_of(conn, codes)
    for code in codes:
        net = found[code].debits - found[code].credits if code in found else 0
        if net:
            lines.append(Line(code, credit=net) if net > 0 else Line(code, debit=-net))
            lines.append(
                Line(chart.OPENING, debit=net) if net > 0 else Line(chart.OPENING, credit=-net)
            )
    if lines:
        ledger.record(conn, f"clear:{key}", OPENING, lines)


# Built once: a statement built per call costs more CPU than running it (the
# construction and its cache key); bench/route_cost.py measures the lookup.
_OPEN_LINES = (
    select(bill_lines)
    .where(bill_lines.c.service == bindparam("service"),
           bill_lines.c.account == bindparam("account"), bill_lines.c.outstanding_fen > 0)
    .order_by(func.coalesce(bill_lines.c.due_date, "9999-12-31"), bill_lines.c.id)
)  # fmt: skip
_OPEN_COUPONS = (
    select(coupons)
    .where(coupons.c.service == bindparam("service"), coupons.c.account == bindparam("account"),
           coupons.c.used == 0)
    .order_by(coupons.c.id)
)  # fmt: skip


_SETTLE = (
    update(bill_lines)
    .where(bill_lines.c.id == bindparam("line"))
    .values(outstanding_fen=bill_lines.c.outstanding_fen - bindparam("part"))
)
_SPEND = update(coupons).where(coupons.c.id == bindparam("coupon")).values(used=1)


def open_lines(conn: Connection, service: str, account: str) -> Sequence[Row[tuple[object, ...]]]:
    """The account's lines with something outstanding, oldest first (by due
    date, then as issued)."""
    return conn.execute(_OPEN_LINES, {"service": service, "account": account}).all()


def open_coupons(conn: Connection, service: str, account: str) -> Sequence[Row[tuple[object, ...]]]:
    return conn.execute(_OPEN_COUPONS, {"service": service, "account": account}).all()


def settle_lines(conn: Connection, service: str, account: str, fen: int) -> None:
    """``fen`` came off the account's receivable: the lines' outstanding amounts
    go down by as much, oldest first, the last one perhaps in part."""
    left = fen
    for line in open_lines(conn, service, account):
        if left <= 0:
            break
        part = min(left, int(line.outstanding_fen))
        left -= part
        conn.execute(_SETTLE, {"line": line.id, "part": part})


def spend_coupons(conn: Connection, service: str, account: str, fen: int) -> None:
    """Coupons worth ``fen`` were spent against a bill: they are used, oldest first."""
    left = fen
    for coupon in open_coupons(conn, service, account):
        if left <= 0:
            break
        left -= int(coupon.amount_fen)
        conn.execute(_SPEND, {"coupon": coupon.id})


@dataclass(frozen=True, slots=True)
class Due:
    """What an account owes, as the books say: ``owed`` (the receivable), less
    the coupons that apply, less the credit (预存款) set against it."""

    owed: int
    discount: int
    credit: int  # the account's credit before this bill
    credit_applied: int
    credited: bool = False  # the account's credit was ever posted to (prepaid_balance shown)

    @property
    def due(self) -> int:
        return self.owed - self.discount - self.credit_applied

    @property
    def credit_left(self) -> int:
        return self.credit - self.credit_applied


def due(conn: Connection, service: str, account: str, coupons_fen: int) -> Due:
    """Paying what is due spends the coupons first, then the credit (the same
    order the payment's posting follows, ``postings``)."""
    receivable, credit_code = chart.receivable(service, account), chart.credit(service, account)
    found = ledger.balances_of(conn, [receivable, credit_code])
    owed = max(found[receivable].balance, 0) if receivable in found else 0
    credit = max(found[credit_code].balance, 0) if credit_code in found else 0
    discount = min(coupons_fen, owed)
    return Due(owed, discount, credit, min(credit, owed - discount), credit_code in found)
