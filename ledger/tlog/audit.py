"""The full audit of a ledger database, streamed in one pass over the entries.

It recomputes every leaf hash from the stored bytes (never re-serialising), compares them with
the stored tiles, rebuilds the tree to check the root of every stored checkpoint and of the tree
head, verifies every checkpoint signature against the log key valid at its size, follows every
subject's hash chain through the ``prev`` links, and checks index density, idempotency
uniqueness, the subject indexes and every unerased private value against its commitment.

Memory is O(subjects + tree height): entries, checkpoints and private values are streamed.
The first problem found raises :class:`~ledger.tlog.errors.AuditError` naming where it is.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.common.db import SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES
from ledger.common.errors import LedgerError
from ledger.common.messages import N_, Message
from ledger.supplychain.label_issues import hands_over
from ledger.supplychain.tables import LABEL_ISSUE
from ledger.tlog import merkle
from ledger.tlog.canonical import ENTRY_PREFIX, MAX_ENTRY_BYTES, envelope_of
from ledger.tlog.checkpoint import parse_checkpoint
from ledger.tlog.envelope import LEDGER_ACTOR
from ledger.tlog.errors import AuditError
from ledger.tlog.keys import ROLE_LABEL, ROLE_LOG, KeyRecord, SignedHead, load_keys, read_public_key
from ledger.tlog.log import KEY_ROTATED, LABEL_KEY_ENDED, LABEL_KEY_REGISTERED, Log
from ledger.tlog.note import Verifier, open_note, parse_note
from ledger.tlog.private import COMMITMENT_PREFIX, commitment_of_bytes
from ledger.tlog.tables import CHECKPOINT, ENTRY, TILE, TREE_HEAD

ProgressCallback = Callable[[int, int], None]
PROGRESS_EVERY = 10_000


@dataclass
class AuditReport:
    entries: int = 0
    checkpoints: int = 0
    subjects: int = 0
    private_values: int = 0
    erased_values: int = 0
    root: bytes = merkle.EMPTY_ROOT
    warnings: list[Message] = field(default_factory=list)

    def summary(self) -> Message:
        return Message(
            N_(
                "OK: {entries} entries, {checkpoints} checkpoints and {subjects} subject chains "
                "verified; {private} private values match their commitments ({erased} erased); "
                "root {root}."
            ),
            entries=self.entries,
            checkpoints=self.checkpoints,
            subjects=self.subjects,
            private=self.private_values,
            erased=self.erased_values,
            root=self.root.hex(),
        )


def _fail(where: Message, template: str, **params: Any) -> AuditError:
    return AuditError(where=where, detail=Message(template, **params))


def _entry(index: int) -> Message:
    return Message(N_("entry {index}"), index=index)


def _checkpoint(size: int) -> Message:
    return Message(N_("checkpoint of size {size}"), size=size)


class _KeyChain:
    """The log keys as the registry states them, checked against the ledger's own entries.

    The registry is only a convenience: every key after the first must have been introduced by
    a rotation entry in the log, with the ranges that entry states. Trust is anchored in the
    pinned key and carried forward only through handover checkpoints the old key co-signed.
    """

    def __init__(self, keys: list[KeyRecord], label_keys: list[KeyRecord] | None = None) -> None:
        self.label_keys = _LabelKeys(label_keys or [])
        self.keys = sorted(keys, key=lambda k: k.row_id)
        self.latest: tuple[int, frozenset[Verifier]] | None = None
        self._verified_at: dict[int, frozenset[Verifier]] = {}
        if not self.keys or self.keys[0].valid_from != 0 or self.keys[0].entry_idx is not None:
            raise _fail(Message(N_("log keys")), N_("the log's first key is not registered"))
        for old, new in zip(self.keys, self.keys[1:], strict=False):
            where = Message(N_("log key {vkey}"), vkey=new.verifier.vkey)
            if new.entry_idx is None or new.valid_from != new.entry_idx + 1:
                raise _fail(where, N_("no rotation entry introduces it"))
            expected_end = old.valid_until if old.revoked else new.valid_from + 1
            if (
                old.valid_until is None
                or old.ended_by != new.entry_idx
                or old.valid_until != expected_end
                or (old.revoked and not old.valid_from <= old.valid_until <= new.valid_from)
            ):
                raise _fail(where, N_("the registry's ranges disagree with the rotation"))
        if self.keys[-1].valid_until is not None:
            raise _fail(Message(N_("log keys")), N_("no log key is active"))
        pairs = list(zip(self.keys, self.keys[1:], strict=False))
        #: rotation entry index -> (old key, new key); every later key has an entry index.
        self.rotations: dict[int, tuple[KeyRecord, KeyRecord]] = {
            new.entry_idx: (old, new) for old, new in pairs if new.entry_idx is not None
        }
        self._successor_from = {old.verifier: new.valid_from for old, new in pairs}

    def valid_at(self, size: int) -> list[Verifier]:
        return [k.verifier for k in self.keys if k.valid_at(size)]

    def revoked_window(self, size: int) -> list[Verifier]:
        """Keys revoked for ``size`` although they signed checkpoints of it before the revocation
        (between the compromise and the rotation)."""
        return [
            k.verifier
            for k in self.keys
            if k.revoked
            and k.valid_until is not None
            and k.valid_until <= size < self._successor_from[k.verifier]
        ]

    def check_own_entry(self, index: int, envelope: dict[str, Any]) -> None:
        """The ledger's own entries are key events; each must match the key registry."""
        if envelope.get("type") in (LABEL_KEY_REGISTERED, LABEL_KEY_ENDED):
            self.label_keys.check(index, envelope)
        else:
            self.check_rotation(index, envelope)

    def check_rotation(self, index: int, envelope: dict[str, Any]) -> None:
        """A rotation entry must state exactly what the registry says about the two keys."""
        where = _entry(index)
        if envelope.get("type") != KEY_ROTATED or index not in self.rotations:
            raise _fail(
                where, N_("the ledger's own entry is not a key rotation the registry knows")
            )
        old, new = self.rotations[index]
        payload = envelope.get("payload", {})
        revoked_from = payload.get("old_key_revoked_from")
        if (
            payload.get("old_key") != old.verifier.vkey
            or payload.get("new_key") != new.verifier.vkey
            or payload.get("new_key_valid_from") != new.valid_from
            or (revoked_from is not None) != old.revoked
            or (old.revoked and revoked_from != old.valid_until)
        ):
            raise _fail(where, N_("the key rotation disagrees with the key registry"))

    def record(self, size: int, verified: frozenset[Verifier]) -> None:
        self.latest = (size, verified)
        if any(new.valid_from == size for _, new in self.rotations.values()):
            self._verified_at[size] = verified

    def trusted(self, pinned: Sequence[Verifier]) -> set[Verifier]:
        trusted = {v for v in pinned if any(k.verifier == v for k in self.keys)}
        if pinned and not trusted:
            raise _fail(
                Message(N_("pinned log key")),
                N_("{vkey} is not a log key of this ledger"),
                vkey=pinned[0].vkey,
            )
        if not pinned:
            trusted = {self.keys[0].verifier}
        for old, new in zip(self.keys, self.keys[1:], strict=False):
            signed = self._verified_at.get(new.valid_from, frozenset())
            if (
                old.verifier in trusted
                and not old.revoked
                and {old.verifier, new.verifier} <= signed
            ):
                trusted.add(new.verifier)
        return trusted

    def latest_size(self) -> int:
        return self.latest[0] if self.latest is not None else 0

    def check_anchor(self, pinned: Sequence[Verifier]) -> None:
        if self.latest is None:
            raise _fail(Message(N_("checkpoints")), N_("no checkpoint is stored"))
        for old, new in zip(self.keys, self.keys[1:], strict=False):
            # What a revoked key signed is only believed because a later checkpoint by its
            # successor covers it: the successor's first checkpoint must be there.
            if old.revoked and new.verifier not in self._verified_at.get(new.valid_from, ()):
                raise _fail(
                    _checkpoint(new.valid_from),
                    N_(
                        "the checkpoint that covers the revoked key's last checkpoints is "
                        "missing or not signed by its successor"
                    ),
                )
        trusted = self.trusted(pinned)
        size, signed = self.latest
        if not signed & trusted:
            raise _fail(
                _checkpoint(size),
                N_(
                    "the latest checkpoint is not signed by the pinned log key or by a key it "
                    "handed over to"
                ),
            )


