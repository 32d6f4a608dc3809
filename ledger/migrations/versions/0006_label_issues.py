"""Label issues and revocations of replaced keys.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

``label_issue`` holds the serial ranges that label-issuing entries allocated, per GTIN; the next
serial of a GTIN is one past its largest. ``key_revocation`` lets a label key that a newer key
already replaced be revoked later, tightening the retirement that ``key_end`` recorded. Both are
history: the same append-only triggers as the other history tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NEW_HISTORY_TABLES = ("key_revocation", "label_issue")


def upgrade() -> None:
    op.create_table(
        "key_revocation",
        sa.Column("key", sa.Integer(), nullable=False),
        sa.Column("revoked_from", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("entry_idx", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["key"], ["log_key.id"], name=op.f("fk_key_revocation_key_log_key")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_key_revocation")),
    )
    op.create_table(
        "label_issue",
        sa.Column("entry_idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("lot", sa.String(length=256), nullable=False),
        sa.Column("issuer", sa.String(length=13), nullable=False),
        sa.Column("first_serial", sa.BigInteger(), nullable=False),
        sa.Column("last_serial", sa.BigInteger(), nullable=False),
        sa.Column("label_key", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["label_key"], ["log_key.id"], name=op.f("fk_label_issue_label_key_log_key")
        ),
        sa.PrimaryKeyConstraint("entry_idx", name=op.f("pk_label_issue")),
    )
    with op.batch_alter_table("label_issue", schema=None) as batch_op:
        batch_op.create_index(
            "ix_label_issue_gtin_last_serial", ["gtin", "last_serial"], unique=True
        )
        batch_op.create_index("ix_label_issue_lot", ["lot"], unique=False)
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in NEW_HISTORY_TABLES:
        if postgresql:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION hyt_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION hyt_refuse_change()"
            )
            continue
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
            )


def downgrade() -> None:
    raise NotImplementedError(
        "the ledger's history cannot be downgraded; restore a backup or export bundle instead"
    )
