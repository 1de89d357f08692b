"""An uploaded kiosk record into the books, in the database transaction that
stores it: the facts the server knows (what the account owes, its coupons
and credit, a card load's purchase), the posting, what it does to the bill
(lines settled oldest first, coupons spent, units counted) or — for a record
the books cannot take — a refused posting that keeps the reason.

The account's row is locked first (``FOR UPDATE`` on PostgreSQL; SQLite has
one writer), so two kiosks paying the same account at once both read what
the other left."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from central.books import bills, chart, claims, ledger, limits, postings, units
from central.books.postings import Line
from central.db import accounts, card_reissues, transactions

REFUSED = "refused"
PAYMENT = "payment_completed"
UNRESOLVED = "qr_unresolved"
CARD_LOADS = {"card_load_failed", "card_reissued"}


_ACCOUNT_LOCKED = (
    select(accounts.c.account)
    .where(accounts.c.service == bindparam("service"), accounts.c.account == bindparam("account"))
    .with_for_update()
)  # built once, as every statement of an upload's usual road (bench/route_cost.py)


def post_upload(
    conn: Connection, transaction: str, kiosk: str, kind: str, data: Mapping[str, Any],
    when: datetime, released: bool = False,
) -> str | None:  # fmt: skip
    """Post ``transaction`` (once); None, or why the books refused it. A record
    a person ``released`` is not held to the kiosk's cash limits."""
    try:
        known_facts = facts(conn, kiosk, kind, data)
        lines = postings.post(kind, data, known_facts)
        if not released:
            limits.check_cash(conn, lines, kiosk, known_facts.drawer)
    except postings.Refused as exc:
        why = f"{kind}: {exc}"[:200]
        ledger.record(conn, transaction, REFUSED, [], kiosk, note=why, at=when, fresh=not released)
        return why
    if ledger.record(conn, transaction, kind, lines, kiosk, at=when, fresh=not released):
        _on_the_bill(conn, transaction, data, lines, when)
        if kind == PAYMENT:
            claims.settle(conn, data.get("method"), data.get("details"), transaction)
        elif kind == UNRESOLVED and lines:  # completed as the session's payment
            claims.settle(conn, data.get("method"), {"order_id": data.get("order_id")},
                          transaction)  # fmt: skip
    return None


def facts(conn: Connection, kiosk: str, kind: str, data: Mapping[str, Any]) -> postings.Facts:
    service, account = data.get("service"), data.get("account")
    known = False
    owed = coupons = credit = 0
    drawer = None
    if isinstance(service, str) and isinstance(account, str):
        row = conn.execute(_ACCOUNT_LOCKED, {"service": service, "account": account}).first()
        if row is not None:
            known = True
            receivable, credit_code = (
                chart.receivable(service, account),
                chart.credit(service, account),
            )
            till = chart.drawer(kiosk)  # for the cash limits, in the same query
            found = ledger.balances_of(conn, [receivable, credit_code, till])
            owed = found[receivable].balance if receivable in found else 0
            credit = found[credit_code].balance if credit_code in found else 0
            drawer = found[till].balance if till in found else 0
            coupons = sum(int(c.amount_fen) for c in bills.open_coupons(conn, service, account))
    sale = _purchase(conn, data.get("transaction")) if kind in CARD_LOADS else None
    pending = sale is not None and _pending(conn, data.get("transaction"))
    method = data.get("method")
    details = data.get("details")
    if kind == UNRESOLVED:  # the order it names, as a QR payment would name it
        details, method = {"order_id": data.get("order_id")}, data.get("method") or "wechat"
    claim = claims.of(conn, method, details) if kind in (PAYMENT, UNRESOLVED) else None
    return postings.Facts(
        kiosk, known=known, owed=owed, coupons=coupons, credit=credit,
        purchase=sale[0] if sale else None, purchase_details=sale[1] if sale else None,
        pending=pending, claim=claim, drawer=drawer,
    )  # fmt: skip


def _pending(conn: Connection, purchase: object) -> bool:
    return (
        conn.scalar(
            select(card_reissues.c.done).where(
                card_reissues.c.purchase == purchase, card_reissues.c.done == 0
            )
        )
        is not None
    )


def _on_the_bill(
    conn: Connection, transaction: str, data: Mapping[str, Any], lines: Sequence[Line],
    when: datetime,
) -> None:  # fmt: skip
    """What the posting means for the account's bill: the receivable it
    settled comes off the lines, the coupons it spent are used, the units a
    purchase bought are counted."""
    service, account = data.get("service"), data.get("account")
    if not isinstance(service, str) or not isinstance(account, str):
        return
    receivable, discounts = chart.receivable(service, account), chart.discounts(service)
    settled = sum(x.credit - x.debit for x in lines if x.account == receivable)
    if settled > 0:
        bills.settle_lines(conn, service, account, settled)
    spent = sum(x.debit for x in lines if x.account == discounts)
    if spent > 0:
        bills.spend_coupons(conn, service, account, spent)
    details = data.get("details")
    bought = details.get("units") if isinstance(details, Mapping) else None
    if isinstance(bought, str) and any(chart.kind_of(x.account) == "revenue" for x in lines):
        units.record(conn, transaction, service, account, when, bought)


def _purchase(conn: Connection, transaction: object) -> tuple[int, Mapping[str, Any]] | None:
    """A card load's purchase: its amount and details, from the payment the server has."""
    if not isinstance(transaction, str):
        return None
    stored = conn.scalar(
        select(transactions.c.payload).where(
            transactions.c.id == transaction, transactions.c.kind == "payment_completed"
        )
    )
    if stored is None:
        return None
    record = json.loads(stored)
    data = record.get("data") if isinstance(record, dict) else None
    amount = data.get("amount") if isinstance(data, dict) else None
    minor = amount.get("minor") if isinstance(amount, dict) else None
    details = data.get("details") if isinstance(data, dict) else None
    if not isinstance(minor, int):
        return None
    return minor, details if isinstance(details, dict) else {}