class _Checkpoints:
    """Streams stored checkpoints and checks each when the rebuilt tree reaches its size."""

    def __init__(
        self,
        rows: Iterator[Any],
        log: Log,
        chain: _KeyChain,
        report: AuditReport,
        signed: SignedHead | None,
    ):
        self._rows = rows
        self._log = log
        self._chain = chain
        self._report = report
        self._signed = signed
        #: Whether the checkpoint the signer remembers signing is still stored.
        self.found_signed = signed is None
        self.next: Any = next(rows, None)

    def check_at(self, size: int, root_of: Callable[[], bytes]) -> None:
        while self.next is not None and self.next.size <= size:
            row = self.next
            if row.size < size:
                raise _fail(
                    _checkpoint(row.size),
                    N_("the checkpoint's size was skipped while rebuilding the tree"),
                )
            self._check(row, root_of())
            self._report.checkpoints += 1
            self.next = next(self._rows, None)

    def _check(self, row: Any, root: bytes) -> None:
        where = _checkpoint(row.size)
        valid = self._chain.valid_at(row.size)
        attested = True
        try:
            note = open_note(_as_bytes(row.note), valid)
        except LedgerError as error:
            attested = False
            revoked = self._chain.revoked_window(row.size)
            try:
                if not revoked:
                    raise
                note = open_note(_as_bytes(row.note), revoked)
            except LedgerError:
                raise _fail(
                    where,
                    N_("no valid signature by the log key valid at this size ({reason})"),
                    reason=error.message,
                ) from None
            self._report.warnings.append(
                Message(
                    N_(
                        "checkpoint of size {size} is signed only by a key revoked for that "
                        "position; its root matches the entries and later checkpoints cover it"
                    ),
                    size=row.size,
                )
            )
        # A signature accepted only through a revoked key's window attests nothing: it can
        # neither anchor the log nor hand a key over.
        signers = {(v.name, v.key_id): v for v in valid}
        self._chain.record(
            row.size,
            frozenset(signers[(s.name, s.key_id)] for s in note.verified)
            if attested
            else frozenset(),
        )
        try:
            body = parse_checkpoint(note.text)
        except LedgerError as error:
            raise _fail(where, N_("{reason}"), reason=error.message) from None
        if body.origin != self._log.origin or body.size != row.size:
            raise _fail(
                where,
                N_("the signed body names origin {origin!r} and size {size}"),
                origin=body.origin,
                size=body.size,
            )
        if body.root != _as_bytes(row.root):
            raise _fail(where, N_("the signed root differs from the stored root"))
        if body.root != root:
            raise _fail(
                where,
                N_("it signs root {signed} but the entries give root {computed}"),
                signed=body.root.hex(),
                computed=root.hex(),
            )
        if self._signed is not None and row.size == self._signed.size:
            self.found_signed = body.root == self._signed.root


