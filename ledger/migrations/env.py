"""Alembic environment: migrations run on a connection handed over by
:func:`ledger.common.db.migrate`."""

from __future__ import annotations

from alembic import context

import ledger.supplychain.tables
import ledger.tlog.tables  # noqa: F401  (each table module registers its tables in the metadata)
from ledger.common.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("run migrations with `flask ledger init` (ledger.common.db.migrate)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
