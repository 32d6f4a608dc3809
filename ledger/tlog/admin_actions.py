"""The admin audit trail: who changed what beside the log, recorded in the same transaction.

Administrative actions (a key rotated, a private value erased, an account or token changed) are
not log entries, yet an operator must be able to tell who did them. Each leaves a row in
``admin_audit`` inside the transaction that made the change, so the row exists exactly when the
change does.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.tlog.tables import ADMIN_AUDIT


def record_admin_action(
    connection: Connection, at: str, actor: str, action: str, target: str, detail: Any
) -> None:
    """Append to the admin audit trail inside the caller's transaction."""
    connection.execute(
        sa.insert(ADMIN_AUDIT).values(
            at=at,
            actor=actor,
            action=action,
            target=target,
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
        )
    )
