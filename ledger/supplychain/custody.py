"""Who holds which lot and how much of it is left: the state the recording rules decide on.

The state is derived from the entries (every change is caused by one) and kept in tables beside
the log so that a rule costs a few indexed reads, not a replay. It changes only inside the
append transaction of the entry that causes the change (see
:meth:`ledger.tlog.log.Log.transaction`), so rules are always evaluated in append order on the
current state.

:class:`CustodyState` caches what a transaction read and changed, and writes it back once at the
end of the batch, so a batch of 1,000 events costs a few statements per table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.common.db import insert_rows, select_where_in, update_rows
from ledger.supplychain.tables import (
    CERTIFICATE,
    INPUT_PRODUCT,
    LABEL_ISSUE,
    LOCATION,
    LOT,
    LOT_BLOCK,
    LOT_EDGE,
    ORGANISATION,
    PRODUCT,
    RECALL,
    RECALL_REQUEST,
    RECORDED_EVENT,
    SAFETY_INTERVAL,
)
from ledger.tlog.canonical import canonical_decimal, parse_time, utc_timestamp

_T = TypeVar("_T")

_MASTER_TABLES = {
    "organisation": ORGANISATION,
    "location": LOCATION,
    "product": PRODUCT,
    "input_product": INPUT_PRODUCT,
}
#: The key column of each kind of master data.
_MASTER_KEYS = {
    "organisation": "gln",
    "location": "gln",
    "product": "gtin",
    "input_product": "code",
}

#: Statements built once: building a SELECT of a wide table costs more than running it.
_LOT_BY_ID = sa.select(LOT).where(LOT.c.id == sa.bindparam("id"))
_MASTER_BY_KEY = {
    kind: sa.select(table).where(table.c[_MASTER_KEYS[kind]] == sa.bindparam("key"))
    for kind, table in _MASTER_TABLES.items()
}

#: Hưng Yên's time zone: the day of an event, a best-before date and "today" are read in it.
VIETNAM = timezone(timedelta(hours=7))

RECALL_BLOCK = "recall"
HOLD_BLOCK = "hold"

ACTIVE = "active"
IN_TRANSIT = "in_transit"
DEPLETED = "depleted"
RECALLED = "recalled"
ON_HOLD = "on_hold"
EXPIRED = "expired"
#: What readers are told of a lot, most pressing first: a recall, then a hold (each blocks
#: what is left and follows what was sold), then nothing left, then past its best-before day
#: (stock on hand only), then the custody state (``status`` column) of in transit or active.
LOT_STATUSES = (RECALLED, ON_HOLD, DEPLETED, EXPIRED, IN_TRANSIT, ACTIVE)


def lot_status(row: Any, today: str) -> str:
    """The status of a stored lot row on local day ``today`` (``YYYY-MM-DD``): the first of
    :data:`LOT_STATUSES` that holds."""
    if row.recall_entry is not None:
        return RECALLED
    if row.hold_entry is not None:
        return ON_HOLD
    if row.status == DEPLETED:
        return DEPLETED
    if row.best_before is not None and row.best_before < today:
        return EXPIRED
    return str(row.status)


def lot_status_condition(status: str, today: str) -> Any:
    """The SQL condition on ``lot`` rows of :func:`lot_status` being ``status``, so a search
    by status finds exactly the lots that report it."""
    recalled = LOT.c.recall_entry.is_not(None)
    held = sa.and_(LOT.c.recall_entry.is_(None), LOT.c.hold_entry.is_not(None))
    unblocked = sa.and_(LOT.c.recall_entry.is_(None), LOT.c.hold_entry.is_(None))
    expired = sa.and_(LOT.c.best_before.is_not(None), LOT.c.best_before < today)
    if status == RECALLED:
        return recalled
    if status == ON_HOLD:
        return held
    if status == DEPLETED:
        return sa.and_(unblocked, LOT.c.status == DEPLETED)
    if status == EXPIRED:
        return sa.and_(unblocked, LOT.c.status != DEPLETED, expired)
    return sa.and_(unblocked, LOT.c.status == status, sa.not_(expired))


_LOT_COLUMNS = (
    "id",
    "gtin",
    "lot_code",
    "unit",
    "holder",
    "created_quantity",
    "quantity",
    "status",
    "receiver",
    "shipment_entry",
    "created_entry",
    "created_event_time",
    "created_utc",
    "origin",
    "best_before",
    "units",
    "recall_entry",
    "hold_entry",
    "updated_entry",
    "creator",
)


#: Fixed when a lot is made; custody, corrections, recalls and holds change the other columns.
_LOT_FIXED_COLUMNS = frozenset(
    {"gtin", "lot_code", "unit", "created_entry", "created_event_time", "created_utc", "origin"}
    | {"best_before", "units", "creator"}
)
_LOT_CHANGING_COLUMNS = tuple(c for c in _LOT_COLUMNS if c not in _LOT_FIXED_COLUMNS)
_LOT_FIXED_IN_ORDER = tuple(c for c in _LOT_COLUMNS if c in _LOT_FIXED_COLUMNS)


def decimal_text(value: Decimal) -> str:
    return canonical_decimal(value)


@dataclass
class LotState:
    id: str
    gtin: str
    lot_code: str
    unit: str
    holder: str
    created_quantity: Decimal
    quantity: Decimal
    status: str
    created_entry: int
    created_event_time: str
    created_utc: str
    origin: list[dict[str, Any]]
    updated_entry: int
    receiver: str | None = None
    shipment_entry: int | None = None
    best_before: str | None = None
    units: int | None = None
    recall_entry: int | None = None
    hold_entry: int | None = None
    #: The plot, house or flock a lot was harvested or slaughtered from (root lots only).
    source: str | None = None
    #: The organisation that made the lot (a split-off part keeps its parent's creator).
    creator: str = ""
    stored: bool = field(default=False, repr=False)

    def as_row(self) -> dict[str, Any]:
        row = self.changes_row()
        row.update({name: getattr(self, name) for name in _LOT_FIXED_IN_ORDER})
        row["origin"] = orjson.dumps(self.origin, option=orjson.OPT_SORT_KEYS).decode()
        row["source"] = self.source
        return row

    def changes_row(self) -> dict[str, Any]:
        """The columns that change after a lot is created: an update that leaves the others
        out leaves their indexes alone."""
        row = {name: getattr(self, name) for name in _LOT_CHANGING_COLUMNS}
        row["created_quantity"] = decimal_text(self.created_quantity)
        row["quantity"] = decimal_text(self.quantity)
        return row

    @classmethod
    def from_row(cls, row: Any) -> LotState:
        """A lot as stored; a row of the whole ``lot`` table has exactly the fields' names."""
        values = dict(row._mapping)
        values["created_quantity"] = Decimal(values["created_quantity"])
        values["quantity"] = Decimal(values["quantity"])
        values["origin"] = orjson.loads(values["origin"])
        return cls(**values, stored=True)


