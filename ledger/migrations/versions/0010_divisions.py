"""The edition of the administrative divisions a place's codes belong to.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

* ``organisation.divisions``, ``location.divisions``: ``2025`` (the two tiers since 1 July 2025)
  or ``pre-2025`` (province, district, commune as they stood before). Every record already here
  was written with the codes before 2025, so it is marked ``pre-2025``; new records default to
  ``2025``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("organisation", "location"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("divisions", sa.String(length=8), server_default="2025", nullable=False)
            )
        op.execute(sa.text(f"UPDATE {table} SET divisions = 'pre-2025'"))  # noqa: S608


def downgrade() -> None:
    raise NotImplementedError(
        "the ledger's history cannot be downgraded; restore a backup or export bundle instead"
    )
