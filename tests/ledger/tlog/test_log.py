"""The log service on both databases: appends, chains, idempotency, private fields, proofs."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from ledger.common.errors import ConflictError, InvalidInputError, NotFoundError
from ledger.tlog import merkle
from ledger.tlog.audit import audit
from ledger.tlog.canonical import ENTRY_PREFIX
from ledger.tlog.checkpoint import parse_checkpoint
from ledger.tlog.errors import (
    BatchError,
    EntryTooLargeError,
    IdempotencyConflictError,
    PrevMismatchError,
)
from ledger.tlog.log import Log
from ledger.tlog.note import open_note
from ledger.tlog.private import Disclosure
from tests.support.factories import COOPERATIVE, event, simple_event


def test_prev_is_filled_by_the_ledger_and_chains_each_subject(log: Log) -> None:
    first = log.append(simple_event("flock:chain-a"))
    second = log.append(simple_event("flock:chain-a"))
    envelope = log.entry(second.index).envelope
    assert envelope["subjects"] == [
        {"id": "flock:chain-a", "role": "observed", "prev": first.leaf_hash.hex()}
    ]
    assert log.entry(first.index).envelope["subjects"][0]["prev"] is None
    chain = log.subject_chain("flock:chain-a")
    assert [link.entry.index for link in chain.links] == [first.index, second.index]
    assert (chain.length, chain.head_index, chain.head_hash) == (2, second.index, second.leaf_hash)


def test_an_event_with_several_subjects_heads_each_of_them(log: Log) -> None:
    a = log.append(simple_event("flock:multi-a"))
    merged = log.append(
        event(
            subjects=[
                {"id": "flock:multi-a", "role": "input"},
                {"id": "flock:multi-b", "role": "output"},
            ]
        )
    )
    subjects = log.entry(merged.index).envelope["subjects"]
    assert subjects == [
        {"id": "flock:multi-a", "role": "input", "prev": a.leaf_hash.hex()},
        {"id": "flock:multi-b", "role": "output", "prev": None},
    ]
    assert log.subject_chain("flock:multi-b").head_index == merged.index


@pytest.mark.parametrize("known", [False, True])
def test_a_subject_listed_twice_in_one_event_is_refused(log: Log, known: bool) -> None:
    """The schema refuses such an event too; the log, which internal callers reach without the
    schema, refuses it itself: two links to one entry would make a chain no audit accepts."""
    subject = f"flock:twice-{known}"
    if known:
        log.append(simple_event(subject))
    size = log.size()
    doubled = simple_event(subject)
    with pytest.raises(InvalidInputError) as caught:
        log.append(doubled._replace(subjects=(*doubled.subjects, *doubled.subjects)))
    assert "listed twice" in str(caught.value.errors["subjects"][0])
    assert log.size() == size


def test_chain_pages(log: Log) -> None:
    indexes = [log.append(simple_event("flock:paged")).index for _ in range(5)]
    page = log.subject_chain("flock:paged", limit=2)
    assert [link.entry.index for link in page.links] == indexes[:2]
    assert page.next_after == 1
    last = log.subject_chain("flock:paged", after=3, limit=2)
    assert [link.entry.index for link in last.links] == indexes[4:]
    assert last.next_after is None
    with pytest.raises(NotFoundError):
        log.subject_chain("flock:never-seen")


def test_expect_prev_guards_against_a_concurrent_writer(log: Log) -> None:
    head = log.append(simple_event("flock:optimistic"))
    accepted = log.append(
        event(
            subjects=[
                {"id": "flock:optimistic", "role": "observed", "expect_prev": head.leaf_hash.hex()}
            ]
        )
    )
    assert log.entry(accepted.index).envelope["subjects"][0]["prev"] == head.leaf_hash.hex()
    size = log.size()
    with pytest.raises(PrevMismatchError) as caught:
        log.append(
            event(
                subjects=[
                    {
                        "id": "flock:optimistic",
                        "role": "observed",
                        "expect_prev": head.leaf_hash.hex(),
                    }
                ]
            )
        )
    assert caught.value.status == 409
    assert "flock:optimistic" in str(caught.value)
    assert f"head is entry {accepted.index}" in str(caught.value)
    assert log.size() == size


def test_expect_prev_null_means_a_new_subject(log: Log) -> None:
    log.append(event(subjects=[{"id": "flock:brand-new", "role": "output", "expect_prev": None}]))
    with pytest.raises(PrevMismatchError):
        log.append(
            event(subjects=[{"id": "flock:brand-new", "role": "output", "expect_prev": None}])
        )


def test_idempotent_repeat_returns_the_existing_entry(log: Log) -> None:
    request = {
        "idempotency_key": "harvest-17",
        "private": {"price": "45000"},
        "subjects": [{"id": "flock:idem-repeat", "role": "output"}],
    }
    original = log.append(event(**request))
    size = log.size()
    again = log.append(event(**request))
    assert (again.index, again.leaf_hash, again.repeated) == (
        original.index,
        original.leaf_hash,
        True,
    )
    assert log.size() == size


def test_idempotency_conflicts(log: Log) -> None:
    base = {"idempotency_key": "ship-9", "subjects": [{"id": "flock:idem", "role": "observed"}]}
    log.append(event(**base, private={"price": "10"}))
    with pytest.raises(IdempotencyConflictError) as caught:
        log.append(event(**base, payload={"quantity": "2"}, private={"price": "10"}))
    assert caught.value.status == 409
    with pytest.raises(IdempotencyConflictError):
        log.append(event(**base, private={"price": "11"}))  # differs only in a private value
    # The key is unique per actor: another organisation may use the same key.
    other = log.append(event(**base, actor="org:8930000000033", private={"price": "10"}))
    assert not other.repeated


def test_batch_semantics_for_repeats(log: Log) -> None:
    existing = log.append(
        event(
            idempotency_key="batch-existing", subjects=[{"id": "flock:batch", "role": "observed"}]
        )
    )
    size = log.size()
    results = log.append_batch(
        [
            event(
                idempotency_key="batch-existing",
                subjects=[{"id": "flock:batch", "role": "observed"}],
            ),
            event(
                idempotency_key="batch-new", subjects=[{"id": "flock:batch", "role": "observed"}]
            ),
            event(
                idempotency_key="batch-new", subjects=[{"id": "flock:batch", "role": "observed"}]
            ),
        ]
    )
    assert [r.index for r in results] == [existing.index, size, size]
    assert [r.repeated for r in results] == [True, False, True]
    assert log.size() == size + 1


def test_a_differing_repeat_fails_the_whole_batch_naming_the_line(log: Log) -> None:
    log.append(
        event(idempotency_key="batch-conflict", subjects=[{"id": "flock:b2", "role": "observed"}])
    )
    size = log.size()
    with pytest.raises(BatchError) as caught:
        log.append_batch(
            [
                event(subjects=[{"id": "flock:b2", "role": "observed"}]),
                event(
                    idempotency_key="batch-conflict",
                    payload={"changed": True},
                    subjects=[{"id": "flock:b2", "role": "observed"}],
                ),
            ]
        )
    assert caught.value.line == 2
    assert isinstance(caught.value.cause, IdempotencyConflictError)
    assert log.size() == size
    with pytest.raises(BatchError) as within:
        log.append_batch(
            [
                event(idempotency_key="twice-in-batch"),
                event(idempotency_key="twice-in-batch", payload={"other": 1}),
            ]
        )
    assert within.value.line == 2
    assert isinstance(within.value.cause, ConflictError)
    assert log.size() == size


def test_a_bad_line_leaves_nothing_appended(log: Log) -> None:
    size, root = log.size(), log.latest_checkpoint().root
    with pytest.raises(BatchError) as caught:
        log.append_batch(
            [
                simple_event("flock:atomic"),
                simple_event("flock:atomic", note="x" * 70_000),
                simple_event("flock:atomic"),
            ]
        )
    assert caught.value.line == 2
    assert isinstance(caught.value.cause, EntryTooLargeError)
    assert caught.value.status == 413
    assert log.size() == size
    assert log.latest_checkpoint().root == root
    with pytest.raises(NotFoundError):
        log.subject_chain("flock:atomic")


def test_entry_too_large_names_the_limit(log: Log) -> None:
    with pytest.raises(EntryTooLargeError) as caught:
        log.append(simple_event("flock:big", note="y" * 70_000))
    assert "65535" in str(caught.value)


def test_private_values_stay_out_of_the_public_bytes(log: Log) -> None:
    secret = {"amount": "45000", "currency": "VND", "customer": "Nguyễn Văn An"}
    appended = log.append(event(private={"price": secret}))
    entry = log.entry(appended.index)
    assert b"45000" not in entry.data
    assert "Nguyễn Văn An".encode() not in entry.data
    commitment = entry.envelope["private"]["price"]
    [revealed] = log.private_values(appended.index)
    assert revealed["value"] == secret
    disclosure = Disclosure(
        appended.index, "price", revealed["value"], bytes.fromhex(revealed["salt"])
    )
    disclosure.check(commitment)
    with pytest.raises(Exception, match="does not match"):
        Disclosure(
            appended.index, "price", {**secret, "amount": "45001"}, bytes.fromhex(revealed["salt"])
        ).check(commitment)


def test_erasure_keeps_the_log_verifiable(log: Log) -> None:
    request = {
        "idempotency_key": "erase-me",
        "private": {"phone": "0912 345 678"},
        "subjects": [{"id": "flock:erasure", "role": "observed"}],
    }
    appended = log.append(event(**request))
    log.erase_private(appended.index, "phone", "data subject request")
    [erased] = log.private_values(appended.index)
    assert erased["reason"] == "data subject request"
    assert "value" not in erased
    with pytest.raises(NotFoundError):
        log.erase_private(appended.index, "phone", "twice")
    report = audit(log)
    assert report.erased_values >= 1
    with pytest.raises(ConflictError, match="erased"):
        log.append(event(**request))


def test_reads_and_their_errors(log: Log) -> None:
    appended = log.append(simple_event("flock:reads"))
    entry = log.entry(appended.index)
    assert entry.data.startswith(ENTRY_PREFIX)
    assert merkle.leaf_hash(entry.data) == entry.leaf_hash
    assert log.entries_by_leaf_hash(entry.leaf_hash) == [entry]
    assert log.entries_by_leaf_hash(b"\x00" * 32) == []
    with pytest.raises(NotFoundError):
        log.entry(10**9)
    with pytest.raises(InvalidInputError):
        log.inclusion_proof(log.size() + 5)
    with pytest.raises(InvalidInputError):
        log.consistency_proof(3, log.size() + 1)


def test_checkpoints_are_signed_by_the_log_key(log: Log) -> None:
    log.append(simple_event("flock:cp"))
    latest = log.latest_checkpoint()
    note = open_note(latest.note, [log.active_log_key().verifier])
    body = parse_checkpoint(note.text)
    assert (body.origin, body.size, body.root) == (log.origin, log.size(), latest.root)


def test_never_two_roots_for_one_size(log: Log) -> None:
    latest = log.latest_checkpoint()
    with log.engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
        connection.execute(
            sa.text(
                "INSERT INTO checkpoint (size, root, note, signed_at) VALUES (:s, :r, :n, 'x')"
            ),
            {"s": latest.size, "r": b"\x01" * 32, "n": b"forged"},
        )


def test_recorded_at_never_goes_back(fresh_log: Callable[..., Log]) -> None:
    ledger = fresh_log()
    clock = ledger.clock
    first = ledger.append(simple_event("flock:time"))
    clock.advance(-3600)  # type: ignore[attr-defined]
    second = ledger.append(simple_event("flock:time"))
    clock.advance(3600)  # type: ignore[attr-defined]
    assert second.recorded_at == first.recorded_at
    assert (
        json.loads(ledger.entry(second.index).data[len(ENTRY_PREFIX) :])["recorded_at"]
        == first.recorded_at
    )


def test_checkpoint_cadence_follows_the_injected_clock(fresh_log: Callable[..., Log]) -> None:
    ledger = fresh_log(checkpoint_interval=10)
    clock = ledger.clock
    start = ledger.latest_checkpoint()
    assert start.size == 0
    ledger.append(simple_event("flock:cadence"))
    ledger.append(simple_event("flock:cadence"))
    assert ledger.latest_checkpoint().size == 0  # the interval has not passed
    clock.advance(10)  # type: ignore[attr-defined]
    assert ledger.latest_checkpoint().size == 2  # a read signs the stale checkpoint
    ledger.append(simple_event("flock:cadence"))
    assert ledger.latest_checkpoint().size == 2
    clock.advance(11)  # type: ignore[attr-defined]
    ledger.append(simple_event("flock:cadence"))  # the append signs, inside its lock
    assert ledger.latest_checkpoint().size == 4
    ledger.append(simple_event("flock:cadence"))
    assert ledger.checkpoint(force=True).size == 5
    assert [c.size for c in ledger.checkpoints()] == [0, 2, 4, 5]


def test_concurrent_free_single_appends_in_a_row(fresh_log: Callable[..., Log]) -> None:
    ledger = fresh_log()
    results = [ledger.append(simple_event(f"flock:row-{i % 3}")) for i in range(40)]
    assert [r.index for r in results] == list(range(40))
    report = audit(ledger)
    assert report.entries == 40
    assert report.subjects == 3


@pytest.fixture(scope="module")
def grown_log(ledgers, databases, backend):  # type: ignore[no-untyped-def]
    """A log of 150 entries with tile height 2: five tile levels, appended in uneven batches."""
    url = databases.fresh(backend)
    ledger = ledgers.log(url, tile_height=2)
    sizes = [1, 2, 5, 1, 13, 40, 3, 64, 21]
    number = 0
    for count in sizes:
        ledger.append_batch([simple_event(f"flock:g{(number + i) % 7}") for i in range(count)])
        number += count
    tree = merkle.MemoryTree([ledger.entry(i).data for i in range(number)])
    yield ledger, tree
    ledger.engine.dispose()
    databases.drop(url)


def test_grown_log_has_every_checkpoint_and_audits(grown_log) -> None:  # type: ignore[no-untyped-def]
    ledger, tree = grown_log
    assert ledger.size() == tree.size == 150
    for checkpoint in ledger.checkpoints():
        assert checkpoint.root == tree.root(checkpoint.size)
    audit(ledger)


@given(data=st.data())
def test_database_tree_matches_the_memory_tree(grown_log, data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    ledger, tree = grown_log
    size = data.draw(st.integers(1, tree.size), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    first = data.draw(st.integers(1, size), label="first")
    proof = ledger.inclusion_proof(index, size)
    assert proof.root == tree.root(size)
    assert proof.hashes == tree.inclusion_proof(index, size)
    merkle.verify_inclusion(index, size, proof.leaf_hash, proof.hashes, proof.root)
    consistency = ledger.consistency_proof(first, size)
    assert consistency.hashes == tree.consistency_proof(first, size)
    merkle.verify_consistency(
        first, size, consistency.first_root, consistency.second_root, consistency.hashes
    )


def test_tiles_and_bundles_serve_the_tree(grown_log) -> None:  # type: ignore[no-untyped-def]
    ledger, tree = grown_log
    # Tile height 2: level-0 tile 3 holds leaves 12..15.
    assert ledger.tile(0, 3) == b"".join(tree.read([(0, i) for i in range(12, 16)]))
    assert ledger.tile(1, 2) == b"".join(tree.read([(2, i) for i in range(8, 12)]))
    assert ledger.tile(0, 37, 2) == b"".join(tree.read([(0, 148), (0, 149)]))
    with pytest.raises(NotFoundError):
        ledger.tile(0, 37)  # not full in a tree of 150
    with pytest.raises(NotFoundError):
        ledger.tile(0, 37, 3)
    bundle = ledger.entry_bundle(37, 2)
    first_length = int.from_bytes(bundle[:2], "big")
    assert bundle[2 : 2 + first_length] == ledger.entry(148).data


def test_the_actor_column_matches_the_envelope(log: Log) -> None:
    appended = log.append(event())
    assert log.entry(appended.index).envelope["actor"] == COOPERATIVE


def test_a_checkpoint_signed_by_another_process_while_starting_is_not_a_rewind(
    fresh_log: Callable[..., Log], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer commits and remembers a new checkpoint between this process reading the
    database and reading the signer's memory: the memory must have been read first."""
    log = fresh_log()
    log.append(simple_event("flock:race"))
    other = Log(log.engine, log.settings, signer=log.signer, clock=log.clock)
    read_head = Log._read_head

    def read_then_let_another_process_append(self: Log, connection: sa.Connection) -> object:
        head = read_head(self, connection)
        other.append(simple_event("flock:race"))  # commits, then advances the shared memory
        return head

    monkeypatch.setattr(Log, "_read_head", read_then_let_another_process_append)
    log.check_no_rewind()
