"""What a kiosk may claim in cash, and the kiosks whose claims a person must see.

Cash cannot be checked against a provider: the server believes a kiosk's
notes only up to bounds an operator sets per kiosk (``kiosk_limits``; these
defaults until then) —

* one payment's cash (amount and excess together): ``DEFAULT_CASH_PAYMENT_FEN``;
* the cash claimed since the drawer's last collection, which the cash
  centre's count checks at the next one: ``DEFAULT_DRAWER_FEN``, what a full
  2,000-note cashbox of ¥100 notes holds.

A claim beyond either is refused by name and kept (``ledger.REFUSED``); a
person who has looked (the cashbox counted, the kiosk visited) releases it
(``release``), and it is posted then. ``flagged`` lists every kiosk with
refused uploads or a collection counted short.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, func, select

from central.books import cash, chart, ledger
from central.books.postings import Line, Refused
from central.db import kiosk_limits, kiosks, postings

DEFAULT_CASH_PAYMENT_FEN = 2_000_000  # ¥20,000
DEFAULT_DRAWER_FEN = 20_000_000  # ¥200,000
REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Limits:
    cash_payment: int = DEFAULT_CASH_PAYMENT_FEN
    drawer: int = DEFAULT_DRAWER_FEN


_LIMITS = select(kiosk_limits.c.cash_payment_fen, kiosk_limits.c.drawer_fen).where(
    kiosk_limits.c.kiosk_id == bindparam("kiosk")
)


def of(conn: Connection, kiosk: str) -> Limits:
    row = conn.execute(_LIMITS, {"kiosk": kiosk}).first()
    return Limits() if row is None else Limits(int(row[0]), int(row[1]))


def set_limits(conn: Connection, kiosk: str, limits: Limits, by: str) -> None:
    if limits.cash_payment <= 0 or limits.drawer <= 0:
        raise ValueError("limits are positive amounts in fen")
    if conn.scalar(select(kiosks.c.id).where(kiosks.c.id == kiosk)) is None:
        raise LookupError(f"no kiosk {kiosk}")
    values = {"cash_payment_fen": limits.cash_payment, "drawer_fen": limits.drawer, "set_by": by}
    done = conn.execute(
        kiosk_limits.update().where(kiosk_limits.c.kiosk_id == kiosk).values(**values)
    ).rowcount
    if not done:
        conn.execute(kiosk_limits.insert().values(kiosk_id=kiosk, **values))


def check_cash(
    conn: Connection, lines: Sequence[Line], kiosk: str, drawer: int | None = None
) -> None:
    """Refuse a record whose cash (what it puts in ``kiosk``'s drawer) is over
    the kiosk's limits; a record without cash costs no query. ``drawer``: the
    drawer's balance if the caller read it already (else it is read here)."""
    claimed = sum(x.debit for x in lines if x.account == chart.drawer(kiosk))
    if not claimed:
        return
    limits = of(conn, kiosk)
    if drawer is None:
        drawer = ledger.balance_of(conn, chart.drawer(kiosk))
    if claimed > limits.cash_payment:
        raise Refused(
            f"cash: {claimed} fen in one record, over the kiosk's limit of "
            f"{limits.cash_payment} fen"
        )
    if drawer + claimed > limits.drawer:
        raise Refused(
            f"cash: the drawer would hold {drawer + claimed} fen since its last collection, "
            f"over the kiosk's limit of {limits.drawer} fen"
        )


@dataclass(frozen=True, slots=True)
class Flag:
    kiosk: str
    refused: int  # uploads the books refused and nobody released
    short: int  # fen its counted collections fell short of what it collected


def flagged(conn: Connection) -> list[Flag]:
    """Every kiosk a person should look at, most refusals first."""
    refused: dict[str, int] = {
        str(kiosk): int(n)
        for kiosk, n in conn.execute(
            select(postings.c.kiosk_id, func.count())
            .where(postings.c.kind == REFUSED, postings.c.kiosk_id.is_not(None))
            .group_by(postings.c.kiosk_id)
        )
    }
    counted = set(
        conn.scalars(select(postings.c.kiosk_id).where(postings.c.kind == cash.COUNTED).distinct())
    )
    found = []
    for kiosk in sorted(set(refused) | {str(k) for k in counted if k is not None}):
        short = -sum(
            min(c.over_short, 0) for c in cash.collections(conn, kiosk) if c.over_short is not None
        )
        if refused.get(kiosk) or short:
            found.append(Flag(kiosk, int(refused.get(kiosk, 0)), short))
    return sorted(found, key=lambda f: (-f.refused, -f.short, f.kiosk))
