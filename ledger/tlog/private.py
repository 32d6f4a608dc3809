"""Private fields: salted commitments in the public log, values in an erasable table.

The log is public, but a price or a customer is not. Such a field never enters the entry: the
entry holds ``private: {field: commitment}`` with

    commitment = SHA-256("hyt-ledger/private/v1\\n" || salt || JCS({"field": name, "value": value}))

and a random 32-byte salt. The value and its salt are kept in ``private_value``; erasing them (the
data subject's right) leaves every hash and proof of the log intact, and anyone who is given the
value and the salt can check them against the entry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from ledger.tlog.canonical import canonical_json
from ledger.tlog.errors import CommitmentMismatchError

COMMITMENT_PREFIX = b"hyt-ledger/private/v1\n"
SALT_BYTES = 32


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def value_bytes(field: str, value: Any) -> bytes:
    """The canonical bytes a commitment covers: the field name bound to its value."""
    return canonical_json({"field": field, "value": value})


def commitment(field: str, value: Any, salt: bytes) -> bytes:
    if len(salt) != SALT_BYTES:
        raise ValueError(f"a salt is {SALT_BYTES} bytes")
    return hashlib.sha256(COMMITMENT_PREFIX + salt + value_bytes(field, value)).digest()


def commitment_of_bytes(salt: bytes, stored: bytes) -> bytes:
    """Commitment over stored canonical bytes, as kept in ``private_value.value``."""
    return hashlib.sha256(COMMITMENT_PREFIX + salt + stored).digest()


@dataclass(frozen=True)
class Disclosure:
    """What a holder of a private value shows an auditor: enough to check the commitment."""

    index: int
    field: str
    value: Any
    salt: bytes

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "field": self.field,
            "value": self.value,
            "salt": self.salt.hex(),
        }

    def check(self, expected_hex: str) -> None:
        """Raise :class:`CommitmentMismatchError` unless this disclosure opens ``expected``."""
        actual = commitment(self.field, self.value, self.salt)
        if not hmac.compare_digest(actual.hex(), expected_hex):
            raise CommitmentMismatchError(field=self.field, index=self.index)
