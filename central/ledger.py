"""What an uploaded transaction does on the server, once, in the same database
transaction that stores it: a payment settles the bill lines it covers (and
spends the coupons) or tops up a prepaid balance, an account credit raises the
balance, and the account's phone gets a payment notice. A prepaid purchase a
kiosk could not write to the account card waits to be written at the card's
next visit (``card_reissues``), until a kiosk reports it written."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import Connection, insert, select, update

from central import refunds
from central.books import uploads as books
from central.db import accounts, bill_lines, card_reissues, coupons, transactions
from central.sms import SmsSender
from config.records import RecordKind

log = logging.getLogger(__name__)
QR_REFUND, CARD_REVERSAL, QR_UNRESOLVED = (
    RecordKind.QR_REFUND.value, RecordKind.CARD_REVERSAL.value, RecordKind.QR_UNRESOLVED.value
)  # fmt: skip
PAYMENT, CREDIT = RecordKind.PAYMENT_COMPLETED.value, RecordKind.CREDIT_SETTLED.value
CARD_LOAD_FAILED, CARD_REISSUED = RecordKind.CARD_LOAD_FAILED.value, RecordKind.CARD_REISSUED.value


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def record_data(stored: str) -> dict[str, Any]:
    """What a kiosk's record says: an uploaded transaction is its journal record
    (kind, session, at, data), the facts under ``data``."""
    record = json.loads(stored)
    data = record.get("data") if isinstance(record, dict) else None
    return data if isinstance(data, dict) else {}


def apply(
    conn: Connection, kiosk: str, kind: str, payload: dict[str, Any], sms: SmsSender,
    transaction: str | None = None,
) -> str | None:  # fmt: skip
    """``payload``: the record's data; ``kiosk``: who uploaded it. With the
    ``transaction`` id it is posted to the books too (``central/books``); the
    answer is None, or why the books refused it."""
    refused = books.post_upload(conn, transaction, kiosk, kind, payload) if transaction else None
    _act(conn, kiosk, kind, payload, sms)
    return refused


def _act(conn: Connection, kiosk: str, kind: str, payload: dict[str, Any], sms: SmsSender) -> None:
    if kind in (QR_REFUND, CARD_REVERSAL, QR_UNRESOLVED):
        _give_back(conn, kiosk, kind, payload)
        return
    if kind in (CARD_LOAD_FAILED, CARD_REISSUED):
        _card_load(conn, kind, payload)
        return
    service, account = payload.get("service"), payload.get("account")
    amount = payload.get("amount")
    if not isinstance(service, str) or not isinstance(account, str) or not isinstance(amount, dict):
        return
    fen = amount.get("minor")
    if not isinstance(fen, int) or fen <= 0:
        return
    where = (accounts.c.service == service, accounts.c.account == account)
    row = conn.execute(select(accounts).where(*where)).first()
    if row is None:
        return
    if kind == PAYMENT:
        _settle(conn, service, account, fen)
        if row.phone:
            sms.send(
                conn, row.phone, "notice",
                f"【缴费终端】{service} 账户 {account} 缴费 ￥{yuan(fen)} 已到账。"
                f"Payment of CNY {yuan(fen)} received for {service} account {account}.",
            )  # fmt: skip
    elif kind == CREDIT and payload.get("to") == "account_credit":
        balance = (row.prepaid_balance_fen or 0) + fen
        conn.execute(update(accounts).where(*where).values(prepaid_balance_fen=balance))


def _settle(conn: Connection, service: str, account: str, fen: int) -> None:
    """Lines are settled oldest first while the payment covers them whole (after
    the coupons); what is left over (a prepaid purchase, a part payment) goes
    to the account's balance."""
    lines = conn.execute(
        select(bill_lines.c.id, bill_lines.c.amount_fen)
        .where(bill_lines.c.service == service, bill_lines.c.account == account,
               bill_lines.c.paid == 0)
        .order_by(bill_lines.c.id)
    ).all()  # fmt: skip
    offers = conn.execute(
        select(coupons.c.id, coupons.c.amount_fen).where(
            coupons.c.service == service, coupons.c.account == account, coupons.c.used == 0
        )
    ).all()
    left = fen
    if (
        lines
        and offers
        and fen >= sum(x.amount_fen for x in lines) - sum(x.amount_fen for x in offers)
    ):
        left += sum(x.amount_fen for x in offers)
        conn.execute(update(coupons).where(coupons.c.id.in_([x.id for x in offers])).values(used=1))
    for line in lines:
        if line.amount_fen > left:
            break
        left -= line.amount_fen
        conn.execute(update(bill_lines).where(bill_lines.c.id == line.id).values(paid=1))
    if left > 0:  # a prepaid purchase, or a part payment: nothing is lost
        where = (accounts.c.service == service, accounts.c.account == account)
        balance = conn.scalar(select(accounts.c.prepaid_balance_fen).where(*where)) or 0
        conn.execute(update(accounts).where(*where).values(prepaid_balance_fen=balance + left))


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
