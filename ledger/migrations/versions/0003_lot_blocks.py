"""Several recalls and holds per lot: each is a row until it is lifted; repeats found by key.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Rows are never deleted (a lifted block keeps the entry that lifted it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lot_block",
        sa.Column("lot", sa.String(length=256), nullable=False),
        sa.Column("entry_idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("lifted_entry", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("lot", "entry_idx", name=op.f("pk_lot_block")),
    )
    with op.batch_alter_table("lot_block", schema=None) as batch_op:
        batch_op.create_index("ix_lot_block_entry_idx", ["entry_idx"], unique=False)
    with op.batch_alter_table("recorded_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recorded_event_idempotency_key", ["idempotency_key"], unique=False
        )
    # Existing blocks become rows, so that lifting them works as for new ones.
    op.execute(
        "INSERT INTO lot_block (lot, entry_idx, kind, lifted_entry) "
        "SELECT id, recall_entry, 'recall', NULL FROM lot WHERE recall_entry IS NOT NULL"
    )
    op.execute(
        "INSERT INTO lot_block (lot, entry_idx, kind, lifted_entry) "
        "SELECT id, hold_entry, 'hold', NULL FROM lot WHERE hold_entry IS NOT NULL"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER lot_block_no_delete BEFORE DELETE ON lot_block "
            "FOR EACH ROW EXECUTE FUNCTION hyt_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER lot_block_no_truncate BEFORE TRUNCATE ON lot_block "
            "FOR EACH STATEMENT EXECUTE FUNCTION hyt_refuse_change()"
        )
    else:
        op.execute(
            "CREATE TRIGGER lot_block_no_delete BEFORE DELETE ON lot_block "
            "BEGIN SELECT RAISE(ABORT, 'lot_block is append-only: DELETE refused'); END"
        )


def downgrade() -> None:
    raise NotImplementedError(
        "the ledger's history cannot be downgraded; restore a backup or export bundle instead"
    )
