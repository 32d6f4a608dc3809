"""The ledger core: entries, tiles, subject chains, checkpoints, keys, private values.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Besides the tables, this installs the database-level backstop of append-only history: triggers
that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on history tables, and that let the
tree head, tiles and subject heads only grow or move forward.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Copied, not imported, from the models: a migration must keep meaning what it meant when written.
Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY_TABLES = ("ledger_meta", "entry", "subject_link", "checkpoint", "log_key", "key_end")


def upgrade() -> None:
    op.create_table(
        "ledger_meta",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("tile_height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_meta"),
    )
    op.create_table(
        "tree_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("recorded_at", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tree_head"),
    )
    op.create_table(
        "entry",
        sa.Column("idx", Position, autoincrement=False, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.Column("request_digest", sa.LargeBinary(32), nullable=True),
        sa.PrimaryKeyConstraint("idx", name="pk_entry"),
        sa.UniqueConstraint("idempotency_key", "actor", name="uq_entry_idempotency_key_actor"),
    )
    op.create_index("ix_entry_leaf_hash", "entry", ["leaf_hash"])
    op.create_table(
        "tile",
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_tile"),
    )
    op.create_table(
        "subject_link",
        sa.Column("subject", sa.String(256), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("entry_idx", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("subject", "seq", name="pk_subject_link"),
    )
    op.create_index("ix_subject_link_entry_idx", "subject_link", ["entry_idx"])
    op.create_table(
        "subject_head",
        sa.Column("subject", sa.String(256), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("entry_idx", sa.BigInteger(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("subject", name="pk_subject_head"),
    )
    op.create_table(
        "checkpoint",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=False),
        sa.Column("signed_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("size", name="pk_checkpoint"),
    )
    op.create_table(
        "log_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("key_id", sa.BigInteger(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("vkey", sa.Text(), nullable=False),
        sa.Column("organisation", sa.String(64), nullable=True),
        sa.Column("valid_from", sa.BigInteger(), nullable=False),
        sa.Column("entry_idx", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_log_key"),
        sa.UniqueConstraint("vkey", name="uq_log_key_vkey"),
    )
    op.create_table(
        "key_end",
        sa.Column("key", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.BigInteger(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("entry_idx", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["key"], ["log_key.id"], name="fk_key_end_key_log_key"),
        sa.PrimaryKeyConstraint("key", name="pk_key_end"),
    )
    op.create_table(
        "private_value",
        sa.Column("entry_idx", sa.BigInteger(), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("salt", sa.LargeBinary(32), nullable=True),
        sa.Column("value", sa.LargeBinary(), nullable=True),
        sa.Column("erased_at", sa.String(32), nullable=True),
        sa.Column("erasure_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("entry_idx", "field", name="pk_private_value"),
    )

    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    def refuse(table: str, operation: str, message: str, when: str = "") -> None:
        condition = f" WHEN {when}" if when else ""
        op.execute(
            f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table}"
            f"{condition} BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )

    for table in APPEND_ONLY_TABLES:
        refuse(table, "UPDATE", f"{table} is append-only: UPDATE refused")
        refuse(table, "DELETE", f"{table} is append-only: DELETE refused")
    refuse(
        "tree_head",
        "UPDATE",
        "tree_head only grows",
        "NEW.id != OLD.id OR NEW.size <= OLD.size",
    )
    refuse("tree_head", "DELETE", "tree_head only grows")
    refuse(
        "tile",
        "UPDATE",
        "tiles only grow",
        "NEW.level != OLD.level OR NEW.idx != OLD.idx OR length(NEW.hashes) <= length(OLD.hashes)"
        " OR substr(NEW.hashes, 1, length(OLD.hashes)) != OLD.hashes",
    )
    refuse("tile", "DELETE", "tiles only grow")
    refuse(
        "subject_head",
        "UPDATE",
        "subject heads only move forward",
        "NEW.subject != OLD.subject OR NEW.seq <= OLD.seq OR NEW.entry_idx <= OLD.entry_idx",
    )
    refuse("subject_head", "DELETE", "subject heads only move forward")
    refuse(
        "private_value",
        "UPDATE",
        "private values can only be erased",
        "NOT (NEW.entry_idx = OLD.entry_idx AND NEW.field = OLD.field AND OLD.salt IS NOT NULL"
        " AND NEW.salt IS NULL AND NEW.value IS NULL AND NEW.erased_at IS NOT NULL)",
    )
    refuse("private_value", "DELETE", "private values can only be erased")


def _postgresql_triggers() -> None:
    op.execute(
        """
        CREATE FUNCTION hyt_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
        END $$
        """
    )
    # One function per table: PL/pgSQL resolves NEW.<column> when it plans an expression, so a
    # shared function would fail on the columns other tables lack.
    allowed_updates = {
        "tree_head": "NEW.id = OLD.id AND NEW.size > OLD.size",
        "tile": "NEW.level = OLD.level AND NEW.idx = OLD.idx"
        " AND length(NEW.hashes) > length(OLD.hashes)"
        " AND substring(NEW.hashes FROM 1 FOR length(OLD.hashes)) = OLD.hashes",
        "subject_head": "NEW.subject = OLD.subject AND NEW.seq > OLD.seq"
        " AND NEW.entry_idx > OLD.entry_idx",
        "private_value": "NEW.entry_idx = OLD.entry_idx AND NEW.field = OLD.field"
        " AND OLD.salt IS NOT NULL AND NEW.salt IS NULL AND NEW.value IS NULL"
        " AND NEW.erased_at IS NOT NULL",
    }
    for table, condition in allowed_updates.items():
        op.execute(
            f"""
            CREATE FUNCTION hyt_{table}_may_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF {condition} THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION '{table} may only grow or move forward: UPDATE refused'
                    USING ERRCODE = 'integrity_constraint_violation';
            END $$
            """
        )
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION hyt_refuse_change()"
        )
    for table in allowed_updates:
        op.execute(
            f"CREATE TRIGGER {table}_only_grow BEFORE UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION hyt_{table}_may_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION hyt_refuse_change()"
        )
    for table in (*APPEND_ONLY_TABLES, "tree_head", "tile", "subject_head", "private_value"):
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION hyt_refuse_change()"
        )


def downgrade() -> None:
    raise NotImplementedError(
        "the ledger's history cannot be downgraded; restore a backup or export bundle instead"
    )
