"""Farm inputs as master data, a plot's crop, plausibility bounds per product.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

* ``input_product``: pesticides, fertilisers, veterinary drugs, vaccines and feeds as registered
  for use (registration number, active ingredients, the crops a pesticide is registered for, its
  pre-harvest interval or withdrawal period), versioned in ``master_version`` like the others.
* ``location.crop``: what a farm plot grows, so that a spray's registration can be checked.
* ``product.max_harvest_kg_per_ha``, ``max_live_kg_per_head``, ``max_carcass_kg_per_head``:
  beyond them a harvest, weighing or slaughter needs a reason.
* ``safety_interval.event_type``, ``input_product``, ``active_ingredients``: what started an
  interval, for the pages that show it. ``safety_interval`` is append-only: its rows written
  before keep these empty (the event type is read from ``recorded_event`` instead).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "input_product",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("registration_no", sa.String(length=64), nullable=True),
        sa.Column("active_ingredients", sa.Text(), server_default="[]", nullable=False),
        sa.Column("crops", sa.Text(), server_default="", nullable=False),
        sa.Column("phi_days", sa.Integer(), nullable=True),
        sa.Column("withdrawal_days", sa.Integer(), nullable=True),
        sa.Column("dose_unit", sa.String(length=32), nullable=True),
        sa.Column("n_pct", sa.String(length=40), nullable=True),
        sa.Column("p_pct", sa.String(length=40), nullable=True),
        sa.Column("k_pct", sa.String(length=40), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_input_product")),
    )
    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crop", sa.String(length=32), nullable=True))
    with op.batch_alter_table("product", schema=None) as batch_op:
        for name in ("max_harvest_kg_per_ha", "max_live_kg_per_head", "max_carcass_kg_per_head"):
            batch_op.add_column(sa.Column(name, sa.String(length=40), nullable=True))
    # Added in place (never a table rebuild): the table's append-only triggers stay.
    op.add_column("safety_interval", sa.Column("event_type", sa.String(length=64), nullable=True))
    op.add_column(
        "safety_interval", sa.Column("input_product", sa.String(length=64), nullable=True)
    )
    op.add_column("safety_interval", sa.Column("active_ingredients", sa.Text(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError(
        "the ledger's history cannot be downgraded; restore a backup or export bundle instead"
    )
