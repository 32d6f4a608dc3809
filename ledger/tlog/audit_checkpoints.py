"""The audit of checkpoints: the stored ones as the rebuilt tree reaches their sizes, the ones an
auditor kept from earlier, and the signer's memory of what it signed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ledger.common.errors import LedgerError
from ledger.common.messages import N_, Message
from ledger.tlog import merkle
from ledger.tlog.audit_checks import AuditReport, at_checkpoint, fail
from ledger.tlog.audit_keys import KeyChain
from ledger.tlog.audit_streams import as_bytes
from ledger.tlog.checkpoint import parse_checkpoint
from ledger.tlog.key_registry import SignedHead
from ledger.tlog.log import Log
from ledger.tlog.note import Verifier, open_note, parse_note


class Checkpoints:
    """Streams stored checkpoints and checks each when the rebuilt tree reaches its size."""

    def __init__(
        self,
        rows: Iterator[Any],
        log: Log,
        chain: KeyChain,
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
                raise fail(
                    at_checkpoint(row.size),
                    N_("the checkpoint's size was skipped while rebuilding the tree"),
                )
            self._check(row, root_of())
            self._report.checkpoints += 1
            self.next = next(self._rows, None)

    def _check(self, row: Any, root: bytes) -> None:
        where = at_checkpoint(row.size)
        valid = self._chain.valid_at(row.size)
        attested = True
        try:
            note = open_note(as_bytes(row.note), valid)
        except LedgerError as error:
            attested = False
            revoked = self._chain.revoked_window(row.size)
            try:
                if not revoked:
                    raise
                note = open_note(as_bytes(row.note), revoked)
            except LedgerError:
                raise fail(
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
            raise fail(where, N_("{reason}"), reason=error.message) from None
        if body.origin != self._log.origin or body.size != row.size:
            raise fail(
                where,
                N_("the signed body names origin {origin!r} and size {size}"),
                origin=body.origin,
                size=body.size,
            )
        if body.root != as_bytes(row.root):
            raise fail(where, N_("the signed root differs from the stored root"))
        if body.root != root:
            raise fail(
                where,
                N_("it signs root {signed} but the entries give root {computed}"),
                signed=body.root.hex(),
                computed=root.hex(),
            )
        if self._signed is not None and row.size == self._signed.size:
            self.found_signed = body.root == self._signed.root


def known_roots(
    log: Log, chain: KeyChain, notes: Sequence[bytes], pinned: Sequence[Verifier]
) -> dict[int, bytes]:
    known: dict[int, bytes] = {}
    for number, note in enumerate(notes, 1):
        where = Message(N_("known checkpoint #{number}"), number=number)
        try:
            claimed = parse_checkpoint(parse_note(note)[0]).size
            keys = chain.valid_at(claimed) + list(pinned)
            body = parse_checkpoint(open_note(note, keys).text)
        except LedgerError as error:
            raise fail(where, N_("{reason}"), reason=error.message) from None
        if body.origin != log.origin:
            raise fail(
                where, N_("it is a checkpoint of {origin!r}, not of this log"), origin=body.origin
            )
        if body.size == 0 and body.root != merkle.EMPTY_ROOT:
            raise fail(where, N_("it gives the empty tree a root other than the empty hash"))
        known[body.size] = body.root
    return known


def check_known_sizes(
    size: int, root: bytes, known: dict[int, bytes], signed: SignedHead | None
) -> None:
    if size in known and root != known[size]:
        raise fail(
            Message(N_("known checkpoint of size {size}"), size=size),
            N_("it has root {known} but the log's entries give {root}: a forked history"),
            known=known[size].hex(),
            root=root.hex(),
        )
    if signed is not None and signed.size == size and root != signed.root:
        raise fail(
            Message(N_("signer state")),
            N_("the log key signed root {signed} for size {size}, the entries give {root}"),
            signed=signed.root.hex(),
            size=size,
            root=root.hex(),
        )
