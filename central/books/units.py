"""Units sold to prepaid meters, per account and tariff period: an IC-card
meter's tiers count purchased units (阶梯电价 on a prepaid meter: what was
bought this period sets the price of the next unit), so each purchase moves
the account's tier position on by the units it bought.

The period is the service's tariff period (annual or monthly, from the fee
tables the server carries) in China Standard Time, taken from when the
kiosk sold the units — a purchase uploaded after New Year's midnight still
counts for the year it was made in. Usage carried in from before the books
is an ``opening:`` row of the period the books opened in."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from central.db import units_sold
from config.fees.tiered import Period, TieredTariff
from config.loader import load_settings

CST = timezone(timedelta(hours=8))


@functools.cache
def _periods() -> dict[str, Period]:
    settings = load_settings()
    out = {}
    for name, service in settings.services.items():
        section = settings.tariffs.get(service.tariff) if service.tariff else None
        tariff = section.build() if section is not None else None
        if isinstance(tariff, TieredTariff):
            out[name] = tariff.period
    return out


def period_of(service: str, when: datetime) -> str:
    """``2026`` for an annual tariff, ``2026-12`` for a monthly one."""
    local = when.astimezone(CST)
    monthly = _periods().get(service) is Period.MONTHLY
    return f"{local.year:04d}-{local.month:02d}" if monthly else f"{local.year:04d}"


def when_of(at: object) -> datetime:
    """The record's time (ISO 8601), or now if it has none the server can read."""
    if isinstance(at, str):
        try:
            found = datetime.fromisoformat(at)
        except ValueError:
            found = None
        if found is not None:
            return found if found.tzinfo else found.replace(tzinfo=UTC)
    return datetime.now(UTC)


def record(
    conn: Connection, key: str, service: str, account: str, when: datetime, units: str
) -> bool:
    """Count ``units`` sold (a decimal, not negative) once under ``key``."""
    try:
        amount = Decimal(units)
    except InvalidOperation:
        return False
    if not amount.is_finite() or amount < 0:
        return False
    try:
        with conn.begin_nested():
            conn.execute(
                insert(units_sold).values(
                    key=key, service=service, account=account,
                    period=period_of(service, when), units=str(amount),
                )
            )  # fmt: skip
    except IntegrityError:
        return False
    return True


_USED = select(units_sold.c.period, units_sold.c.units).where(
    units_sold.c.service == bindparam("service"), units_sold.c.account == bindparam("account")
)


def used(conn: Connection, service: str, account: str, when: datetime) -> Decimal | None:
    """Units counted this period (None: the account has never had any)."""
    rows = conn.execute(_USED, {"service": service, "account": account}).all()
    if not rows:
        return None
    period = period_of(service, when)
    return sum((Decimal(r.units) for r in rows if r.period == period), Decimal(0))
