"""``kiosk-central seed-demo``: accounts and bills for the demo city, priced
with the same fee tables the kiosks carry (config/defaults/tariffs.toml)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, delete, insert

from central.books import bills, customers, units
from central.db import accounts, bill_lines, coupons, units_sold
from config.fees.parking import ParkingTariff
from config.fees.property import PropertyTariff
from config.fees.tiered import TieredTariff
from config.loader import load_settings

DEMO_PHONE = "13800138000"


def _tiered_lines(
    tariff: Any, before: int, used: int, month: str, what: tuple[str, str]
) -> list[dict[str, Any]]:
    assert isinstance(tariff, TieredTariff)
    charge = tariff.charge(Decimal(before), Decimal(used))
    return [
        {"label_zh": f"{month}月{what[0]} 第{x.tier}档 {x.units}{tariff.unit} × ¥{x.price}",
         "label_en": f"{what[1]} month {month}, tier {x.tier}: {x.units} {tariff.unit} × {x.price}",
         "amount_fen": x.fen, "tier": x.tier}
        for x in charge.lines
    ]  # fmt: skip


def demo_rows(
    today: date,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    tariffs = {name: t.build() for name, t in load_settings().tariffs.items()}
    power, water, gas = tariffs["electricity"], tariffs["water"], tariffs["gas"]
    parking, estate = tariffs["parking"], tariffs["property"]
    assert isinstance(parking, ParkingTariff) and isinstance(estate, PropertyTariff)
    due = (today + timedelta(days=6)).isoformat()
    people = [
        ("electricity", "3301234567", "王*华", DEMO_PHONE, 0, None, "2860"),
        ("electricity", "3301234568", "陈*", "13900139000", 1, 320, "2700"),
        ("water", "33012345", "周*", DEMO_PHONE, 1, 0, "120"),
        ("gas", "330123456", "吴*", None, 1, 1500, "310"),
        ("property", "101020301", "李*", DEMO_PHONE, 0, None, None),
        ("parking", "202611240815", "浙A·D1234", None, 0, None, None),
    ]
    account_rows = [
        {"service": s, "account": a, "holder": h, "phone": p, "prepaid": pre,
         "prepaid_balance_fen": bal, "usage_this_period": use}
        for s, a, h, p, pre, bal, use in people
    ]  # fmt: skip
    lines: list[dict[str, Any]] = []

    def add(service: str, account: str, kind: str, rows: list[dict[str, Any]], when: str) -> None:
        lines.extend(
            {"service": service, "account": account, "kind": kind, "due_date": when, **row}
            for row in rows
        )

    last = (today.replace(day=1) - timedelta(days=1)).isoformat()
    add(
        "electricity",
        "3301234567",
        "arrears",
        _tiered_lines(power, 2300, 260, "9", ("电费", "Electricity")),
        last,
    )
    add(
        "electricity",
        "3301234567",
        "current",
        _tiered_lines(power, 2560, 300, "10", ("电费", "Electricity")),
        due,
    )
    add("water", "33012345", "current", _tiered_lines(water, 100, 20, "10", ("水费", "Water")), due)
    add("gas", "330123456", "current", _tiered_lines(gas, 290, 20, "10", ("燃气费", "Gas")), due)
    stay = parking.fee(timedelta(hours=2, minutes=5))
    add("parking", "202611240815", "current",
        [{"label_zh": "停车 2小时5分", "label_en": "Parking 2 h 5 min", "amount_fen": stay.fen}],
        today.isoformat())  # fmt: skip
    previous = (today.replace(day=1) - timedelta(days=1)).timetuple()[:2]
    for m in estate.bill(Decimal("89.5"), [previous, (today.year, today.month)], today).months:
        late_zh = f"（逾期{m.days_late}天）" if m.days_late else ""
        late_en = f" ({m.days_late} days late)" if m.days_late else ""
        row = {
            "label_zh": f"{m.year}年{m.month}月物业费{late_zh}",
            "label_en": f"Property fee {m.year}-{m.month:02d}{late_en}",
            "amount_fen": m.fen,
        }
        add("property", "101020301", "arrears" if m.days_late else "current", [row],
            m.due.isoformat())  # fmt: skip
    offers = [
        {"service": "electricity", "account": "3301234567", "code": "WINTER5",
         "label_zh": "冬季用电补贴", "label_en": "Winter power allowance", "amount_fen": 500},
    ]  # fmt: skip
    return account_rows, lines, offers


def seed_demo(engine: Engine, today: date) -> int:
    """Replace the demo accounts' data; the number of accounts seeded. The bills
    are issued and the prepaid balances and this period's usage carried in,
    in the books (an account seeded again is first brought to zero there)."""
    account_rows, lines, offers = demo_rows(today)
    run = uuid.uuid4().hex[:12]
    noon = datetime.combine(today, time(12), units.CST)
    with engine.begin() as conn:
        for row in account_rows:
            service, account = row["service"], row["account"]
            for table in (accounts, bill_lines, coupons, units_sold):
                conn.execute(
                    delete(table).where(table.c.service == service, table.c.account == account)
                )
            key = f"{run}:{service}:{account}"
            bills.clear_account(conn, key, service, account)
            customers.add_account(
                conn, service, account, row["holder"], phone=row["phone"],
                prepaid=bool(row["prepaid"]), credit_fen=row["prepaid_balance_fen"] or 0,
                usage=row["usage_this_period"], when=noon, key=key,
            )  # fmt: skip
        conn.execute(insert(coupons), offers)
        for line in lines:
            customers.add_line(
                conn, line["service"], line["account"], line["amount_fen"], line["label_zh"],
                line["label_en"], kind=line["kind"], due_date=line["due_date"],
                tier=line.get("tier"),
            )  # fmt: skip
    return len(account_rows)
