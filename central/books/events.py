"""What a provider or the acquirer does with the money, into the books, in
the database transaction that records it (once each, keyed by the order or
card reference):

* an order paid at its provider: the provider owes it to us
  (``clearing:<provider>``) and we hold it for the order until a kiosk's
  payment applies it to a bill (``unapplied:<provider>``);
* a card payment approved: the same, through the acquirer;
* an order refunded, a card payment reversed: what was held goes back.

A kiosk's uploaded QR or card payment then takes its money from
``unapplied`` (``postings``), so the books hold, at any moment, every
electronic payment the server saw and no kiosk has applied — a late payment
waiting for its refund among them."""

from __future__ import annotations

from sqlalchemy import Connection

from central.books import chart, ledger
from central.books.postings import QR_PROVIDERS, Line

PAID, REFUNDED = "order_paid", "order_refunded"
PART_ASKED, PART_DONE = "part_refund_asked", "part_refunded"  # central/part_refunds.py
APPROVED, REVERSED = "card_approved", "card_reversed"


def holder(method: str) -> str:
    """Who holds an electronic payment's money: wechat, alipay, unionpay, acquirer."""
    return chart.ACQUIRER if method == "card" else QR_PROVIDERS.get(method, method)


def _post(conn: Connection, key: str, kind: str, who: str, fen: int, back: bool,
          kiosk: str | None) -> bool:  # fmt: skip
    owed, held = chart.clearing(who), chart.unapplied(who)
    lines = (
        [Line(held, debit=fen), Line(owed, credit=fen)]
        if back
        else [Line(owed, debit=fen), Line(held, credit=fen)]
    )
    return ledger.record(conn, key, kind, lines, kiosk)


def order_paid(conn: Connection, order_id: str, method: str, fen: int, kiosk: str) -> bool:
    return _post(conn, f"order:{order_id}:paid", PAID, holder(method), fen, False, kiosk)


def order_refunded(conn: Connection, order_id: str, method: str, fen: int, kiosk: str) -> bool:
    return _post(conn, f"order:{order_id}:refund", REFUNDED, holder(method), fen, True, kiosk)


def card_approved(conn: Connection, reference: str, fen: int, kiosk: str) -> bool:
    return _post(conn, f"card:{reference}:approved", APPROVED, chart.ACQUIRER, fen, False, kiosk)


def card_reversed(conn: Connection, reference: str, fen: int, kiosk: str) -> bool:
    return _post(conn, f"card:{reference}:reversed", REVERSED, chart.ACQUIRER, fen, True, kiosk)
