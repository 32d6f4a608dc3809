"""The full audit of a ledger database, streamed in one pass over the entries.

It recomputes every leaf hash from the stored bytes (never re-serialising), compares them with
the stored tiles, rebuilds the tree to check the root of every stored checkpoint and of the tree
head, verifies every checkpoint signature against the log key valid at its size, follows every
subject's hash chain through the ``prev`` links, and checks index density, idempotency
uniqueness, the subject indexes and every unerased private value against its commitment. The
layers above the log pass their own checks of the tables they keep beside it
(:class:`~ledger.tlog.audit_checks.AuditCheck`), which run in the same pass.

The parts: :mod:`~ledger.tlog.audit_keys` (the key registry against the key events),
:mod:`~ledger.tlog.audit_tree` (the rebuilt tree against the tiles),
:mod:`~ledger.tlog.audit_checkpoints` (signed, known and remembered checkpoints) and
:mod:`~ledger.tlog.audit_streams` (how the database is read); this module runs the pass.

Memory is O(subjects + tree height): entries, checkpoints and private values are streamed.
The first problem found raises :class:`~ledger.tlog.errors.AuditError` naming where it is.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.common.messages import N_, Message
from ledger.tlog.audit_checkpoints import Checkpoints, check_known_sizes, known_roots
from ledger.tlog.audit_checks import AuditCheck, AuditReport, at_checkpoint, at_entry, fail
from ledger.tlog.audit_keys import KeyChain, check_rotation_entries
from ledger.tlog.audit_streams import AuditStreams, as_bytes, lean_reading
from ledger.tlog.audit_tree import RebuiltTree, TileCheck, check_partial_tiles
from ledger.tlog.canonical import ENTRY_PREFIX, MAX_ENTRY_BYTES
from ledger.tlog.envelope import LEDGER_ACTOR
from ledger.tlog.errors import AuditError
from ledger.tlog.key_registry import ROLE_LABEL, ROLE_LOG, SignedHead, load_keys, read_public_key
from ledger.tlog.log import Log
from ledger.tlog.note import Verifier
from ledger.tlog.private import COMMITMENT_PREFIX, commitment_of_bytes
from ledger.tlog.tables import CHECKPOINT, ENTRY, TREE_HEAD

ProgressCallback = Callable[[int, int], None]
PROGRESS_EVERY = 10_000


def audit(
    log: Log,
    progress: ProgressCallback | None = None,
    known_checkpoints: Sequence[bytes] = (),
    pinned: Sequence[Verifier] | None = None,
    trust_first_key: bool = False,
    checks: Sequence[AuditCheck] = (),
) -> AuditReport:
    """Verify the whole ledger; raise :class:`AuditError` at the first problem.

    ``pinned`` are the log keys the auditor trusts, from a source other than this database; by
    default the public key kept beside the key file. The latest checkpoint must be signed by one
    of them or by a key they handed over to. Without any pin the audit refuses to run, unless
    ``trust_first_key`` says to trust the database's own first key (which proves only that the
    database is consistent with itself). ``known_checkpoints`` are signed checkpoints seen
    earlier (by a witness, an auditor, a shopper's phone); the log must be consistent with each
    of them, or it was forked. ``checks`` verify the tables that the layers above keep beside
    the log against its entries, in the same pass (see :class:`AuditCheck`).
    """
    report = AuditReport()
    if pinned is None:
        public = read_public_key(log.settings.key_file)
        pinned = [public] if public is not None else []
    if not pinned:
        if not trust_first_key:
            raise fail(
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
            streams.enter_context(lean_reading(connection))
            head = connection.execute(sa.select(TREE_HEAD)).one()
            chain = KeyChain(load_keys(connection, ROLE_LOG), load_keys(connection, ROLE_LABEL))
            check_rotation_entries(connection, chain)
            known = known_roots(log, chain, known_checkpoints, pinned)
            _check_idempotency(connection)
            heads = _stream_entries(
                AuditStreams(connection, streams),
                log,
                chain,
                head,
                height,
                report,
                progress,
                known,
                signed,
                checks,
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
            _check_subject_indexes(AuditStreams(connection, streams), heads)
            report.subjects = len(heads)
    return report


def _stream_entries(
    streams: AuditStreams,
    log: Log,
    chain: KeyChain,
    head: Any,
    height: int,
    report: AuditReport,
    progress: ProgressCallback | None,
    known: dict[int, bytes],
    signed: SignedHead | None,
    checks: Sequence[AuditCheck],
) -> dict[str, list[Any]]:
    connection = streams.connection
    # The checks read what they need before any stream of the audit's is open on the connection.
    observers: dict[str, list[Callable[[str, dict[str, Any], dict[str, Any]], None]]] = {}
    checked_types: dict[str, list[Callable[[int, dict[str, Any]], None]]] = {}
    for check in checks:
        for subject in check.start(streams):
            observers.setdefault(subject, []).append(check.observe)
        for entry_type in check.entry_types:
            checked_types.setdefault(entry_type, []).append(check.check)
    tiles = TileCheck(streams, height)
    tree = RebuiltTree(tiles, height)
    root = tree.root

    checkpoints = Checkpoints(
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
                raise fail(at_entry(expected), N_("the entry is missing; indexes must be dense"))
            if type(data) is not bytes:
                data = as_bytes(data)
            if not data.startswith(ENTRY_PREFIX) or len(data) > MAX_ENTRY_BYTES:
                raise fail(at_entry(index), N_("the stored bytes are not a version 1 entry"))
            leaf = sha256(b"\x00" + data).digest()
            if leaf != stored_leaf and leaf != as_bytes(stored_leaf):
                raise fail(
                    at_entry(index),
                    N_(
                        "the stored bytes hash to {computed}, but the entry was recorded with "
                        "leaf hash {recorded}"
                    ),
                    computed=leaf.hex(),
                    recorded=as_bytes(stored_leaf).hex(),
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
                raise fail(at_entry(index), N_("the stored bytes are not an envelope")) from None
            if envelope.get("actor") != actor or envelope.get("idempotency_key") != key:
                raise fail(
                    at_entry(index), N_("the entry's columns disagree with its stored bytes")
                )
            if actor == LEDGER_ACTOR:
                chain.check_own_entry(index, envelope)
            elif checked_types:
                entry_type = envelope.get("type")
                if type(entry_type) is str and entry_type in checked_types:
                    for check_entry in checked_types[entry_type]:
                        check_entry(index, envelope)
            recorded_at = envelope.get("recorded_at")
            if not isinstance(recorded_at, str) or recorded_at < last_recorded:
                raise fail(at_entry(index), N_("recorded_at goes back in time"))
            last_recorded = recorded_at
            leaf_hex = leaf.hex()
            for subject in subjects:
                try:
                    name, prev = subject["id"], subject["prev"]
                    if type(name) is not str:
                        raise TypeError(name)
                except (TypeError, KeyError):
                    raise fail(at_entry(index), N_("a subject of the entry is malformed")) from None
                if name in observers:
                    for observe in observers[name]:
                        observe(name, subject, envelope)
                state = heads.get(name)
                if state is None:
                    if prev is not None:
                        raise fail(
                            at_entry(index),
                            N_(
                                "subject {subject} appears for the first time but names a previous "
                                "entry {prev}"
                            ),
                            subject=name,
                            prev=prev,
                        )
                    heads[name] = [leaf_hex, index, 1]
                elif prev != state[0]:
                    raise fail(
                        at_entry(index),
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
                        raise fail(
                            at_entry(index),
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
                check_known_sizes(expected, root(), known, signed)
            if progress is not None and expected % PROGRESS_EVERY == 0:
                progress(expected, total)
    except AuditError:
        # A tile mismatch among the leaves gathered so far concerns an earlier entry: it wins.
        tree.check_pending()
        raise
    tree.check_pending()

    if pending_private is not None:
        raise fail(
            at_entry(pending_private[0]),
            N_("a private value is stored for an entry that does not exist"),
        )
    for check in checks:
        check.finish()
    if expected != head.size:
        raise fail(
            at_entry(expected),
            N_("the entry is missing: the tree head says the log has {size} entries"),
            size=head.size,
        )
    final_root = root()
    if as_bytes(head.root) != final_root:
        raise fail(
            Message(N_("tree head")),
            N_("it records root {recorded} but the entries give {computed}"),
            recorded=as_bytes(head.root).hex(),
            computed=final_root.hex(),
        )
    if checkpoints.next is not None:
        raise fail(
            at_checkpoint(checkpoints.next.size),
            N_("the checkpoint is larger than the log ({size} entries)"),
            size=expected,
        )
    beyond = [size for size in known if size > expected]
    if beyond:
        raise fail(
            Message(N_("known checkpoint of size {size}"), size=min(beyond)),
            N_("the log has only {count} entries: it was rolled back or forked"),
            count=expected,
        )
    if signed is not None and signed.size > expected:
        raise fail(
            Message(N_("signer state")),
            N_("the log key already signed size {signed}, but the log has only {size} entries"),
            signed=signed.size,
            size=expected,
        )
    if not checkpoints.found_signed:
        raise fail(
            Message(N_("signer state")),
            N_("the checkpoint of size {size} that the log key signed is no longer stored"),
            size=signed.size if signed else 0,
        )
    check_partial_tiles(connection, expected, height)
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
            raise fail(
                at_entry(entry_idx),
                N_("a private value {field!r} is stored for a field the entry does not commit to"),
                field=name,
            )
        if value is None:
            report.erased_values += 1
        elif commitment_of_bytes(as_bytes(salt), as_bytes(value)).hex() != commitments[name]:
            raise fail(
                at_entry(index),
                N_("private field {field!r} does not match its commitment"),
                field=name,
            )
        else:
            report.private_values += 1
        stored += 1
        row = next(rows, None)
    if commitments and stored != len(commitments):
        raise fail(
            at_entry(index),
            N_(
                "{missing} of its committed private fields have no stored value, not even an "
                "erased one"
            ),
            missing=len(commitments) - stored,
        )
    return row


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
        raise fail(
            Message(N_("idempotency keys")),
            N_("{actor} used key {key!r} for {count} entries"),
            actor=duplicate[0],
            key=duplicate[1],
            count=duplicate[2],
        )


def _check_subject_indexes(streams: AuditStreams, heads: dict[str, list[Any]]) -> None:
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
            or state[0] != as_bytes(leaf).hex()
        ):
            raise fail(
                Message(N_("subject {subject}"), subject=subject),
                N_("its stored head disagrees with the chain rebuilt from the entries"),
            )
    if stored != len(heads):
        raise fail(
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
            raise fail(
                Message(N_("subject {subject}"), subject=subject),
                N_("its chain index disagrees with the entries"),
            )
