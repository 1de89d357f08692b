"""What an uploaded transaction does on the server, once, in the same database
transaction that stores it: it is posted to the books (``central/books``:
a payment settles the bill lines it covers and spends the coupons, a
purchase counts its units, credit is the account's), the account's phone
gets a payment notice, a refund or reversal the kiosk asked for is carried
out, and a prepaid purchase a kiosk could not write to the account card
waits to be written at the card's next visit (``card_reissues``), until a
kiosk reports it written."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from central import refunds
from central.books import uploads as books
from central.db import accounts, card_reissues, orders, transactions
from central.sms import SmsSender
from config.records import RecordKind

log = logging.getLogger(__name__)
QR_REFUND, CARD_REVERSAL, QR_UNRESOLVED = (
    RecordKind.QR_REFUND.value, RecordKind.CARD_REVERSAL.value, RecordKind.QR_UNRESOLVED.value
)  # fmt: skip
PAYMENT = RecordKind.PAYMENT_COMPLETED.value
CARD_LOAD_FAILED, CARD_REISSUED = RecordKind.CARD_LOAD_FAILED.value, RecordKind.CARD_REISSUED.value


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def record_of(stored: str) -> dict[str, Any]:
    """A kiosk's journal record as uploaded: kind, session, at, data."""
    record = json.loads(stored)
    return record if isinstance(record, dict) else {}


def record_data(stored: str) -> dict[str, Any]:
    """What a kiosk's record says: the facts under its ``data``."""
    data = record_of(stored).get("data")
    return data if isinstance(data, dict) else {}


def apply(
    conn: Connection, kiosk: str, kind: str, payload: dict[str, Any], sms: SmsSender,
    transaction: str, when: datetime, released: bool = False,
) -> str | None:  # fmt: skip
    """``payload``: the record's data; ``kiosk``: who uploaded it; ``when``: when
    the kiosk made it; ``released``: a person let a refused one through. The
    answer is None, or why the books refused it (the transaction is kept, and
    nothing else is done with it)."""
    refused = books.post_upload(conn, transaction, kiosk, kind, payload, when, released)
    if refused is None:
        _act(conn, kiosk, kind, payload, sms, transaction)
    return refused


def _act(
    conn: Connection, kiosk: str, kind: str, payload: dict[str, Any], sms: SmsSender,
    transaction: str,
) -> None:  # fmt: skip
    if kind == QR_UNRESOLVED and _settled_by(conn, payload.get("order_id")) is not None:
        if _settled_by(conn, payload.get("order_id")) == transaction:
            _notice(conn, payload, sms)  # completed as the session's payment
        return  # paid a bill: nothing to close or give back
    if kind in (QR_REFUND, CARD_REVERSAL, QR_UNRESOLVED):
        _give_back(conn, kiosk, kind, payload)
    elif kind in (CARD_LOAD_FAILED, CARD_REISSUED):
        _card_load(conn, kind, payload)
    elif kind == PAYMENT:
        _notice(conn, payload, sms)


_PHONE = select(accounts.c.phone).where(
    accounts.c.service == bindparam("service"), accounts.c.account == bindparam("account")
)


def _notice(conn: Connection, payload: dict[str, Any], sms: SmsSender) -> None:
    service, account = payload.get("service"), payload.get("account")
    amount = payload.get("amount")
    fen = amount.get("minor") if isinstance(amount, dict) else None
    if not isinstance(service, str) or not isinstance(account, str) or not isinstance(fen, int):
        return
    phone = conn.scalar(_PHONE, {"service": service, "account": account})
    if phone:
        sms.send(
            conn, phone, "notice",
            f"【缴费终端】{service} 账户 {account} 缴费 ￥{yuan(fen)} 已到账。"
            f"Payment of CNY {yuan(fen)} received for {service} account {account}.",
        )  # fmt: skip


def _give_back(conn: Connection, kiosk: str, kind: str, payload: dict[str, Any]) -> None:
    """The durable road of a refund or reversal (the kiosk's outbox): carried out
    here unless the direct call already did; a reference the server does not
    know, or an order never paid, has nothing to give back."""
    reason = str(payload.get("reason") or "")
    try:
        if kind == QR_REFUND and isinstance(payload.get("order_id"), str):
            refunds.refund_order(conn, kiosk, payload["order_id"], reason)
        elif kind == QR_UNRESOLVED and isinstance(payload.get("order_id"), str):
            refunds.settle_unresolved(conn, kiosk, payload["order_id"])
        elif kind == CARD_REVERSAL and isinstance(payload.get("reference"), str):
            refunds.reverse_card(conn, kiosk, payload["reference"], reason)
    except (refunds.UnknownReference, refunds.NothingToRefund) as exc:
        log.warning("%s from %s not carried out: %s", kind, kiosk, exc)


def _settled_by(conn: Connection, order_id: object) -> str | None:
    """The payment that claimed the order (a qr_unresolved the books completed)."""
    if not isinstance(order_id, str):
        return None
    found = conn.scalar(select(orders.c.settled_by).where(orders.c.id == order_id))
    return str(found) if found is not None else None


def _card_load(conn: Connection, kind: str, payload: dict[str, Any]) -> None:
    purchase = payload.get("transaction")
    if not isinstance(purchase, str):
        return
    if kind == CARD_REISSUED:
        conn.execute(
            update(card_reissues).where(card_reissues.c.purchase == purchase).values(done=1)
        )
        return
    paid = conn.scalar(
        select(transactions.c.payload).where(
            transactions.c.id == purchase, transactions.c.kind == PAYMENT
        )
    )
    known = conn.scalar(
        select(card_reissues.c.purchase).where(card_reissues.c.purchase == purchase)
    )
    if paid is None or known is not None:
        return  # not a purchase this server has (its upload comes first), or already waiting
    payment = record_data(paid)
    units = (payment.get("details") or {}).get("units")
    fen = (payment.get("amount") or {}).get("minor")
    service, account = payment.get("service"), payment.get("account")
    if not all(isinstance(x, str) for x in (units, service, account)) or not isinstance(fen, int):
        return
    conn.execute(
        insert(card_reissues).values(
            purchase=purchase, service=service, account=account,
            units=units, amount_fen=fen,
        )
    )  # fmt: skip