class _TileCheck:
    """Compares recomputed hashes with the stored tiles, one tile read per 2**height hashes."""

    def __init__(self, streams: _Streams, height: int) -> None:
        self._connection = streams.connection
        self._height = height
        self._mask = (1 << height) - 1
        self._current: dict[int, tuple[int, bytes]] = {}
        table = TILE
        self._query = sa.select(sa.cast(table.c.hashes, sa.LargeBinary)).where(
            table.c.level == sa.bindparam("level"), table.c.idx == sa.bindparam("idx")
        )
        # Level 0 is read in order, one tile per 2**height entries: stream it.
        # A few tiles at a time: each is up to 8 KiB, and one serves 2**height entries.
        self._leaves = streams.raw(
            f"SELECT idx, {streams.blob('hashes')} FROM tile WHERE level = 0 ORDER BY idx",  # noqa: S608
            "tiles",
            batch=8,
        )
        self._next_leaf_tile = next(self._leaves, None)

    def leaf_tile(self, index: int) -> bytes:
        """Level-0 tile ``index``; tiles must be asked for in increasing order."""
        while self._next_leaf_tile is not None and self._next_leaf_tile[0] < index:
            self._next_leaf_tile = next(self._leaves, None)
        if self._next_leaf_tile is None or self._next_leaf_tile[0] != index:
            return b""
        return _as_bytes(self._next_leaf_tile[1])

    def tile(self, level: int, index: int) -> bytes:
        cached = self._current.get(level)
        if cached is not None and cached[0] == index:
            return cached[1]
        data = self._connection.execute(self._query, {"level": level, "idx": index}).scalar()
        tile = _as_bytes(data) if data is not None else b""
        self._current[level] = (index, tile)
        return tile

    def expect(self, tree_level: int, index: int, value: bytes, entry: int) -> None:
        level = tree_level // self._height
        tile_index, position = index >> self._height, index & self._mask
        stored = self.tile(level, tile_index)[position * 32 : position * 32 + 32]
        if stored != value:
            raise self.mismatch(level, tile_index, stored, value, entry)

    @staticmethod
    def mismatch(level: int, tile: int, stored: bytes, value: bytes, entry: int) -> AuditError:
        return _fail(
            _entry(entry),
            N_(
                "the Merkle tree does not match: tile {level}/{tile} holds {stored} where "
                "the entries give {computed}"
            ),
            level=level,
            tile=tile,
            stored=stored.hex() or "nothing",
            computed=value.hex(),
        )


class _RebuiltTree:
    """The tree rebuilt from the entries a tile at a time, compared with the stored tiles.

    Leaf hashes gather until a level-0 tile is full; then the tile is compared in one piece, its
    256 leaves hashed in one pass, and only its root enters the right edge above. A checkpoint's
    root also needs the subtrees inside the partial tile: a small stack over it is brought up to
    date only when a root is asked for, so frequent checkpoints cost what they would anyway and
    rare ones cost almost nothing.
    """

    def __init__(self, tiles: _TileCheck, height: int) -> None:
        self._tiles = tiles
        self._height = height
        self._capacity = 1 << height
        self.leaves: list[bytes] = []
        self._tile_index = 0
        self._upper: list[bytes] = []  # right edge of subtrees at levels >= height
        self._partial: list[bytes] = []  # right edge inside the current partial tile
        self._partial_count = 0

    def add(self, leaf: bytes) -> None:
        leaves = self.leaves
        leaves.append(leaf)
        if len(leaves) == self._capacity:
            self._complete_tile()

    def _complete_tile(self) -> None:
        self.check_pending()
        index, height = self._tile_index, self._height
        last_entry = (index + 1) * self._capacity - 1
        value = merkle.hash_consecutive(self.leaves)
        self._tiles.expect(height, index, value, last_entry)
        n, level = index, height
        while n & 1:
            value = merkle.node_hash(self._upper.pop(), value)
            n >>= 1
            level += 1
            if level % height == 0:
                self._tiles.expect(level, index >> (level - height), value, last_entry)
        self._upper.append(value)
        self.leaves = []
        self._partial = []
        self._partial_count = 0
        self._tile_index += 1

    def check_pending(self) -> None:
        """Compare the leaves gathered so far with the stored level-0 tile."""
        if not self.leaves:
            return
        stored = self._tiles.leaf_tile(self._tile_index)
        joined = b"".join(self.leaves)
        if stored.startswith(joined):
            return
        for position, leaf in enumerate(self.leaves):
            found = stored[position * 32 : position * 32 + 32]
            if found != leaf:
                raise _TileCheck.mismatch(
                    0,
                    self._tile_index,
                    found,
                    leaf,
                    self._tile_index * self._capacity + position,
                )

    def root(self) -> bytes:
        stack, count = self._partial, self._partial_count
        for leaf in self.leaves[count:]:
            value, n = leaf, count
            while n & 1:
                value = merkle.node_hash(stack.pop(), value)
                n >>= 1
            stack.append(value)
            count += 1
        self._partial_count = count
        hashes = self._upper + stack
        return merkle.fold(hashes) if hashes else merkle.EMPTY_ROOT


