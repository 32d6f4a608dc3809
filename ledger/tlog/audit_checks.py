"""What every part of the audit shares: the report it fills, how it names a problem, and the
protocol by which the layers above the log plug their own checks into its single pass.

The log's audit knows only the log: entries, tiles, checkpoints, keys, subject chains and private
values. Tables that other layers keep beside the log (the supply chain's label issues, say) are
checked against the entries by an :class:`AuditCheck` the caller passes in, in the same pass and
in the same snapshot, so the audit stays one read of the entries whatever is checked.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ledger.common.messages import N_, Message
from ledger.tlog import merkle
from ledger.tlog.errors import AuditError

if TYPE_CHECKING:
    from ledger.tlog.audit_streams import AuditStreams


class AuditCheck(Protocol):
    """A check of rows kept beside the log against the entries that wrote them.

    The audit calls :meth:`start` before it opens any stream of its own, then, in entry order,
    :meth:`observe` for every appearance of a subject :meth:`start` named and :meth:`check` for
    every entry of one of :attr:`entry_types` (never the ledger's own entries), and
    :meth:`finish` once every entry was read. Each hook raises
    :class:`~ledger.tlog.errors.AuditError` (see :func:`fail`) at the first problem.
    """

    @property
    def entry_types(self) -> Set[str]:
        """The types of the entries :meth:`check` is given."""
        ...

    def start(self, streams: AuditStreams) -> Set[str]:
        """Read what the check needs and open its streams; return the subjects to observe."""
        ...

    def observe(self, subject: str, link: dict[str, Any], envelope: dict[str, Any]) -> None:
        """Entry ``envelope`` names ``subject`` (``link`` is its item in ``subjects``)."""
        ...

    def check(self, index: int, envelope: dict[str, Any]) -> None:
        """Check entry ``index``, one of :attr:`entry_types`, against the rows beside the log."""
        ...

    def finish(self) -> None:
        """Every entry was read: no row beside the log may be left unmatched."""
        ...


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


def fail(where: Message, template: str, **params: Any) -> AuditError:
    """The audit's failure at ``where``: the first problem found stops it."""
    return AuditError(where=where, detail=Message(template, **params))


def at_entry(index: int) -> Message:
    return Message(N_("entry {index}"), index=index)


def at_checkpoint(size: int) -> Message:
    return Message(N_("checkpoint of size {size}"), size=size)
