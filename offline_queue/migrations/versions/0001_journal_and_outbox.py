"""The hash-chained journal and the transaction outbox.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from offline_queue.schema import APPEND_ONLY_TRIGGERS

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journal",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("session", sa.Text, nullable=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.Text, nullable=False),
        sa.Column("hash", sa.Text, nullable=False, unique=True),
    )
    op.create_index("ix_journal_session", "journal", ["session"])
    op.create_index("ix_journal_kind", "journal", ["kind"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("seq", sa.Integer, sa.ForeignKey("journal.seq"), nullable=False, unique=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.Text, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("sent_at", sa.Text, nullable=True),
        sa.Column("dead", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_outbox_pending", "outbox", ["sent_at", "dead", "next_attempt_at"])
    for statement in APPEND_ONLY_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER journal_no_delete")
    op.execute("DROP TRIGGER journal_no_update")
    op.drop_table("outbox")
    op.drop_table("journal")
