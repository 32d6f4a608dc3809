"""A request to record one supply-chain event, validated into a ledger command.

A request is ``{type, event_time, data, idempotency_key?, late_reason?}``. ``data`` is checked
by its type's schema (:data:`schemas.event_data.DATA_SCHEMAS`) and its dates against their
windows around the event; the type's private fields are then set apart from the public ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, post_load

from ledger.common.messages import N_, Message
from ledger.supplychain.commands import Command
from ledger.supplychain.vocabulary import EVENT_TYPES
from schemas.event_data import DATA_SCHEMAS, StrictSchema, private_fields
from schemas.event_fields import Choice, check_date_windows
from schemas.fields import CanonicalTime, Text


class CommandSchema(StrictSchema):
    type = Choice(tuple(EVENT_TYPES), required=True)
    event_time = CanonicalTime(required=True)
    data = fields.Dict(required=True)
    idempotency_key = Text(max_length=128, pattern=r"[\x21-\x7e]+", pattern_hint="visible ASCII")
    late_reason = Text(max_length=500)

    @post_load
    def make(self, loaded: dict[str, Any], **kwargs: Any) -> Command:
        schema = _DATA_INSTANCES[loaded["type"]]
        try:
            data = schema.load(loaded["data"])
            check_date_windows(data, loaded["event_time"])
        except ValidationError as error:
            raise ValidationError({"data": error.messages}) from None
        secret = private_fields(loaded["type"])
        return Command(
            type=loaded["type"],
            event_time=loaded["event_time"],
            data={k: v for k, v in data.items() if k not in secret},
            private={k: v for k, v in data.items() if k in secret},
            idempotency_key=loaded.get("idempotency_key"),
            late_reason=loaded.get("late_reason"),
        )


_DATA_INSTANCES = {name: schema() for name, schema in DATA_SCHEMAS.items()}
_COMMAND = CommandSchema()


def load_command(raw: Any) -> Command:
    """Validate one event request; raises ``ValidationError`` naming each bad field."""
    if not isinstance(raw, Mapping):
        raise ValidationError({"$": [Message(N_("An event is a JSON object."))]})
    command: Command = _COMMAND.load(raw)
    return command