def audit(
    log: Log,
    progress: ProgressCallback | None = None,
    known_checkpoints: Sequence[bytes] = (),
    pinned: Sequence[Verifier] | None = None,
    trust_first_key: bool = False,
) -> AuditReport:
    """Verify the whole ledger; raise :class:`AuditError` at the first problem.

    ``pinned`` are the log keys the auditor trusts, from a source other than this database; by
    default the public key kept beside the key file. The latest checkpoint must be signed by one
    of them or by a key they handed over to. Without any pin the audit refuses to run, unless
    ``trust_first_key`` says to trust the database's own first key (which proves only that the
    database is consistent with itself). ``known_checkpoints`` are signed checkpoints seen
    earlier (by a witness, an auditor, a shopper's phone); the log must be consistent with each
    of them, or it was forked.
    """
    report = AuditReport()
    if pinned is None:
        public = read_public_key(log.settings.key_file)
        pinned = [public] if public is not None else []
    if not pinned:
        if not trust_first_key:
            raise _fail(
                Message(N_("pinned log key")),
                N_(
                    "no log key is pinned: give the key the operator publishes (--log-key), or "
                    "say that the database's own first key may be trusted (--trust-first-key)"
                ),
            )
        report.warnings.append(
            Message(N_("no log key was pinned: the ledger's first registered key was trusted"))
        )
    # Read before the snapshot: the signer's memory never runs ahead of what is committed, so
    # a checkpoint signed while the audit runs cannot make it look like a rewind.
    signed = log.state.read()
    height = log.tile_height
    with log.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        # Every stream is closed before the connection goes back to the pool, also when the
        # audit stops at a problem: a server-side cursor closed later by the garbage collector
        # would run on a connection that is busy elsewhere.
        with connection.begin(), contextlib.ExitStack() as streams:
            streams.enter_context(_lean_reading(connection))
            head = connection.execute(sa.select(TREE_HEAD)).one()
            chain = _KeyChain(load_keys(connection, ROLE_LOG), load_keys(connection, ROLE_LABEL))
            _check_rotation_entries(connection, chain)
            known = _known_roots(log, chain, known_checkpoints, pinned)
            _check_idempotency(connection)
            heads = _stream_entries(
                _Streams(connection, streams),
                log,
                chain,
                head,
                height,
                report,
                progress,
                known,
                signed,
            )
            chain.label_keys.check_all_seen()
            chain.check_anchor(pinned)
            if head.size > chain.latest_size():
                report.warnings.append(
                    Message(
                        N_(
                            "{count} entries after the latest checkpoint are not yet covered by "
                            "a signature"
                        ),
                        count=head.size - chain.latest_size(),
                    )
                )
            _check_subject_indexes(_Streams(connection, streams), heads)
            report.subjects = len(heads)
    return report


class _LabelKeys:
    """The label keys as the registry states them, checked against the entries that registered
    and ended them: a key without its entry, or an entry that disagrees with its key, fails.

    A key may have two ends: its retirement (by its replacement, or on its own) and a later
    revocation that tightens it; each has its entry.
    """

    def __init__(self, keys: list[KeyRecord]) -> None:
        self.keys = keys
        self.by_entry = {k.entry_idx: k for k in keys}
        self.by_end = {k.ended_by: k for k in keys if k.ended_by is not None}
        self.by_revocation = {k.revoked_by: k for k in keys if k.revoked_by is not None}
        if None in self.by_entry or len(self.by_entry) != len(keys):
            raise _fail(Message(N_("label keys")), N_("no ledger entry registers it"))
        if len(self.by_end) != sum(1 for k in keys if k.valid_until is not None) or any(
            k.ended_by is None or k.retired_until is None for k in self.by_revocation.values()
        ):
            raise _fail(
                Message(N_("label keys")),
                N_("the end of the label key disagrees with the key registry"),
            )
        self.seen: set[int] = set()
        self.ended: set[int] = set()
        self.revoked_later: set[int] = set()

    def check(self, index: int, envelope: dict[str, Any]) -> None:
        where = _entry(index)
        payload = envelope.get("payload")
        if not isinstance(payload, dict):
            raise _fail(where, N_("the stored bytes are not an envelope"))
        if envelope.get("type") == LABEL_KEY_REGISTERED:
            key = self.by_entry.get(index)
            if key is None:
                raise _fail(where, N_("the key registry has no label key registered by it"))
            replaced = self.by_end.get(index)
            if (
                payload.get("key") != key.verifier.vkey
                or payload.get("organisation") != key.organisation
                or payload.get("valid_from") != key.valid_from
                or payload.get("valid_from") != index + 1
                or tuple(payload.get("company_prefixes", ())) != key.company_prefixes
                or payload.get("replaces") != (replaced.verifier.vkey if replaced else None)
                or (replaced is not None and _first_end(replaced) != (index + 1, False))
            ):
                raise _fail(where, N_("the label key registration disagrees with the key registry"))
            self.seen.add(index)
            if replaced is not None:
                self.ended.add(replaced.row_id)
            return
        later = self.by_revocation.get(index)
        if later is not None:
            self._check_later_revocation(index, payload, later)
            return
        key = self.by_end.get(index)
        if key is None:
            raise _fail(where, N_("the end of the label key disagrees with the key registry"))
        valid_until, revoked = _first_end(key)
        if (
            payload.get("key") != key.verifier.vkey
            or payload.get("organisation") != key.organisation
            or payload.get("valid_until") != valid_until
            or payload.get("revoked") != revoked
            or "retired_until" in payload
            or valid_until is None
            # Retired from the next position; revoked from a position inside its range.
            or (not revoked and valid_until != index + 1)
            or (revoked and not key.valid_from <= valid_until <= index)
        ):
            raise _fail(where, N_("the end of the label key disagrees with the key registry"))
        self.ended.add(key.row_id)

    def _check_later_revocation(self, index: int, payload: dict[str, Any], key: KeyRecord) -> None:
        """A retired key revoked from a position inside the range its retirement left it."""
        assert key.valid_until is not None
        assert key.retired_until is not None
        if (
            payload.get("key") != key.verifier.vkey
            or payload.get("organisation") != key.organisation
            or payload.get("valid_until") != key.valid_until
            or payload.get("revoked") is not True
            or payload.get("retired_until") != key.retired_until
            or not key.valid_from <= key.valid_until <= key.retired_until
            or key.ended_by is None
            or not key.ended_by < index
        ):
            raise _fail(
                _entry(index), N_("the end of the label key disagrees with the key registry")
            )
        self.revoked_later.add(key.row_id)

    def check_all_seen(self) -> None:
        """Every registered label key was introduced by an entry the audit read."""
        for index, key in self.by_entry.items():
            if index not in self.seen:
                raise _fail(
                    Message(N_("label key {vkey}"), vkey=key.verifier.vkey),
                    N_("no ledger entry registers it"),
                )
        for key in self.keys:
            if (key.valid_until is not None and key.row_id not in self.ended) or (
                key.revoked_by is not None and key.row_id not in self.revoked_later
            ):
                raise _fail(
                    Message(N_("label key {vkey}"), vkey=key.verifier.vkey),
                    N_("the end of the label key disagrees with the key registry"),
                )


