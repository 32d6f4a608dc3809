"""Photos attached to entries, kept off the ledger under their SHA-256.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

* ``photo``: the re-encoded photo and its thumbnail (or, with ``PHOTO_DIR``, only their sizes:
  the files are named by the hash), and whether a lot's holder made it public.
* ``photo_upload``: each organisation that uploaded the same bytes, by which account, when.
* ``photo_use``: the entries that attach a photo, and the lot each concerns.

Operational data beside the log, not history: no triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photo",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("thumbnail_width", sa.Integer(), nullable=False),
        sa.Column("thumbnail_height", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("public", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("public_by", sa.String(length=13), nullable=True),
        sa.Column("public_at", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_photo")),
    )
    op.create_table(
        "photo_upload",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("organisation", sa.String(length=13), nullable=False),
        sa.Column("account", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["sha256"], ["photo.sha256"], name=op.f("fk_photo_upload_sha256_photo")
        ),
        sa.PrimaryKeyConstraint("sha256", "organisation", name=op.f("pk_photo_upload")),
    )
    op.create_table(
        "photo_use",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("entry_idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("lot", sa.String(length=256), nullable=True),
        sa.ForeignKeyConstraint(
            ["sha256"], ["photo.sha256"], name=op.f("fk_photo_use_sha256_photo")
        ),
        sa.PrimaryKeyConstraint("sha256", "entry_idx", name=op.f("pk_photo_use")),
    )
    with op.batch_alter_table("photo_use", schema=None) as batch_op:
        batch_op.create_index("ix_photo_use_entry_idx", ["entry_idx"], unique=False)


def downgrade() -> None:
    raise NotImplementedError(
        "the ledger's history cannot be downgraded; restore a backup or export bundle instead"
    )
