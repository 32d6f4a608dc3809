"""Reading a posted form without a browser: times, whole numbers, choices, text floods and
submission ids, and where the schema's and the ledger's errors land."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from marshmallow import ValidationError

from ledger.common.messages import Message
from ledger.supplychain.accounts import Principal
from ledger.supplychain.fieldwork import FieldWork
from web.field.forms import (
    EventForm,
    FormContext,
    Option,
    choice,
    clean_text,
    count,
    number,
    parse,
    place_errors,
    request_of,
    submission_id,
    text,
)

FORM = EventForm(
    slug="test-loss",
    event_type="loss",
    title="Loss",
    fields=(
        choice("lot", "Lot", lambda ctx: [Option("lot:08930000000019/A", "A", "kg")]),
        number("quantity", "Quantity", unit_from="lot"),
        count("boxes", "Boxes", unit="box", target="detail.boxes", required=False),
        text("reason", "Why"),
    ),
    errors_to={"stage": "reason"},
)
CTX = FormContext(
    principal=Principal(1, "an", "farmer", "8930000000026"),
    language="vi",
    now=datetime(2026, 7, 15, 1, 30, tzinfo=UTC),
    fieldwork=cast(FieldWork, None),
)
GOOD = {
    "when": "2026-07-15T08:30",
    "lot": "lot:08930000000019/A",
    "quantity": "1,5",
    "boxes": "3",
    "reason": "Dập",
}


def test_a_good_form_becomes_the_apis_request() -> None:
    parsed = parse(FORM, GOOD, CTX)
    assert parsed.errors == {}
    assert parsed.understood == {"quantity": "1.5"}
    raw = request_of(FORM, parsed, CTX, "k")
    assert raw == {
        "type": "loss",
        "event_time": "2026-07-15T08:30:00.000+07:00",
        "data": {
            "lot": "lot:08930000000019/A",
            "quantity": "1.5",
            "detail": {"boxes": 3},
            "reason": "Dập",
        },
        "idempotency_key": "form-k",
    }


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("when", "2026-02-30T08:30"),
        ("when", "15/07/2026 08:30"),
        ("when", "2026-07-15"),
        ("when", "２０２６-07-15T08:30"),
        ("lot", "lot:08930000000019/B"),  # not on the list
        ("quantity", "1.500"),
        ("quantity", "abc"),
        ("boxes", "2,5"),
        ("reason", ""),
        ("reason", "e" + "\u0301\u0323\u0300\u0309"),
    ],
)
def test_what_a_field_cannot_take_is_said_on_that_field(name: str, typed: str) -> None:
    parsed = parse(FORM, {**GOOD, name: typed}, CTX)
    assert list(parsed.errors) == [name]
    assert all(isinstance(message, Message) for message in parsed.errors[name])


def test_a_quantity_is_read_in_the_unit_of_the_lot_chosen() -> None:
    parsed = parse(FORM, {**GOOD, "quantity": "1,0005"}, CTX)  # kg: to the gram
    assert "quantity" in parsed.errors


def test_text_keeps_vietnamese_accents_and_refuses_floods() -> None:
    assert clean_text("  Cha\u0300 ") == "Chà"
    assert clean_text("Việt Nam") == "Việt Nam"
    with pytest.raises(ValidationError):
        clean_text("a" + "\u0301" * 4)
    assert len(clean_text("x" * 50_000)) == 20_000


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0b4cfb8a-2a51-4d9f-8d57-7a3f1f8e2b02", "0b4cfb8a-2a51-4d9f-8d57-7a3f1f8e2b02"),
        ("0B4CFB8A2A514D9F8D577A3F1F8E2B02", "0b4cfb8a-2a51-4d9f-8d57-7a3f1f8e2b02"),
        ("", None),
        ("not-a-uuid", None),
        ("0b4cfb8a-2a51-4d9f-8d57-7a3f1f8e2b02" * 3, None),
    ],
)
def test_a_submission_id_is_a_uuid(raw: str, expected: str | None) -> None:
    assert submission_id(raw) == expected


def test_errors_land_on_the_field_that_shows_them() -> None:
    parsed = parse(FORM, GOOD, CTX)
    tree: dict[str | int, Any] = {
        "data": {"quantity": ["too much"], "detail": {"boxes": ["odd"]}, "stage": ["no"]},
        "event_time": ["future"],
        "lot": ["held by another"],
        "$": ["the whole form"],
        "elsewhere": ["unknown"],
    }
    place_errors(FORM, parsed, tree)
    assert parsed.errors == {
        "quantity": ["too much"],
        "boxes": ["odd"],
        "reason": ["no"],
        "when": ["future"],
        "lot": ["held by another"],
    }
    assert parsed.general == ["the whole form", "unknown"]