@dataclass(frozen=True)
class References:
    """What a batch of commands names, so that one transaction reads it in a few queries."""

    lot_ids: set[str]
    glns: set[str]
    #: Plots and flocks whose running safety intervals the batch asks about.
    interval_subjects: set[str]
    #: Plots and flocks whose lots created from ``sources_from`` on the batch asks about.
    sources: set[str] = field(default_factory=set)
    sources_from: str = ""
    #: Lots (flocks) whose descendants and ancestors the batch asks about.
    lineage: set[str] = field(default_factory=set)


class CustodyState:
    """The lots, edges, intervals and recalls one transaction reads and changes."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._lots: dict[str, LotState | None] = {}
        self._dirty: set[str] = set()
        self._masters: dict[tuple[str, str], Any] = {}
        #: Certificates by id and by holder, as dictionaries of their columns, and the ids of
        #: those this transaction issued and revoked (see :meth:`issue_certificate`).
        self._certificates: dict[str, dict[str, Any]] | None = None
        self._certificates_held: dict[str, list[dict[str, Any]]] = {}
        self._issued_certificates: list[str] = []
        self._revoked_certificates: list[str] = []
        self._stored_intervals: dict[str, list[dict[str, Any]]] = {}
        self._new_blocks: list[dict[str, Any]] = []
        self._lifted_blocks: list[tuple[str, tuple[int, str]]] = []
        self._lift_updates: list[dict[str, Any]] = []
        #: Cached lots by the plot or flock they came from, and from which time on the cache
        #: holds every stored one of a source.
        self._by_source: dict[str, dict[str, LotState]] = {}
        self._source_read_from: dict[str, str] = {}
        #: Stored lot edges read so far, both ways, and this transaction's new ones.
        self._stored_children: dict[str, list[str]] = {}
        self._stored_parents: dict[str, list[str]] = {}
        self._new_children: dict[str, list[str]] = {}
        self._new_parents: dict[str, list[str]] = {}
        self._new_intervals: dict[str, list[dict[str, Any]]] = {}
        self.edges: list[dict[str, Any]] = []
        self.intervals: list[dict[str, Any]] = []
        self.recorded: list[dict[str, Any]] = []
        #: Entries this transaction recorded, by (organisation, idempotency key): corrections
        #: may name an entry of the same batch by its key.
        self.recorded_keys: dict[tuple[str, str], int] = {}
        self.new_recalls: list[dict[str, Any]] = []
        self.lifted_recalls: dict[int, int] = {}
        #: Recall requests filed in this transaction, and (resolution, entry) of those decided.
        self.new_recall_requests: list[dict[str, Any]] = []
        self.resolved_requests: dict[int, tuple[str, int]] = {}
        #: Corrections made earlier in this transaction: (corrected entry, changes).
        self.corrections: list[tuple[int, dict[str, Any]]] = []
        #: Label serials: the next one per GTIN, labels issued per lot, and new issues.
        self._next_serial: dict[str, int] = {}
        self._labels_issued: dict[str, int] = {}
        self.label_issues: list[dict[str, Any]] = []

    # --- master data, read once per transaction -----------------------------------------------

    def master(self, kind: str, key: str) -> Any:
        """A master-data row (organisation, location, product or input product), or None;
        cached."""
        cache_key = (kind, key)
        if cache_key not in self._masters:
            self._masters[cache_key] = self.connection.execute(
                _MASTER_BY_KEY[kind], {"key": key}
            ).first()
        return self._masters[cache_key]

    # --- certificates, read once per transaction ----------------------------------------------

    def _all_certificates(self) -> dict[str, dict[str, Any]]:
        """Every certificate by id, with this transaction's issues and revocations.

        All are read at once: there are few of them, and a season's harvests ask for the
        certificates of hundreds of different farms.
        """
        if self._certificates is None:
            self._certificates = {}
            for row in self.connection.execute(sa.select(CERTIFICATE)):
                self._add_certificate(row._asdict())
        return self._certificates

    def _add_certificate(self, row: dict[str, Any]) -> None:
        assert self._certificates is not None
        self._certificates[row["id"]] = row
        self._certificates_held.setdefault(row["holder"], []).append(row)

    def certificates(self, holders: tuple[str, ...]) -> list[dict[str, Any]]:
        """Certificates (rows of ``certificate``) held by any of ``holders``."""
        self._all_certificates()
        return [row for holder in holders for row in self._certificates_held.get(holder, ())]

    def certificate(self, cert_id: str) -> dict[str, Any] | None:
        """The certificate ``cert_id`` (a row of ``certificate``), or None."""
        return self._all_certificates().get(cert_id)

    def issue_certificate(self, row: dict[str, Any]) -> None:
        """Add a certificate (a row of ``certificate``); it counts from the next event on."""
        self._all_certificates()
        self._add_certificate(row)
        self._issued_certificates.append(row["id"])

    def revoke_certificate(self, cert_id: str, entry_idx: int, revoked_on: str) -> None:
        """Revoke a certificate from the day ``revoked_on``, because of entry ``entry_idx``."""
        row = self._all_certificates()[cert_id]
        row.update(revoked_entry=entry_idx, revoked_on=revoked_on)
        self._revoked_certificates.append(cert_id)

    # --- lots ----------------------------------------------------------------------------------

    def lot(self, lot_id: str) -> LotState | None:
        if lot_id not in self._lots:
            row = self.connection.execute(_LOT_BY_ID, {"id": lot_id}).first()
            self._lots[lot_id] = LotState.from_row(row) if row is not None else None
        return self._lots[lot_id]

    def add_lot(self, lot: LotState) -> None:
        self._lots[lot.id] = lot
        self._dirty.add(lot.id)
        if lot.source is not None:
            self._by_source.setdefault(lot.source, {})[lot.id] = lot

    def add_edge(self, parent: str, child: str, entry_idx: int, quantity: str) -> None:
        """Record that ``child`` was made (split, packed, merged, transformed) from ``parent``."""
        self.edges.append(
            {"parent": parent, "child": child, "entry_idx": entry_idx, "quantity": quantity}
        )
        self._new_children.setdefault(parent, []).append(child)
        self._new_parents.setdefault(child, []).append(parent)

    def add_interval(self, interval: dict[str, Any]) -> None:
        """Start a pre-harvest interval or withdrawal period (a row of ``safety_interval``)."""
        self.intervals.append(interval)
        self._new_intervals.setdefault(interval["subject"], []).append(interval)

    def changed(self, lot: LotState, entry_idx: int) -> None:
        lot.updated_entry = entry_idx
        self._dirty.add(lot.id)

    def _stored_edges(self, lot_ids: list[str], near: str, cache: dict[str, list[str]]) -> None:
        """Read the stored edges of the lots not read yet (the table changes only at flush);
        ``near`` is the end ("parent" or "child") the lots are at."""
        missing = [lot_id for lot_id in dict.fromkeys(lot_ids) if lot_id not in cache]
        for lot_id in missing:
            cache[lot_id] = []
        far = "child" if near == "parent" else "parent"
        for row in select_where_in(self.connection, LOT_EDGE, near, missing):
            cache[getattr(row, near)].append(getattr(row, far))

    def descendants(self, lot_ids: list[str]) -> list[str]:
        """The lots and everything made from them, breadth first, each once."""
        return self._closure(lot_ids, "parent", self._stored_children, self._new_children)

    def ancestors(self, lot_id: str) -> list[str]:
        """The lot and every lot it was made from (split, packed, merged), each once."""
        return self._closure([lot_id], "child", self._stored_parents, self._new_parents)

    def _closure(
        self,
        lot_ids: list[str],
        near: str,
        stored: dict[str, list[str]],
        new: dict[str, list[str]],
    ) -> list[str]:
        """The lots and every lot reached from them along edges one way, breadth first, one
        query per generation for the lots not read before."""
        seen = dict.fromkeys(lot_ids)
        frontier = list(seen)
        while frontier:
            self._stored_edges(frontier, near, stored)
            reached = [far for lot_id in frontier for far in stored[lot_id] + new.get(lot_id, [])]
            frontier = [lot_id for lot_id in dict.fromkeys(reached) if lot_id not in seen]
            seen.update(dict.fromkeys(frontier))
        return list(seen)

    def read_sources(self, sources: set[str], start_utc: str) -> None:
        """Read the stored lots harvested or slaughtered from ``sources`` at or after
        ``start_utc``, in one query, so that :meth:`lots_from_source` need not ask again."""
        wanted = sorted(
            source
            for source in sources
            if source not in self._source_read_from or start_utc < self._source_read_from[source]
        )
        rows = select_where_in(
            self.connection, LOT, "source", wanted, since=("created_utc", start_utc)
        )
        for row in rows:
            lot = self._lots.get(row.id)
            if lot is None:
                lot = self._lots[row.id] = LotState.from_row(row)
            self._by_source.setdefault(row.source, {})[row.id] = lot
        for source in wanted:
            self._source_read_from[source] = start_utc

    def lots_from_source(self, source: str, start_utc: str, end_utc: str) -> list[LotState]:
        """Lots harvested or slaughtered from ``source`` with an event time in [start, end)."""
        self.read_sources({source}, start_utc)
        found = [
            lot
            for lot in self._by_source.get(source, {}).values()
            if start_utc <= lot.created_utc < end_utc
        ]
        return sorted(found, key=lambda lot: lot.id)

    # --- reading ahead --------------------------------------------------------------------------

    def prefetch(self, references: References) -> None:
        """Read the lots, locations, organisations, products and safety intervals a batch will
        need in a few queries, instead of one query per event."""
        glns, interval_subjects = references.glns, references.interval_subjects
        lot_ids = {i for i in references.lot_ids if i not in self._lots}
        for row in select_where_in(self.connection, LOT, "id", sorted(lot_ids)):
            self._lots[row.id] = LotState.from_row(row)
        self._lots.update({i: None for i in lot_ids if i not in self._lots})
        gtins = {lot_id[4:18] for lot_id in lot_ids}
        self._prefetch_master("product", gtins)
        self._prefetch_master("location", glns)
        owners = {
            row.organisation
            for key, row in self._masters.items()
            if key[0] == "location" and row is not None
        }
        self._prefetch_master("organisation", glns | owners)
        parents = {
            row.member_of
            for key, row in self._masters.items()
            if key[0] == "organisation" and row is not None and row.member_of
        }
        self._prefetch_master("organisation", parents)
        wanted = {s for s in interval_subjects if s not in self._stored_intervals}
        for subject in wanted:
            self._stored_intervals[subject] = []
        for row in select_where_in(self.connection, SAFETY_INTERVAL, "subject", sorted(wanted)):
            self._stored_intervals[row.subject].append(dict(row._mapping))
        if references.sources:
            self.read_sources(references.sources, references.sources_from)
        if references.lineage:
            lineage = sorted(references.lineage)
            self.descendants(lineage)
            self._closure(lineage, "child", self._stored_parents, self._new_parents)

    def _prefetch_master(self, kind: str, keys: set[str]) -> None:
        """Read master-data rows straight through the driver (booleans may come back as 0 and
        1, which the rules only ever test for truth)."""
        missing = sorted(k for k in keys if (kind, k) not in self._masters)
        column = _MASTER_KEYS[kind]
        for row in select_where_in(self.connection, _MASTER_TABLES[kind], column, missing):
            self._masters[(kind, getattr(row, column))] = row
        self._masters.update({(kind, k): None for k in missing if (kind, k) not in self._masters})

    # --- safety intervals ----------------------------------------------------------------------

    def intervals_covering(self, subject: str, moment_utc: str) -> list[dict[str, Any]]:
        """Pre-harvest intervals and withdrawal periods on ``subject`` running at the moment."""
        if subject not in self._stored_intervals:
            self.prefetch(References(set(), set(), {subject}))
        rows = self._stored_intervals[subject] + self._new_intervals.get(subject, [])
        return sorted(
            (r for r in rows if r["applied_at_utc"] <= moment_utc < r["safe_from_utc"]),
            key=lambda r: r["safe_from_utc"],
            reverse=True,
        )

    # --- recalls and holds ---------------------------------------------------------------------

    def block(self, lot: LotState, entry_idx: int, kind: str) -> None:
        """Recall (``kind`` "recall") or hold a lot because of entry ``entry_idx``."""
        self._new_blocks.append(
            {"lot": lot.id, "entry_idx": entry_idx, "kind": kind, "lifted_entry": None}
        )
        if kind == RECALL_BLOCK:
            lot.recall_entry = entry_idx
        else:
            lot.hold_entry = entry_idx
        self.changed(lot, entry_idx)

    def lift(self, entry_idx: int, kind: str, lifted_by: int) -> list[LotState]:
        """Lift the block of entry ``entry_idx`` from every lot it is on; each lot keeps its
        other blocks. Returns the lots that were under it."""
        lot_ids = {lot for lot, _ in self._active(kind, entry_idx=entry_idx)}
        for lot_id in lot_ids:
            self._lifted_blocks.append((lot_id, (entry_idx, kind)))
        self._lift_updates.append({"entry_idx": entry_idx, "kind": kind, "lifted": lifted_by})
        lots = []
        for lot_id in sorted(lot_ids):
            lot = self.lot(lot_id)
            if lot is None:
                continue
            remaining = self.active_blocks(lot_id, kind)
            newest = max(remaining) if remaining else None
            if kind == RECALL_BLOCK:
                lot.recall_entry = newest
            else:
                lot.hold_entry = newest
            self.changed(lot, lifted_by)
            lots.append(lot)
        return lots

    def active_blocks(self, lot_id: str, kind: str) -> list[int]:
        """Entries of the lot's recalls or holds that are not lifted."""
        return sorted(entry for _, entry in self._active(kind, lot_id=lot_id))

    def _active(
        self, kind: str, *, lot_id: str | None = None, entry_idx: int | None = None
    ) -> set[tuple[str, int]]:
        """(lot, entry) of the unlifted blocks of ``kind`` on a lot or of an entry: the stored
        ones and this transaction's new ones, less those this transaction lifted."""
        statement = sa.select(LOT_BLOCK.c.lot, LOT_BLOCK.c.entry_idx).where(
            LOT_BLOCK.c.kind == kind, LOT_BLOCK.c.lifted_entry.is_(None)
        )
        if lot_id is not None:
            statement = statement.where(LOT_BLOCK.c.lot == lot_id)
        if entry_idx is not None:
            statement = statement.where(LOT_BLOCK.c.entry_idx == entry_idx)
        blocks = {(row.lot, row.entry_idx) for row in self.connection.execute(statement)}
        blocks.update(
            (b["lot"], b["entry_idx"])
            for b in self._new_blocks
            if b["kind"] == kind
            and lot_id in (None, b["lot"])
            and entry_idx in (None, b["entry_idx"])
        )
        blocks -= {(lot, entry) for lot, (entry, k) in self._lifted_blocks if k == kind}
        return blocks

    # --- recalls -------------------------------------------------------------------------------

    def recall(self, entry_idx: int) -> dict[str, Any] | None:
        for recall in self.new_recalls:
            if recall["entry_idx"] == entry_idx:
                return {**recall, "lifted_entry": self.lifted_recalls.get(entry_idx)}
        row = self.connection.execute(
            sa.select(RECALL).where(RECALL.c.entry_idx == entry_idx)
        ).first()
        if row is None:
            return None
        result = dict(row._mapping)
        if entry_idx in self.lifted_recalls:
            result["lifted_entry"] = self.lifted_recalls[entry_idx]
        return result

    # --- recall requests ------------------------------------------------------------------------

    def recall_request(self, entry_idx: int) -> dict[str, Any] | None:
        """The recall request filed by entry ``entry_idx`` as it stands in this transaction."""
        found: dict[str, Any] | None = next(
            (dict(r) for r in self.new_recall_requests if r["entry_idx"] == entry_idx), None
        )
        if found is None:
            row = self.connection.execute(
                sa.select(RECALL_REQUEST).where(RECALL_REQUEST.c.entry_idx == entry_idx)
            ).first()
            found = dict(row._mapping) if row is not None else None
        if found is not None and entry_idx in self.resolved_requests:
            found["resolution"], found["resolved_entry"] = self.resolved_requests[entry_idx]
        return found

    def open_recall_requests(self, lot_id: str) -> list[dict[str, Any]]:
        """The undecided recall requests on a lot, oldest first."""
        rows = [
            dict(row._mapping)
            for row in self.connection.execute(
                sa.select(RECALL_REQUEST)
                .where(RECALL_REQUEST.c.lot == lot_id, RECALL_REQUEST.c.resolution.is_(None))
                .order_by(RECALL_REQUEST.c.entry_idx)
            )
        ]
        rows += [dict(r) for r in self.new_recall_requests if r["lot"] == lot_id]
        return [r for r in rows if r["entry_idx"] not in self.resolved_requests]

    def resolve_recall_request(self, entry_idx: int, resolution: str, by: int) -> None:
        """Mark a request "confirmed" (by a recall) or "dismissed", by entry ``by``."""
        self.resolved_requests[entry_idx] = (resolution, by)

    # --- labels -----------------------------------------------------------------------------

    def next_serial(self, gtin: str) -> int:
        """The next unissued serial of a GTIN: one past the largest issued (serials start at 1).

        Read under the append lock, so two transactions never allocate the same serial."""
        if gtin not in self._next_serial:
            largest = self.connection.execute(
                sa.select(sa.func.max(LABEL_ISSUE.c.last_serial)).where(LABEL_ISSUE.c.gtin == gtin)
            ).scalar()
            self._next_serial[gtin] = (largest or 0) + 1
        return self._next_serial[gtin]

    def labels_issued(self, lot_id: str) -> int:
        """How many labels were issued for a lot so far."""
        if lot_id not in self._labels_issued:
            issued = self.connection.execute(
                sa.select(
                    sa.func.sum(LABEL_ISSUE.c.last_serial - LABEL_ISSUE.c.first_serial + 1)
                ).where(LABEL_ISSUE.c.lot == lot_id)
            ).scalar()
            self._labels_issued[lot_id] = int(issued or 0)
        return self._labels_issued[lot_id]

    def add_label_issue(self, issue: dict[str, Any]) -> None:
        """Issue the serials ``[first_serial, last_serial]`` of a GTIN for a lot."""
        self.next_serial(issue["gtin"])
        self.labels_issued(issue["lot"])
        self._next_serial[issue["gtin"]] = issue["last_serial"] + 1
        self._labels_issued[issue["lot"]] += issue["last_serial"] - issue["first_serial"] + 1
        self.label_issues.append(issue)

    # --- writing back --------------------------------------------------------------------------

    def flush(self) -> None:
        """Write every change of this transaction (called once, before commit)."""
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for lot_id in sorted(self._dirty):
            lot = self._lots[lot_id]
            assert lot is not None
            if lot.stored:
                updates.append(lot.changes_row())
            else:
                inserts.append(lot.as_row())
            lot.stored = True
        self._dirty.clear()
        insert_rows(self.connection, LOT, inserts)
        update_rows(self.connection, LOT, "id", updates)
        # What this transaction added is stored now: the caches of stored rows take it over.
        _merge_into(self._stored_children, self._new_children)
        _merge_into(self._stored_parents, self._new_parents)
        _merge_into(self._stored_intervals, self._new_intervals)
        for table, rows in (
            (LOT_EDGE, self.edges),
            (SAFETY_INTERVAL, self.intervals),
            (RECORDED_EVENT, self.recorded),
            (RECALL, self.new_recalls),
            (RECALL_REQUEST, self.new_recall_requests),
            (LABEL_ISSUE, self.label_issues),
        ):
            insert_rows(self.connection, table, rows)
            rows.clear()
        for entry_idx, (resolution, by) in self.resolved_requests.items():
            self.connection.execute(
                sa.update(RECALL_REQUEST)
                .where(RECALL_REQUEST.c.entry_idx == entry_idx)
                .values(resolution=resolution, resolved_entry=by)
            )
        self.resolved_requests.clear()
        self._flush_certificates()
        insert_rows(self.connection, LOT_BLOCK, self._new_blocks)
        self._new_blocks.clear()
        for lift in self._lift_updates:
            self.connection.execute(
                sa.update(LOT_BLOCK)
                .where(
                    LOT_BLOCK.c.entry_idx == lift["entry_idx"],
                    LOT_BLOCK.c.kind == lift["kind"],
                    LOT_BLOCK.c.lifted_entry.is_(None),
                )
                .values(lifted_entry=lift["lifted"])
            )
        self._lift_updates.clear()
        self._lifted_blocks.clear()
        for entry_idx, lifted in self.lifted_recalls.items():
            self.connection.execute(
                sa.update(RECALL).where(RECALL.c.entry_idx == entry_idx).values(lifted_entry=lifted)
            )
        self.lifted_recalls.clear()

    def _flush_certificates(self) -> None:
        certificates = self._certificates or {}
        for cert_id in self._issued_certificates:
            self.connection.execute(sa.insert(CERTIFICATE).values(certificates[cert_id]))
        for cert_id in self._revoked_certificates:
            row = certificates[cert_id]
            self.connection.execute(
                sa.update(CERTIFICATE)
                .where(CERTIFICATE.c.id == cert_id)
                .values(revoked_entry=row["revoked_entry"], revoked_on=row["revoked_on"])
            )
        self._issued_certificates.clear()
        self._revoked_certificates.clear()


def _merge_into(stored: dict[str, list[_T]], new: dict[str, list[_T]]) -> None:
    """Move rows written at flush into the cache of stored rows, where it holds their key."""
    for key, rows in new.items():
        if key in stored:
            stored[key].extend(rows)
    new.clear()


def utc_key(canonical: str) -> str:
    """A canonical time as a UTC string that sorts in time order."""
    return utc_timestamp(parse_time(canonical))
