"""Properties of the books, for any sequence of uploads from two kiosks —
payments (part, whole, over, by cash, card and QR), change kept as credit,
late notes, purchases, collections — with replays of earlier batches and
the same batch sent twice at once: every posting balances and the trial
balance is zero, each transaction posts exactly once, and every account's
due is its lines less its coupons and the credit set against them, with
every fen paid in either off what it owes or in its credit.

Through the server's own upload path (``central.uploads.store``) on a real
database: SQLite, and PostgreSQL with fewer examples."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, func, insert, select

from central import cards, payments
from central.bills import bill_answer
from central.books import ledger, verify
from central.db import kiosks, make_engine, migrate, postings
from central.seed import seed_demo
from central.sms import OutboxSender
from central.uploads import Transaction, store
from tests.central.conftest import POSTGRES

ACCOUNTS = [("electricity", "3301234567"), ("water", "33012345"), ("gas", "330123456"),
            ("property", "101020301"), ("electricity", "3301234568")]  # fmt: skip
POWER = ACCOUNTS[0]  # the one account with a coupon
FIXTURES = [HealthCheck.function_scoped_fixture]  # tmp_path: each example names its own file
METHODS = ["cash", "card", "wechat", "alipay", "unionpay_qr"]


@dataclass(frozen=True)
class Step:
    kind: str  # pay, credit, purchase, collect, replay, twice
    kiosk: str
    account: int
    fen: int
    method: str
    excess: int


steps = st.lists(
    st.builds(
        Step,
        kind=st.sampled_from(["pay", "pay", "pay", "due", "credit", "purchase", "collect",
                              "replay", "twice"]),
        kiosk=st.sampled_from(["K-1", "K-2"]),
        account=st.integers(0, len(ACCOUNTS) - 1),
        fen=st.integers(1, 60000),
        method=st.sampled_from(METHODS),
        excess=st.sampled_from([0, 0, 372, 5000]),
    ),
    min_size=1,
    max_size=14,
)  # fmt: skip


def record(kind: str, data: dict[str, Any]) -> Transaction:
    return Transaction(
        id=str(uuid.uuid4()), kind=kind,
        payload={"kind": kind, "session": "s", "at": "2026-11-24T03:00:00Z", "data": data},
    )  # fmt: skip


def money(fen: int) -> dict[str, Any]:
    return {"minor": fen, "currency": "CNY"}


def payment(service: str, account: str, fen: int, method: str, excess: int,
            details: dict[str, Any] | None = None) -> Transaction:  # fmt: skip
    excess = excess if method == "cash" else 0
    return record("payment_completed", {
        "service": service, "account": account, "method": method, "amount": money(fen),
        "tendered": money(fen + excess), "excess": money(excess),
        "excess_to": "account_credit" if excess else None, "details": details or {},
    })  # fmt: skip


class Books:
    """The database, the uploads so far, and what each account was paid."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sent: list[list[Transaction]] = []
        self.paid: dict[tuple[str, str], int] = dict.fromkeys(ACCOUNTS, 0)
        self.start = {key: self.position(key) for key in ACCOUNTS}

    def position(self, key: tuple[str, str]) -> tuple[int, int, int]:
        """(outstanding on the lines, the account's credit, coupons offered)."""
        with self.engine.connect() as conn:
            answer = bill_answer(conn, *key)
        assert answer is not None
        lines = sum(x.amount.minor for x in answer.lines)
        credit = answer.credit_applied.minor + (
            answer.prepaid_balance.minor if answer.prepaid_balance else 0
        )
        return lines, credit, sum(c.amount.minor for c in answer.coupons)

    def claim(self, kiosk: str, method: str, fen: int) -> dict[str, Any]:
        """The server's own record of an electronic payment: a paid order, or an
        approved card payment."""
        if method == "cash":
            return {}
        with self.engine.begin() as conn:
            if method == "card":
                reference = uuid.uuid4().hex
                cards.record(conn, reference, kiosk, fen, "622202******1234", True, "123456")
                return {"reference": reference}
            order = payments.open_order(conn, kiosk, "u1", fen, method)
            payments.mark_paid(conn, order)
        return {"order_id": order}

    def send(self, kiosk: str, batch: list[Transaction]) -> None:
        result = store(self.engine, kiosk, batch, OutboxSender())
        assert result.refused == []  # every payment here is one the server saw

    def step(self, step: Step) -> None:
        service, account = key = ACCOUNTS[step.account]
        if step.kind in ("replay", "twice") and self.sent:
            batch = self.sent[step.fen % len(self.sent)]
            kiosk = batch[0].payload["kiosk"]
            if step.kind == "replay":
                self.send(kiosk, [x.model_copy() for x in batch[:-1]] or batch)
            else:
                with ThreadPoolExecutor(2) as pool:
                    list(pool.map(lambda _: self.send(kiosk, batch), range(2)))
            return
        if step.kind == "due":
            with self.engine.connect() as conn:
                answer = bill_answer(conn, *key)
            assert answer is not None
            fen = answer.due.minor
            if fen <= 0:
                return
            item = payment(service, account, fen, step.method, 0,
                           self.claim(step.kiosk, step.method, fen))  # fmt: skip
            self.paid[key] += fen
        elif step.kind == "pay":
            item = payment(service, account, step.fen, step.method, step.excess,
                           self.claim(step.kiosk, step.method, step.fen))  # fmt: skip
            self.paid[key] += step.fen + (step.excess if step.method == "cash" else 0)
        elif step.kind == "credit":
            item = record("credit_settled", {"service": service, "account": account,
                                             "amount": money(step.fen), "to": "account_credit",
                                             "reason": "cancelled"})  # fmt: skip
            self.paid[key] += step.fen
        elif step.kind == "purchase":
            item = payment(
                service,
                account,
                step.fen,
                step.method,
                0,
                {"units": "12.50", **self.claim(step.kiosk, step.method, step.fen)},
            )
        else:
            with self.engine.connect() as conn:
                drawer = ledger.balance_of(conn, f"drawer:{step.kiosk}")
            item = record("cash_collected", {"total": money(drawer)})
        item.payload["kiosk"] = step.kiosk
        batch = [item]
        self.sent.append(batch)
        self.send(step.kiosk, batch)

    def check(self) -> None:
        with self.engine.connect() as conn:
            assert verify.problems(conn) == []
            every = ledger.balances(conn)
            assert sum(b.debits for b in every) == sum(b.credits for b in every)
            ids = {item.id for batch in self.sent for item in batch}
            posted = conn.scalar(select(func.count()).where(postings.c.id.in_(ids))) if ids else 0
            assert posted == len(ids)  # each exactly once
            for key in ACCOUNTS:
                answer = bill_answer(conn, *key)
                assert answer is not None
                lines = sum(x.amount.minor for x in answer.lines)
                discount = min(sum(c.amount.minor for c in answer.coupons), lines)
                assert answer.due.minor == lines - discount - answer.credit_applied.minor >= 0
                owed0, credit0, _ = self.start[key]
                _, credit, _ = self.position(key)
                spent = ledger.balance_of(conn, "discounts:electricity") if key == POWER else 0
                # every fen paid in is off what it owes, or in its credit
                assert self.paid[key] == (owed0 - lines - spent) + (credit - credit0)


def new_books(engine: Engine) -> Books:
    with engine.begin() as conn:
        migrate(conn)
        conn.execute(insert(kiosks), [{"id": "K-1", "token_hash": "a"},
                                      {"id": "K-2", "token_hash": "b"}])  # fmt: skip
    seed_demo(engine, date(2026, 11, 24))
    return Books(engine)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps)
def test_any_sequence_of_uploads_keeps_the_books_right_on_sqlite(
    tmp_path: Path, plan: list[Step]
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}")
    try:
        books = new_books(engine)
        for step in plan:
            books.step(step)
        books.check()
    finally:
        engine.dispose()


@pytest.fixture
def postgres_server(postgres_url: str) -> Iterator[str]:
    """Skips, saying so, where there is no PostgreSQL (``make test`` starts one)."""
    yield POSTGRES


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps)
def test_any_sequence_of_uploads_keeps_the_books_right_on_postgresql(
    postgres_server: str, plan: list[Step]
) -> None:
    name = f"kiosk_prop_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = make_engine(f"{postgres_server}/{name}")
    try:
        books = new_books(engine)
        for step in plan:
            books.step(step)
        books.check()
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}"')
        admin.dispose()
