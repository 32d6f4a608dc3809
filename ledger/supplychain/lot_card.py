"""What the card of a lot shows at a handover, read in one go: the lot, its product, why it is
blocked, the shipment it is on, its latest events, and the choices its actions offer.

The card is for the people who move the lot, on a phone at a loading dock: it reads the few
rows it needs (the lot, the product, the entries that recalled or held it, the last entries of
its chain) instead of the lot's whole history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.common.errors import NotFoundError
from ledger.common.messages import N_
from ledger.supplychain.custody import IN_TRANSIT
from ledger.supplychain.label_issues import lot_label_issues
from ledger.supplychain.tables import LOT, PRODUCT
from ledger.supplychain.trace import lineage, lot_summary
from ledger.tlog.canonical import envelope_of
from ledger.tlog.log import Log
from ledger.tlog.tables import ENTRY, SUBJECT_HEAD, SUBJECT_LINK

RECENT_EVENTS = 8


@dataclass(frozen=True)
class Block:
    """A recall or hold on the lot, with the entry that put it there and its reason."""

    kind: str
    entry: int
    event_type: str
    event_time: str
    reason: str | None


@dataclass(frozen=True)
class CardEvent:
    index: int
    type: str
    event_time: str
    actor: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Shipment:
    """The shipment a lot in transit is on: who sent it, what the ``ship`` entry said."""

    entry: int
    sender: str
    receiver: str
    quantity: Decimal
    sscc: str | None
    #: How many labelled units travel, when the lot's units are known.
    units: int | None


@dataclass(frozen=True)
class LotCard:
    lot: dict[str, Any]
    product: dict[str, Any]
    blocks: list[Block]
    events: list[CardEvent]
    shipment: Shipment | None
    #: The lots its labels may name: itself and those it was split from, of its GTIN.
    labelled_lots: list[str] = field(default_factory=list)


def lot_card(log: Log, lot_id: str, today: str, recent: int = RECENT_EVENTS) -> LotCard:
    """The card of ``lot_id`` on local day ``today``; :class:`NotFoundError` if there is none."""
    with log.engine.connect() as connection:
        row = connection.execute(sa.select(LOT).where(LOT.c.id == lot_id)).first()
        if row is None:
            raise NotFoundError(N_("There is no lot {lot}."), lot=lot_id)
        product = connection.execute(sa.select(PRODUCT).where(PRODUCT.c.gtin == row.gtin)).first()
        wanted = [
            i for i in (row.recall_entry, row.hold_entry, row.shipment_entry) if i is not None
        ]
        entries = {
            r.idx: envelope_of(bytes(r.data))
            for r in connection.execute(
                sa.select(ENTRY.c.idx, ENTRY.c.data).where(ENTRY.c.idx.in_(wanted))
            )
        }
        head = connection.execute(
            sa.select(SUBJECT_HEAD.c.seq).where(SUBJECT_HEAD.c.subject == lot_id)
        ).scalar()
        recent_rows = (
            connection.execute(
                sa.select(ENTRY.c.idx, ENTRY.c.data)
                .select_from(SUBJECT_LINK.join(ENTRY, ENTRY.c.idx == SUBJECT_LINK.c.entry_idx))
                .where(SUBJECT_LINK.c.subject == lot_id, SUBJECT_LINK.c.seq > head - recent)
                .order_by(SUBJECT_LINK.c.seq.desc())
            ).all()
            if head is not None
            else []
        )
        family = [
            i
            for i in lineage(connection, lot_id, backward=True)
            if i.startswith(f"lot:{row.gtin}/")
        ]
        per_unit = _quantity_per_unit(connection, family)
    summary = lot_summary(row, today)
    blocks = [
        _block(kind, index, entries[index])
        for kind, index in (("recall", row.recall_entry), ("hold", row.hold_entry))
        if index is not None
    ]
    shipment = None
    if row.status == IN_TRANSIT and row.shipment_entry is not None:
        data = entries[row.shipment_entry]["payload"]
        quantity = Decimal(row.quantity)
        units = quantity / per_unit if per_unit else None
        shipment = Shipment(
            entry=row.shipment_entry,
            sender=row.holder,
            receiver=row.receiver or "",
            quantity=quantity,
            sscc=data.get("sscc"),
            units=int(units) if units is not None and units == units.to_integral_value() else None,
        )
    events = []
    for event in recent_rows:
        envelope = envelope_of(bytes(event.data))
        events.append(
            CardEvent(
                event.idx,
                envelope["type"],
                envelope["event_time"],
                envelope["actor"],
                envelope["payload"],
            )
        )
    return LotCard(
        lot=summary,
        product={
            "gtin": row.gtin,
            "name_vi": product.name_vi if product else row.gtin,
            "name_en": product.name_en if product else row.gtin,
            "kind": product.kind if product else None,
        },
        blocks=blocks,
        events=events,
        shipment=shipment,
        labelled_lots=family,
    )


def _quantity_per_unit(connection: Connection, family: list[str]) -> Decimal | None:
    """How much one labelled unit holds: from the nearest lot of the family that counts units
    (a shipped part of a packed lot carries the quantity but not the count)."""
    rows = connection.execute(
        sa.select(LOT.c.id, LOT.c.created_quantity, LOT.c.units).where(
            LOT.c.id.in_(family), LOT.c.units.is_not(None), LOT.c.units > 0
        )
    ).all()
    by_id = {r.id: r for r in rows}
    for lot_id in family:
        if lot_id in by_id:
            row = by_id[lot_id]
            return Decimal(row.created_quantity) / Decimal(row.units)
    return None


def _block(kind: str, index: int, envelope: dict[str, Any]) -> Block:
    payload = envelope["payload"]
    reason = payload.get("reason") or payload.get("summary")
    if reason is None and payload.get("analyte"):
        reason = (
            f"{payload['analyte']}: {payload.get('value', '')} {payload.get('unit', '')}".strip()
        )
    return Block(kind, index, envelope["type"], envelope["event_time"], reason)


def serial_ranges(engine: Engine, lot_ids: list[str]) -> list[tuple[int, int]]:
    """The label serials issued for any of the lots, as inclusive ranges: what a tally of
    scanned labels accepts."""
    with engine.connect() as connection:
        return [
            (issue.first_serial, issue.last_serial)
            for lot_id in lot_ids
            for issue in lot_label_issues(connection, lot_id)
        ]
