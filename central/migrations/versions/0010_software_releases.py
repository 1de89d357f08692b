"""Signed software releases, their packages in chunks, and the kiosks' reports.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "software_releases",
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version"),
        sa.UniqueConstraint("seq"),
    )
    op.create_table(
        "release_chunks",
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["version"], ["software_releases.version"]),
        sa.PrimaryKeyConstraint("version", "n"),
    )
    op.create_table(
        "release_reports",
        sa.Column("kiosk_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["kiosk_id"], ["kiosks.id"]),
        sa.ForeignKeyConstraint(["version"], ["software_releases.version"]),
        sa.PrimaryKeyConstraint("kiosk_id", "version"),
    )


def downgrade() -> None:
    op.drop_table("release_reports")
    op.drop_table("release_chunks")
    op.drop_table("software_releases")
