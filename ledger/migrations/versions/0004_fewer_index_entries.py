"""Fewer index entries per append: recorded events find repeats through the entry's idempotency
key, and indexes nothing reads go; corrections are indexed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

The entry table already holds each command's idempotency key under a unique (key, actor)
constraint, so the copy in ``recorded_event``, its unique constraint and its index only cost
three more index entries per event. They go; the command digest stays, and repeats are found by
the entry's key. On SQLite the table is rebuilt with ``entry_idx`` as its row id (an
``INTEGER PRIMARY KEY``), which saves the primary key's separate index. Corrections are found by
the entry they correct, through a partial index that holds only corrections.

Indexes are written at every append, so each must have a reader. Every read of
``subject_link`` starts from a subject (its primary key), so its index on ``entry_idx`` goes; no
query looks for recorded events by type or by actor over time, so those two indexes go as well
(a report that needs one adds it with its query).

Rows are copied as they are: no recorded fact changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_KEPT_COLUMNS = "entry_idx, event_type, event_time_utc, actor, account, command_digest, corrects"


def upgrade() -> None:
    op.drop_index("ix_subject_link_entry_idx", table_name="subject_link")
    if op.get_bind().dialect.name == "postgresql":
        for index in (
            "ix_recorded_event_idempotency_key",
            "ix_recorded_event_type_event_time",
            "ix_recorded_event_actor_event_time",
        ):
            op.drop_index(index, table_name="recorded_event")
        op.drop_constraint(
            "uq_recorded_event_actor_idempotency_key", "recorded_event", type_="unique"
        )
        op.drop_column("recorded_event", "idempotency_key")
    else:
        _rebuild_on_sqlite()
    op.create_index(
        "ix_recorded_event_corrects",
        "recorded_event",
        ["corrects"],
        sqlite_where=sa.text("corrects IS NOT NULL"),
        postgresql_where=sa.text("corrects IS NOT NULL"),
    )


def _rebuild_on_sqlite() -> None:
    """SQLite cannot drop a constraint or change a primary key in place: copy into a new table,
    then put back the append-only triggers that dropping the old table took."""
    op.create_table(
        "recorded_event_new",
        sa.Column("entry_idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("event_time_utc", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=13), nullable=False),
        sa.Column("account", sa.Integer(), nullable=True),
        sa.Column("command_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("corrects", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("entry_idx", name="pk_recorded_event"),
    )
    op.execute(
        f"INSERT INTO recorded_event_new ({_KEPT_COLUMNS}) "  # noqa: S608 - constant columns
        f"SELECT {_KEPT_COLUMNS} FROM recorded_event ORDER BY entry_idx"
    )
    op.drop_table("recorded_event")
    op.rename_table("recorded_event_new", "recorded_event")
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER recorded_event_no_{operation.lower()} BEFORE {operation} "
            "ON recorded_event BEGIN SELECT RAISE(ABORT, "
            f"'recorded_event is append-only: {operation} refused'); END"
        )


def downgrade() -> None:
    raise NotImplementedError(
        "the ledger's history cannot be downgraded; restore a backup or export bundle instead"
    )
