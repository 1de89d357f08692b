"""Purchases a kiosk could not write to the customer's account card, to be
written at the card's next visit to any kiosk.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_reissues",
        sa.Column("purchase", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=32), nullable=False),
        sa.Column("units", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=True
        ),
        sa.PrimaryKeyConstraint("purchase"),
    )
    op.create_index(
        "ix_card_reissues_account", "card_reissues", ["service", "account"], unique=False
    )


def downgrade() -> None:
    op.drop_table("card_reissues")
