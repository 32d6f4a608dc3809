"""Canonical bytes: NFC, RFC 8785, decimals and times."""

from __future__ import annotations

import collections
import dataclasses
import decimal
import enum
import json
import unicodedata
import uuid
from datetime import UTC, datetime

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from ledger.common.errors import InvalidInputError
from ledger.tlog.canonical import (
    ENTRY_PREFIX,
    MAX_ENTRY_BYTES,
    canonical_decimal,
    canonical_json,
    canonical_time,
    entry_bytes,
    utc_timestamp,
)
from ledger.tlog.errors import EntryTooLargeError


class _Colour(enum.Enum):
    RED = "red"


class _Text(str):
    pass


@dataclasses.dataclass
class _Point:
    x: int
    y: int


RFC8785_SORTING_EXAMPLE = {
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\U0001f600": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis",
}


def test_rfc8785_sorting_example() -> None:
    # RFC 8785 section 3.2.3: keys sort by UTF-16 code units, not by code points.
    keys = list(json.loads(rfc8785.dumps(RFC8785_SORTING_EXAMPLE)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_ledger_bytes_sort_keys_by_utf16_code_units() -> None:
    # U+FB33 is not NFC-stable, so the ledger refuses it; U+FF21 is, and shows the same quirk:
    # the emoji's surrogates (D83D) sort before FF21 although its code point is larger.
    value = {"\uff21": "Fullwidth A", "\U0001f600": "Emoji", "\u20ac": "Euro", "1": "One"}
    assert list(json.loads(canonical_json(value))) == ["1", "\u20ac", "\U0001f600", "\uff21"]
    with pytest.raises(InvalidInputError):
        canonical_json(RFC8785_SORTING_EXAMPLE)


def test_rfc8785_string_escapes_and_literals() -> None:
    value = {"literals": [None, True, False], "string": '€$\u000f\nA\'B"\\\\"/', "n": 1}
    assert canonical_json(value) == (
        b'{"literals":[null,true,false],"n":1,"string":"\xe2\x82\xac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )


def test_entry_bytes_have_the_version_line_and_no_whitespace() -> None:
    data = entry_bytes({"b": "Hưng Yên", "a": [1, 2]})
    assert data == ENTRY_PREFIX + '{"a":[1,2],"b":"Hưng Yên"}'.encode()


def test_entries_over_the_limit_are_refused_with_the_limit() -> None:
    overhead = len(entry_bytes({"x": ""}))
    assert len(entry_bytes({"x": "a" * (MAX_ENTRY_BYTES - overhead)})) == MAX_ENTRY_BYTES
    with pytest.raises(EntryTooLargeError) as caught:
        entry_bytes({"x": "a" * (MAX_ENTRY_BYTES - overhead + 1)})
    assert caught.value.status == 413
    assert "65535" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"x": 1.5}, "decimal string"),
        ({"x": decimal.Decimal("1.5")}, "decimal string"),
        ({"x": 2**53}, "too large"),
        ({"x": unicodedata.normalize("NFD", "Hưng Yên")}, "NFC"),
        ({unicodedata.normalize("NFD", "tên"): 1}, "NFC"),
        ({"x": "\ud800"}, "surrogate"),
        ({"x": b"bytes"}, "Unsupported"),
    ],
)
def test_non_canonical_values_are_refused(value: dict, problem: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        canonical_json(value)
    assert problem in json.dumps(caught.value.errors)


@pytest.mark.parametrize(
    ("given_value", "expected"),
    [
        ("12.50", "12.5"),
        ("12.5", "12.5"),
        ("0.500", "0.5"),
        ("-0.000", "0"),
        ("0", "0"),
        ("100", "100"),
        ("1000.000", "1000"),
        (12, "12"),
        (decimal.Decimal("1E+3"), "1000"),
        (decimal.Decimal("0.000001"), "0.000001"),
        ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
    ],
)
def test_canonical_decimals(given_value: object, expected: str) -> None:
    assert canonical_decimal(given_value) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "1e3",
        "12,5",
        "",
        ".5",
        "5.",
        "NaN",
        "Infinity",
        1.5,
        True,
        None,
        "1" * 39,
        decimal.Decimal("NaN"),
        # Decimal strings are written as the README says: no sign "+", blank or leading zero.
        "+5",
        " 5",
        "5 ",
        "0012.5",
        # Exponents carried by exact decimals (JSON numbers) cannot make the string huge.
        decimal.Decimal("1E-40"),
        decimal.Decimal("1E-9999"),
        decimal.Decimal("1E+999999"),
        "0." + "0" * 5003 + "1",
    ],
)
def test_bad_decimals(bad: object) -> None:
    with pytest.raises(ValueError, match=r"decimal|digits|true/false"):
        canonical_decimal(bad)


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        # Counted as canonical_decimal counts: every digit after the leading zeros.
        lambda d: (
            len("".join(map(str, d.as_tuple().digits)).lstrip("0")) <= 38
            and (d.is_zero() or d.normalize(decimal.Context(prec=60)).as_tuple().exponent >= -38)
            and (d.is_zero() or d.adjusted() < 38)
        )
    )
)
def test_decimal_canonical_form_is_stable_and_exact(value: decimal.Decimal) -> None:
    text = canonical_decimal(value)
    assert canonical_decimal(text) == text
    assert decimal.Decimal(text) == value
    assert "e" not in text.lower()
    assert not text.startswith("+")
    if "." in text:
        assert not text.endswith("0")


