"""The central server's tables (SQLAlchemy Core): SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
)

metadata = MetaData()

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

heartbeats = Table(
    "heartbeats",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kiosk_id", String(64), ForeignKey("kiosks.id"), nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), server_default=func.now()),
)


accounts = Table(
    "accounts",
    metadata,
    Column("service", String(32), primary_key=True),
    Column("account", String(32), primary_key=True),
    Column("holder", String(64), nullable=False),  # masked as printed, e.g. 王*华
    Column("phone", String(20), nullable=True),
    Column("prepaid", Integer, nullable=False, server_default="0"),
    Column("usage_this_period", String(16), nullable=True),  # a decimal, as text
)

bill_lines = Table(
    "bill_lines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service", String(32), nullable=False),
    Column("account", String(32), nullable=False),
    Column("label_zh", String(128), nullable=False),
    Column("label_en", String(128), nullable=False),
    Column("amount_fen", Integer, nullable=False),
    Column("due_date", String(10), nullable=True),
    Column("paid", Integer, nullable=False, server_default="0"),
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
)


def _sqlite_pragmas(dbapi_connection: object, _: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_size=10, max_overflow=20)
    metadata.create_all(engine)
    return engine
