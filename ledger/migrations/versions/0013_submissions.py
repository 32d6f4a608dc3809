"""Forms sent from the field pages, kept off the ledger.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

* ``form_submission``: one row per form a person sent (its id is the form's UUID): the account
  and organisation, the event type, the values as typed (private data, never public), whether
  the ledger recorded it (and at which entry) or refused it, and the refusal as a structured
  message.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_submission",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(length=13), nullable=False),
        sa.Column("form", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("entry_idx", sa.BigInteger(), nullable=True),
        sa.Column("refusal", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["account"], ["account.id"], name=op.f("fk_form_submission_account_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_submission")),
    )
    op.create_index(
        "ix_form_submission_account_created_at",
        "form_submission",
        ["account", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    raise NotImplementedError(
        "the ledger's history cannot be downgraded; restore a backup or export bundle instead"
    )
