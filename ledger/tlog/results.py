"""What the log answers: where an event went, stored entries, checkpoints, proofs, chains.

Plain values, so the layers above can name them without reaching into the log service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ledger.tlog.canonical import envelope_of


class Appended(NamedTuple):
    """Where an event went into the log.

    A named tuple because one is made per event; its ``index`` field hides ``tuple.index``.
    """

    index: int  # type: ignore[assignment]
    leaf_hash: bytes
    recorded_at: str
    #: True when an identical idempotent repeat returned an existing entry.
    repeated: bool = False


@dataclass(frozen=True)
class StoredEntry:
    index: int
    leaf_hash: bytes
    data: bytes

    @property
    def envelope(self) -> dict[str, Any]:
        return envelope_of(self.data)

    @property
    def recorded_at(self) -> str:
        recorded: str = self.envelope["recorded_at"]
        return recorded


@dataclass(frozen=True)
class SignedCheckpoint:
    size: int
    root: bytes
    note: bytes
    signed_at: str


@dataclass(frozen=True)
class InclusionProof:
    index: int
    size: int
    leaf_hash: bytes
    hashes: list[bytes]
    root: bytes


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    hashes: list[bytes]
    first_root: bytes
    second_root: bytes


@dataclass(frozen=True)
class ChainLink:
    seq: int
    entry: StoredEntry
    role: str


@dataclass(frozen=True)
class SubjectChain:
    subject: str
    length: int
    head_index: int
    head_hash: bytes
    links: list[ChainLink]
    #: Pass as ``after`` to read the next page; None on the last page.
    next_after: int | None
