"""The supply chain's checks in the log's audit: the tables it keeps beside the log, held to the
entries that wrote them, in the audit's single pass (see
:class:`ledger.tlog.audit_checks.AuditCheck`).

Whoever runs the full audit of a supply chain ledger (``flask ledger verify``, the benchmarks, the
tests) passes :func:`supply_chain_checks` to :func:`ledger.tlog.audit.audit`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Set
from typing import Any

import sqlalchemy as sa

from ledger.common.messages import N_
from ledger.supplychain.label_issues import hands_over
from ledger.supplychain.tables import LABEL_ISSUE
from ledger.tlog.audit_checks import AuditCheck, at_entry, fail
from ledger.tlog.audit_streams import AuditStreams
from ledger.tlog.key_registry import ROLE_LABEL, KeyRecord, load_keys

#: The domain's label-issuing entries, which the rows of ``label_issue`` must reproduce.
LABEL_ISSUE_TYPE = "label.issue"


def supply_chain_checks() -> list[AuditCheck]:
    """Fresh checks for one audit: each keeps its state for one pass."""
    return [LabelIssueAudit()]


class LabelIssueAudit:
    """The serial ranges beside the log, checked against the entries that issued them, in one
    pass beside the entries: each range is its entry's, contiguous with the GTIN's previous one,
    and signed by the key that was the issuer's active label key when the entry was appended."""

    entry_types = frozenset({LABEL_ISSUE_TYPE})

    def __init__(
        self,
        rows: Iterator[tuple[Any, ...]] | None = None,
        keys: Iterable[KeyRecord] = (),
        lots: Set[str] = frozenset(),
    ) -> None:
        """Empty for an audit, which :meth:`start` fills from the database; given the issued
        ranges, the label keys and the labelled lots, it checks those alone."""
        self._use(iter(()) if rows is None else rows, keys, lots)
        self.last_serial: dict[str, int] = {}
        self.ranges = 0
        self.holders: dict[str, str] = {}

    def _use(
        self, rows: Iterator[tuple[Any, ...]], keys: Iterable[KeyRecord], lots: Set[str]
    ) -> None:
        self.rows = rows
        self.pending = next(rows, None)
        self.keys = {k.verifier.vkey: k for k in keys}
        #: The labelled lots, whose custody the pass replays (only theirs: the pass stays lean).
        self.lots = lots

    def start(self, streams: AuditStreams) -> Set[str]:
        """The labelled lots (read before any stream is open), the label keys and the issued
        ranges in entry order."""
        connection = streams.connection
        lots = set(connection.execute(sa.select(LABEL_ISSUE.c.lot).distinct()).scalars())
        keys = load_keys(connection, ROLE_LABEL)
        rows = streams.raw(
            "SELECT i.entry_idx, i.gtin, i.lot, i.issuer, i.first_serial, i.last_serial, k.vkey"
            " FROM label_issue i JOIN log_key k ON k.id = i.label_key ORDER BY i.entry_idx",
            "label_issues",
        )
        self._use(rows, keys, lots)
        return lots

    def observe(self, lot: str, link: dict[str, Any], envelope: dict[str, Any]) -> None:
        """Custody of a labelled lot as its entries hand it on: the entry that makes it (the
        lot is its ``output``) and an accepted receipt make their recorder its holder."""
        if hands_over(link.get("role"), envelope):
            self.holders[lot] = str(envelope.get("actor", ""))

    def check(self, index: int, envelope: dict[str, Any]) -> None:
        row = self.pending
        if row is None or row[0] != index:
            raise fail(at_entry(index), N_("no label issue beside the log records its serials"))
        _, gtin, lot, issuer, first, last, vkey = row
        payload = envelope.get("payload")
        key = self.keys.get(vkey)
        if (
            not isinstance(payload, dict)
            or payload.get("lot") != lot
            or not lot.startswith(f"lot:{gtin}/")
            or envelope.get("actor") != f"org:{issuer}"
            or payload.get("label_key") != vkey
            or payload.get("first_serial") != str(first)
            or payload.get("last_serial") != str(last)
            or payload.get("count") != last - first + 1
            or first != self.last_serial.get(gtin, 0) + 1
            or key is None
            or key.organisation != issuer
            or key.entry_idx is None
            or not key.entry_idx < index
            or (key.ended_by is not None and index >= key.ended_by)
        ):
            raise fail(
                at_entry(index), N_("the label issue beside the log disagrees with the entry")
            )
        if self.holders.get(lot) != f"org:{issuer}":
            raise fail(
                at_entry(index), N_("the organisation that issued the labels did not hold the lot")
            )
        self.last_serial[gtin] = last
        self.ranges += 1
        self.pending = next(self.rows, None)

    def finish(self) -> None:
        if self.pending is not None:
            raise fail(
                at_entry(self.pending[0]),
                N_("a label issue is stored for an entry that issued no labels"),
            )
