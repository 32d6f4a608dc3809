"""Merkle tree hashing, proofs and their verification, exactly as RFC 9162 section 2.1.

Small pure functions. Hashes of stored data are read through a :data:`SubtreeReader`, a callable
that returns the hashes of *complete* subtrees, so the same code serves the in-memory reference
tree, the database-backed tiles and the stand-alone audit. A subtree is addressed as
``(level, index)``: the ``2**level`` leaves starting at ``index * 2**level``.

Verification raises :class:`~ledger.tlog.errors.InclusionProofError` or
:class:`~ledger.tlog.errors.ConsistencyProofError`; it never returns ``False``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from ledger.common.messages import N_, Message
from ledger.tlog.errors import ConsistencyProofError, InclusionProofError

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

#: Root of the empty tree: SHA-256 of the empty string (RFC 9162 2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

Subtree = tuple[int, int]
Range = tuple[int, int]
SubtreeReader = Callable[[Sequence[Subtree]], Sequence[bytes]]


def leaf_hash(data: bytes) -> bytes:
    """Hash of a leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162: the largest power of two strictly smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_subtrees(start: int, end: int) -> list[Subtree]:
    """Decompose ``[start, end)`` into the complete subtrees whose fold is MTH(D[start:end]).

    ``start`` must be a multiple of the smallest power of two not below ``end - start`` (true of
    every range that appears in a root or a proof), so the greedy split matches RFC 9162's
    recursive definition.
    """
    subtrees: list[Subtree] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        subtrees.append((level, start >> level))
        start += 1 << level
    return subtrees


def fold(hashes: Sequence[bytes]) -> bytes:
    """Combine the hashes of consecutive subtrees, largest first, into the hash of their range."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def hash_consecutive(hashes: Sequence[bytes]) -> bytes:
    """MTH of a power-of-two run of sibling hashes, level by level (used inside tiles)."""
    level = list(hashes)
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def root_subtrees(size: int) -> list[Subtree]:
    """The complete subtrees that make up a tree of ``size`` leaves, largest first."""
    return range_subtrees(0, size)


def root_hash(size: int, read: SubtreeReader) -> bytes:
    """MTH of the first ``size`` leaves, in O(log size) reads."""
    if size == 0:
        return EMPTY_ROOT
    return fold(read(root_subtrees(size)))


def inclusion_proof_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes form PATH(index, D[size]), ordered from the leaf upwards."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is not inside a tree of size {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_proof_ranges(first: int, second: int) -> list[Range]:
    """The ranges whose hashes form PROOF(first, D[second]) (RFC 9162 2.1.4.1)."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    ranges: list[Range] = []
    start, end = 0, second
    complete = True  # the "b" flag of SUBPROOF: the old tree is a complete subtree so far
    while True:
        if first - start == end - start:
            if not complete:
                ranges.append((start, end))
            break
        k = _largest_power_of_two_below(end - start)
        if first - start <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            complete = False
    ranges.reverse()
    return ranges


def hashes_of_ranges(ranges: Sequence[Range], read: SubtreeReader) -> list[bytes]:
    """Hash every range with one batched read of all the complete subtrees involved."""
    plans = [range_subtrees(start, end) for start, end in ranges]
    wanted = sorted({subtree for plan in plans for subtree in plan})
    known = dict(zip(wanted, read(wanted), strict=True))
    return [fold([known[subtree] for subtree in plan]) for plan in plans]


def inclusion_proof(index: int, size: int, read: SubtreeReader) -> list[bytes]:
    return hashes_of_ranges(inclusion_proof_ranges(index, size), read)


def consistency_proof(first: int, second: int, read: SubtreeReader) -> list[bytes]:
    return hashes_of_ranges(consistency_proof_ranges(first, second), read)


