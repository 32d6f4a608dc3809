"""Parameters of the public ledger read API: bounded integers, hashes and subject ids.

Anything that is not a plain decimal number within the log's range is a 400 with the field named,
never an exception deeper down.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from ledger.common.messages import N_, Message
from ledger.tlog.log import MAX_CHAIN_PAGE
from schemas.fields import HexHash, normalise_text

#: Positions are stored as signed 64-bit integers.
MAX_POSITION = 2**63 - 1


class Position(fields.Field[int]):
    """A non-negative decimal integer, at most 2**63 - 1, given as text (a URL part)."""

    def __init__(self, *, minimum: int = 0, maximum: int = MAX_POSITION, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        text = str(value)
        if not re.fullmatch(r"-?[0-9]{1,25}", text):
            raise ValidationError(Message(N_("{value!r} is not a whole number."), value=text[:40]))
        number = int(text)
        if not self.minimum <= number <= self.maximum:
            raise ValidationError(
                Message(
                    N_("{value} is outside the range {minimum} to {maximum}."),
                    value=number,
                    minimum=self.minimum,
                    maximum=self.maximum,
                )
            )
        return number


class _Query(Schema):
    class Meta:
        unknown = EXCLUDE  # cache busters and tracking parameters are ignored


class EntryPath(_Query):
    index = Position(required=True)


class LeafHashQuery(_Query):
    leaf_hash = HexHash(required=True)


class InclusionQuery(_Query):
    index = Position(required=True)
    size = Position(minimum=1)


class ConsistencyQuery(_Query):
    first = Position(required=True, minimum=1)
    second = Position(minimum=1)


class ChainQuery(_Query):
    subject = fields.String(required=True)
    after = Position(minimum=-1, load_default=-1)
    limit = Position(minimum=1, maximum=MAX_CHAIN_PAGE, load_default=100)


def subject_from_path(value: str) -> str:
    """A subject id from a (server-decoded) URL path, normalised like every other text."""
    return normalise_text(value)
