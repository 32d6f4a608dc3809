"""The log service: serialised appends, signed checkpoints, and the reads auditors rely on.

An append is one transaction holding the append lock (``BEGIN IMMEDIATE`` on SQLite, a row lock
on the tree head on PostgreSQL). Inside it the ledger checks idempotency, fills every subject's
``prev`` from its current head, replaces private values by commitments, serialises the canonical
bytes, extends the tiles, moves the tree head and the subject heads, and — when the tree has grown
and the last checkpoint is older than the interval — signs a checkpoint. Either all of it is
committed or none of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.common.clock import Clock, SystemClock
from ledger.common.db import write_transaction
from ledger.common.errors import InvalidInputError, LedgerError, NotFoundError
from ledger.common.messages import N_, Message
from ledger.common.settings import LedgerSettings
from ledger.tlog import merkle
from ledger.tlog.admin_actions import record_admin_action
from ledger.tlog.appending import (
    SubjectState,
    refuse_repeated_subjects,
    resolve_repeats,
    subject_states,
    write_rows,
    write_tiles,
)
from ledger.tlog.canonical import entry_bytes, parse_time, utc_timestamp
from ledger.tlog.checkpoint import Checkpoint as CheckpointBody
from ledger.tlog.envelope import NewEvent, stored_envelope
from ledger.tlog.errors import (
    BatchError,
    NotInitialisedError,
    OriginMismatchError,
    PrevMismatchError,
    RewindError,
    SignerUnavailableError,
)
from ledger.tlog.key_registry import (
    ROLE_LABEL,
    ROLE_LOG,
    KeyRecord,
    SignedHead,
    SignerState,
    active_label_key,
    load_keys,
    trust_list_text,
)
from ledger.tlog.note import Signer, sign_note
from ledger.tlog.private import commitment_of_bytes, new_salt, value_bytes
from ledger.tlog.results import (
    Appended,
    ChainLink,
    ConsistencyProof,
    InclusionProof,
    SignedCheckpoint,
    StoredEntry,
    SubjectChain,
)
from ledger.tlog.tables import (
    CHECKPOINT,
    ENTRY,
    LEDGER_META,
    PRIVATE_VALUE,
    SUBJECT_HEAD,
    SUBJECT_LINK,
    TREE_HEAD,
)
from ledger.tlog.tiles import FullTileCache, RightEdge, TileReader, fetch_tiles

LINK = SUBJECT_LINK
HEAD = SUBJECT_HEAD
PRIVATE = PRIVATE_VALUE
META = LEDGER_META

#: Key in ``Connection.info`` where a transaction collects the checkpoints it signed.
_SIGNED = "hyt_signed_checkpoints"

#: Reads of a subject's chain are paginated with at most this many links a page.
MAX_CHAIN_PAGE = 1000


@dataclass
class _Head:
    size: int
    root: bytes
    recorded_at: str | None


class Log:
    """The ledger's log. One instance per process; it is safe to share between threads."""

    def __init__(
        self,
        engine: Engine,
        settings: LedgerSettings,
        *,
        signer: Signer | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.signer = signer
        self.clock: Clock = clock or SystemClock()
        self.state = SignerState(settings.state_file)
        self._tile_cache = FullTileCache()
        with engine.connect() as connection:
            meta = connection.execute(sa.select(META.c.origin, META.c.tile_height)).first()
        if meta is None:
            raise NotInitialisedError()
        if meta.origin != settings.origin:
            raise OriginMismatchError(stored=meta.origin, configured=settings.origin)
        self.origin: str = meta.origin
        self.tile_height: int = meta.tile_height

    # --- small helpers -------------------------------------------------------------------------

    def now(self) -> str:
        return utc_timestamp(self.clock.now())

    def _lock_head(self, connection: Connection) -> _Head:
        row = connection.execute(
            sa.select(TREE_HEAD.c.size, TREE_HEAD.c.root, TREE_HEAD.c.recorded_at)
            .where(TREE_HEAD.c.id == 1)
            .with_for_update()
        ).first()
        if row is None:
            raise NotInitialisedError()
        return _Head(row.size, bytes(row.root), row.recorded_at)

    def _read_head(self, connection: Connection) -> _Head:
        row = connection.execute(
            sa.select(TREE_HEAD.c.size, TREE_HEAD.c.root, TREE_HEAD.c.recorded_at).where(
                TREE_HEAD.c.id == 1
            )
        ).first()
        if row is None:
            raise NotInitialisedError()
        return _Head(row.size, bytes(row.root), row.recorded_at)

    def reader(self, connection: Connection) -> TileReader:
        return TileReader(connection, self.tile_height, self._tile_cache)

    # --- appending -----------------------------------------------------------------------------

    def append(self, event: NewEvent) -> Appended:
        """Append one event; errors are raised as they are, not wrapped in a batch error."""
        try:
            return self.append_batch([event])[0]
        except BatchError as error:
            raise error.cause from None

    def append_batch(self, events: Sequence[NewEvent]) -> list[Appended]:
        """Append events in one transaction: all of them, or none and a :class:`BatchError`."""
        if not events:
            return []
        with self.transaction() as transaction:
            return transaction.append(events)

    @contextmanager
    def transaction(self, *, sign_when_due: bool = True) -> Iterator[LogTransaction]:
        """Hold the append lock for a unit of work that reads state, decides and appends.

        The domain services decide from tables they keep beside the log (who holds a lot, how
        much is left), so their reads, their appends and their own writes must be one
        transaction under the same lock: otherwise two handovers of the same lot could both see
        it available. Everything commits together or nothing does.

        ``sign_when_due``: sign a checkpoint at the end when the interval has passed. Key events
        turn it off: a key change signs only the checkpoint its design names (a rotation's
        handover, see :meth:`LogTransaction.sign_checkpoint`) and leaves the schedule to the
        next append.
        """
        with self._write() as (connection, head):
            transaction = LogTransaction(self, connection, head)
            yield transaction
            if sign_when_due:
                self._maybe_checkpoint(connection, head)

    @contextmanager
    def _write(self) -> Iterator[tuple[Connection, _Head]]:
        """The append lock. After a successful commit, the signer state moves forward to the
        checkpoint signed inside the transaction (never before: a rolled-back checkpoint must
        not be remembered as signed)."""
        signed: list[tuple[int, bytes]] = []
        with write_transaction(self.engine) as connection:
            connection.info[_SIGNED] = signed
            yield connection, self._lock_head(connection)
        if signed:
            self.state.advance(*signed[-1])

    def _append_locked(
        self,
        connection: Connection,
        head: _Head,
        events: Sequence[NewEvent],
        *,
        repeats_resolved: bool = False,
    ) -> list[Appended]:
        results: list[Appended | None] = [None] * len(events)
        recorded_at = max(self.now(), head.recorded_at or "")
        digests: dict[int, bytes] = {}
        repeats_of: dict[int, int] = {}
        if repeats_resolved:
            fresh = list(range(len(events)))
        else:
            fresh = resolve_repeats(connection, events, results, digests, repeats_of)

        subjects = {subject.id for i in fresh for subject in events[i].subjects}
        states = subject_states(connection, subjects)
        edge_keys = RightEdge.keys_for(head.size, self.tile_height)
        edge = RightEdge(head.size, self.tile_height, fetch_tiles(connection, edge_keys))

        entry_rows: list[tuple[Any, ...]] = []
        link_rows: list[tuple[Any, ...]] = []
        private_rows: list[dict[str, Any]] = []
        leaf_hashes: list[bytes] = []
        index = head.size
        for position in fresh:
            event = events[position]
            heads = [states.get(subject.id) for subject in event.subjects]
            try:
                if len(heads) > 1:
                    refuse_repeated_subjects(event.subjects)
                prevs = [state.leaf_hash if state else None for state in heads]
                for subject, state, prev in zip(event.subjects, heads, prevs, strict=True):
                    if subject.check_prev and subject.expect_prev != prev:
                        raise PrevMismatchError(
                            subject=subject.id,
                            expected=subject.expect_prev.hex() if subject.expect_prev else "null",
                            head_index=state.entry_idx if state else "none",
                            head_hash=prev.hex() if prev else "null",
                        )
                commitments: dict[str, bytes] = {}
                for name, value in event.private.items():
                    salt, stored = new_salt(), value_bytes(name, value)
                    commitments[name] = commitment_of_bytes(salt, stored)
                    private_rows.append(
                        {"entry_idx": index, "field": name, "salt": salt, "value": stored}
                    )
                data = entry_bytes(stored_envelope(event, recorded_at, prevs, commitments))
            except LedgerError as error:
                raise BatchError(position + 1, error) from None
            leaf = merkle.leaf_hash(data)
            entry_rows.append(
                (index, leaf, data, event.actor, event.idempotency_key, digests.get(position))
            )
            for subject, state in zip(event.subjects, heads, strict=True):
                if state is None:
                    states[subject.id] = SubjectState(0, index, leaf, False)
                    link_rows.append((subject.id, 0, index, subject.role))
                else:
                    state.seq += 1
                    state.entry_idx, state.leaf_hash = index, leaf
                    link_rows.append((subject.id, state.seq, index, subject.role))
            leaf_hashes.append(leaf)
            results[position] = Appended(index, leaf, recorded_at)
            index += 1

        for position, first in repeats_of.items():  # repeats of an earlier line of this batch
            results[position] = _as_repeat(results[first])

        if entry_rows:
            edge.append(leaf_hashes)
            write_rows(connection, entry_rows, link_rows, private_rows, states, subjects)
            write_tiles(connection, edge)
            reader = TileReader(connection, self.tile_height, overlay=edge.tiles())
            head.size = edge.size
            head.root = merkle.root_hash(edge.size, reader)
            head.recorded_at = recorded_at
            connection.execute(
                sa.update(TREE_HEAD)
                .where(TREE_HEAD.c.id == 1)
                .values(size=head.size, root=head.root, recorded_at=recorded_at)
            )
        return [result for result in results if result is not None]

    # --- checkpoints ---------------------------------------------------------------------------

    def _latest_checkpoint(self, connection: Connection) -> SignedCheckpoint | None:
        row = connection.execute(
            sa.select(CHECKPOINT).order_by(CHECKPOINT.c.size.desc()).limit(1)
        ).first()
        if row is None:
            return None
        return SignedCheckpoint(row.size, bytes(row.root), bytes(row.note), row.signed_at)

    def _interval_elapsed(self, checkpoint: SignedCheckpoint) -> bool:
        interval = timedelta(seconds=self.settings.checkpoint_interval)
        return self.clock.now() - parse_time(checkpoint.signed_at) >= interval

    def _maybe_checkpoint(
        self, connection: Connection, head: _Head, *, force: bool = False
    ) -> SignedCheckpoint | None:
        """Sign a checkpoint of ``head`` if the tree grew and the interval passed (or forced)."""
        if self.signer is None:
            return None
        latest = self._latest_checkpoint(connection)
        if latest is not None:
            if latest.size >= head.size:
                return None
            if not force and not self._interval_elapsed(latest):
                return None
        return self._sign(connection, head)

    def _sign(
        self, connection: Connection, head: _Head, signers: Sequence[Signer] = ()
    ) -> SignedCheckpoint:
        signers = list(signers) or ([self.signer] if self.signer else [])
        assert signers
        self.check_no_rewind(connection, head)
        body = CheckpointBody(self.origin, head.size, head.root).body()
        note = sign_note(body, signers)
        signed_at = self.now()
        connection.execute(
            sa.insert(CHECKPOINT).values(
                size=head.size, root=head.root, note=note, signed_at=signed_at
            )
        )
        connection.info[_SIGNED].append((head.size, head.root))
        return SignedCheckpoint(head.size, head.root, note, signed_at)

    def check_no_rewind(
        self, connection: Connection | None = None, head: _Head | None = None
    ) -> None:
        """Raise :class:`RewindError` if the database does not extend what this signer signed.

        The signer's memory is read before the database: it only ever moves forward after a
        commit, so read in this order it can never be ahead of what the database shows, even
        while other processes append. (Read the other way round, a checkpoint committed in
        between would look like a rewind.)
        """
        signed = self.state.read()
        if signed is None:
            return
        if connection is None:
            with self.engine.connect() as own:
                self._check_extends(signed, own, self._read_head(own))
            return
        assert head is not None
        self._check_extends(signed, connection, head)

    def _check_extends(self, signed: SignedHead, connection: Connection, head: _Head) -> None:
        state_file = str(self.state.path)
        if head.size < signed.size:
            raise RewindError(
                signed_size=signed.size,
                signed_root=signed.root.hex(),
                state_file=state_file,
                detail=Message(N_("the database holds only {size} entries"), size=head.size),
            )
        if head.size == signed.size:
            root = head.root
        else:
            try:
                root = merkle.root_hash(signed.size, self.reader(connection))
            except LookupError:
                root = b""
        if root != signed.root:
            raise RewindError(
                signed_size=signed.size,
                signed_root=signed.root.hex(),
                state_file=state_file,
                detail=Message(
                    N_("the database's tree of that size has root {root}"), root=root.hex()
                ),
            )

    def checkpoint(self, *, force: bool = True) -> SignedCheckpoint:
        """Sign a checkpoint of the current tree if it grew (``force``: ignore the interval)."""
        if self.signer is None:
            raise SignerUnavailableError(what=Message(N_("a checkpoint")))
        with self._write() as (connection, head):
            self._maybe_checkpoint(connection, head, force=force)
            latest = self._latest_checkpoint(connection)
        assert latest is not None
        return latest

    def latest_checkpoint(self) -> SignedCheckpoint:
        """The newest checkpoint, signing a fresh one first if the tree grew and it is stale."""
        with self.engine.connect() as connection:
            latest = self._latest_checkpoint(connection)
            head = self._read_head(connection)
        if latest is None:
            raise NotInitialisedError()
        if self.signer is not None and head.size > latest.size and self._interval_elapsed(latest):
            return self.checkpoint(force=False)
        return latest

    def checkpoints(self) -> Iterator[SignedCheckpoint]:
        with self.engine.connect() as connection:
            rows = connection.execution_options(yield_per=500).execute(
                sa.select(CHECKPOINT).order_by(CHECKPOINT.c.size)
            )
            for row in rows:
                yield SignedCheckpoint(row.size, bytes(row.root), bytes(row.note), row.signed_at)

    # --- keys ----------------------------------------------------------------------------------

    def keys(self, role: str | None = None) -> list[KeyRecord]:
        with self.engine.connect() as connection:
            return load_keys(connection, role)

    def active_log_key(self) -> KeyRecord:
        active = [k for k in self.keys(ROLE_LOG) if k.valid_until is None]
        if len(active) != 1:
            raise NotInitialisedError()
        return active[0]

    def active_label_key(self, organisation: str) -> KeyRecord | None:
        """The organisation's label key that signs labels issued from now on, if it has one."""
        return active_label_key(self.keys(ROLE_LABEL), organisation)

    def trust_note(self) -> bytes:
        """The trust list as a signed note by the current log key."""
        if self.signer is None:
            raise SignerUnavailableError(what=Message(N_("the trust list")))
        return sign_note(trust_list_text(self.origin, self.keys()), [self.signer])

    # --- reads ---------------------------------------------------------------------------------

    def size(self) -> int:
        with self.engine.connect() as connection:
            return self._read_head(connection).size

    def entry(self, index: int) -> StoredEntry:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(ENTRY.c.idx, ENTRY.c.leaf_hash, ENTRY.c.data).where(ENTRY.c.idx == index)
            ).first()
        if row is None:
            raise NotFoundError(N_("There is no entry {index}."), index=index)
        return StoredEntry(row.idx, bytes(row.leaf_hash), bytes(row.data))

    def entries_by_leaf_hash(self, leaf: bytes) -> list[StoredEntry]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(ENTRY.c.idx, ENTRY.c.leaf_hash, ENTRY.c.data)
                .where(ENTRY.c.leaf_hash == leaf)
                .order_by(ENTRY.c.idx)
            ).all()
        return [StoredEntry(r.idx, bytes(r.leaf_hash), bytes(r.data)) for r in rows]

    def entry_data(self, start: int, end: int) -> list[bytes]:
        """The stored bytes of entries ``[start, end)``, in order."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(ENTRY.c.idx, ENTRY.c.data)
                .where(ENTRY.c.idx >= start, ENTRY.c.idx < end)
                .order_by(ENTRY.c.idx)
            ).all()
        if [r.idx for r in rows] != list(range(start, end)):
            raise LookupError(f"entries {start}..{end - 1} are not all stored")
        return [bytes(r.data) for r in rows]

    def _size_at_most_checkpoint(self, size: int | None, name: str) -> tuple[int, bytes]:
        latest = self.latest_checkpoint()
        if size is None:
            return latest.size, latest.root
        if size > latest.size:
            raise InvalidInputError(
                errors={
                    name: [
                        Message(
                            N_(
                                "Size {size} is beyond the latest checkpoint ({checkpoint}); "
                                "retry after the next checkpoint."
                            ),
                            size=size,
                            checkpoint=latest.size,
                        )
                    ]
                }
            )
        if size == latest.size:
            return latest.size, latest.root
        with self.engine.connect() as connection:
            return size, merkle.root_hash(size, self.reader(connection))

    def inclusion_proof(self, index: int, size: int | None = None) -> InclusionProof:
        size, root = self._size_at_most_checkpoint(size, "size")
        if not 0 <= index < size:
            raise InvalidInputError(
                errors={
                    "index": [
                        Message(
                            N_("Index {index} is not inside the tree of size {size}."),
                            index=index,
                            size=size,
                        )
                    ]
                }
            )
        with self.engine.connect() as connection:
            reader = self.reader(connection)
            leaf = reader([(0, index)])[0]
            hashes = merkle.inclusion_proof(index, size, reader)
        return InclusionProof(index, size, leaf, hashes, root)

    def consistency_proof(self, first: int, second: int | None = None) -> ConsistencyProof:
        second, second_root = self._size_at_most_checkpoint(second, "second")
        if not 1 <= first <= second:
            raise InvalidInputError(
                errors={
                    "first": [
                        Message(
                            N_(
                                "First size {first} must be between 1 and the second size {second}."
                            ),
                            first=first,
                            second=second,
                        )
                    ]
                }
            )
        with self.engine.connect() as connection:
            reader = self.reader(connection)
            first_root = merkle.root_hash(first, reader)
            hashes = merkle.consistency_proof(first, second, reader)
        return ConsistencyProof(first, second, hashes, first_root, second_root)

    def subject_chain(self, subject: str, after: int = -1, limit: int = 100) -> SubjectChain:
        limit = max(1, min(limit, MAX_CHAIN_PAGE))
        with self.engine.connect() as connection:
            head = connection.execute(
                sa.select(HEAD.c.seq, HEAD.c.entry_idx, HEAD.c.leaf_hash).where(
                    HEAD.c.subject == subject
                )
            ).first()
            if head is None:
                raise NotFoundError(N_("No entry names the subject {subject}."), subject=subject)
            rows = connection.execute(
                sa.select(
                    LINK.c.seq,
                    LINK.c.role,
                    ENTRY.c.idx,
                    ENTRY.c.leaf_hash,
                    ENTRY.c.data,
                )
                .select_from(LINK.join(ENTRY, ENTRY.c.idx == LINK.c.entry_idx))
                .where(LINK.c.subject == subject, LINK.c.seq > after)
                .order_by(LINK.c.seq)
                .limit(limit + 1)
            ).all()
        links = [
            ChainLink(
                r.seq,
                StoredEntry(r.idx, bytes(r.leaf_hash), bytes(r.data)),
                r.role,
            )
            for r in rows[:limit]
        ]
        next_after = links[-1].seq if len(rows) > limit else None
        return SubjectChain(
            subject, head.seq + 1, head.entry_idx, bytes(head.leaf_hash), links, next_after
        )

    def tile(self, level: int, index: int, width: int | None = None) -> bytes:
        """A tile as served by tlog-tiles, within the latest checkpoint."""
        size = self.latest_checkpoint().size
        capacity = 1 << self.tile_height
        available = (size >> (level * self.tile_height)) - index * capacity
        wanted = width or capacity
        if available < wanted or (width is not None and width >= capacity):
            raise NotFoundError(N_("That tile does not exist in the latest checkpoint."))
        with self.engine.connect() as connection:
            data = self.reader(connection).tiles([(level, index)]).get((level, index), b"")
        return data[: wanted * merkle.HASH_SIZE]

    def entry_bundle(self, index: int, width: int | None = None) -> bytes:
        """Entries as a tlog-tiles bundle: each prefixed by its big-endian 16-bit length."""
        size = self.latest_checkpoint().size
        capacity = 1 << self.tile_height
        wanted = width or capacity
        start = index * capacity
        if size - start < wanted or (width is not None and width >= capacity):
            raise NotFoundError(N_("That entry bundle does not exist in the latest checkpoint."))
        return b"".join(
            len(data).to_bytes(2, "big") + data for data in self.entry_data(start, start + wanted)
        )

    # --- private values ------------------------------------------------------------------------

    def private_values(self, index: int) -> list[dict[str, Any]]:
        """The values and salts behind an entry's commitments. Callers enforce who may see them."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(PRIVATE).where(PRIVATE.c.entry_idx == index).order_by(PRIVATE.c.field)
            ).all()
        result = []
        for row in rows:
            item: dict[str, Any] = {"index": row.entry_idx, "field": row.field}
            if row.value is None:
                item.update(erased_at=row.erased_at, reason=row.erasure_reason)
            else:
                item.update(value=json.loads(bytes(row.value))["value"], salt=bytes(row.salt).hex())
            result.append(item)
        return result

    def erase_private(self, index: int, field: str, reason: str, *, by: str = "cli") -> None:
        """Erase a private value and its salt; the commitment in the log stays verifiable."""
        with self._write() as (connection, _head):
            result = connection.execute(
                sa.update(PRIVATE)
                .where(
                    PRIVATE.c.entry_idx == index,
                    PRIVATE.c.field == field,
                    PRIVATE.c.salt.is_not(None),
                )
                .values(salt=None, value=None, erased_at=self.now(), erasure_reason=reason)
            )
            if result.rowcount != 1:
                raise NotFoundError(
                    N_("Entry {index} has no unerased private field {field!r}."),
                    index=index,
                    field=field,
                )
            record_admin_action(
                connection,
                self.now(),
                by,
                "private.erase",
                f"entry:{index}/{field}",
                {"reason": reason},
            )


