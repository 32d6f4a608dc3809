"""Label keys: the GS1 company prefixes each key may sign labels for.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

A label key belongs to one organisation and signs only GTINs under the company prefixes it was
registered with; the trust list publishes them, so a verifier refuses a label for someone else's
product even when the signature is good. Log keys have none (the column stays empty). The column
is added in place, which keeps the table's append-only triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("log_key", sa.Column("company_prefixes", sa.Text(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError(
        "the ledger's history cannot be downgraded; restore a backup or export bundle instead"
    )
