"""The books: postings (one per uploaded record or provider event, keyed by its
id) and their balanced entries.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "postings",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("kiosk_id", sa.String(length=64), nullable=True),
        sa.Column(
            "posted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=True
        ),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_postings_kiosk_id", "postings", ["kiosk_id"], unique=False)
    op.create_index("ix_postings_posted_at", "postings", ["posted_at"], unique=False)
    op.create_table(
        "entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("posting", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=128), nullable=False),
        sa.Column("debit_fen", sa.Integer(), server_default="0", nullable=False),
        sa.Column("credit_fen", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["posting"], ["postings.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_entries_posting", "entries", ["posting"], unique=False)
    op.create_index("ix_entries_account", "entries", ["account"], unique=False)
    _opening_entries()


def _opening_entries() -> None:
    """What exists before the books: every unpaid bill line is receivable (issued
    against revenue), every prepaid balance is the account's credit (against
    opening). Paid lines carry nothing."""
    op.execute(
        "INSERT INTO postings (id, kind) "
        "SELECT 'bill:' || id, 'bill_issued' FROM bill_lines WHERE paid = 0"
    )
    op.execute(
        "INSERT INTO entries (posting, account, debit_fen, credit_fen) "
        "SELECT 'bill:' || id, 'receivable:' || service || ':' || account, amount_fen, 0 "
        "FROM bill_lines WHERE paid = 0"
    )
    op.execute(
        "INSERT INTO entries (posting, account, debit_fen, credit_fen) "
        "SELECT 'bill:' || id, 'revenue:' || service, 0, amount_fen "
        "FROM bill_lines WHERE paid = 0"
    )
    op.execute(
        "INSERT INTO postings (id, kind) "
        "SELECT 'opening:' || service || ':' || account, 'opening' FROM accounts "
        "WHERE prepaid_balance_fen > 0"
    )
    op.execute(
        "INSERT INTO entries (posting, account, debit_fen, credit_fen) "
        "SELECT 'opening:' || service || ':' || account, 'opening', prepaid_balance_fen, 0 "
        "FROM accounts WHERE prepaid_balance_fen > 0"
    )
    op.execute(
        "INSERT INTO entries (posting, account, debit_fen, credit_fen) "
        "SELECT 'opening:' || service || ':' || account, "
        "'credit:' || service || ':' || account, 0, prepaid_balance_fen "
        "FROM accounts WHERE prepaid_balance_fen > 0"
    )


def downgrade() -> None:
    op.drop_table("entries")
    op.drop_table("postings")
