"""An uploaded kiosk record into the books, in the database transaction that
stores it: the facts the server knows (what the account owes, whether it is
billed or a prepaid meter, a card load's purchase), the posting, or — for a
record the books cannot take — a refused posting that keeps the reason."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from central.books import chart, ledger, postings
from central.db import accounts, transactions

REFUSED = "refused"
CARD_LOADS = {"card_load_failed", "card_reissued"}


def post_upload(
    conn: Connection, transaction: str, kiosk: str, kind: str, data: Mapping[str, Any]
) -> str | None:
    """Post ``transaction`` (once); None, or why the books refused it."""
    try:
        lines = postings.post(kind, data, facts(conn, kiosk, kind, data))
    except postings.Refused as exc:
        why = f"{kind}: {exc}"[:200]
        ledger.record(conn, transaction, REFUSED, [], kiosk, note=why)
        return why
    ledger.record(conn, transaction, kind, lines, kiosk)
    return None


def facts(conn: Connection, kiosk: str, kind: str, data: Mapping[str, Any]) -> postings.Facts:
    service, account = data.get("service"), data.get("account")
    billed = prepaid = False
    owed = 0
    if isinstance(service, str) and isinstance(account, str):
        row = conn.execute(
            select(accounts.c.prepaid).where(
                accounts.c.service == service, accounts.c.account == account
            )
        ).first()
        if row is not None:
            prepaid = bool(row.prepaid)
            billed = not prepaid
            owed = ledger.balance_of(conn, chart.receivable(service, account))
    purchase = _purchase(conn, data.get("transaction")) if kind in CARD_LOADS else None
    return postings.Facts(kiosk, owed=owed, billed=billed, prepaid=prepaid, purchase=purchase)


def _purchase(conn: Connection, transaction: object) -> int | None:
    """A card load's purchase amount, from the payment the server has."""
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
    return minor if isinstance(minor, int) else None
