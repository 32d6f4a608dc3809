"""The domain: master data, accounts, the admin audit trail, and custody state beside the log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

History tables (master-data versions, the admin audit trail, recorded events, lot edges, safety
intervals) get the same append-only triggers as the ledger core. Master data, accounts and the
custody state (lots, recalls, certificates) change, but are never deleted: records are
deactivated, and the custody state is what the entries made it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=256), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_audit")),
    )
    op.create_table(
        "certificate",
        sa.Column("id", sa.String(length=256), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("body", sa.String(length=13), nullable=False),
        sa.Column("holder", sa.String(length=13), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.String(length=10), nullable=False),
        sa.Column("valid_to", sa.String(length=10), nullable=False),
        sa.Column("issued_entry", sa.BigInteger(), nullable=False),
        sa.Column("revoked_entry", sa.BigInteger(), nullable=True),
        sa.Column("revoked_on", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_holder", ["holder"], unique=False)

    op.create_table(
        "lot",
        sa.Column("id", sa.String(length=256), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("lot_code", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("holder", sa.String(length=13), nullable=False),
        sa.Column("created_quantity", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("receiver", sa.String(length=13), nullable=True),
        sa.Column("shipment_entry", sa.BigInteger(), nullable=True),
        sa.Column("created_entry", sa.BigInteger(), nullable=False),
        sa.Column("created_event_time", sa.String(length=32), nullable=False),
        sa.Column("created_utc", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("best_before", sa.String(length=10), nullable=True),
        sa.Column("units", sa.Integer(), nullable=True),
        sa.Column("recall_entry", sa.BigInteger(), nullable=True),
        sa.Column("hold_entry", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=256), nullable=True),
        sa.Column("updated_entry", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot")),
    )
    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.create_index("ix_lot_gtin_lot_code", ["gtin", "lot_code"], unique=False)
        batch_op.create_index("ix_lot_holder", ["holder"], unique=False)
        batch_op.create_index("ix_lot_source", ["source"], unique=False)
        batch_op.create_index("ix_lot_created_utc", ["created_utc"], unique=False)

    op.create_table(
        "lot_edge",
        sa.Column("parent", sa.String(length=256), nullable=False),
        sa.Column("child", sa.String(length=256), nullable=False),
        sa.Column("entry_idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("quantity", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("parent", "child", "entry_idx", name=op.f("pk_lot_edge")),
    )
    with op.batch_alter_table("lot_edge", schema=None) as batch_op:
        batch_op.create_index("ix_lot_edge_child", ["child"], unique=False)

    op.create_table(
        "master_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_master_version")),
        sa.UniqueConstraint(
            "kind", "key", "version", name=op.f("uq_master_version_kind_key_version")
        ),
    )
    op.create_table(
        "organisation",
        sa.Column("gln", sa.String(length=13), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("roles", sa.String(length=256), nullable=False),
        sa.Column("member_of", sa.String(length=13), nullable=True),
        sa.Column("province_code", sa.String(length=8), nullable=True),
        sa.Column("district_code", sa.String(length=8), nullable=True),
        sa.Column("commune_code", sa.String(length=8), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("gln", name=op.f("pk_organisation")),
    )
    op.create_table(
        "product",
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("gtin", name=op.f("pk_product")),
    )
    op.create_table(
        "recall",
        sa.Column("entry_idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("lots", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("lifted_entry", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("entry_idx", name=op.f("pk_recall")),
    )
    op.create_table(
        "recorded_event",
        sa.Column("entry_idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("event_time_utc", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=13), nullable=False),
        sa.Column("account", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("command_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("corrects", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("entry_idx", name=op.f("pk_recorded_event")),
        sa.UniqueConstraint(
            "actor", "idempotency_key", name=op.f("uq_recorded_event_actor_idempotency_key")
        ),
    )
    with op.batch_alter_table("recorded_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recorded_event_actor_event_time", ["actor", "event_time_utc"], unique=False
        )
        batch_op.create_index(
            "ix_recorded_event_type_event_time", ["event_type", "event_time_utc"], unique=False
        )

    op.create_table(
        "safety_interval",
        sa.Column("entry_idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("subject", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("applied_at_utc", sa.String(length=32), nullable=False),
        sa.Column("safe_from_utc", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("entry_idx", "subject", name=op.f("pk_safety_interval")),
    )
    with op.batch_alter_table("safety_interval", schema=None) as batch_op:
        batch_op.create_index("ix_safety_interval_subject", ["subject"], unique=False)

    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("organisation", sa.String(length=13), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation"],
            ["organisation.gln"],
            name=op.f("fk_account_organisation_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("username", name=op.f("uq_account_username")),
    )
    op.create_table(
        "location",
        sa.Column("gln", sa.String(length=13), nullable=False),
        sa.Column("organisation", sa.String(length=13), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("district_code", sa.String(length=8), nullable=True),
        sa.Column("commune_code", sa.String(length=8), nullable=True),
        sa.Column("in_gi_area", sa.Boolean(), nullable=False),
        sa.Column("area_ha", sa.String(length=40), nullable=True),
        sa.Column("usable_area_m2", sa.String(length=40), nullable=True),
        sa.Column("latitude", sa.String(length=40), nullable=True),
        sa.Column("longitude", sa.String(length=40), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation"],
            ["organisation.gln"],
            name=op.f("fk_location_organisation_organisation"),
        ),
        sa.PrimaryKeyConstraint("gln", name=op.f("pk_location")),
    )
    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.create_index("ix_location_organisation", ["organisation"], unique=False)

    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("account", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(length=13), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.String(length=32), nullable=False),
        sa.Column("revoked_at", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["account"], ["account.id"], name=op.f("fk_api_token_account_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )

    _install_triggers()


HISTORY_TABLES = (
    "master_version",
    "admin_audit",
    "recorded_event",
    "lot_edge",
    "safety_interval",
)
NEVER_DELETED = (
    "organisation",
    "location",
    "product",
    "certificate",
    "account",
    "api_token",
    "lot",
    "recall",
)


def _install_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in HISTORY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION hyt_refuse_change()"
            )
        for table in NEVER_DELETED:
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION hyt_refuse_change()"
            )
        for table in (*HISTORY_TABLES, *NEVER_DELETED):
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION hyt_refuse_change()"
            )
        return
    for table in HISTORY_TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
            )
    for table in NEVER_DELETED:
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END"
        )


def downgrade() -> None:
    raise NotImplementedError(
        "the ledger's history cannot be downgraded; restore a backup or export bundle instead"
    )
