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
