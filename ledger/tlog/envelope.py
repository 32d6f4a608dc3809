"""What a client asks the ledger to record, and the envelope the ledger stores.

A :class:`NewEvent` holds the client-supplied fields after the schema has validated and
normalised them. The ledger adds what only it may decide, inside the serialised append:
``recorded_at``, each subject's ``prev`` and the commitments of private fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from ledger.tlog.canonical import fingerprint

ROLES = ("input", "output", "observed")
#: Actor of events the ledger appends about itself (key rotation, revocation).
LEDGER_ACTOR = "ledger"
#: The default payload and private fields: empty, and immutable because it is shared.
_NOTHING: Mapping[str, Any] = MappingProxyType({})


# The value objects of an append are named tuples: immutable like frozen dataclasses, and made
# several times faster, which counts at thousands of events per second.


class SubjectRef(NamedTuple):
    """A subject an event touches. ``check_prev`` asks for optimistic concurrency control:
    the append fails unless the subject's current head is ``expect_prev`` (None: a new subject).
    """

    id: str
    role: str
    expect_prev: bytes | None = None
    check_prev: bool = False

    def client_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"id": self.id, "role": self.role}
        if self.check_prev:
            fields["expect_prev"] = self.expect_prev.hex() if self.expect_prev else None
        return fields


class NewEvent(NamedTuple):
    type: str
    biz_step: str
    event_time: str
    actor: str
    subjects: tuple[SubjectRef, ...]
    payload: Mapping[str, Any] = _NOTHING
    private: Mapping[str, Any] = _NOTHING
    idempotency_key: str | None = None

    def request_digest(self) -> bytes:
        """SHA-256 of the client-supplied fields, private values left out.

        Private values are compared through their commitments instead, so no unsalted hash of a
        confidential value is ever stored.
        """
        return fingerprint(
            {
                "type": self.type,
                "biz_step": self.biz_step,
                "event_time": self.event_time,
                "actor": self.actor,
                "subjects": [s.client_fields() for s in self.subjects],
                "payload": dict(self.payload),
                "private_fields": sorted(self.private),
                "idempotency_key": self.idempotency_key,
            }
        )


def stored_envelope(
    event: NewEvent,
    recorded_at: str,
    prevs: list[bytes | None],
    commitments: dict[str, bytes],
) -> dict[str, Any]:
    """The envelope as stored: the client's fields plus what the ledger decided."""
    envelope: dict[str, Any] = {
        "type": event.type,
        "biz_step": event.biz_step,
        "event_time": event.event_time,
        "recorded_at": recorded_at,
        "actor": event.actor,
        "subjects": [
            {"id": s.id, "role": s.role, "prev": prev.hex() if prev else None}
            for s, prev in zip(event.subjects, prevs, strict=True)
        ],
        "payload": dict(event.payload),
    }
    if commitments:
        envelope["private"] = {name: digest.hex() for name, digest in commitments.items()}
    if event.idempotency_key is not None:
        envelope["idempotency_key"] = event.idempotency_key
    return envelope