#: The domain's label-issuing entries, which the rows of ``label_issue`` must reproduce.
LABEL_ISSUE_TYPE = "label.issue"


class _LabelIssues:
    """The serial ranges beside the log, checked against the entries that issued them, in one
    pass beside the entries: each range is its entry's, contiguous with the GTIN's previous one,
    and signed by the key that was the issuer's active label key when the entry was appended."""

    def __init__(
        self, rows: Iterator[tuple[Any, ...]], keys: list[KeyRecord], lots: set[str]
    ) -> None:
        self.rows = rows
        self.pending = next(rows, None)
        self.keys = {k.verifier.vkey: k for k in keys}
        self.last_serial: dict[str, int] = {}
        self.ranges = 0
        #: The labelled lots, whose custody the pass replays (only theirs: the pass stays lean).
        self.lots = lots
        self.holders: dict[str, str] = {}

    def observe(self, lot: str, subject: dict[str, Any], envelope: dict[str, Any]) -> None:
        """Custody of a labelled lot as its entries hand it on: the entry that makes it (the
        lot is its ``output``) and an accepted receipt make their recorder its holder."""
        if hands_over(subject.get("role"), envelope):
            self.holders[lot] = str(envelope.get("actor", ""))

    def check(self, index: int, envelope: dict[str, Any]) -> None:
        row = self.pending
        if row is None or row[0] != index:
            raise _fail(_entry(index), N_("no label issue beside the log records its serials"))
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
            raise _fail(
                _entry(index), N_("the label issue beside the log disagrees with the entry")
            )
        if self.holders.get(lot) != f"org:{issuer}":
            raise _fail(
                _entry(index), N_("the organisation that issued the labels did not hold the lot")
            )
        self.last_serial[gtin] = last
        self.ranges += 1
        self.pending = next(self.rows, None)

    def check_all_seen(self) -> None:
        if self.pending is not None:
            raise _fail(
                _entry(self.pending[0]),
                N_("a label issue is stored for an entry that issued no labels"),
            )


def _first_end(key: KeyRecord) -> tuple[int | None, bool]:
    """Where the key's first end (``key_end``) put it and whether that end revoked it."""
    if key.revoked_by is not None:
        return key.retired_until, False
    return key.valid_until, key.revoked


def _check_rotation_entries(connection: Connection, chain: _KeyChain) -> None:
    """Before trusting the registry's keys for any checkpoint, read the entries that introduced
    them (a handful) and check that each is the rotation the registry describes."""
    if not chain.rotations:
        return
    rows = connection.execute(
        sa.select(ENTRY.c.idx, ENTRY.c.data, ENTRY.c.actor).where(
            ENTRY.c.idx.in_(sorted(chain.rotations))
        )
    ).all()
    found = {row.idx: row for row in rows}
    for index in sorted(chain.rotations):
        row = found.get(index)
        if row is None or row.actor != LEDGER_ACTOR:
            raise _fail(
                _entry(index), N_("the key registry names it as a key rotation, but it is not one")
            )
        try:
            envelope = envelope_of(_as_bytes(row.data))
        except ValueError:
            raise _fail(_entry(index), N_("the stored bytes are not an envelope")) from None
        chain.check_rotation(index, envelope)


