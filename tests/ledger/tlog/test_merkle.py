"""Merkle hashing and proofs against published vectors, and exhaustively on small trees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.tlog import merkle
from ledger.tlog.errors import ConsistencyProofError, InclusionProofError

VECTORS = json.loads((Path(__file__).parent / "vectors" / "merkle.json").read_text())
H = bytes.fromhex


def test_known_answers() -> None:
    answers = VECTORS["known_answers"]
    assert merkle.EMPTY_ROOT.hex() == answers["empty_root"]
    assert merkle.leaf_hash(b"").hex() == answers["leaf_empty"]
    assert merkle.leaf_hash(b"L123456").hex() == answers["leaf_L123456"]
    assert merkle.node_hash(b"N123", b"N456").hex() == answers["node_N123_N456"]


def test_reference_tree_roots() -> None:
    reference = VECTORS["reference_tree"]
    tree = merkle.MemoryTree([H(leaf) for leaf in reference["leaves"]])
    assert [tree.root(size).hex() for size in range(1, 9)] == reference["roots"]
    assert tree.root(0) == merkle.EMPTY_ROOT


def test_reference_tree_proofs_are_reproduced() -> None:
    tree = merkle.MemoryTree([H(leaf) for leaf in VECTORS["reference_tree"]["leaves"]])
    first_inclusion = VECTORS["inclusion"][0]
    assert [h.hex() for h in tree.inclusion_proof(0, 8)] == first_inclusion["proof"]
    first_consistency = VECTORS["consistency"][0]
    assert [h.hex() for h in tree.consistency_proof(6, 8)] == first_consistency["proof"]


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: c["name"])
def test_inclusion_vectors(case: dict) -> None:
    def check() -> None:
        merkle.verify_inclusion(
            case["index"],
            case["size"],
            H(case["leaf_hash"]),
            [H(h) for h in case["proof"]],
            H(case["root"]),
        )

    if case["valid"]:
        check()
    else:
        with pytest.raises(InclusionProofError):
            check()


@pytest.mark.parametrize("case", VECTORS["consistency"], ids=lambda c: c["name"])
def test_consistency_vectors(case: dict) -> None:
    def check() -> None:
        merkle.verify_consistency(
            case["first"],
            case["second"],
            H(case["first_root"]),
            H(case["second_root"]),
            [H(h) for h in case["proof"]],
        )

    if case["valid"]:
        check()
    else:
        with pytest.raises(ConsistencyProofError):
            check()


def test_vectors_pair_every_happy_path_with_negatives() -> None:
    for kind in ("inclusion", "consistency"):
        cases = VECTORS[kind]
        assert sum(c["valid"] for c in cases) >= 2
        assert sum(not c["valid"] for c in cases) >= 2 * sum(c["valid"] for c in cases)


TREE = merkle.MemoryTree([i.to_bytes(2, "big") for i in range(300)])


def _flip(value: bytes, bit: int) -> bytes:
    data = bytearray(value)
    data[(bit // 8) % len(data)] ^= 1 << (bit % 8)
    return bytes(data)


@pytest.mark.timeout(240)
def test_every_inclusion_proof_up_to_300_verifies_and_mutations_fail() -> None:
    leaves = TREE.read([(0, i) for i in range(300)])
    for size in range(1, 301):
        root = TREE.root(size)
        for index in range(size):
            proof = TREE.inclusion_proof(index, size)
            merkle.verify_inclusion(index, size, leaves[index], proof, root)
            # Mutations on every tenth pair keep the test bounded while crossing every shape.
            if (index + size) % 10:
                continue
            bad_proofs = [[*proof, root]]
            if proof:
                bad_proofs += [proof[:-1], [_flip(proof[0], index + size), *proof[1:]]]
            for bad in bad_proofs:
                with pytest.raises(InclusionProofError):
                    merkle.verify_inclusion(index, size, leaves[index], bad, root)
            with pytest.raises(InclusionProofError):
                merkle.verify_inclusion(index, size, _flip(leaves[index], size), proof, root)
            if size > 1:
                with pytest.raises(InclusionProofError):
                    merkle.verify_inclusion((index + 1) % size, size, leaves[index], proof, root)
                # A size is bound to its root by the checkpoint: a proof for one size never
                # verifies against the root of another.
                other = size - 1 if index < size - 1 else size + 1
                with pytest.raises(InclusionProofError):
                    merkle.verify_inclusion(index, other, leaves[index], proof, TREE.root(other))


@pytest.mark.timeout(240)
def test_every_consistency_proof_up_to_300_verifies_and_mutations_fail() -> None:
    roots = [TREE.root(size) for size in range(301)]
    for second in range(1, 301):
        for first in range(1, second + 1):
            proof = TREE.consistency_proof(first, second)
            merkle.verify_consistency(first, second, roots[first], roots[second], proof)
            if (first + second) % 10 or first == second:
                continue
            bad_proofs = [[*proof, roots[1]], proof[:-1], [_flip(proof[0], second), *proof[1:]]]
            for bad in bad_proofs:
                with pytest.raises(ConsistencyProofError):
                    merkle.verify_consistency(first, second, roots[first], roots[second], bad)
            with pytest.raises(ConsistencyProofError):
                merkle.verify_consistency(
                    first, second, _flip(roots[first], 1), roots[second], proof
                )
            with pytest.raises(ConsistencyProofError):
                merkle.verify_consistency(
                    first, second, roots[first], _flip(roots[second], 2), proof
                )
            with pytest.raises(ConsistencyProofError):
                merkle.verify_consistency(first - 1, second, roots[first - 1], roots[second], proof)
            with pytest.raises(ConsistencyProofError):
                merkle.verify_consistency(first, second - 1, roots[first], roots[second - 1], proof)


def test_consistency_from_the_empty_tree_is_trivial() -> None:
    merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, TREE.root(5), [])
    with pytest.raises(ConsistencyProofError, match="empty string"):
        merkle.verify_consistency(0, 5, TREE.root(1), TREE.root(5), [])
    with pytest.raises(ConsistencyProofError):
        merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, TREE.root(5), [TREE.root(1)])
    with pytest.raises(ConsistencyProofError):
        merkle.verify_consistency(6, 5, TREE.root(6), TREE.root(5), [])


def test_size_zero_to_size_zero_needs_the_empty_trees_root() -> None:
    merkle.verify_consistency(0, 0, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [])
    for first_root, second_root in [
        (TREE.root(5), TREE.root(5)),
        (merkle.EMPTY_ROOT, TREE.root(5)),
        (TREE.root(5), merkle.EMPTY_ROOT),
    ]:
        with pytest.raises(ConsistencyProofError):
            merkle.verify_consistency(0, 0, first_root, second_root, [])


def test_proof_plans_refuse_impossible_requests() -> None:
    with pytest.raises(ValueError, match="not inside"):
        merkle.inclusion_proof_ranges(5, 5)
    with pytest.raises(ValueError, match="no consistency proof"):
        merkle.consistency_proof_ranges(0, 5)
    with pytest.raises(InclusionProofError, match="32-byte"):
        merkle.verify_inclusion(0, 1, b"short", [], merkle.EMPTY_ROOT)
    with pytest.raises(ConsistencyProofError, match="32-byte"):
        merkle.verify_consistency(1, 2, b"short", merkle.EMPTY_ROOT, [merkle.EMPTY_ROOT])


@given(st.integers(0, 2**40), st.integers(1, 2**40))
def test_range_decomposition_covers_the_range_exactly(start: int, length: int) -> None:
    # Ranges that appear in proofs start at a multiple of a power of two >= their length.
    alignment = 1 << (length - 1).bit_length()
    start -= start % alignment
    subtrees = merkle.range_subtrees(start, start + length)
    position = start
    for level, index in subtrees:
        assert index << level == position
        position += 1 << level
    assert position == start + length
    assert [level for level, _ in subtrees] == sorted((lv for lv, _ in subtrees), reverse=True)
