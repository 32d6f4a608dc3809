"""Tracing a lot: back to the plots, flocks and farm inputs it came from, forward to every lot
made from it and where those are now.

Both walk the lot graph breadth first with one indexed query per generation, so the cost grows
with the size of the answer, not of the ledger. The inputs of an origin are the entries on the
plot's or flock's own chain before the harvest or slaughter, within :data:`INPUT_WINDOW_DAYS`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.common.errors import NotFoundError
from ledger.common.messages import N_
from ledger.supplychain.custody import VIETNAM, lot_status
from ledger.supplychain.tables import LOT, LOT_EDGE, RECORDED_EVENT
from ledger.tlog.canonical import parse_time, utc_timestamp
from ledger.tlog.tables import SUBJECT_LINK

#: How far back before a harvest the farm inputs of its plot are part of its trace.
INPUT_WINDOW_DAYS = 365
#: The walk stops after this many lots; the answer says it was cut.
MAX_TRACE_LOTS = 5000
INPUT_TYPES = (
    "farm_input.fertiliser",
    "farm_input.pesticide",
    "farm_input.irrigation",
    "energy_use",
    "flock.placement",
    "flock.feed",
    "flock.vaccination",
    "flock.treatment",
    "flock.loss",
    "flock.weighing",
)


@dataclass(frozen=True)
class Edge:
    parent: str
    child: str
    entry_idx: int
    quantity: str


def local_today() -> str:
    """Today in Hưng Yên, the day a best-before date is read against by default."""
    return datetime.now(VIETNAM).date().isoformat()


def lot_summary(row: Any, today: str | None = None) -> dict[str, Any]:
    """A lot as readers get it; ``status`` is :func:`~ledger.supplychain.custody.lot_status` on
    local day ``today`` and ``custody`` the custody state alone (active, in transit, depleted)."""
    return {
        "id": row.id,
        "gtin": row.gtin,
        "lot": row.lot_code,
        "holder": row.holder,
        "creator": row.creator,
        "quantity": row.quantity,
        "created_quantity": row.created_quantity,
        "unit": row.unit,
        "status": lot_status(row, today or local_today()),
        "custody": row.status,
        "receiver": row.receiver,
        "recalled_by": row.recall_entry,
        "on_hold_by": row.hold_entry,
        "created_entry": row.created_entry,
        "created_event_time": row.created_event_time,
        "best_before": row.best_before,
        "units": row.units,
        "origin": json.loads(row.origin),
    }


def _lots(connection: Connection, ids: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for offset in range(0, len(ids), 500):
        rows = connection.execute(sa.select(LOT).where(LOT.c.id.in_(ids[offset : offset + 500])))
        found.update((row.id, row) for row in rows)
    return found


def _walk(
    connection: Connection, start: str, *, backward: bool
) -> tuple[list[str], list[Edge], bool]:
    """Lots reachable from ``start`` (itself first) and the edges between them."""
    near = LOT_EDGE.c.child if backward else LOT_EDGE.c.parent
    seen = {start: None}
    edges: list[Edge] = []
    frontier = [start]
    truncated = False
    while frontier:
        rows: list[Any] = []
        for offset in range(0, len(frontier), 500):
            rows.extend(
                connection.execute(
                    sa.select(LOT_EDGE).where(near.in_(frontier[offset : offset + 500]))
                )
            )
        frontier = []
        for row in rows:
            edges.append(Edge(row.parent, row.child, row.entry_idx, row.quantity))
            other = row.parent if backward else row.child
            if other not in seen:
                if len(seen) >= MAX_TRACE_LOTS:
                    truncated = True
                    continue
                seen[other] = None
                frontier.append(other)
    return list(seen), edges, truncated


def _inputs(
    connection: Connection, subject: str, since_utc: str, until_utc: str
) -> list[dict[str, Any]]:
    rows = connection.execute(
        sa.select(
            RECORDED_EVENT.c.entry_idx,
            RECORDED_EVENT.c.event_type,
            RECORDED_EVENT.c.event_time_utc,
        )
        .select_from(
            SUBJECT_LINK.join(
                RECORDED_EVENT, RECORDED_EVENT.c.entry_idx == SUBJECT_LINK.c.entry_idx
            )
        )
        .where(
            SUBJECT_LINK.c.subject == subject,
            RECORDED_EVENT.c.event_type.in_(INPUT_TYPES),
            RECORDED_EVENT.c.event_time_utc <= until_utc,
            RECORDED_EVENT.c.event_time_utc >= since_utc,
        )
        .order_by(SUBJECT_LINK.c.seq)
    )
    return [
        {"entry": row.entry_idx, "type": row.event_type, "event_time_utc": row.event_time_utc}
        for row in rows
    ]


def _edge_json(edge: Edge) -> dict[str, Any]:
    return {
        "parent": edge.parent,
        "child": edge.child,
        "entry": edge.entry_idx,
        "quantity": edge.quantity,
    }


def trace_back(engine: Engine, lot_id: str, today: str | None = None) -> dict[str, Any]:
    """The lot's ancestry: every lot it was made from, its origins and their farm inputs."""
    with engine.connect() as connection:
        ids, edges, truncated = _walk(connection, lot_id, backward=True)
        lots = _lots(connection, ids)
        if lot_id not in lots:
            raise NotFoundError(N_("There is no lot {lot}."), lot=lot_id)
        has_parent = {edge.child for edge in edges}
        origins = []
        for root_id in ids:
            root = lots.get(root_id)
            if root is None or root_id in has_parent:
                continue
            # A harvested lot's inputs are on its plot's chain in the year before the harvest;
            # a flock's are on its own chain, from its placement on.
            source = root.source or root_id
            created = parse_time(root.created_event_time)
            window = timedelta(days=INPUT_WINDOW_DAYS)
            since, until = (
                (created - window, created) if root.source else (created, created + window)
            )
            origins.append(
                {
                    "lot": root_id,
                    "source": source,
                    "facts": json.loads(root.origin),
                    "inputs": _inputs(
                        connection, source, utc_timestamp(since), utc_timestamp(until)
                    ),
                }
            )
    return {
        "lot": lot_id,
        "lots": [lot_summary(lots[i], today) for i in ids if i in lots],
        "edges": [_edge_json(edge) for edge in edges],
        "origins": origins,
        "truncated": truncated,
    }


def trace_forward(engine: Engine, lot_id: str, today: str | None = None) -> dict[str, Any]:
    """Every lot made from this one, who holds each and in what state."""
    with engine.connect() as connection:
        ids, edges, truncated = _walk(connection, lot_id, backward=False)
        lots = _lots(connection, ids)
    if lot_id not in lots:
        raise NotFoundError(N_("There is no lot {lot}."), lot=lot_id)
    holders = sorted({lots[i].holder for i in ids if i in lots})
    return {
        "lot": lot_id,
        "lots": [lot_summary(lots[i], today) for i in ids if i in lots],
        "edges": [_edge_json(edge) for edge in edges],
        "holders": holders,
        "truncated": truncated,
    }


def lineage(connection: Connection, lot_id: str, *, backward: bool) -> list[str]:
    """The lot and every lot it was made from (``backward``) or that was made from it."""
    ids, _, _ = _walk(connection, lot_id, backward=backward)
    return ids