@contextlib.contextmanager
def _lean_reading(connection: Connection) -> Iterator[None]:
    """One sequential pass over everything: no use for a large page cache or a memory map of the
    database (either would only count against the audit's memory), and the cyclic garbage
    collector would rescan the growing map of subject heads over and over although the pass
    creates no reference cycles."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA cache_size = -2048")
        connection.exec_driver_sql("PRAGMA mmap_size = 0")
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            connection.exec_driver_sql(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")


class _Streams:
    """Opens row streams on the audit's connection and registers them for closing."""

    def __init__(self, connection: Connection, stack: contextlib.ExitStack) -> None:
        self.connection = connection
        self._stack = stack

    def blob(self, column: str) -> str:
        """A binary column read as bytes even if a tampered SQLite row stores it as text.

        Only ever called with the fixed column names of this module, never with input.
        """
        if self.connection.dialect.name == "sqlite":
            return f"CAST({column} AS BLOB)"
        return column

    def raw(self, sql: str, name: str, batch: int = 2000) -> Iterator[tuple[Any, ...]]:
        return self._stack.enter_context(
            contextlib.closing(_raw_rows(self.connection, sql, name, batch))
        )

    def rows(self, statement: Any) -> Iterator[Any]:
        return self._stack.enter_context(contextlib.closing(_rows(self.connection, statement)))


def _as_bytes(value: Any) -> bytes:
    """Stored bytes as bytes; SQLite's dynamic typing lets a tampered row hold text."""
    return value.encode() if isinstance(value, str) else bytes(value)


def _rows(connection: Connection, statement: Any) -> Generator[Any]:
    yield from connection.execution_options(yield_per=2000).execute(statement)


def _raw_rows(
    connection: Connection, sql: str, name: str = "entries", batch: int = 2000
) -> Generator[tuple[Any, ...]]:
    """Rows straight from the driver's cursor, streamed (server-side on PostgreSQL).

    The audit reads every entry once; SQLAlchemy's row objects would cost more than hashing.
    """
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    if connection.dialect.name == "postgresql":
        cursor = dbapi.cursor(name=f"hyt_audit_{name}")
        cursor.itersize = batch  # type: ignore[attr-defined]  # psycopg's ServerCursor
    else:
        cursor = dbapi.cursor()
    driver_error = connection.dialect.loaded_dbapi.Error
    try:
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(batch):
                yield from rows
        except driver_error as error:
            # e.g. a tampered SQLite text column that is not UTF-8
            raise _fail(
                Message(N_("the database")),
                N_("it could not return the {name}: {error}"),
                name=name,
                error=str(error),
            ) from None
    finally:
        cursor.close()


