"""Orders and card authorizations the server can check a kiosk's payment
against: which payment claimed each (once), the provider an order is with,
its trade number and QR content, and every order's transitions journaled.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column("provider", sa.String(length=16), server_default="sandbox", nullable=False)
        )
        batch.add_column(sa.Column("trade_no", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("qr_url", sa.String(length=256), nullable=True))
        batch.add_column(sa.Column("settled_by", sa.String(length=64), nullable=True))
    with op.batch_alter_table("authorizations") as batch:
        batch.add_column(sa.Column("settled_by", sa.String(length=64), nullable=True))
    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.String(length=200), server_default="", nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_order_events_order_id", "order_events", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_order_events_order_id", table_name="order_events")
    op.drop_table("order_events")
    with op.batch_alter_table("authorizations") as batch:
        batch.drop_column("settled_by")
    with op.batch_alter_table("orders") as batch:
        for name in ("settled_by", "qr_url", "trade_no", "provider"):
            batch.drop_column(name)
