"""Alembic environment: migrations run on a connection handed over by :func:`ledger.db.migrate`."""

from __future__ import annotations

from alembic import context

from ledger.models import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("run migrations with `flask ledger init` (ledger.db.migrate)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
