"""Reading recall requests: who asked for which lot to be recalled, and who may see it.

A holder that did not make a lot asks its creator (or an authority) to recall it with a
``recall.request`` event; the creator or an authority confirms it (a ``recall`` naming the
request) or dismisses it (``recall.dismiss``, with a reason). Until then nothing is blocked, but
everyone with a stake sees the request: the lot's creator, the authorities, the requester, and
every holder of the lot or of a part made or split from it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.supplychain.accounts import Principal
from ledger.supplychain.tables import LOT, ORGANISATION, RECALL_REQUEST
from ledger.supplychain.trace import lineage

OPEN, CONFIRMED, DISMISSED = "open", "confirmed", "dismissed"
STATUSES = (OPEN, CONFIRMED, DISMISSED)


def _as_json(row: Any) -> dict[str, Any]:
    return {
        "entry": row.entry_idx,
        "lot": row.lot,
        "requested_by": row.requested_by,
        "reason": row.reason,
        "consumer_action": row.consumer_action,
        "status": row.resolution or OPEN,
        "decided_by_entry": row.resolved_entry,
    }


def open_requests_on(engine: Engine, lot_id: str) -> list[dict[str, Any]]:
    """The open recall requests on the lot or on any lot it was made or split from: what the
    holder of a part needs to know before the request is decided."""
    with engine.connect() as connection:
        lots = lineage(connection, lot_id, backward=True)
        rows: list[Any] = []
        for offset in range(0, len(lots), 500):
            rows += connection.execute(
                sa.select(RECALL_REQUEST).where(
                    RECALL_REQUEST.c.lot.in_(lots[offset : offset + 500]),
                    RECALL_REQUEST.c.resolution.is_(None),
                )
            ).all()
    return [_as_json(row) for row in sorted(rows, key=lambda row: row.entry_idx)]


def requests_for(
    engine: Engine, principal: Principal, status: str | None = OPEN, limit: int = 100
) -> list[dict[str, Any]]:
    """The recall requests the caller has a stake in, newest first: all of them for an
    authority; else those it filed, those on lots it (or a farm it records for) created, and
    those on lots of which it holds a part."""
    statement = sa.select(RECALL_REQUEST).order_by(RECALL_REQUEST.c.entry_idx.desc())
    if status == OPEN:
        statement = statement.where(RECALL_REQUEST.c.resolution.is_(None))
    elif status is not None:
        statement = statement.where(RECALL_REQUEST.c.resolution == status)
    found = []
    with engine.connect() as connection:
        for row in connection.execute(statement):
            if principal.authority or _has_stake(connection, principal.organisation, row):
                found.append(_as_json(row))
                if len(found) >= limit:
                    break
    return found


def _has_stake(connection: Connection, organisation: str | None, row: Any) -> bool:
    if organisation is None:
        return False
    if row.requested_by == organisation:
        return True
    creator = connection.execute(sa.select(LOT.c.creator).where(LOT.c.id == row.lot)).scalar()
    if creator == organisation:
        return True
    member_of = connection.execute(
        sa.select(ORGANISATION.c.member_of).where(ORGANISATION.c.gln == creator)
    ).scalar()
    if member_of == organisation:
        return True
    parts = lineage(connection, row.lot, backward=False)
    for offset in range(0, len(parts), 500):
        held = connection.execute(
            sa.select(LOT.c.id)
            .where(LOT.c.id.in_(parts[offset : offset + 500]), LOT.c.holder == organisation)
            .limit(1)
        ).first()
        if held is not None:
            return True
    return False
