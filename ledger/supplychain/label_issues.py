"""Which serials were issued to which lot, by whom, with which key: read from ``label_issue``.

A ``label.issue`` entry allocates a range of serials of one GTIN to one lot (see
:func:`ledger.supplychain.recording.labels.label_issue`); the rows beside the log make a
scanned serial a single indexed read. The page shows a label's place in its lot as
«nhãn n / N»: ``n`` counts the lot's labels in issuing order, ``N`` all labels issued for the
lot so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.common.errors import NotFoundError
from ledger.common.messages import N_
from ledger.supplychain.tables import LABEL_ISSUE, LOT
from ledger.tlog.log import Log
from ledger.tlog.tables import LOG_KEY

#: The largest serial the ledger can issue (a 64-bit integer); longer ones were never issued.
MAX_SERIAL = 2**63 - 1


@dataclass(frozen=True)
class LabelIssue:
    """One issuing entry: serials ``[first_serial, last_serial]`` of ``gtin`` for ``lot``."""

    entry_idx: int
    gtin: str
    lot: str
    issuer: str
    first_serial: int
    last_serial: int
    #: The signed-note verifier key (``vkey``) of the label key the entry named.
    label_key: str

    @property
    def count(self) -> int:
        return self.last_serial - self.first_serial + 1


@dataclass(frozen=True)
class IssuedLabel:
    """A serial that was issued: its issue, and its place among the lot's labels."""

    serial: int
    issue: LabelIssue
    #: 1-based: the label's place among all labels of the lot, in issuing order.
    number: int
    #: All labels issued for the lot so far.
    of: int


_SELECT_ISSUES = sa.select(LABEL_ISSUE, LOG_KEY.c.vkey).join(
    LOG_KEY, LOG_KEY.c.id == LABEL_ISSUE.c.label_key
)


def _issues(connection: Connection, query: sa.Select[tuple[object, ...]]) -> list[LabelIssue]:
    return [
        LabelIssue(
            entry_idx=row.entry_idx,
            gtin=row.gtin,
            lot=row.lot,
            issuer=row.issuer,
            first_serial=row.first_serial,
            last_serial=row.last_serial,
            label_key=row.vkey,
        )
        for row in connection.execute(query)
    ]


def lot_label_issues(connection: Connection, lot_id: str) -> list[LabelIssue]:
    """Every issue of labels for a lot, oldest first."""
    return _issues(
        connection,
        _SELECT_ISSUES.where(LABEL_ISSUE.c.lot == lot_id).order_by(LABEL_ISSUE.c.entry_idx),
    )


def issued_label(connection: Connection, gtin: str, serial: str) -> IssuedLabel | None:
    """The issue a serial of a GTIN belongs to, or None if it was never issued.

    ``serial`` is the decimal text of the label (the URL's AI 21); forms the ledger never issues
    (leading zeros, over 64 bits) are simply not found.
    """
    if not serial.isascii() or not serial.isdigit() or serial != str(int(serial)):
        return None
    number = int(serial)
    if not 1 <= number <= MAX_SERIAL:
        return None
    # The first range of the GTIN that ends at or after the serial holds it, if any does:
    # ranges of one GTIN never overlap. One step of the (gtin, last_serial) index.
    found = _issues(
        connection,
        _SELECT_ISSUES.where(LABEL_ISSUE.c.gtin == gtin, LABEL_ISSUE.c.last_serial >= number)
        .order_by(LABEL_ISSUE.c.last_serial)
        .limit(1),
    )
    if not found or found[0].first_serial > number:
        return None
    issue = found[0]
    before = 0
    total = 0
    for other in lot_label_issues(connection, issue.lot):
        if other.entry_idx < issue.entry_idx:
            before += other.count
        total += other.count
    return IssuedLabel(
        serial=number, issue=issue, number=before + number - issue.first_serial + 1, of=total
    )


def lot_labels(engine: Engine, lot_id: str) -> dict[str, object]:
    """The labels issued for a lot: each issue's serial range, and how many in all."""
    with engine.connect() as connection:
        if connection.execute(sa.select(LOT.c.id).where(LOT.c.id == lot_id)).first() is None:
            raise NotFoundError(N_("There is no lot {lot}."), lot=lot_id)
        issues = lot_label_issues(connection, lot_id)
    return {
        "lot": lot_id,
        "issued": sum(issue.count for issue in issues),
        "issues": [
            {
                "entry": issue.entry_idx,
                "first_serial": str(issue.first_serial),
                "last_serial": str(issue.last_serial),
                "count": issue.count,
                "issuer": issue.issuer,
                "label_key": issue.label_key,
            }
            for issue in issues
        ],
    }


#: Entries that hand a lot over: an accepted receipt makes its recorder the holder.
RECEIPTS = ("receive", "retail_receive")


def hands_over(role: object, envelope: dict[str, Any]) -> bool:
    """Whether an entry in which a lot plays ``role`` makes the entry's recorder the lot's
    holder: the entry that made the lot (its ``output``), or an accepted receipt of it."""
    if role == "output":
        return True
    payload = envelope.get("payload")
    return (
        role == "input"
        and envelope.get("type") in RECEIPTS
        and isinstance(payload, dict)
        and not payload.get("refused")
    )


def holder_at(log: Log, lot_id: str, index: int) -> str | None:
    """Who held the lot just before entry ``index``, replayed from the lot's own chain.

    A lot's holder changes only two ways: the entry that made it (the lot is its ``output``)
    makes the recorder its holder, and an accepted receipt makes the receiver its holder
    (a shipment leaves the holder as it is until then; a refused receipt returns the lot to it).
    The lot's entries are found through the subject index; the roles, types and recorders are
    read from their signed bytes, not from the lot table, as the audit and the bundle verifier
    read them. None if the lot did not exist before ``index``.
    """
    holder: str | None = None
    after = -1
    while True:
        chain = log.subject_chain(lot_id, after=after, limit=500)
        for link in chain.links:
            if link.entry.index >= index:
                return holder
            envelope = link.entry.envelope
            # The role as the entry's signed bytes state it (not the index table's copy).
            role = next(
                (s.get("role") for s in envelope.get("subjects", ()) if s.get("id") == lot_id),
                None,
            )
            if hands_over(role, envelope):
                holder = str(envelope.get("actor", "")).removeprefix("org:")
        if chain.next_after is None:
            return holder
        after = chain.next_after


def labelled_lots(engine: Engine, limit: int = 10) -> list[str]:
    """The lots that labels were most recently issued for, newest first."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(LABEL_ISSUE.c.lot, sa.func.max(LABEL_ISSUE.c.entry_idx).label("latest"))
            .group_by(LABEL_ISSUE.c.lot)
            .order_by(sa.desc("latest"))
            .limit(limit)
        )
        return [row.lot for row in rows]
