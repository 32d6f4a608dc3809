"""The envelope schema: field-level errors, and normalisation to one canonical form."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from ledger.tlog.canonical import canonical_json
from ledger.tlog.envelope import stored_envelope
from schemas.envelope import load_envelope, register_payload
from schemas.fields import CanonicalDecimal, Text
from tests.support.factories import envelope


def flat(messages: Any) -> str:
    """Every message in an error tree, joined, for substring checks."""
    if isinstance(messages, dict):
        return " ".join(flat(v) for v in messages.values())
    if isinstance(messages, list):
        return " ".join(flat(v) for v in messages)
    return str(messages)


def errors_of(data: Any) -> dict[str, Any]:
    with pytest.raises(ValidationError) as caught:
        load_envelope(data)
    return caught.value.normalized_messages()


def test_a_valid_envelope_is_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "Nhãn lồng Hưng Yên")
    loaded = load_envelope(
        envelope(
            event_time="2026-07-15T06:30:00+07:00",
            payload={"giống": decomposed, unicodedata.normalize("NFD", "ghi_chú"): "Thu hoạch"},
            idempotency_key="h-1",
        )
    )
    assert loaded.event_time == "2026-07-15T06:30:00.000+07:00"
    assert loaded.payload["giống"] == unicodedata.normalize("NFC", decomposed)
    assert "ghi_chú" in loaded.payload
    assert loaded.subjects[1].id == "plot:8930000000026"
    assert not loaded.subjects[0].check_prev


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"type": ""}, "type", "empty"),
        ({"type": "Harvest!"}, "type", "does not have the form"),
        ({"type": "ledger.log_key_rotated"}, "type", "ledger's own"),
        ({"biz_step": "ship ping"}, "biz_step", "does not have the form"),
        ({"event_time": "2026-07-15 06:30"}, "event_time", "RFC 3339"),
        ({"event_time": "2026-07-15T06:30:00"}, "event_time", "offset"),
        ({"event_time": 1752536000}, "event_time", "Not a valid string"),
        ({"actor": "8930000000019"}, "actor", "org:<GLN>"),
        ({"actor": "org:8930000000018"}, "actor", "wrong check digit"),
        ({"subjects": []}, "subjects", "Between 1 and 100"),
        ({"subjects": "lot:x"}, "subjects", "Not a valid list"),
        ({"payload": [1]}, "payload", "mapping"),
        ({"payload": {"w": 1.5}}, "payload", "decimal string"),
        ({"payload": {"n": 2**60}}, "payload", "too large"),
        ({"payload": {"t": "a\x00b"}}, "payload", "control character"),
        ({"private": {"Price": "1"}}, "private", "snake_case"),
        ({"private": {"quantity": "1"}}, "private", "both public and private"),
        ({"idempotency_key": "has space"}, "idempotency_key", "visible ASCII"),
        ({"idempotency_key": "k" * 129}, "idempotency_key", "at most 128"),
        ({"recorded_at": "2026-07-15T00:00:00Z"}, "recorded_at", "Set by the ledger"),
        ({"colour": "red"}, "colour", "Unknown field"),
    ],
)
def test_field_errors_name_the_field_and_the_reason(
    overrides: dict, field: str, fragment: str
) -> None:
    errors = errors_of(envelope(**overrides))
    assert field in errors, errors
    assert fragment in flat(errors[field]), errors


@pytest.mark.parametrize(
    ("subject", "fragment"),
    [
        ({"id": "lot:08930000000012/A", "role": "output"}, "wrong check digit"),
        ({"id": "lot:0893000000001/A", "role": "output"}, "14-digit GTIN"),
        ({"id": "lot:08930000000019", "role": "output"}, "lot:<GTIN-14>/<lot>"),
        ({"id": "lot:08930000000019/lô 1", "role": "output"}, "character set 82"),
        ({"id": "lot:08930000000019/" + "A" * 21, "role": "output"}, "character set 82"),
        ({"id": "plot:893000000002", "role": "output"}, "13-digit GLN"),
        ({"id": "no-type", "role": "output"}, "typed id"),
        ({"id": "Lot:x", "role": "output"}, "typed id"),
        ({"id": "lot:08930000000019/A", "role": "owner"}, "Must be one of"),
        ({"id": "lot:08930000000019/A", "role": "output", "prev": None}, "expect_prev"),
        ({"id": "lot:08930000000019/A", "role": "output", "expect_prev": "ABC"}, "lowercase hex"),
    ],
)
def test_subject_errors(subject: dict, fragment: str) -> None:
    errors = errors_of(envelope(subjects=[subject]))
    assert fragment in flat(errors["subjects"]), errors


def test_duplicate_subjects_are_refused() -> None:
    same = {"id": "flock:ga-doi-1", "role": "observed"}
    errors = errors_of(envelope(subjects=[same, same]))
    assert "listed twice" in flat(errors["subjects"])


def test_a_non_object_is_refused() -> None:
    assert "JSON object" in flat(errors_of(["not", "an", "envelope"]))


class _Weighing(Schema):
    weight_kg = CanonicalDecimal(required=True)
    note = Text(load_default="")


def test_registered_payload_schemas_normalise_decimals() -> None:
    register_payload("test.weighing", _Weighing)
    first = load_envelope(
        envelope(
            type="test.weighing",
            payload={"weight_kg": "12.50"},
            subjects=[{"id": "flock:w", "role": "observed"}],
        )
    )
    second = load_envelope(
        envelope(
            type="test.weighing",
            payload={"weight_kg": "12.5"},
            subjects=[{"id": "flock:w", "role": "observed"}],
        )
    )
    assert first.payload["weight_kg"] == "12.5"
    assert first.request_digest() == second.request_digest()
    envelope_bytes = [
        canonical_json(stored_envelope(e, "2026-07-15T00:00:00.000Z", [None], {}))
        for e in (first, second)
    ]
    assert envelope_bytes[0] == envelope_bytes[1]
    errors = errors_of(envelope(type="test.weighing", payload={"weight_kg": "12,5"}))
    assert "weight_kg" in errors["payload"]
    errors = errors_of(envelope(type="test.weighing", payload={"weight_kg": "1", "extra": 1}))
    assert "Unknown field" in flat(errors["payload"]["extra"])


NFC_SAFE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30
)


@given(NFC_SAFE_TEXT)
def test_equivalent_unicode_gives_identical_events(text: str) -> None:
    forms = {unicodedata.normalize(form, text) for form in ("NFC", "NFD")}
    events = {
        load_envelope(
            envelope(payload={"note": form}, subjects=[{"id": "flock:u", "role": "observed"}])
        ).request_digest()
        for form in forms
    }
    assert len(events) == 1


@pytest.mark.parametrize(
    ("subject", "fragment"),
    [
        ("lot:" + "\u0660" * 14 + "/A", "14-digit GTIN"),
        ("org:" + "\u0661" * 13, "13-digit GLN"),
        ("lot:08930000000019/50%OFF", "not a percent-escape"),
        ("lot:08930000000019/50%2525", "ids cannot contain '%'"),
        ("lot:08930000000019/%FF", "not UTF-8"),
    ],
)
def test_identifiers_are_ascii_digits_and_strict_escapes(subject: str, fragment: str) -> None:
    errors = errors_of(envelope(subjects=[{"id": subject, "role": "output"}]))
    assert fragment in flat(errors["subjects"]), errors


def test_subject_ids_are_stored_percent_decoded_and_mean_themselves() -> None:
    lot = load_envelope(envelope(subjects=[{"id": "lot:08930000000019%2FNH-1", "role": "output"}]))
    stored = lot.subjects[0].id
    assert stored == "lot:08930000000019/NH-1"
    again = load_envelope(envelope(subjects=[{"id": stored, "role": "output"}]))
    assert again.subjects[0].id == stored
