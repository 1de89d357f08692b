"""Reports read from the books alone: the trial balance for a date, a
customer account's statement, a kiosk's day, revenue per service and tier.
Days are China Standard Time days, by when each posting happened (a kiosk
record's own time)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, func, select

from central.books import chart, events
from central.books.ledger import Balance
from central.books.units import CST
from central.db import entries, postings

WHEN = func.coalesce(postings.c.occurred_at, postings.c.posted_at)
PROVIDER_EVENTS = (events.PAID, events.REFUNDED, events.APPROVED, events.REVERSED)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The CST day ``day`` as UTC instants: [start, end)."""
    start = datetime.combine(day, time(0), CST).astimezone(UTC)
    return start, start + timedelta(days=1)


def trial_balance(conn: Connection, day: date | None = None) -> list[Balance]:
    """Every account's debits and credits from postings up to the end of ``day``
    (all of them without one)."""
    query = (
        select(entries.c.account, func.sum(entries.c.debit_fen), func.sum(entries.c.credit_fen))
        .join(postings, postings.c.id == entries.c.posting)
        .group_by(entries.c.account)
        .order_by(entries.c.account)
    )
    if day is not None:
        query = query.where(day_bounds(day)[1] > WHEN)
    return [Balance(a, int(d or 0), int(c or 0)) for a, d, c in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class StatementLine:
    at: datetime
    posting: str
    kind: str
    kiosk: str | None
    owed: int  # change in what the account owes (+ billed, − paid)
    credit: int  # change in its credit (+ kept for it, − spent)
    pending: int  # change in units paid for, not yet on its card (fen)


def statement(conn: Connection, service: str, account: str) -> list[StatementLine]:
    """The account's postings in order, each as what it did to the account."""
    codes = {
        chart.receivable(service, account): "owed",
        chart.credit(service, account): "credit",
        chart.card_pending(service, account): "pending",
    }
    rows = conn.execute(
        select(WHEN, postings.c.id, postings.c.kind, postings.c.kiosk_id, entries.c.account,
               entries.c.debit_fen, entries.c.credit_fen)
        .join(postings, postings.c.id == entries.c.posting)
        .where(entries.c.account.in_(codes))
        .order_by(WHEN, entries.c.id)
    ).all()  # fmt: skip
    changes: dict[str, dict[str, int]] = {}
    heads: dict[str, tuple[datetime, str, str | None]] = {}
    for when, posting, kind, kiosk, code, debit, credit in rows:
        heads.setdefault(posting, (when, kind, kiosk))
        change = chart.balance(code, int(debit), int(credit))
        slot = changes.setdefault(posting, {"owed": 0, "credit": 0, "pending": 0})
        slot[codes[code]] += change
    return [
        StatementLine(heads[p][0], p, heads[p][1], heads[p][2], c["owed"], c["credit"],
                      c["pending"])
        for p, c in changes.items()
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class KioskDay:
    kiosk: str
    day: date
    cash_in: int  # into the drawer: payments, change kept, late notes
    collected: int  # out of the drawer, into transit
    card: int
    qr: dict[str, int]  # per provider
    refunds: int  # late QR payments refunded, late card approvals reversed
    vouchers: int  # credit vouchers printed
    to_credit: int  # kept as customers' credit
    postings: int
    refused: int
    drawer_at_end: int


def kiosk_day(conn: Connection, kiosk: str, day: date) -> KioskDay:
    start, end = day_bounds(day)
    rows = conn.execute(
        select(entries.c.account, func.sum(entries.c.debit_fen), func.sum(entries.c.credit_fen))
        .join(postings, postings.c.id == entries.c.posting)
        .where(postings.c.kiosk_id == kiosk, start <= WHEN, end > WHEN,
               postings.c.kind.not_in(PROVIDER_EVENTS))
        .group_by(entries.c.account)
    ).all()  # fmt: skip
    given_back = conn.scalar(
        select(func.sum(entries.c.credit_fen))
        .join(postings, postings.c.id == entries.c.posting)
        .where(postings.c.kiosk_id == kiosk, start <= WHEN, end > WHEN,
               postings.c.kind.in_((events.REFUNDED, events.REVERSED)),
               entries.c.account.startswith("clearing:"))
    )  # fmt: skip
    debits: dict[str, int] = defaultdict(int)
    credits: dict[str, int] = defaultdict(int)
    for code, debit, credit in rows:
        debits[code] += int(debit or 0)
        credits[code] += int(credit or 0)
    kinds: dict[str, int] = {
        str(kind): int(n)
        for kind, n in conn.execute(
            select(postings.c.kind, func.count())
            .where(postings.c.kiosk_id == kiosk, start <= WHEN, end > WHEN)
            .group_by(postings.c.kind)
        )
    }
    drawer = chart.drawer(kiosk)
    card = chart.unapplied(chart.ACQUIRER)
    qr = {
        code.split(":", 1)[1]: debits[code]
        for code in sorted(debits)
        if code.startswith("unapplied:") and code != card
    }
    return KioskDay(
        kiosk=kiosk, day=day, cash_in=debits[drawer], collected=credits[drawer],
        card=debits[card], qr=qr, refunds=int(given_back or 0),
        vouchers=credits[chart.VOUCHERS] - debits[chart.VOUCHERS],
        to_credit=sum(credits[c] - debits[c] for c in credits if c.startswith("credit:")),
        postings=sum(kinds.values()), refused=kinds.get("refused", 0),
        drawer_at_end=_balance_until(conn, drawer, end),
    )  # fmt: skip


def _balance_until(conn: Connection, code: str, end: datetime) -> int:
    debit, credit = conn.execute(
        select(func.sum(entries.c.debit_fen), func.sum(entries.c.credit_fen))
        .join(postings, postings.c.id == entries.c.posting)
        .where(entries.c.account == code, end > WHEN)
    ).one()
    return chart.balance(code, int(debit or 0), int(credit or 0))


@dataclass(frozen=True, slots=True)
class Revenue:
    service: str
    tier: int | None
    fen: int


def revenue(conn: Connection, first: date | None = None, last: date | None = None) -> list[Revenue]:
    """Revenue per service and tier (net of card loads undone) from ``first`` to
    ``last`` inclusive; the coupons spent are the ``discounts`` rows (tier None,
    a negative amount)."""
    query = (
        select(entries.c.account, func.sum(entries.c.debit_fen), func.sum(entries.c.credit_fen))
        .join(postings, postings.c.id == entries.c.posting)
        .where(
            entries.c.account.startswith("revenue:") | entries.c.account.startswith("discounts:")
        )
        .group_by(entries.c.account)
        .order_by(entries.c.account)
    )
    if first is not None:
        query = query.where(day_bounds(first)[0] <= WHEN)
    if last is not None:
        query = query.where(day_bounds(last)[1] > WHEN)
    return list(_revenue_rows(conn.execute(query).all()))


def _revenue_rows(rows: Iterable[tuple[str, int | None, int | None]]) -> Iterable[Revenue]:
    for code, debit, credit in rows:
        parts = code.split(":")
        net = int(credit or 0) - int(debit or 0)
        tier = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None
        yield Revenue(parts[1], tier, net)