def _stream_entries(
    streams: _Streams,
    log: Log,
    chain: _KeyChain,
    head: Any,
    height: int,
    report: AuditReport,
    progress: ProgressCallback | None,
    known: dict[int, bytes],
    signed: SignedHead | None,
) -> dict[str, list[Any]]:
    connection = streams.connection
    # Read before any stream is open on the connection.
    labelled_lots = set(connection.execute(sa.select(LABEL_ISSUE.c.lot).distinct()).scalars())
    tiles = _TileCheck(streams, height)
    tree = _RebuiltTree(tiles, height)
    root = tree.root

    checkpoints = _Checkpoints(
        streams.rows(sa.select(CHECKPOINT).order_by(CHECKPOINT.c.size)),
        log,
        chain,
        report,
        signed,
    )
    checkpoints.check_at(0, root)
    private_rows = streams.raw(
        f"SELECT entry_idx, field, {streams.blob('salt')}, {streams.blob('value')}"  # noqa: S608
        " FROM private_value ORDER BY entry_idx, field",
        "private",
    )
    pending_private = next(private_rows, None)
    private_at = pending_private[0] if pending_private is not None else -1
    label_issues = _LabelIssues(
        streams.raw(
            "SELECT i.entry_idx, i.gtin, i.lot, i.issuer, i.first_serial, i.last_serial, k.vkey"
            " FROM label_issue i JOIN log_key k ON k.id = i.label_key ORDER BY i.entry_idx",
            "label_issues",
        ),
        chain.label_keys.keys,
        labelled_lots,
    )
    labelled = label_issues.lots

    # subject -> [leaf hash hex of its newest entry, that entry's index, number of entries]
    heads: dict[str, list[Any]] = {}
    sha256 = hashlib.sha256
    raw_decode = json.JSONDecoder().raw_decode
    prefix_length = len(ENTRY_PREFIX)
    add_leaf = tree.add
    total = head.size
    expected = 0
    last_recorded = ""
    next_check = checkpoints.next.size if checkpoints.next is not None else -1
    sizes_to_check = set(known)
    if signed is not None:
        sizes_to_check.add(signed.size)
    sql = (
        f"SELECT idx, {streams.blob('leaf_hash')}, {streams.blob('data')}, actor,"  # noqa: S608
        " idempotency_key FROM entry ORDER BY idx"
    )
    try:
        for index, stored_leaf, data, actor, key in streams.raw(sql, "entries"):
            if index != expected:
                raise _fail(_entry(expected), N_("the entry is missing; indexes must be dense"))
            if type(data) is not bytes:
                data = _as_bytes(data)
            if not data.startswith(ENTRY_PREFIX) or len(data) > MAX_ENTRY_BYTES:
                raise _fail(_entry(index), N_("the stored bytes are not a version 1 entry"))
            leaf = sha256(b"\x00" + data).digest()
            if leaf != stored_leaf and leaf != _as_bytes(stored_leaf):
                raise _fail(
                    _entry(index),
                    N_(
                        "the stored bytes hash to {computed}, but the entry was recorded with "
                        "leaf hash {recorded}"
                    ),
                    computed=leaf.hex(),
                    recorded=_as_bytes(stored_leaf).hex(),
                )
            add_leaf(leaf)
            try:
                text = data.decode()
                # Parse after the version line; canonical bytes have no surrounding whitespace.
                envelope, end = raw_decode(text, prefix_length)
                subjects = envelope["subjects"]
                if end != len(text) or type(subjects) is not list:
                    raise ValueError("not an envelope")
                commitments = envelope.get("private")
                if commitments is not None and type(commitments) is not dict:
                    raise ValueError("not an envelope")
            except (ValueError, KeyError, TypeError, AttributeError):
                raise _fail(_entry(index), N_("the stored bytes are not an envelope")) from None
            if envelope.get("actor") != actor or envelope.get("idempotency_key") != key:
                raise _fail(_entry(index), N_("the entry's columns disagree with its stored bytes"))
            if actor == LEDGER_ACTOR:
                chain.check_own_entry(index, envelope)
            elif envelope.get("type") == LABEL_ISSUE_TYPE:
                label_issues.check(index, envelope)
            recorded_at = envelope.get("recorded_at")
            if not isinstance(recorded_at, str) or recorded_at < last_recorded:
                raise _fail(_entry(index), N_("recorded_at goes back in time"))
            last_recorded = recorded_at
            leaf_hex = leaf.hex()
            for subject in subjects:
                try:
                    name, prev = subject["id"], subject["prev"]
                    if type(name) is not str:
                        raise TypeError(name)
                except (TypeError, KeyError):
                    raise _fail(_entry(index), N_("a subject of the entry is malformed")) from None
                if name in labelled:
                    label_issues.observe(name, subject, envelope)
                state = heads.get(name)
                if state is None:
                    if prev is not None:
                        raise _fail(
                            _entry(index),
                            N_(
                                "subject {subject} appears for the first time but names a previous "
                                "entry {prev}"
                            ),
                            subject=name,
                            prev=prev,
                        )
                    heads[name] = [leaf_hex, index, 1]
                elif prev != state[0]:
                    raise _fail(
                        _entry(index),
                        N_(
                            "subject {subject}: prev {prev} is not the subject's previous entry "
                            "{previous} ({hash})"
                        ),
                        subject=name,
                        prev=prev,
                        previous=state[1],
                        hash=state[0],
                    )
                else:
                    state[0], state[1], state[2] = leaf_hex, index, state[2] + 1
            if commitments or (private_at != -1 and private_at <= index):
                row = pending_private
                if (
                    commitments is not None
                    and len(commitments) == 1
                    and row is not None
                    and row[0] == index
                    and row[1] in commitments
                    and type(row[3]) is bytes
                    and type(row[2]) is bytes
                    and sha256(COMMITMENT_PREFIX + row[2] + row[3]).hexdigest()
                    == commitments[row[1]]
                ):
                    # The common case inline: one committed field, its value present and matching.
                    report.private_values += 1
                    pending_private = next(private_rows, None)
                    if pending_private is not None and pending_private[0] == index:
                        raise _fail(
                            _entry(index),
                            N_(
                                "a private value {field!r} is stored for a field the entry does "
                                "not commit to"
                            ),
                            field=pending_private[1],
                        )
                else:
                    pending_private = _check_private(
                        pending_private, private_rows, index, commitments, report
                    )
                private_at = pending_private[0] if pending_private is not None else -1
            expected += 1
            if expected == next_check:
                checkpoints.check_at(expected, root)
                next_check = checkpoints.next.size if checkpoints.next is not None else -1
            if expected in sizes_to_check:
                _check_known_sizes(expected, root(), known, signed)
            if progress is not None and expected % PROGRESS_EVERY == 0:
                progress(expected, total)
    except AuditError:
        # A tile mismatch among the leaves gathered so far concerns an earlier entry: it wins.
        tree.check_pending()
        raise
    tree.check_pending()

    if pending_private is not None:
        raise _fail(
            _entry(pending_private[0]),
            N_("a private value is stored for an entry that does not exist"),
        )
    label_issues.check_all_seen()
    if expected != head.size:
        raise _fail(
            _entry(expected),
            N_("the entry is missing: the tree head says the log has {size} entries"),
            size=head.size,
        )
    final_root = root()
    if _as_bytes(head.root) != final_root:
        raise _fail(
            Message(N_("tree head")),
            N_("it records root {recorded} but the entries give {computed}"),
            recorded=_as_bytes(head.root).hex(),
            computed=final_root.hex(),
        )
    if checkpoints.next is not None:
        raise _fail(
            _checkpoint(checkpoints.next.size),
            N_("the checkpoint is larger than the log ({size} entries)"),
            size=expected,
        )
    beyond = [size for size in known if size > expected]
    if beyond:
        raise _fail(
            Message(N_("known checkpoint of size {size}"), size=min(beyond)),
            N_("the log has only {count} entries: it was rolled back or forked"),
            count=expected,
        )
    if signed is not None and signed.size > expected:
        raise _fail(
            Message(N_("signer state")),
            N_("the log key already signed size {signed}, but the log has only {size} entries"),
            signed=signed.size,
            size=expected,
        )
    if not checkpoints.found_signed:
        raise _fail(
            Message(N_("signer state")),
            N_("the checkpoint of size {size} that the log key signed is no longer stored"),
            size=signed.size if signed else 0,
        )
    _check_partial_tiles(connection, expected, height)
    if progress is not None:
        progress(expected, total)
    report.entries = expected
    report.root = final_root
    return heads


