"""Bills and balances into the books: a bill line is receivable from the day it
is issued (the revenue is earned then); a prepayment carried in from before
the books stands against ``opening``."""

from __future__ import annotations

from sqlalchemy import Connection

from central.books import chart, ledger
from central.books.postings import Line

ISSUED = "bill_issued"
OPENING = "opening"


def issue(conn: Connection, line_id: int, service: str, account: str, fen: int) -> bool:
    """Bill line ``line_id`` is owed: receivable against revenue (once)."""
    return ledger.record(
        conn, f"bill:{line_id}", ISSUED,
        [Line(chart.receivable(service, account), debit=fen),
         Line(chart.revenue(service), credit=fen)],
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
    for code in (chart.receivable(service, account), chart.credit(service, account)):
        for found in ledger.balances(conn, code):
            if found.account != code or found.debits == found.credits:
                continue
            net = found.debits - found.credits
            lines.append(Line(code, credit=net) if net > 0 else Line(code, debit=-net))
            lines.append(
                Line(chart.OPENING, debit=net) if net > 0 else Line(chart.OPENING, credit=-net)
            )
    if lines:
        ledger.record(conn, f"clear:{key}", OPENING, lines)
