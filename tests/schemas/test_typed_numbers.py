"""Numbers typed on a form: either decimal sign, grouping refused as ambiguous, the unit's rules
applied as in the API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from ledger.supplychain.vocabulary import MEASUREMENT_UNITS
from ledger.tlog.canonical import canonical_decimal
from schemas.typed_numbers import typed_decimal

KG = MEASUREMENT_UNITS["kg"]
HEAD = MEASUREMENT_UNITS["head"]


@pytest.mark.parametrize(
    ("typed", "sign", "expected"),
    [
        ("1,5", ",", "1.5"),
        ("1.5", ",", "1.5"),
        ("1,5", ".", "1.5"),
        ("1.5", ".", "1.5"),
        (" 2 ", ",", "2"),
        ("007", ",", "7"),
        ("0", ",", "0"),
        ("0,500", ",", "0.5"),
        ("0.500", ",", "0.5"),
        ("1,500", ",", "1.5"),  # the Vietnamese decimal comma: one and a half
        ("12,345", ",", "12.345"),  # to the gram
        ("1.500", ".", "1.5"),  # the English decimal point
        ("1234.567", ",", "1234.567"),  # four digits before the point: no grouping
        ("1,50", ",", "1.5"),
        ("1.5000", ",", "1.5"),
        ("100000000", ",", "100000000"),
    ],
)
def test_what_people_type_is_read_as_they_mean_it(typed: str, sign: str, expected: str) -> None:
    assert typed_decimal(typed, KG, decimal_sign=sign) == expected


@pytest.mark.parametrize(
    ("typed", "sign", "message"),
    [
        ("1.500", ",", "1.500 could mean 1,5 or 1500: type 1500 without a separator, or 1,5 with a "
                       "decimal comma."),
        ("12.345", ",", "12.345 could mean 12,345 or 12345"),
        ("1,500", ".", "1,500 could mean 1.5 or 1500: type 1500 without a separator, or 1.5 with a "
                       "decimal point."),
        ("1.500.000", ",", "Write 1.500.000 without a thousands separator, such as 1500000."),
        ("1 500,5", ",", "Write 1 500,5 without a thousands separator, such as 1500,5."),
        ("1,234.5", ".", "Write 1,234.5 without a thousands separator, such as 1234.5."),
        ("", ",", "Enter a number, such as 1,5."),
        ("   ", ",", "Enter a number, such as 1,5."),
        ("abc", ",", "abc is not a number: type digits with at most one decimal comma or point"),
        ("-1", ",", "-1 is not a number"),
        ("+5", ",", "+5 is not a number"),
        ("1e3", ",", "1e3 is not a number"),
        ("1,5 kg", ",", "1,5 kg is not a number"),
        ("1,,5", ",", "1,,5 is not a number"),
        (",5", ",", ",5 is not a number"),
        ("5,", ",", "5, is not a number"),
        ("٣", ",", "٣ is not a number"),  # Arabic-Indic digits are not what the form asks for
        ("1\x005", ",", "is not a number"),
        ("0,0001", ",", "Quantities in kg are recorded to 0.001 kg at most (3 decimals)."),
        ("100000001", ",", "Quantities in kg are at most 100000000 kg."),
    ],
)  # fmt: skip
def test_what_cannot_be_read_safely_is_refused_with_what_to_type(
    typed: str, sign: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        typed_decimal(typed, KG, decimal_sign=sign)
    [said] = refused.value.messages
    assert message in str(said)


def test_whole_units_refuse_a_fraction() -> None:
    assert typed_decimal("12", HEAD) == "12"
    with pytest.raises(ValidationError, match="heads"):
        typed_decimal("12,5", HEAD)


@pytest.mark.parametrize(
    "typed", ["1" + "0" * 9_999, "1" + ".000" * 2_500, "1" + "0" * 9_999 + ",5", "1.000x" * 2_000]
)
def test_a_very_long_number_is_refused_and_quoted_short(typed: str) -> None:
    with pytest.raises(ValidationError) as refused:
        typed_decimal(typed, KG)
    [said] = refused.value.messages
    assert len(str(said)) < 300


def test_combining_marks_are_not_digits() -> None:
    with pytest.raises(ValidationError, match="is not a number"):
        typed_decimal("1\u0301,5", KG)


@settings(max_examples=200, deadline=None)
@given(
    grams=st.integers(min_value=0, max_value=100_000_000_000),
    sign=st.sampled_from([",", "."]),
)
def test_a_weight_typed_with_the_forms_decimal_sign_reads_back_exactly(
    grams: int, sign: str
) -> None:
    """Every weight to the gram, typed in the form's language without grouping, is read as the
    canonical decimal the API would take."""
    kilograms = Decimal(grams) / 1000
    typed = format(kilograms, "f").replace(".", sign)
    assert typed_decimal(typed, KG, decimal_sign=sign) == canonical_decimal(kilograms)
