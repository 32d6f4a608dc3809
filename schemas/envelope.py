"""The event envelope a client submits, validated field by field and normalised.

``EnvelopeSchema().load(data)`` returns a :class:`ledger.tlog.envelope.NewEvent` or raises
``marshmallow.ValidationError`` whose ``messages`` name each bad field. Fields the ledger sets
itself (``recorded_at``, a subject's ``prev``) are refused with that reason rather than ignored.

Payloads are free-form JSON until an event type registers its own schema with
:func:`register_payload`; a registered schema decides the payload's fields, units and decimals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validates_schema,
)

from ledger.common.messages import N_, Message
from ledger.tlog.envelope import ROLES, NewEvent, SubjectRef
from schemas.fields import (
    CanonicalTime,
    HexHash,
    JSONObject,
    OrganisationId,
    SubjectId,
    Text,
    normalise_json,
)

MAX_SUBJECTS = 100
MAX_PRIVATE_FIELDS = 32
LEDGER_SET_FIELDS = ("recorded_at",)

_PAYLOAD_SCHEMAS: dict[str, type[Schema]] = {}


def register_payload(event_type: str, schema: type[Schema]) -> None:
    """Give an event type a payload schema (the domain vocabulary registers its types here)."""
    _PAYLOAD_SCHEMAS[event_type] = schema


def payload_schema(event_type: str) -> type[Schema] | None:
    return _PAYLOAD_SCHEMAS.get(event_type)


def _one_of(choices: tuple[str, ...]) -> Any:
    def validate(value: str) -> None:
        if value not in choices:
            raise ValidationError(
                Message(N_("Must be one of: {choices}."), choices=", ".join(choices))
            )

    return validate


class SubjectSchema(Schema):
    class Meta:
        unknown = RAISE

    id = SubjectId(required=True)
    role = fields.String(required=True, validate=_one_of(ROLES))
    expect_prev = HexHash(allow_none=True)

    @pre_load
    def refuse_prev(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, Mapping) and "prev" in data:
            raise ValidationError(
                {"prev": [Message(N_("Set by the ledger; send expect_prev to check the head."))]}
            )
        return data

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> SubjectRef:
        return SubjectRef(
            id=data["id"],
            role=data["role"],
            expect_prev=data.get("expect_prev"),
            check_prev="expect_prev" in data,
        )


_PRIVATE_NAME = Text(max_length=64, pattern=r"[a-z][a-z0-9_]*", pattern_hint="snake_case")


class PrivateFields(fields.Field[dict[str, Any]]):
    """``{field: value}`` of confidential or personal values, kept out of the public log."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ValidationError(Message(N_("Not a valid mapping type.")))
        if len(value) > MAX_PRIVATE_FIELDS:
            raise ValidationError(
                Message(N_("At most {limit} private fields."), limit=MAX_PRIVATE_FIELDS)
            )
        normalised: dict[str, Any] = normalise_json(value)
        for name in normalised:
            try:
                _PRIVATE_NAME.deserialize(name)
            except ValidationError as error:
                raise ValidationError({name: error.messages}) from None
        return normalised


class EnvelopeSchema(Schema):
    class Meta:
        unknown = RAISE

    type = Text(
        required=True,
        max_length=64,
        pattern=r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*",
        pattern_hint="harvest, pack, ship, farm_input.fertiliser",
    )
    biz_step = Text(
        required=True,
        max_length=200,
        pattern=r"[a-z][a-z0-9_]*|(https?://|urn:)\S+",
        pattern_hint="commissioning, shipping or a URI",
    )
    event_time = CanonicalTime(required=True)
    actor = OrganisationId(required=True)
    subjects = fields.List(fields.Nested(SubjectSchema), required=True)
    payload = JSONObject(load_default=dict)
    private = PrivateFields(load_default=dict)
    idempotency_key = Text(max_length=128, pattern=r"[\x21-\x7e]+", pattern_hint="visible ASCII")

    @pre_load
    def refuse_ledger_fields(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, Mapping):
            errors = {
                name: [Message(N_("Set by the ledger; do not send it."))]
                for name in LEDGER_SET_FIELDS
                if name in data
            }
            if errors:
                raise ValidationError(errors)
        return data

    @validates_schema
    def check_whole(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        event_type = data.get("type", "")
        if event_type.startswith("ledger."):
            errors["type"] = [Message(N_('Types starting with "ledger." are the ledger\'s own.'))]
        subjects = data.get("subjects") or []
        if not 1 <= len(subjects) <= MAX_SUBJECTS:
            errors["subjects"] = [
                Message(N_("Between 1 and {limit} subjects."), limit=MAX_SUBJECTS)
            ]
        seen: set[str] = set()
        for position, subject in enumerate(subjects):
            if subject.id in seen:
                errors.setdefault("subjects", {})
                if isinstance(errors["subjects"], dict):
                    errors["subjects"][position] = {
                        "id": [Message(N_("Subject {id} is listed twice."), id=subject.id)]
                    }
            seen.add(subject.id)
        overlap = sorted(set(data.get("private", {})) & set(data.get("payload", {})))
        if overlap:
            errors["private"] = [
                Message(N_("Field {field!r} is both public and private."), field=overlap[0])
            ]
        if errors:
            raise ValidationError(errors)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> NewEvent:
        payload = data.get("payload", {})
        schema = payload_schema(data["type"])
        if schema is not None:
            try:
                payload = schema(unknown=RAISE).load(payload)
            except ValidationError as error:
                raise ValidationError({"payload": error.messages}) from None
        return NewEvent(
            type=data["type"],
            biz_step=data["biz_step"],
            event_time=data["event_time"],
            actor=data["actor"],
            subjects=tuple(data["subjects"]),
            payload=payload,
            private=data.get("private", {}),
            idempotency_key=data.get("idempotency_key"),
        )


def load_envelope(data: Any) -> NewEvent:
    """Validate and normalise one envelope; raises ``ValidationError`` with field messages."""
    if not isinstance(data, Mapping):
        raise ValidationError({"$": [Message(N_("An envelope is a JSON object."))]})
    event: NewEvent = _ENVELOPE.load(data)
    return event


#: Schemas are stateless once built, and building one costs more than loading an envelope.
_ENVELOPE = EnvelopeSchema()
