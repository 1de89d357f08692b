"""The books in the database: a posting is written once, with its entries, in
the caller's database transaction; balances and the trial balance are read
from the entries alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from central.books import chart
from central.books.postings import Line
from central.db import entries, postings


class Unbalanced(ValueError):
    """A posting whose debits and credits differ is never written."""


def record(
    conn: Connection, posting: str, kind: str, lines: Sequence[Line], kiosk: str | None = None,
    note: str | None = None, at: datetime | None = None, fresh: bool = False,
) -> bool:  # fmt: skip
    """Write ``posting`` and its ``lines``; False (nothing written) if it was
    posted before. A concurrent duplicate loses on the primary key, inside a
    savepoint, so the caller's transaction goes on. ``fresh``: the caller
    stored the posting's transaction in this database transaction (its id is
    the posting's), so no posting can have the id: no savepoint (two round
    trips an uploaded record)."""
    debits, credits = sum(x.debit for x in lines), sum(x.credit for x in lines)
    if debits != credits:
        raise Unbalanced(f"{kind} {posting}: {debits} fen of debits, {credits} of credits")
    if fresh:
        _write(conn, posting, kind, lines, kiosk, note, at)
        return True
    try:
        with conn.begin_nested():
            _write(conn, posting, kind, lines, kiosk, note, at)
    except IntegrityError:
        return False
    return True


_POSTING = insert(postings)


def _write(
    conn: Connection, posting: str, kind: str, lines: Sequence[Line], kiosk: str | None,
    note: str | None, at: datetime | None,
) -> None:  # fmt: skip
    conn.execute(
        _POSTING,
        {"id": posting, "kind": kind, "kiosk_id": kiosk, "note": note,
         "occurred_at": (at or datetime.now(UTC)).astimezone(UTC)},
    )  # fmt: skip
    if lines:
        conn.execute(
            insert(entries),
            [{"posting": posting, "account": x.account, "debit_fen": x.debit,
              "credit_fen": x.credit} for x in lines],
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Balance:
    account: str
    debits: int
    credits: int

    @property
    def balance(self) -> int:
        """On the side the account grows on (``chart.balance``)."""
        return chart.balance(self.account, self.debits, self.credits)


def balances(conn: Connection, prefix: str = "") -> list[Balance]:
    """Every account's debits and credits (those whose code starts with ``prefix``)."""
    query = (
        select(entries.c.account, func.sum(entries.c.debit_fen), func.sum(entries.c.credit_fen))
        .group_by(entries.c.account)
        .order_by(entries.c.account)
    )
    if prefix:
        query = query.where(entries.c.account.startswith(prefix, autoescape=True))
    return [Balance(a, int(d or 0), int(c or 0)) for a, d, c in conn.execute(query)]


_BALANCES_OF = (
    select(entries.c.account, func.sum(entries.c.debit_fen), func.sum(entries.c.credit_fen))
    .where(entries.c.account.in_(bindparam("codes", expanding=True)))
    .group_by(entries.c.account)
)  # built once: the hottest read of the books (every lookup, every payment)


def balances_of(conn: Connection, codes: Sequence[str]) -> dict[str, Balance]:
    """The named accounts' debits and credits, in one query on the exact codes
    (the index on ``entries.account`` serves it; a prefix would not, under a
    collation other than C). An account with no entries is not in the answer."""
    rows = conn.execute(_BALANCES_OF, {"codes": list(codes)})
    return {a: Balance(a, int(d or 0), int(c or 0)) for a, d, c in rows}


def balance_of(conn: Connection, account: str) -> int:
    found = balances_of(conn, [account]).get(account)
    return found.balance if found else 0
