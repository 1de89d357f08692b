"""Tables of the journal and the outbox (SQLAlchemy Core).

The Alembic migrations in ``migrations/versions`` create exactly these; a test
compares the two.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, Table, Text

metadata = MetaData()

journal = Table(
    "journal",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("session", Text, nullable=True),
    Column("kind", Text, nullable=False),
    Column("at", Text, nullable=False),  # ISO 8601, UTC
    Column("data", Text, nullable=False),  # canonical JSON
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False, unique=True),
    Index("ix_journal_session", "session"),
    Index("ix_journal_kind", "kind"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Text, primary_key=True),  # the transaction's UUID: the idempotency key
    Column("seq", Integer, ForeignKey("journal.seq"), nullable=False, unique=True),
    Column("kind", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", Text, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("sent_at", Text, nullable=True),
    Column("dead", Integer, nullable=False, server_default="0"),
    Index("ix_outbox_pending", "sent_at", "dead", "next_attempt_at"),
)

# One row per archive of old records: the chain's anchor (the hash of the last
# record archived) and the file that holds them (offline_queue/archive.py).
journal_archive = Table(
    "journal_archive",
    metadata,
    Column("last_seq", Integer, primary_key=True, autoincrement=False),
    Column("first_seq", Integer, nullable=False),
    Column("last_hash", Text, nullable=False),
    Column("file", Text, nullable=False),  # its name in the archive folder
    Column("sha256", Text, nullable=False),  # of the file's bytes
    Column("records", Integer, nullable=False),
    Column("transactions", Integer, nullable=False),  # outbox rows it took with it
    Column("at", Text, nullable=False),
)

# The journal is append-only: SQLite itself refuses to change or delete a record.
APPEND_ONLY_TRIGGERS = (
    """CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
       BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END""",
    """CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
       BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END""",
)

# Since revision 0002: a record may be deleted only once an archive covers it,
# and archive rows are themselves append-only.
ARCHIVE_TRIGGERS = (
    """CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
       WHEN OLD.seq > (SELECT coalesce(max(last_seq), 0) FROM journal_archive)
       BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END""",
    """CREATE TRIGGER journal_archive_no_update BEFORE UPDATE ON journal_archive
       BEGIN SELECT RAISE(ABORT, 'archive anchors are append-only'); END""",
    """CREATE TRIGGER journal_archive_no_delete BEFORE DELETE ON journal_archive
       BEGIN SELECT RAISE(ABORT, 'archive anchors are append-only'); END""",
)