class LogTransaction:
    """A serialised write in progress; see :meth:`Log.transaction`."""

    def __init__(self, log: Log, connection: Connection, head: _Head) -> None:
        self.log = log
        self.connection = connection
        self._head = head
        self.appended = 0

    @property
    def size(self) -> int:
        """The log's size now, including what this transaction appended so far."""
        return self._head.size

    def append(
        self, events: Sequence[NewEvent], *, repeats_resolved: bool = False
    ) -> list[Appended]:
        """Append events; a refused line raises :class:`BatchError` naming its position.

        ``repeats_resolved``: the caller has already answered idempotent repeats itself (the
        recording service does, from the client's own request), so the ledger skips its lookup
        and stores no request digest; the unique index on (actor, key) still guards the keys.
        """
        if not events:
            return []
        results = self.log._append_locked(
            self.connection, self._head, events, repeats_resolved=repeats_resolved
        )
        self.appended += sum(1 for result in results if not result.repeated)
        return results

    def sign_checkpoint(self, signers: Sequence[Signer]) -> SignedCheckpoint:
        """Sign a checkpoint of the tree as this transaction leaves it, by ``signers``.

        A log key rotation signs its handover checkpoint this way: by the new key and the old
        one together, committed with the rotation entry or not at all.
        """
        return self.log._sign(self.connection, self._head, signers)


def _as_repeat(result: Appended | None) -> Appended:
    assert result is not None
    return Appended(result.index, result.leaf_hash, result.recorded_at, repeated=True)
