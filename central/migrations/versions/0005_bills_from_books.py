"""Bills from the books: a bill line carries what is outstanding on it (an
unpaid line all of it, a paid one nothing) and its tariff tier, a posting
when it happened (a kiosk record's own time), units sold to prepaid meters are
counted per account and period (the usage an account had is carried in as an
opening row of this period), and the ad-hoc balance columns are gone: the
prepayments they held were carried into the books by 0004.

Revision ID: 0005
Revises: 0004
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from central.books import units

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bill_lines") as batch:
        batch.add_column(
            sa.Column("outstanding_fen", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute("UPDATE bill_lines SET outstanding_fen = amount_fen WHERE paid = 0")
    with op.batch_alter_table("bill_lines") as batch:
        batch.drop_column("paid")
        batch.alter_column("outstanding_fen", server_default=None)
        batch.add_column(sa.Column("tier", sa.Integer(), nullable=True))
    with op.batch_alter_table("postings") as batch:
        batch.add_column(sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_postings_occurred_at", ["occurred_at"], unique=False)
    op.execute("UPDATE postings SET occurred_at = posted_at")
    op.create_table(
        "units_sold",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("units", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_units_sold_account", "units_sold", ["service", "account"], unique=False)
    _opening_usage()
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("prepaid_balance_fen")
        batch.drop_column("usage_this_period")


def _opening_usage() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    rows = conn.execute(
        sa.text(
            "SELECT service, account, usage_this_period FROM accounts "
            "WHERE usage_this_period IS NOT NULL"
        )
    ).all()
    for service, account, usage in rows:
        units.record(conn, f"opening:{service}:{account}", service, account, now, str(usage))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("prepaid_balance_fen", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("usage_this_period", sa.String(length=16), nullable=True))
    op.drop_index("ix_units_sold_account", table_name="units_sold")
    op.drop_table("units_sold")
    with op.batch_alter_table("bill_lines") as batch:
        batch.add_column(sa.Column("paid", sa.Integer(), server_default="0", nullable=False))
    op.execute("UPDATE bill_lines SET paid = 1 WHERE outstanding_fen = 0")
    with op.batch_alter_table("bill_lines") as batch:
        batch.drop_column("outstanding_fen")
        batch.drop_column("tier")
    with op.batch_alter_table("postings") as batch:
        batch.drop_index("ix_postings_occurred_at")
        batch.drop_column("occurred_at")
