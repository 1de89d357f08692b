"""``kiosk-central books …``: the books' reports and checks.

    books trial-balance [--date D]          every account, debits and credits, to the end of D
    books statement --service S --account A a customer account's postings and balances
    books kiosk-day --kiosk K [--date D]    cash in, card, QR, vouchers, collections of a day
    books revenue [--from D] [--to D]       revenue per service and tier, coupons spent
    books collections --kiosk K             each collection: expected, collected, counted
    books count --kiosk K --collection C --counted FEN
                                            the cash centre's count of a collection
    books verify                            recompute and cross-check; exit 1 on a difference

Dates are China Standard Time days (YYYY-MM-DD; today by default). Amounts
are yuan. Every command takes --db URL.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import TextIO

from sqlalchemy import Connection

from central.books import cash, chart, reports, verify
from central.books.units import CST

COMMANDS = (
    "trial-balance", "statement", "kiosk-day", "revenue", "collections", "count", "verify"
)  # fmt: skip


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{part:02d}"


def parser(db_default: str) -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(
        prog="kiosk-central books", description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )  # fmt: skip
    made.add_argument("command", choices=COMMANDS)
    made.add_argument("--db", default=db_default, help="SQLAlchemy URL (SQLite or PostgreSQL)")
    made.add_argument("--date", type=date.fromisoformat, help="a CST day, YYYY-MM-DD")
    made.add_argument("--from", dest="first", type=date.fromisoformat)
    made.add_argument("--to", dest="last", type=date.fromisoformat)
    made.add_argument("--service")
    made.add_argument("--account")
    made.add_argument("--kiosk")
    made.add_argument("--collection", help="count: the collection's id (or a prefix of it)")
    made.add_argument("--counted", type=int, help="count: fen the cash centre counted")
    return made


def _local(at: datetime) -> str:
    """A stored time (SQLite gives it back without its zone: UTC) as CST."""
    return at.replace(tzinfo=at.tzinfo or UTC).astimezone(CST).strftime("%Y-%m-%d %H:%M")


def today() -> date:
    return datetime.now(UTC).astimezone(CST).date()


def run(args: argparse.Namespace, conn: Connection, out: TextIO) -> int:
    """One command on ``conn`` (the caller commits); its exit status."""
    needs = {
        "statement": ("service", "account"), "kiosk-day": ("kiosk",),
        "collections": ("kiosk",), "count": ("kiosk", "collection", "counted"),
    }  # fmt: skip
    missing = [f"--{n}" for n in needs.get(args.command, ()) if getattr(args, n) is None]
    if missing:
        sys.stderr.write(f"kiosk-central books {args.command}: give {' and '.join(missing)}\n")
        return 2
    commands: dict[str, Callable[[argparse.Namespace, Connection, TextIO], int]] = {
        "trial-balance": _trial_balance, "statement": _statement, "kiosk-day": _kiosk_day,
        "revenue": _revenue, "collections": _collections, "count": _count, "verify": _verify,
    }  # fmt: skip
    return commands[args.command](args, conn, out)


def _table(out: TextIO, rows: Iterable[tuple[str, ...]], right: int = 1) -> None:
    """Rows of text; the last ``right`` columns aligned right."""
    rows = list(rows)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [
            cell.rjust(w) if i >= len(row) - right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.write("  ".join(cells).rstrip() + "\n")


def _trial_balance(args: argparse.Namespace, conn: Connection, out: TextIO) -> int:
    day = args.date or today()
    found = reports.trial_balance(conn, day)
    debits, credits = sum(b.debits for b in found), sum(b.credits for b in found)
    out.write(f"Trial balance to the end of {day.isoformat()} (CST), yuan\n")
    rows = [("account", "debits", "credits", "balance")]
    rows += [(b.account, yuan(b.debits), yuan(b.credits), yuan(b.balance)) for b in found]
    rows.append(("total", yuan(debits), yuan(credits), ""))
    _table(out, rows, right=3)
    out.write("balanced\n" if debits == credits else f"OFF BY {yuan(debits - credits)}\n")
    return 0 if debits == credits else 1


def _statement(args: argparse.Namespace, conn: Connection, out: TextIO) -> int:
    found = reports.statement(conn, args.service, args.account)
    out.write(f"Statement of {args.service} account {args.account}, yuan\n")
    rows = [("when (CST)", "what", "kiosk", "owed", "credit", "on card", "owes", "has")]
    owes = has = 0
    for line in found:
        owes, has = owes + line.owed, has + line.credit
        rows.append((
            _local(line.at),
            line.kind, line.kiosk or "", yuan(line.owed), yuan(line.credit), yuan(line.pending),
            yuan(owes), yuan(has),
        ))  # fmt: skip
    _table(out, rows, right=5)
    out.write(f"owes {yuan(owes)}, credit {yuan(has)}\n")
    return 0


def _kiosk_day(args: argparse.Namespace, conn: Connection, out: TextIO) -> int:
    day = reports.kiosk_day(conn, args.kiosk, args.date or today())
    out.write(f"Kiosk {day.kiosk} on {day.day.isoformat()} (CST), yuan\n")
    rows = [("cash in", yuan(day.cash_in)), ("card", yuan(day.card))]
    rows += [(f"QR {provider}", yuan(fen)) for provider, fen in day.qr.items()]
    rows.append(("late payments given back", yuan(day.refunds)))
    rows += [
        ("kept as customers' credit", yuan(day.to_credit)),
        ("credit vouchers printed", yuan(day.vouchers)),
        ("collected from the drawer", yuan(day.collected)),
        ("drawer at the end of the day", yuan(day.drawer_at_end)),
        ("postings (refused)", f"{day.postings} ({day.refused})"),
    ]
    _table(out, rows)
    return 0


def _revenue(args: argparse.Namespace, conn: Connection, out: TextIO) -> int:
    found = reports.revenue(conn, args.first, args.last)
    span = f"{args.first or 'the start'} to {args.last or 'now'}"
    out.write(f"Revenue per service and tier, {span}, yuan\n")
    rows = [("service", "tier", "revenue")]
    for item in found:
        tier = "coupons" if item.fen < 0 and item.tier is None else str(item.tier or "")
        rows.append((item.service, tier, yuan(item.fen)))
    rows.append(("total", "", yuan(sum(x.fen for x in found))))
    _table(out, rows)
    return 0


def _collections(args: argparse.Namespace, conn: Connection, out: TextIO) -> int:
    found = cash.collections(conn, args.kiosk)
    out.write(f"Collections of kiosk {args.kiosk}, yuan\n")
    rows = [("collection", "when (CST)", "expected", "collected", "counted", "over/short")]
    for c in found:
        rows.append((
            c.id, _local(c.at),
            yuan(c.expected), yuan(c.collected),
            "" if c.counted is None else yuan(c.counted),
            "" if c.over_short is None else yuan(c.over_short),
        ))  # fmt: skip
    _table(out, rows, right=4)
    return 0


def _count(args: argparse.Namespace, conn: Connection, out: TextIO) -> int:
    try:
        found = cash.count(conn, args.kiosk, args.collection, args.counted)
    except (cash.NotACollection, ValueError) as exc:
        sys.stderr.write(f"kiosk-central books count: {exc}\n")
        return 1
    out.write(
        f"collection {found.id}: expected {yuan(found.expected)}, collected "
        f"{yuan(found.collected)}, counted {yuan(found.counted or 0)}, over/short "
        f"{yuan(found.over_short or 0)} (posted to {chart.OVER_SHORT})\n"
    )
    return 0


def _verify(args: argparse.Namespace, conn: Connection, out: TextIO) -> int:
    found = verify.problems(conn)
    for problem in found:
        out.write(f"DIFFERENCE: {problem}\n")
    out.write(f"books verify: {len(found)} difference(s)\n" if found else "books verify: ok\n")
    return 1 if found else 0
