"""Archived journal records: the anchor each archive leaves behind.

Revision ID: 0002
Revises: 0001

The journal stays append-only for every record newer than the newest
archive: the delete trigger now lets through only records an archive row
already covers, and the archive rows themselves can be neither changed nor
deleted.
"""

import sqlalchemy as sa
from alembic import op

from offline_queue.schema import APPEND_ONLY_TRIGGERS, ARCHIVE_TRIGGERS

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journal_archive",
        sa.Column("last_seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("first_seq", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.Text, nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("transactions", sa.Integer, nullable=False),
        sa.Column("at", sa.Text, nullable=False),
    )
    op.execute("DROP TRIGGER journal_no_delete")
    for statement in ARCHIVE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    for name in ("journal_archive_no_delete", "journal_archive_no_update", "journal_no_delete"):
        op.execute(f"DROP TRIGGER {name}")
    op.drop_table("journal_archive")
    op.execute(APPEND_ONLY_TRIGGERS[1])