def _check_private(
    row: Any, rows: Iterator[Any], index: int, commitments: Any, report: AuditReport
) -> Any:
    """Check the stored private values of entry ``index``; return the next unchecked row.

    Every committed field must still have its row, erased or not: a deleted row would hide that
    a value ever existed.
    """
    stored = 0
    while row is not None and row[0] <= index:
        entry_idx, name, salt, value = row
        if entry_idx < index or not commitments or name not in commitments:
            raise _fail(
                _entry(entry_idx),
                N_("a private value {field!r} is stored for a field the entry does not commit to"),
                field=name,
            )
        if value is None:
            report.erased_values += 1
        elif commitment_of_bytes(_as_bytes(salt), _as_bytes(value)).hex() != commitments[name]:
            raise _fail(
                _entry(index),
                N_("private field {field!r} does not match its commitment"),
                field=name,
            )
        else:
            report.private_values += 1
        stored += 1
        row = next(rows, None)
    if commitments and stored != len(commitments):
        raise _fail(
            _entry(index),
            N_(
                "{missing} of its committed private fields have no stored value, not even an "
                "erased one"
            ),
            missing=len(commitments) - stored,
        )
    return row


def _check_known_sizes(
    size: int, root: bytes, known: dict[int, bytes], signed: SignedHead | None
) -> None:
    if size in known and root != known[size]:
        raise _fail(
            Message(N_("known checkpoint of size {size}"), size=size),
            N_("it has root {known} but the log's entries give {root}: a forked history"),
            known=known[size].hex(),
            root=root.hex(),
        )
    if signed is not None and signed.size == size and root != signed.root:
        raise _fail(
            Message(N_("signer state")),
            N_("the log key signed root {signed} for size {size}, the entries give {root}"),
            signed=signed.root.hex(),
            size=size,
            root=root.hex(),
        )


def _known_roots(
    log: Log, chain: _KeyChain, notes: Sequence[bytes], pinned: Sequence[Verifier]
) -> dict[int, bytes]:
    known: dict[int, bytes] = {}
    for number, note in enumerate(notes, 1):
        where = Message(N_("known checkpoint #{number}"), number=number)
        try:
            claimed = parse_checkpoint(parse_note(note)[0]).size
            keys = chain.valid_at(claimed) + list(pinned)
            body = parse_checkpoint(open_note(note, keys).text)
        except LedgerError as error:
            raise _fail(where, N_("{reason}"), reason=error.message) from None
        if body.origin != log.origin:
            raise _fail(
                where, N_("it is a checkpoint of {origin!r}, not of this log"), origin=body.origin
            )
        if body.size == 0 and body.root != merkle.EMPTY_ROOT:
            raise _fail(where, N_("it gives the empty tree a root other than the empty hash"))
        known[body.size] = body.root
    return known


def _check_partial_tiles(connection: Connection, size: int, height: int) -> None:
    """No tile may hold more hashes than the tree of ``size`` has at its level."""
    table = TILE
    capacity = 1 << height
    for level, index, length in connection.execute(
        sa.select(
            table.c.level, table.c.idx, sa.func.length(sa.cast(table.c.hashes, sa.LargeBinary))
        )
    ):
        count = size >> (level * height)
        available = min(max(count - (index << height), 0), capacity)
        if length != available * 32:
            raise _fail(
                Message(N_("tile {level}/{index}"), level=level, index=index),
                N_("it holds {stored} bytes but the tree has {available} hashes there"),
                stored=length,
                available=available,
            )


def _check_idempotency(connection: Connection) -> None:
    entries = ENTRY
    duplicate = connection.execute(
        sa.select(entries.c.actor, entries.c.idempotency_key, sa.func.count())
        .where(entries.c.idempotency_key.is_not(None))
        .group_by(entries.c.actor, entries.c.idempotency_key)
        .having(sa.func.count() > 1)
        .limit(1)
    ).first()
    if duplicate is not None:
        raise _fail(
            Message(N_("idempotency keys")),
            N_("{actor} used key {key!r} for {count} entries"),
            actor=duplicate[0],
            key=duplicate[1],
            count=duplicate[2],
        )


def _check_subject_indexes(streams: _Streams, heads: dict[str, list[Any]]) -> None:
    """The subject head and link tables must agree with the chains rebuilt from the entries."""
    stored = 0
    for subject, seq, entry_idx, leaf in streams.raw(
        f"SELECT subject, seq, entry_idx, {streams.blob('leaf_hash')} FROM subject_head",  # noqa: S608
        "heads",
    ):
        stored += 1
        state = heads.get(subject)
        if (
            state is None
            or state[1] != entry_idx
            or state[2] != seq + 1
            or state[0] != _as_bytes(leaf).hex()
        ):
            raise _fail(
                Message(N_("subject {subject}"), subject=subject),
                N_("its stored head disagrees with the chain rebuilt from the entries"),
            )
    if stored != len(heads):
        raise _fail(
            Message(N_("subject heads")),
            N_("{stored} heads are stored for {actual} subjects"),
            stored=stored,
            actual=len(heads),
        )
    # Counts and dense sequence numbers, read from the primary-key index alone; the newest link
    # of every chain was compared through the head table above.
    for subject, count, last_seq in streams.raw(
        "SELECT subject, count(*), max(seq) FROM subject_link GROUP BY subject", "links"
    ):
        state = heads.get(subject)
        if state is None or count != state[2] or last_seq != count - 1:
            raise _fail(
                Message(N_("subject {subject}"), subject=subject),
                N_("its chain index disagrees with the entries"),
            )
