"""Per-kiosk cash limits an operator sets, and the refused uploads a person
released.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kiosk_limits",
        sa.Column("kiosk_id", sa.String(length=64), nullable=False),
        sa.Column("cash_payment_fen", sa.Integer(), nullable=False),
        sa.Column("drawer_fen", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column(
            "set_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=True
        ),
        sa.ForeignKeyConstraint(["kiosk_id"], ["kiosks.id"]),
        sa.PrimaryKeyConstraint("kiosk_id"),
    )
    op.create_table(
        "releases",
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("refused", sa.String(length=200), nullable=False),
        sa.Column("released_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=True),
        sa.PrimaryKeyConstraint("transaction_id"),
    )


def downgrade() -> None:
    op.drop_table("releases")
    op.drop_table("kiosk_limits")
