"""``books verify``: the books checked against themselves and against what
the server stores beside them. Every balance is recomputed from the entries;
a difference is a problem named by what it is about.

* every posting balances, and so does the whole (the trial balance is zero);
* every entry names an account of the chart and moves a positive amount on
  one side only;
* every uploaded transaction was posted exactly once (or refused by name),
  and every posting of a kiosk record has its transaction;
* every bill line's outstanding amount lies between nothing and the line,
  and an account's lines add up to its receivable;
* the purchases waiting for their card add up to the account's units owed;
* what the books hold for electronic payments no kiosk applied
  (``unapplied:<provider>``) is the paid orders and approved card payments
  no payment claimed and nothing gave back.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection, func, select

from central import refunds
from central.books import chart, events, ledger
from central.books.bills import ISSUED, OPENING
from central.books.cash import COUNTED
from central.db import (
    authorizations,
    bill_lines,
    card_reissues,
    entries,
    orders,
    postings,
    transactions,
)  # fmt: skip

NOT_UPLOADS = {ISSUED, OPENING, COUNTED, events.PAID, events.REFUNDED, events.APPROVED,
               events.REVERSED, events.PART_ASKED, events.PART_DONE}  # fmt: skip


def problems(conn: Connection) -> list[str]:
    """Everything that does not agree; empty when the books are right."""
    return [
        *_postings_balance(conn),
        *_entries_are_sound(conn),
        *_each_upload_posted_once(conn),
        *_bills_agree(conn),
        *_card_loads_agree(conn),
        *_unapplied_agree(conn),
    ]


def _postings_balance(conn: Connection) -> list[str]:
    found = [
        f"posting {posting} does not balance: {debit} fen of debits, {credit} of credits"
        for posting, debit, credit in conn.execute(
            select(entries.c.posting, func.sum(entries.c.debit_fen), func.sum(entries.c.credit_fen))
            .group_by(entries.c.posting)
            .having(func.sum(entries.c.debit_fen) != func.sum(entries.c.credit_fen))
            .order_by(entries.c.posting)
        )
    ]
    every = ledger.balances(conn)
    debits, credits = sum(b.debits for b in every), sum(b.credits for b in every)
    if debits != credits:
        found.append(f"the trial balance is off: {debits} fen of debits, {credits} of credits")
    return found


def _entries_are_sound(conn: Connection) -> list[str]:
    found = []
    for posting, account, debit, credit in conn.execute(
        select(entries.c.posting, entries.c.account, entries.c.debit_fen, entries.c.credit_fen)
        .where(
            (entries.c.debit_fen < 0)
            | (entries.c.credit_fen < 0)
            | ((entries.c.debit_fen > 0) & (entries.c.credit_fen > 0))
        )
        .order_by(entries.c.id)
    ):
        found.append(f"posting {posting}: {account} debit {debit} credit {credit}: not one side")
    for (account,) in conn.execute(select(entries.c.account).distinct()):
        try:
            chart.kind_of(account)
        except KeyError:
            found.append(f"account {account!r} is not in the chart")
    return found


def _each_upload_posted_once(conn: Connection) -> list[str]:
    found = [
        f"transaction {tx} ({kind} from {kiosk}) was never posted"
        for tx, kind, kiosk in conn.execute(
            select(transactions.c.id, transactions.c.kind, transactions.c.kiosk_id)
            .outerjoin(postings, postings.c.id == transactions.c.id)
            .where(postings.c.id.is_(None))
            .order_by(transactions.c.id)
        )
    ]
    found += [
        f"posting {posting} ({kind}) has no uploaded transaction"
        for posting, kind in conn.execute(
            select(postings.c.id, postings.c.kind)
            .outerjoin(transactions, transactions.c.id == postings.c.id)
            .where(
                transactions.c.id.is_(None),
                postings.c.kiosk_id.is_not(None),
                postings.c.kind.not_in(NOT_UPLOADS),
            )
            .order_by(postings.c.id)
        )
    ]
    return found


def _bills_agree(conn: Connection) -> list[str]:
    found = []
    lines: dict[tuple[str, str], int] = defaultdict(int)
    for line in conn.execute(select(bill_lines).order_by(bill_lines.c.id)):
        if not 0 <= line.outstanding_fen <= line.amount_fen:
            found.append(
                f"bill line {line.id} ({line.service} {line.account}): {line.outstanding_fen} "
                f"fen outstanding of {line.amount_fen}"
            )
        lines[(line.service, line.account)] += int(line.outstanding_fen)
    owed = {_key(b.account): b.balance for b in ledger.balances(conn, "receivable:")}
    for key in sorted(set(lines) | set(owed)):
        service, account = key
        if lines.get(key, 0) != owed.get(key, 0):
            found.append(
                f"account {service} {account}: its lines have {lines.get(key, 0)} fen outstanding, "
                f"its receivable is {owed.get(key, 0)}"
            )
    return found


def _card_loads_agree(conn: Connection) -> list[str]:
    waiting: dict[tuple[str, str], int] = defaultdict(int)
    for row in conn.execute(select(card_reissues).where(card_reissues.c.done == 0)):
        waiting[(row.service, row.account)] += int(row.amount_fen)
    owed = {_key(b.account): b.balance for b in ledger.balances(conn, "card_pending:")}
    return [
        f"account {key[0]} {key[1]}: {waiting.get(key, 0)} fen of purchases wait for the card, "
        f"its units owed are {owed.get(key, 0)}"
        for key in sorted(set(waiting) | set(owed))
        if waiting.get(key, 0) != owed.get(key, 0)
    ]


def _unapplied_agree(conn: Connection) -> list[str]:
    """What the books hold for electronic payments no kiosk applied is the
    paid orders and approved card payments that no payment claimed and that
    were not given back."""
    held: dict[str, int] = defaultdict(int)
    for method, fen in conn.execute(
        select(orders.c.method, orders.c.amount_fen).where(
            orders.c.status.in_(("paid", "refunding")), orders.c.settled_by.is_(None)
        )
    ):
        held[events.holder(method)] += int(fen)
    for reference, fen in conn.execute(
        select(authorizations.c.reference, authorizations.c.amount_fen).where(
            authorizations.c.approved == 1, authorizations.c.settled_by.is_(None)
        )
    ):
        if not refunds.reversed_before(conn, reference):
            held[chart.ACQUIRER] += int(fen)
    books = {b.account.split(":", 1)[1]: b.balance for b in ledger.balances(conn, "unapplied:")}
    return [
        f"unapplied:{who}: the books hold {books.get(who, 0)} fen, the unclaimed "
        f"payments come to {held.get(who, 0)}"
        for who in sorted(set(held) | set(books))
        if held.get(who, 0) != books.get(who, 0)
    ]


def _key(code: str) -> tuple[str, str]:
    """``receivable:<service>:<account>`` → (service, account)."""
    _, service, account = code.split(":", 2)
    return service, account
