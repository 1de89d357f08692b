"""A customer account and its bill lines as the server takes them on: the
account row, a prepayment and this period's usage carried in, and each
bill line issued into the books with all of it outstanding."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert

from central.books import bills, units
from central.db import accounts, bill_lines


def add_account(
    conn: Connection, service: str, account: str, holder: str, *, phone: str | None = None,
    prepaid: bool = False, credit_fen: int = 0, usage: str | None = None,
    when: datetime | None = None, key: str | None = None,
) -> None:  # fmt: skip
    """``credit_fen``: a prepayment carried in (the account's credit);
    ``usage``: the units it used so far in the period of ``when``."""
    key = key or f"{service}:{account}"
    conn.execute(
        insert(accounts).values(
            service=service, account=account, holder=holder, phone=phone, prepaid=int(prepaid)
        )
    )
    if credit_fen:
        bills.open_credit(conn, key, service, account, credit_fen)
    if usage is not None:
        units.record(conn, f"opening:{key}", service, account, when or units.when_of(None), usage)


def add_line(
    conn: Connection, service: str, account: str, fen: int, label_zh: str, label_en: str, *,
    kind: str = "current", due_date: str | None = None, tier: int | None = None,
) -> int:  # fmt: skip
    """A bill line issued: owed whole, receivable in the books; its id."""
    made = conn.execute(
        insert(bill_lines).values(
            service=service, account=account, kind=kind, label_zh=label_zh, label_en=label_en,
            amount_fen=fen, outstanding_fen=fen, due_date=due_date, tier=tier,
        )
    ).inserted_primary_key  # fmt: skip
    assert made is not None
    line = int(made[0])
    bills.issue(conn, line, service, account, fen, tier)
    return line