@pytest.mark.parametrize(
    ("given_value", "expected"),
    [
        ("2026-07-15T08:30:00+07:00", "2026-07-15T08:30:00.000+07:00"),
        ("2026-07-15T08:30:00.5+07:00", "2026-07-15T08:30:00.500+07:00"),
        ("2026-07-15t08:30:00.123000000-05:30", "2026-07-15T08:30:00.123-05:30"),
        ("2026-07-15T01:30:00Z", "2026-07-15T01:30:00.000Z"),
        ("2026-07-15T01:30:00+00:00", "2026-07-15T01:30:00.000Z"),
        ("2028-02-29T00:00:00.000+07:00", "2028-02-29T00:00:00.000+07:00"),
    ],
)
def test_canonical_times(given_value: str, expected: str) -> None:
    assert canonical_time(given_value) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "2026-07-15T08:30:00",  # no offset
        "2026-07-15 08:30:00+07:00",
        "2026-02-30T08:30:00+07:00",
        "2026-07-15T24:00:00+07:00",
        "2026-07-15T08:30:60+07:00",
        "2026-07-15T08:30:00.1234+07:00",  # sub-millisecond
        "2026-07-15T08:30:00+24:00",
        "15/07/2026",
    ],
)
def test_bad_times(bad: str) -> None:
    with pytest.raises(ValueError, match=r"RFC 3339|calendar|millisecond|offset"):
        canonical_time(bad)


def test_recorded_at_is_utc_with_milliseconds() -> None:
    from datetime import datetime, timedelta, timezone

    moment = datetime(2026, 7, 15, 8, 30, 0, 123999, tzinfo=timezone(timedelta(hours=7)))
    assert utc_timestamp(moment) == "2026-07-15T01:30:00.123Z"


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text()
    .map(lambda s: unicodedata.normalize("NFC", s))
    .filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s)),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=8)
            .map(lambda s: unicodedata.normalize("NFC", s))
            .filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s)),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@given(JSON_VALUES)
def test_canonical_json_is_rfc8785_and_round_trips(value: object) -> None:
    data = canonical_json(value)
    assert data == rfc8785.dumps(value)
    assert json.loads(data) == value
    assert canonical_json(json.loads(data)) == data


def test_keys_beyond_the_basic_plane_sort_by_utf16_code_units() -> None:
    # U+1F600 is the surrogate pair D83D DE00 in UTF-16, so it sorts before U+E000 in JCS,
    # although its code point is larger: the encoder must not sort by code point here.
    value = {"\ue000": 1, "\U0001f600": 2, "a": {"\uffff": 3, "\U00010000": 4}}
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_json(value).index("😀".encode()) < canonical_json(value).index(
        "\ue000".encode()
    )


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1.5},
        {"a": 2**53},
        {1: "a"},
        {"a": "e\u0301"},
        {"a": ["\ud800"]},
        {"a": {"b": object()}},
        {"e\u0301": 1},
        {"a": uuid.UUID(int=1)},
        {"a": _Colour.RED},
        {"a": _Point(1, 2)},
        {"a": datetime(2026, 7, 15, tzinfo=UTC)},
        {"a": _Text("x")},
        {"a": collections.OrderedDict(b=1)},
    ],
)
def test_the_fast_path_refuses_what_the_detailed_check_refuses(value: object) -> None:
    with pytest.raises(InvalidInputError):
        canonical_json(value)


@pytest.mark.parametrize("escape", ["\n", "\t", "\b", "\f", "\r", "\x1f", '"', "\\"])
def test_an_escape_before_a_combining_mark_is_still_canonical(escape: str) -> None:
    # "\n" + U+0301 is NFC, but its JSON text ends the escape in a letter the mark could
    # compose with: the output is not NFC although every string is, and the value is canonical.
    value = {"a": escape + "\u0301", "b": ["Hưng Yên"]}
    assert unicodedata.is_normalized("NFC", value["a"])
    assert canonical_json(value) == rfc8785.dumps(value)
