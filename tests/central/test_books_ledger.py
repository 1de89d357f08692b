"""The books in a real database (SQLite and PostgreSQL): a posting is written
once however often and however concurrently it arrives, an unbalanced one
never, and the trial balance is zero."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, column, func, insert, inspect, select, table

import central.db
from central.books import ledger, units
from central.books.postings import Line
from central.db import accounts, bill_lines, entries, kiosks, make_engine, postings

PAYMENT = [Line("drawer:K-1", debit=31000), Line("receivable:electricity:1", credit=30628),
           Line("credit:electricity:1", credit=372)]  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path / 'books.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    made = make_engine(url)
    yield made
    made.dispose()


def test_a_posting_is_written_once_and_balances(engine: Engine) -> None:
    with engine.begin() as conn:
        assert ledger.record(conn, "T1", "payment_completed", PAYMENT, "K-1")
        assert not ledger.record(conn, "T1", "payment_completed", PAYMENT, "K-1")  # a replay
        assert ledger.balance_of(conn, "drawer:K-1") == 31000
        assert ledger.balance_of(conn, "credit:electricity:1") == 372
        assert ledger.balance_of(conn, "receivable:electricity:1") == -30628  # nothing billed
        found = ledger.balances(conn)
        assert sum(b.debits for b in found) == sum(b.credits for b in found) == 31000
        assert conn.scalar(select(func.count()).select_from(entries)) == 3


def test_an_unbalanced_posting_is_never_written(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(ledger.Unbalanced, match="31000 fen of debits"):
        ledger.record(conn, "T2", "payment_completed", PAYMENT[:2], "K-1")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(postings)) == 0


def test_concurrent_duplicates_post_once(engine: Engine) -> None:
    def send(n: int) -> bool:
        with engine.begin() as conn:
            return ledger.record(conn, f"T{n % 5}", "payment_completed", PAYMENT, "K-1")

    with ThreadPoolExecutor(8) as pool:
        written = list(pool.map(send, range(40)))
    assert written.count(True) == 5
    with engine.connect() as conn:
        assert ledger.balance_of(conn, "drawer:K-1") == 5 * 31000


OLD_ACCOUNTS = table(
    "accounts", column("service"), column("account"), column("holder"), column("prepaid"),
    column("prepaid_balance_fen"), column("usage_this_period"),
)  # fmt: skip
OLD_LINES = table(
    "bill_lines", column("service"), column("account"), column("label_zh"), column("label_en"),
    column("amount_fen"), column("paid"),
)  # fmt: skip


def test_the_migration_carries_unpaid_lines_and_prepaid_balances_into_the_books(
    engine: Engine,
) -> None:
    """A server from before the books: its open bill lines become receivable and
    outstanding, its prepaid balances credit (opening entries that balance), its
    usage this period the period's opening units; the old columns are gone."""
    with engine.begin() as conn:
        command.downgrade(_alembic(conn), "0003")
        conn.execute(insert(kiosks).values(id="K-1", token_hash="x"))
        conn.execute(insert(OLD_ACCOUNTS).values(
            service="electricity", account="1", holder="王*华", prepaid=0,
            prepaid_balance_fen=372, usage_this_period="2860",
        ))  # fmt: skip
        line = {"service": "electricity", "account": "1", "label_zh": "电费",
                "label_en": "Power", "amount_fen": 30628, "paid": 0}  # fmt: skip
        conn.execute(insert(OLD_LINES), [line, line | {"amount_fen": 999, "paid": 1}])
        command.upgrade(_alembic(conn), "head")
        assert ledger.balance_of(conn, "receivable:electricity:1") == 30628  # the paid one: not
        assert ledger.balance_of(conn, "credit:electricity:1") == 372
        assert ledger.balance_of(conn, "revenue:electricity") == 30628
        found = ledger.balances(conn)
        assert sum(b.debits for b in found) == sum(b.credits for b in found)
        outstanding = conn.execute(
            select(bill_lines.c.amount_fen, bill_lines.c.outstanding_fen).order_by(bill_lines.c.id)
        ).all()
        assert [tuple(x) for x in outstanding] == [(30628, 30628), (999, 0)]
        assert units.used(conn, "electricity", "1", datetime.now(UTC)) == Decimal("2860")
        assert set(accounts.c.keys()) == {
            c["name"] for c in inspect(conn).get_columns("accounts")
        }  # fmt: skip


def _alembic(conn: Connection) -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(Path(central.db.__file__).with_name("migrations"))
    )
    config.attributes["connection"] = conn
    return config