def _check_hash(
    name: Message, value: bytes, error: type[InclusionProofError | ConsistencyProofError]
) -> None:
    if len(value) != HASH_SIZE:
        raise error(detail=Message(N_("{name} is not a 32-byte hash"), name=name))


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """Recompute the root implied by an inclusion proof (RFC 9162 2.1.3.2, steps 1-5)."""
    if not 0 <= index < size:
        raise InclusionProofError(
            detail=Message(N_("index {index} is not below size {size}"), index=index, size=size)
        )
    _check_hash(Message(N_("the leaf hash")), leaf, InclusionProofError)
    fn, sn, result = index, size - 1, leaf
    for element in proof:
        if len(element) != HASH_SIZE:
            raise InclusionProofError(detail=Message(N_("a proof hash is not 32 bytes")))
        if sn == 0:
            raise InclusionProofError(detail=Message(N_("the proof has too many hashes")))
        if fn & 1 or fn == sn:
            result = node_hash(element, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, element)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InclusionProofError(detail=Message(N_("the proof has too few hashes")))
    return result


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`InclusionProofError` unless ``leaf`` is at ``index`` of the tree ``root``."""
    _check_hash(Message(N_("the root")), root, InclusionProofError)
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise InclusionProofError(
            detail=Message(N_("the proof leads to a different root than the one given"))
        )


def _check_empty_tree(root: bytes, proof: Sequence[bytes]) -> None:
    """A proof from size 0 has no hashes, and the empty tree's root is SHA-256 of ``b""``."""
    if proof:
        raise ConsistencyProofError(
            detail=Message(N_("the proof from the empty tree must be empty"))
        )
    if root != EMPTY_ROOT:
        raise ConsistencyProofError(
            detail=Message(N_("the empty tree's root is the hash of the empty string"))
        )


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise :class:`ConsistencyProofError` unless tree ``second`` extends tree ``first``.

    Stricter than transparency-dev/merkle's ``proof.VerifyConsistency`` at size 0. Go returns
    early when the sizes are equal, comparing only the two roots, so ``(0, 0, X, X, [])`` passes
    for any ``X``; and from size 0 to a larger size it either accepts any first root (older
    versions) or refuses the proof outright (newer ones). Here the tree of size 0 has exactly one
    root, SHA-256 of the empty string (RFC 9162 2.1.1): a ``first_root`` that is anything else
    describes no tree, so it is refused before the equal-sizes shortcut. For ``(0, 0)`` both roots
    must be that hash; from size 0 to a larger size, with that root and an empty proof, the proof
    passes, since every tree extends the empty one.
    """
    _check_hash(Message(N_("the first root")), first_root, ConsistencyProofError)
    _check_hash(Message(N_("the second root")), second_root, ConsistencyProofError)
    if not 0 <= first <= second:
        raise ConsistencyProofError(
            detail=Message(
                N_("size {first} is larger than size {second}"), first=first, second=second
            )
        )
    if any(len(element) != HASH_SIZE for element in proof):
        raise ConsistencyProofError(detail=Message(N_("a proof hash is not 32 bytes")))
    if first == 0:
        _check_empty_tree(first_root, proof)
    if first == second:
        if proof:
            raise ConsistencyProofError(
                detail=Message(N_("the proof between equal sizes must be empty"))
            )
        if first_root != second_root:
            raise ConsistencyProofError(detail=Message(N_("equal sizes with different roots")))
        return
    if first == 0:
        return
    if not proof:
        raise ConsistencyProofError(detail=Message(N_("the proof is empty")))
    path = list(proof)
    if first & (first - 1) == 0:  # first is a power of two: its root is the first node
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first_result = second_result = path[0]
    for element in path[1:]:
        if sn == 0:
            raise ConsistencyProofError(detail=Message(N_("the proof has too many hashes")))
        if fn & 1 or fn == sn:
            first_result = node_hash(element, first_result)
            second_result = node_hash(element, second_result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            second_result = node_hash(second_result, element)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ConsistencyProofError(detail=Message(N_("the proof has too few hashes")))
    if first_result != first_root:
        raise ConsistencyProofError(detail=Message(N_("the proof does not lead to the first root")))
    if second_result != second_root:
        raise ConsistencyProofError(
            detail=Message(N_("the proof does not lead to the second root"))
        )


class MemoryTree:
    """A whole tree in memory, every complete subtree kept: the reference implementation.

    Used by tests as the oracle for the database-backed tree and by tools that hold a small log.
    """

    def __init__(self, leaves: Sequence[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for data in leaves:
            self.append(data)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, data: bytes) -> int:
        return self.append_leaf_hash(leaf_hash(data))

    def append_leaf_hash(self, value: bytes) -> int:
        index = self.size
        level = 0
        self._levels[0].append(value)
        while len(self._levels[level]) % 2 == 0:
            row = self._levels[level]
            parent = node_hash(row[-2], row[-1])
            level += 1
            if len(self._levels) == level:
                self._levels.append([])
            self._levels[level].append(parent)
        return index

    def read(self, subtrees: Sequence[Subtree]) -> list[bytes]:
        return [self._levels[level][index] for level, index in subtrees]

    def root(self, size: int | None = None) -> bytes:
        return root_hash(self.size if size is None else size, self.read)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else size, self.read)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        return consistency_proof(first, self.size if second is None else second, self.read)
