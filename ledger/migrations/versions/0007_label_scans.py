"""Label scans: the page's visits per serial, for noticing copied labels.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

Operational data, not history: raw scans are deleted after 90 days, once summed up per serial and
day in ``label_scan_day``. No triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "label_scan",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("serial", sa.String(length=20), nullable=False),
        sa.Column("lot", sa.String(length=256), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("scanned_at", sa.String(length=32), nullable=False),
        sa.Column("client", sa.String(length=16), nullable=False),
        sa.Column("agent", sa.String(length=16), nullable=False),
        sa.Column("area", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_scan")),
    )
    with op.batch_alter_table("label_scan", schema=None) as batch_op:
        batch_op.create_index("ix_label_scan_gtin_serial", ["gtin", "serial"], unique=False)
        batch_op.create_index("ix_label_scan_day", ["day"], unique=False)
    op.create_table(
        "label_scan_day",
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("serial", sa.String(length=20), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("lot", sa.String(length=256), nullable=False),
        sa.Column("scans", sa.Integer(), nullable=False),
        sa.Column("clients", sa.Integer(), nullable=False),
        sa.Column("areas", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("gtin", "serial", "day", name=op.f("pk_label_scan_day")),
    )
    with op.batch_alter_table("label_scan_day", schema=None) as batch_op:
        batch_op.create_index("ix_label_scan_day_lot", ["lot"], unique=False)


def downgrade() -> None:
    raise NotImplementedError(
        "the ledger's history cannot be downgraded; restore a backup or export bundle instead"
    )
