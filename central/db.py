"""The central server's tables (SQLAlchemy Core): SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

metadata = MetaData()
T = TypeVar("T")

kiosks = Table(
    "kiosks",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("group_name", String(64), nullable=False, server_default="default"),
    Column("enrolled_at", DateTime(timezone=True), server_default=func.now()),
)

enrollment_codes = Table(
    "enrollment_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("kiosk_id", String(64), nullable=False),
    Column("group_name", String(64), nullable=False, server_default="default"),
    Column("used", Integer, nullable=False, server_default="0"),
)

transactions = Table(
    "transactions",
    metadata,
    Column("id", String(64), primary_key=True),  # the kiosk's UUID: idempotency key
    Column("kiosk_id", String(64), ForeignKey("kiosks.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), server_default=func.now()),
)

kiosk_limits = Table(  # an operator's bounds on what a kiosk may claim in cash
    "kiosk_limits",
    metadata,
    Column("kiosk_id", String(64), ForeignKey("kiosks.id"), primary_key=True),
    Column("cash_payment_fen", Integer, nullable=False),  # one payment's cash
    Column("drawer_fen", Integer, nullable=False),  # cash claimed since the last collection
    Column("set_by", String(64), nullable=False),
    Column("set_at", DateTime(timezone=True), server_default=func.now()),
)

releases = Table(  # a refused upload a person looked at and let through
    "releases",
    metadata,
    Column("transaction_id", String(64), primary_key=True),
    Column("refused", String(200), nullable=False),  # why the books had refused it
    Column("released_by", String(64), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("at", DateTime(timezone=True), server_default=func.now()),
)

kiosk_status = Table(  # each kiosk's newest heartbeat (central/heartbeats.py)
    "kiosk_status",
    metadata,
    Column("kiosk_id", String(64), ForeignKey("kiosks.id"), primary_key=True),
    Column("body", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)


accounts = Table(
    "accounts",
    metadata,
    Column("service", String(32), primary_key=True),
    Column("account", String(32), primary_key=True),
    Column("holder", String(64), nullable=False),  # masked as printed, e.g. 王*华
    Column("phone", String(20), nullable=True),
    Column("prepaid", Integer, nullable=False, server_default="0"),
)  # its money (receivable, credit) is in the books; its units sold in units_sold

bill_lines = Table(
    "bill_lines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service", String(32), nullable=False),
    Column("account", String(32), nullable=False),
    Column("kind", String(16), nullable=False, server_default="current"),  # arrears, late_fee
    Column("label_zh", String(128), nullable=False),
    Column("label_en", String(128), nullable=False),
    Column("amount_fen", Integer, nullable=False),
    Column("due_date", String(10), nullable=True),
    Column("outstanding_fen", Integer, nullable=False),  # what is still owed on it
    Column("tier", Integer, nullable=True),  # a tiered tariff's tier: its revenue's account
    Index("ix_bill_lines_account", "service", "account"),
)

units_sold = Table(
    "units_sold",
    metadata,
    Column("key", String(80), primary_key=True),  # the purchase's transaction, or opening:…
    Column("service", String(32), nullable=False),
    Column("account", String(32), nullable=False),
    Column("period", String(7), nullable=False),  # 2026, or 2026-12 for a monthly tariff
    Column("units", String(16), nullable=False),  # a decimal, as text
    Index("ix_units_sold_account", "service", "account"),
)

coupons = Table(
    "coupons",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service", String(32), nullable=False),
    Column("account", String(32), nullable=False),
    Column("code", String(32), nullable=False),
    Column("label_zh", String(128), nullable=False),
    Column("label_en", String(128), nullable=False),
    Column("amount_fen", Integer, nullable=False),
    Column("used", Integer, nullable=False, server_default="0"),
    Index("ix_coupons_account", "service", "account"),
)

phone_codes = Table(
    "phone_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("phone", String(20), nullable=False, index=True),
    Column("service", String(32), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),  # Unix time
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("used", Integer, nullable=False, server_default="0"),
)

sms_outbox = Table(
    "sms_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("phone", String(20), nullable=False),
    Column("kind", String(16), nullable=False),  # code, notice, receipt
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)

authorizations = Table(
    "authorizations",
    metadata,
    Column("reference", String(64), primary_key=True),  # the kiosk's payment reference
    Column("kiosk_id", String(64), ForeignKey("kiosks.id"), nullable=False, index=True),
    Column("amount_fen", Integer, nullable=False),
    Column("masked_pan", String(32), nullable=False),
    Column("approved", Integer, nullable=False),
    Column("auth_code", String(16), nullable=False, server_default=""),
    Column("reason", String(64), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
    Column("settled_by", String(64), nullable=True),  # the kiosk payment that claimed it
)

bundles = Table(
    "bundles",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document", Text, nullable=False),  # the signed bundle, byte for byte
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)

# Signed software releases (central/releases.py): the document as signed, the
# package in 1 MiB chunks (every server process and box serves it from the
# database), and each kiosk's report of how its update went.
software_releases = Table(
    "software_releases",
    metadata,
    Column("version", String(32), primary_key=True),
    Column("seq", Integer, nullable=False, unique=True),  # publish order: the newest wins
    Column("document", Text, nullable=False),  # the signed release, byte for byte
    Column("size", Integer, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)

release_chunks = Table(
    "release_chunks",
    metadata,
    Column("version", String(32), ForeignKey("software_releases.version"), primary_key=True),
    Column("n", Integer, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
)

release_reports = Table(
    "release_reports",
    metadata,
    Column("kiosk_id", String(64), ForeignKey("kiosks.id"), primary_key=True),
    Column("version", String(32), ForeignKey("software_releases.version"), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Column("at", DateTime(timezone=True), nullable=False),
)

card_reissues = Table(
    "card_reissues",
    metadata,
    Column("purchase", String(64), primary_key=True),  # the payment's transaction id
    Column("service", String(32), nullable=False),
    Column("account", String(32), nullable=False),
    Column("units", String(16), nullable=False),
    Column("amount_fen", Integer, nullable=False),
    Column("done", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
    Index("ix_card_reissues_account", "service", "account"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kiosk_id", String(64), ForeignKey("kiosks.id"), nullable=False, index=True),
    Column("user_id", String(32), nullable=False, index=True),
    Column("amount_fen", Integer, nullable=False),
    Column("method", String(16), nullable=False),
    Column("status", String(16), nullable=False, server_default="created"),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
    Column("provider", String(16), nullable=False, server_default="sandbox"),
    Column("trade_no", String(64), nullable=True),  # the provider's
    Column("qr_url", String(256), nullable=True),  # what the QR code shows
    Column("settled_by", String(64), nullable=True),  # the kiosk payment that claimed it
)

order_events = Table(
    "order_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(32), nullable=False, index=True),
    Column("event", String(24), nullable=False),  # created, paid, closed, refunded, refused…
    Column("detail", String(200), nullable=False, server_default=""),
    Column("at", DateTime(timezone=True), server_default=func.now()),
)

order_refunds = Table(  # part of a paid order given back from the account's credit
    "order_refunds",
    metadata,
    Column("refund_id", String(64), primary_key=True),  # ours: out_refund_no / out_request_no
    Column("order_id", String(32), ForeignKey("orders.id"), nullable=False, index=True),
    Column("amount_fen", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # requested, processing, done
    Column("service", String(32), nullable=False),
    Column("account", String(32), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("asked_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
    Column("done_at", DateTime(timezone=True), nullable=True),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),  # qr: an order refunded; card: a reversal
    Column("reference", String(64), nullable=False),  # the order id or the card reference
    Column("kiosk_id", String(64), ForeignKey("kiosks.id"), nullable=False, index=True),
    Column("amount_fen", Integer, nullable=False),  # 0: a reversal before any authorization
    Column("reason", String(64), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
    UniqueConstraint("kind", "reference", name="uq_refunds_reference"),
)


# The books (central/books): one posting per uploaded record or provider event,
# its id the transaction's UUID (or the event's id), so a replay posts nothing;
# its entries balance (debits = credits), in fen.
postings = Table(
    "postings",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("kiosk_id", String(64), nullable=True, index=True),
    Column("posted_at", DateTime(timezone=True), server_default=func.now(), index=True),
    Column("note", String(200), nullable=True),  # why the books refused a record
    # when it happened: a kiosk record's own time (a day's report is by it), else posted_at
    Column("occurred_at", DateTime(timezone=True), nullable=True, index=True),
)

entries = Table(
    "entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("posting", String(64), ForeignKey("postings.id"), nullable=False, index=True),
    Column("account", String(128), nullable=False, index=True),
    Column("debit_fen", Integer, nullable=False, server_default="0"),
    Column("credit_fen", Integer, nullable=False, server_default="0"),
)


def _sqlite_pragmas(dbapi_connection: object, _: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the schema migrated to the newest revision."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # Two pools of at most 20 a worker process (this one: uploads, orders,
        # notifications; the async one: lookups, credentials, heartbeats): 2
        # workers stay well inside PostgreSQL's default max_connections (100).
        # No ping before each use (a round trip a request): a connection the
        # database dropped fails once, that request answers 503, and the pool
        # is renewed for the next.
        engine = create_engine(url, pool_size=10, max_overflow=10)
    with engine.begin() as conn:
        migrate(conn)
    return engine


async def shielded(engine: AsyncEngine, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """``work`` on a connection of ``engine``, shielded from the request's
    cancellation: a server that stops cuts the requests it still holds, and a
    read cut half way would leave its connection to the garbage collector
    instead of the pool. The read finishes (milliseconds) and the connection
    goes back; the cancelled request just does not see the answer."""

    async def run() -> T:
        async with engine.connect() as conn:
            return await work(conn)

    return await asyncio.shield(run())


def make_async_engine(url: str) -> AsyncEngine:
    """The same database for the hot read paths, on the event loop (no thread
    hand-offs): psycopg's async mode for PostgreSQL, aiosqlite for SQLite.

    Its connections are in autocommit: a read is its own statement, with no
    BEGIN before it and no ROLLBACK when the connection goes back to the pool
    (two round trips a lookup saved; each statement sees what was committed
    when it ran, as it would under READ COMMITTED in a transaction). A writer
    takes ``transactional(engine)``."""
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url.replace("sqlite:", "sqlite+aiosqlite:", 1), isolation_level="AUTOCOMMIT"
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, isolation_level="AUTOCOMMIT")


def transactional(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` (from ``make_async_engine``) with its connections in a
    transaction: ``begin()`` commits what it wrote together, or none of it."""
    level = "SERIALIZABLE" if engine.dialect.name == "sqlite" else "READ COMMITTED"
    return engine.execution_options(isolation_level=level)


MIGRATION_LOCK = 0x6B696F736B  # "kiosk": one migrating process at a time


def migrate(connection: Connection) -> None:
    """The schema brought to the newest revision. On PostgreSQL the processes
    that start together on one database take turns (an advisory lock held to
    the end of the transaction): the second finds the work done."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
