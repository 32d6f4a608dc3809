"""Label scans by lot: the holder's and auditors' statistics read one lot's scans.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("label_scan", schema=None) as batch_op:
        batch_op.create_index("ix_label_scan_lot", ["lot"], unique=False)


def downgrade() -> None:
    raise NotImplementedError(
        "the ledger's history cannot be downgraded; restore a backup or export bundle instead"
    )
