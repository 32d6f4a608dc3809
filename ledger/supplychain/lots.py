"""Reading lots: one lot, a search with keyset pagination, and a lot's events as corrected.

A correction never rewrites an entry. Readers get each event as recorded, the corrections that
refer to it (index, reason, changed fields) and the payload with those changes applied, so a
page can say «đã sửa … vì …» and still link to the original bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger.common.errors import NotFoundError
from ledger.common.messages import N_
from ledger.supplychain.custody import lot_status_condition
from ledger.supplychain.tables import LOT, RECORDED_EVENT
from ledger.supplychain.trace import local_today, lot_summary
from ledger.tlog.canonical import envelope_of
from ledger.tlog.log import Log
from ledger.tlog.tables import ENTRY

MAX_PAGE = 200


@dataclass(frozen=True)
class LotQuery:
    gtin: str | None = None
    lot_code: str | None = None
    holder: str | None = None
    #: One of :data:`~ledger.supplychain.custody.LOT_STATUSES`, as
    #: :func:`~ledger.supplychain.custody.lot_status` says.
    status: str | None = None
    #: UTC instants bounding when the lot was created (harvest, packing, …), inclusive.
    created_from: str | None = None
    created_to: str | None = None
    #: Keyset pagination: the id of the last lot of the previous page.
    after: str | None = None
    limit: int = 50
    #: The local day best-before dates are read against (default: today in Hưng Yên).
    today: str | None = None


def lot(engine: Engine, lot_id: str, today: str | None = None) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(sa.select(LOT).where(LOT.c.id == lot_id)).first()
    if row is None:
        raise NotFoundError(N_("There is no lot {lot}."), lot=lot_id)
    return lot_summary(row, today)


def search(engine: Engine, query: LotQuery) -> tuple[list[dict[str, Any]], str | None]:
    """A page of lots in id order and the cursor of the next page (None on the last)."""
    limit = max(1, min(query.limit, MAX_PAGE))
    statement = sa.select(LOT).order_by(LOT.c.id).limit(limit + 1)
    conditions = {
        LOT.c.gtin: query.gtin,
        LOT.c.lot_code: query.lot_code,
        LOT.c.holder: query.holder,
    }
    for column, value in conditions.items():
        if value is not None:
            statement = statement.where(column == value)
    today = query.today or local_today()
    if query.status is not None:
        statement = statement.where(lot_status_condition(query.status, today))
    if query.created_from is not None:
        statement = statement.where(LOT.c.created_utc >= query.created_from)
    if query.created_to is not None:
        statement = statement.where(LOT.c.created_utc <= query.created_to)
    if query.after is not None:
        statement = statement.where(LOT.c.id > query.after)
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    page = [lot_summary(row, today) for row in rows[:limit]]
    return page, (page[-1]["id"] if len(rows) > limit else None)


def events(log: Log, lot_id: str, after: int = -1, limit: int = 100) -> dict[str, Any]:
    """The lot's chain of entries, each with its corrections applied."""
    chain = log.subject_chain(lot_id, after=after, limit=limit)
    indexes = [link.entry.index for link in chain.links]
    corrections: dict[int, list[dict[str, Any]]] = {index: [] for index in indexes}
    with log.engine.connect() as connection:
        for offset in range(0, len(indexes), 500):
            rows = connection.execute(
                sa.select(RECORDED_EVENT.c.corrects, ENTRY.c.idx, ENTRY.c.data)
                .select_from(RECORDED_EVENT.join(ENTRY, ENTRY.c.idx == RECORDED_EVENT.c.entry_idx))
                .where(RECORDED_EVENT.c.corrects.in_(indexes[offset : offset + 500]))
                .order_by(ENTRY.c.idx)
            )
            for row in rows:
                payload = envelope_of(bytes(row.data))["payload"]
                corrections[row.corrects].append(
                    {"index": row.idx, "reason": payload["reason"], "changes": payload["changes"]}
                )
    items = []
    for link in chain.links:
        envelope = link.entry.envelope
        current = dict(envelope["payload"])
        for correction in corrections[link.entry.index]:
            current.update(correction["changes"])
        items.append(
            {
                "index": link.entry.index,
                "leaf_hash": link.entry.leaf_hash.hex(),
                "type": envelope["type"],
                "biz_step": envelope["biz_step"],
                "event_time": envelope["event_time"],
                "recorded_at": envelope["recorded_at"],
                "actor": envelope["actor"],
                "role": link.role,
                "payload": envelope["payload"],
                "corrections": corrections[link.entry.index],
                "corrected_payload": current,
            }
        )
    return {"lot": lot_id, "events": items, "next_after": chain.next_after}
