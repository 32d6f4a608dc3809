"""The rows an append writes, and the idempotency lookups it makes first.

Module-level functions of the caller's connection, run by :meth:`ledger.tlog.log.Log` under the
append lock: answering idempotent repeats, reading and moving the subject heads, and writing
entries, links, private values and tiles in a few multi-row statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.common.db import insert_rows, insert_values, select_where_in, update_rows
from ledger.common.errors import ConflictError, InvalidInputError, LedgerError
from ledger.common.messages import N_, Message
from ledger.tlog.canonical import envelope_of
from ledger.tlog.envelope import NewEvent, SubjectRef
from ledger.tlog.errors import BatchError, IdempotencyConflictError
from ledger.tlog.private import value_bytes
from ledger.tlog.results import Appended
from ledger.tlog.tables import ENTRY, PRIVATE_VALUE, SUBJECT_HEAD, SUBJECT_LINK, TILE
from ledger.tlog.tiles import RightEdge

LINK = SUBJECT_LINK
HEAD = SUBJECT_HEAD
PRIVATE = PRIVATE_VALUE

#: The columns of the rows an append writes as tuples, in this order.
_ENTRY_COLUMNS = ("idx", "leaf_hash", "data", "actor", "idempotency_key", "request_digest")
_LINK_COLUMNS = ("subject", "seq", "entry_idx", "role")


@dataclass(slots=True)
class SubjectState:
    seq: int
    entry_idx: int
    leaf_hash: bytes
    stored: bool


def resolve_repeats(
    connection: Connection,
    events: Sequence[NewEvent],
    results: list[Appended | None],
    digests: dict[int, bytes],
    repeats_of: dict[int, int],
) -> list[int]:
    """Fill ``results`` for idempotent repeats; return the positions that need appending.

    ``digests`` receives the request digest of every keyed event, computed once;
    ``repeats_of`` maps a repeat of an earlier line of the same batch to that line.
    """
    keyed = {(e.actor, e.idempotency_key) for e in events if e.idempotency_key is not None}
    existing: dict[tuple[str, str], Any] = {}
    keys = sorted({key for _, key in keyed if key is not None})
    for offset in range(0, len(keys), 500):
        rows = connection.execute(
            sa.select(
                ENTRY.c.idx,
                ENTRY.c.leaf_hash,
                ENTRY.c.data,
                ENTRY.c.actor,
                ENTRY.c.idempotency_key,
                ENTRY.c.request_digest,
            ).where(ENTRY.c.idempotency_key.in_(keys[offset : offset + 500]))
        )
        for found in rows:
            if (found.actor, found.idempotency_key) in keyed:
                existing[(found.actor, found.idempotency_key)] = found
    fresh: list[int] = []
    first_in_batch: dict[tuple[str, str], tuple[int, bytes]] = {}
    for position, event in enumerate(events):
        if event.idempotency_key is None:
            fresh.append(position)
            continue
        key = (event.actor, event.idempotency_key)
        digest = digests[position] = event.request_digest()
        row = existing.get(key)
        if row is not None:
            try:
                _check_repeat(connection, event, digest, row)
            except LedgerError as error:
                raise BatchError(position + 1, error) from None
            results[position] = Appended(
                row.idx,
                bytes(row.leaf_hash),
                envelope_of(bytes(row.data))["recorded_at"],
                repeated=True,
            )
        elif key in first_in_batch:
            first, first_digest = first_in_batch[key]
            if first_digest != digest or dict(events[first].private) != dict(event.private):
                raise BatchError(
                    position + 1,
                    ConflictError(
                        N_(
                            "Line {line} reuses the idempotency key of line {first} with "
                            "different content."
                        ),
                        line=position + 1,
                        first=first + 1,
                    ),
                )
            repeats_of[position] = first
        else:
            first_in_batch[key] = (position, digest)
            fresh.append(position)
    return fresh


def _check_repeat(connection: Connection, event: NewEvent, digest: bytes, row: Any) -> None:
    conflict = IdempotencyConflictError(key=event.idempotency_key, actor=event.actor, index=row.idx)
    if row.request_digest is None or bytes(row.request_digest) != digest:
        raise conflict
    if not event.private:
        return
    stored = {
        r.field: r.value
        for r in connection.execute(
            sa.select(PRIVATE.c.field, PRIVATE.c.value).where(PRIVATE.c.entry_idx == row.idx)
        )
    }
    for name, value in event.private.items():
        if stored.get(name) is None:
            raise ConflictError(
                N_(
                    "Entry {index} has the same idempotency key but its private value "
                    "{field!r} was erased, so the repeat cannot be confirmed."
                ),
                index=row.idx,
                field=name,
            )
        if bytes(stored[name]) != value_bytes(name, value):
            raise conflict


def subject_states(connection: Connection, subjects: set[str]) -> dict[str, SubjectState]:
    states: dict[str, SubjectState] = {}
    for row in select_where_in(connection, HEAD, "subject", sorted(subjects)):
        states[row.subject] = SubjectState(row.seq, row.entry_idx, bytes(row.leaf_hash), True)
    return states


def write_rows(
    connection: Connection,
    entry_rows: list[tuple[Any, ...]],
    link_rows: list[tuple[Any, ...]],
    private_rows: list[dict[str, Any]],
    states: dict[str, SubjectState],
    touched: set[str],
) -> None:
    insert_values(connection, ENTRY, _ENTRY_COLUMNS, entry_rows)
    insert_values(connection, LINK, _LINK_COLUMNS, link_rows)
    insert_rows(connection, PRIVATE, private_rows)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for subject in touched:
        state = states[subject]
        row = {
            "subject": subject,
            "seq": state.seq,
            "entry_idx": state.entry_idx,
            "leaf_hash": state.leaf_hash,
        }
        (updates if state.stored else inserts).append(row)
    insert_rows(connection, HEAD, inserts)
    update_rows(connection, HEAD, "subject", updates)


def write_tiles(connection: Connection, edge: RightEdge) -> None:
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for (level, index), data, existed in edge.written():
        row = {"b_level": level, "b_idx": index, "b_hashes": data}
        (updates if existed else inserts).append(row)
    if inserts:
        connection.execute(
            sa.insert(TILE).values(
                level=sa.bindparam("b_level"),
                idx=sa.bindparam("b_idx"),
                hashes=sa.bindparam("b_hashes"),
            ),
            inserts,
        )
    if updates:
        connection.execute(
            sa.update(TILE)
            .where(TILE.c.level == sa.bindparam("b_level"))
            .where(TILE.c.idx == sa.bindparam("b_idx"))
            .values(hashes=sa.bindparam("b_hashes")),
            updates,
        )


def refuse_repeated_subjects(subjects: Sequence[SubjectRef]) -> None:
    """A subject listed twice would need two links to one entry, which no chain can verify."""
    seen: set[str] = set()
    for subject in subjects:
        if subject.id in seen:
            raise InvalidInputError(
                errors={"subjects": [Message(N_("Subject {id} is listed twice."), id=subject.id)]}
            )
        seen.add(subject.id)
