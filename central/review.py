"""``kiosk-central review``: what a person does with the uploads the server
would not believe.

    kiosk-central review flagged
        kiosks with refused uploads (and why) or collections counted short
    kiosk-central review limits KIOSK [--cash-payment FEN] [--drawer FEN] --by NAME
        show, or set, the kiosk's cash limits (``central/books/limits.py``)
    kiosk-central review release TRANSACTION --by NAME --reason TEXT
        post a refused upload after all: held to every check but the cash
        limits; journaled in ``releases`` with who and why

Every command takes --db URL.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from sqlalchemy import Connection, delete, insert, select

from central import ledger
from central.books import limits
from central.books import units as books_units
from central.db import postings, releases, transactions
from central.sms import SmsSender


class NotRefused(LookupError):
    """No refused upload by that id."""


class StillRefused(ValueError):
    """Released, and refused again for another reason (nothing changed)."""


def release(conn: Connection, transaction: str, by: str, reason: str, sms: SmsSender) -> None:
    """Post the refused upload ``transaction`` without its kiosk's cash limits."""
    why = conn.scalar(
        select(postings.c.note).where(
            postings.c.id == transaction, postings.c.kind == limits.REFUSED
        )
    )
    row = conn.execute(
        select(transactions.c.kiosk_id, transactions.c.kind, transactions.c.payload).where(
            transactions.c.id == transaction
        )
    ).first()
    if why is None or row is None:
        raise NotRefused(f"no refused upload {transaction}")
    conn.execute(delete(postings).where(postings.c.id == transaction))
    conn.execute(
        insert(releases).values(
            transaction_id=transaction, refused=why[:200], released_by=by[:64], reason=reason[:200]
        )
    )
    record = ledger.record_of(row.payload)
    data = record.get("data")
    again = ledger.apply(
        conn, row.kiosk_id, row.kind, data if isinstance(data, dict) else {}, sms, transaction,
        books_units.when_of(record.get("at")), released=True,
    )  # fmt: skip
    if again is not None:
        raise StillRefused(again)


def parser(db_default: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-central review", description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)  # fmt: skip
    parser.add_argument("--db", default=db_default)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("flagged")
    limit = sub.add_parser("limits")
    limit.add_argument("kiosk")
    limit.add_argument("--cash-payment", type=int, help="fen: one payment's cash at most")
    limit.add_argument("--drawer", type=int, help="fen: cash claimed between collections")
    limit.add_argument("--by", help="who sets them (required to set)")
    free = sub.add_parser("release")
    free.add_argument("transaction")
    free.add_argument("--by", required=True)
    free.add_argument("--reason", required=True)
    return parser


def run(args: argparse.Namespace, conn: Connection, sms: SmsSender, out: TextIO) -> int:
    """Exit 0 done; 1 refused (the reason on ``out``); 2 usage."""
    if args.command == "flagged":
        found = limits.flagged(conn)
        for flag in found:
            out.write(f"{flag.kiosk}\t{flag.refused} refused\t{flag.short} fen short\n")
            for note in conn.scalars(
                select(postings.c.note)
                .where(postings.c.kiosk_id == flag.kiosk, postings.c.kind == limits.REFUSED)
                .order_by(postings.c.occurred_at)
                .limit(20)
            ):
                out.write(f"\t{note}\n")
        out.write(f"{len(found)} kiosk(s) flagged\n")
        return 0
    if args.command == "limits":
        return _limits(args, conn, out)
    try:
        with conn.begin_nested():  # refused again: nothing of it stays
            release(conn, args.transaction, args.by, args.reason, sms)
    except (NotRefused, StillRefused) as exc:
        out.write(f"not released: {exc}\n")
        return 1
    out.write(f"{args.transaction}: released by {args.by} and posted\n")
    return 0


def _limits(args: argparse.Namespace, conn: Connection, out: TextIO) -> int:
    now = limits.of(conn, args.kiosk)
    if args.cash_payment is not None or args.drawer is not None:
        if not args.by:
            out.write("say who sets the limits (--by)\n")
            return 2
        now = limits.Limits(
            args.cash_payment if args.cash_payment is not None else now.cash_payment,
            args.drawer if args.drawer is not None else now.drawer,
        )
        try:
            limits.set_limits(conn, args.kiosk, now, args.by)
        except (ValueError, LookupError) as exc:
            out.write(f"{exc}\n")
            return 1
    out.write(f"{args.kiosk}: cash per payment {now.cash_payment} fen, "
              f"drawer {now.drawer} fen\n")  # fmt: skip
    return 0
