"""Who may recall and act where, and sessions that end.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

* ``lot.creator``: the organisation that made each lot (a part split off for a shipment keeps
  the creator of the lot it came from). Filled for existing lots from the entries that made
  them: the entry's actor, or for a split-off part its parent's creator.
* ``recall_request``: a holder's request that a lot it did not make be recalled, until the lot's
  creator or an authority confirms or dismisses it.
* ``location.clients``: the organisations a site's owner lets act there.
* ``account.session_generation``: signing out, a new password or deactivation move it on, which
  ends every session signed in under the old one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("creator", sa.String(length=13), server_default="", nullable=False)
        )
    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clients", sa.Text(), server_default="", nullable=False))
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "recall_request",
        sa.Column("entry_idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("lot", sa.String(length=256), nullable=False),
        sa.Column("requested_by", sa.String(length=13), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("consumer_action", sa.Text(), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("resolved_entry", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("entry_idx", name=op.f("pk_recall_request")),
    )
    with op.batch_alter_table("recall_request", schema=None) as batch_op:
        batch_op.create_index("ix_recall_request_lot", ["lot"], unique=False)
    _fill_creators()


def _fill_creators() -> None:
    """Each existing lot's creator, in the order the lots were made, so that a split-off part
    finds its parent's creator already filled."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT lot.id, lot.created_entry, entry.actor, recorded_event.event_type "
            "FROM lot JOIN entry ON entry.idx = lot.created_entry "
            "LEFT JOIN recorded_event ON recorded_event.entry_idx = lot.created_entry "
            "ORDER BY lot.created_entry, lot.id"
        )
    ).all()
    creators: dict[str, str] = {}
    for lot_id, created_entry, actor, event_type in rows:
        creator = str(actor).removeprefix("org:")
        if event_type == "ship":
            parent = bind.execute(
                sa.text("SELECT parent FROM lot_edge WHERE child = :child AND entry_idx = :entry"),
                {"child": lot_id, "entry": created_entry},
            ).scalar()
            creator = creators.get(str(parent), creator)
        creators[lot_id] = creator
        bind.execute(
            sa.text("UPDATE lot SET creator = :creator WHERE id = :id"),
            {"creator": creator, "id": lot_id},
        )


def downgrade() -> None:
    raise NotImplementedError(
        "the ledger's history cannot be downgraded; restore a backup or export bundle instead"
    )
