"""The request to record one event, as the schemas hand it to the recording service.

It lives apart from the service so that whoever only parses requests (the schemas, importers)
needs nothing of the rules that decide on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.tlog.canonical import fingerprint


@dataclass(frozen=True)
class Command:
    """A validated request to record one event (see :mod:`schemas.events`).

    ``data`` holds the public fields; ``private`` the confidential and personal ones, which the
    ledger replaces by salted commitments.
    """

    type: str
    event_time: str
    data: Mapping[str, Any]
    private: Mapping[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None
    late_reason: str | None = None

    def digest(self) -> bytes:
        """What makes two commands the same request; private values are compared apart."""
        return fingerprint(
            {
                "type": self.type,
                "event_time": self.event_time,
                "data": dict(self.data),
                "private_fields": sorted(self.private),
                "late_reason": self.late_reason,
            }
        )
