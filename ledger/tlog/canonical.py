"""Canonical bytes: the only input to hashing.

An entry is the line ``hyt-ledger/event/v1\\n`` followed by the RFC 8785 (JCS) canonical JSON of
its envelope. Before serialising, every value is checked to be canonical: strings in Unicode NFC
without unpaired surrogates, no JSON floats (decimals travel as canonical strings), integers inside
the range JSON numbers represent exactly. Two envelopes that mean the same thing therefore have
the same bytes and the same hash, whoever produced them.

The helpers for decimals and times live here too, because the schemas that normalise input and
the ledger that checks stored values must agree on one definition.
"""

from __future__ import annotations

import decimal
import hashlib
import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import rfc8785

from ledger.common.errors import InvalidInputError
from ledger.common.messages import N_, Message
from ledger.tlog.errors import EntryTooLargeError

ENTRY_PREFIX = b"hyt-ledger/event/v1\n"
#: Entry bundles of tlog-tiles carry a 16-bit length, so no entry may be longer.
MAX_ENTRY_BYTES = 65_535
#: JCS serialises numbers as IEEE doubles; beyond this an integer would silently change.
MAX_SAFE_INTEGER = 2**53 - 1
#: Canonical decimals are at most this many digits, so no database or client rounds them.
MAX_DECIMAL_DIGITS = 38
#: Longer decimal strings are not read at all (a gram in kg needs 5; a bound's own message
#: is more useful than this one up to here).
MAX_DECIMAL_TEXT = 10_000

_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: A decimal as a string: JSON's number grammar without an exponent (no "+", no blanks, no
#: leading zeros); trailing zeros of the fraction are allowed and dropped.
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?", re.ASCII)
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,  # \d must not match other scripts' digits
)
_DECIMAL_CONTEXT = decimal.Context(prec=200, traps=[decimal.InvalidOperation])


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _fail(path: str, template: str, **params: Any) -> InvalidInputError:
    return InvalidInputError(errors={path or "$": [Message(template, **params)]})


def check_canonical(value: Any, path: str = "") -> None:
    """Raise :class:`InvalidInputError` naming the first non-canonical value under ``value``."""
    kind = type(value)
    if kind is str:
        if _SURROGATE.search(value):
            raise _fail(path, N_("Text contains an unpaired surrogate code point."))
        if not unicodedata.is_normalized("NFC", value):
            raise _fail(path, N_("Text is not in Unicode normalisation form NFC."))
    elif kind is bool or value is None:
        return
    elif kind is int:
        if abs(value) > MAX_SAFE_INTEGER:
            raise _fail(
                path,
                N_("Integer {value} is too large for JSON; send it as a decimal string."),
                value=value,
            )
    elif kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise _fail(path, N_("Object keys must be text."))
            check_canonical(key, f"{path}.{key}" if path else key)
            check_canonical(item, f"{path}.{key}" if path else key)
    elif kind is list or kind is tuple:
        for position, item in enumerate(value):
            check_canonical(item, f"{path}[{position}]")
    elif isinstance(value, float | decimal.Decimal):
        raise _fail(
            path,
            N_('Numbers with a fraction are not allowed; send a decimal string such as "12.5".'),
        )
    else:
        # Subclasses too (an enum of text, a special dict): what they mean is not plain JSON.
        raise _fail(path, N_("Unsupported value of type {kind}."), kind=kind.__name__)


class _NotCanonical(Exception):
    pass


#: Every byte below 0xED. In UTF-8 only the lead bytes of characters from U+D000 on are higher,
#: so what is left after deleting these marks a character at or above U+D800, where UTF-16 code
#: units and code points may sort apart (or one from U+D000 to U+D7FF, which only takes the
#: slower exact way). Deleting bytes runs at memory speed; comparing characters does not.
_BYTES_BELOW_LEAD_OF_U_D000 = bytes(range(0xED))
#: orjson: object keys sorted by code point, integers beyond ±2^53 refused, and dataclasses,
#: datetimes and subclasses of the JSON types refused rather than converted.
_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_STRICT_INTEGER
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _check_types(value: Any) -> None:
    """Raise :class:`_NotCanonical` unless ``value`` holds only text, integers within ±2^53,
    booleans, null, arrays and objects with text keys: what orjson would otherwise convert
    (floats, UUIDs, enums) has no place in the ledger. Leaves are checked where they are found,
    containers pushed: most values of an entry are text."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            for key in item:
                if type(key) is not str:
                    raise _NotCanonical
            children = item.values()
        elif kind is list or kind is tuple:
            children = item
        else:
            children = (item,)
        for child in children:
            kind = type(child)
            if kind is str or kind is bool or child is None:
                continue
            if kind is int:
                if not -MAX_SAFE_INTEGER <= child <= MAX_SAFE_INTEGER:
                    raise _NotCanonical
            elif kind is dict or kind is list or kind is tuple:
                stack.append(child)
            else:
                raise _NotCanonical


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON of an already canonical value.

    For the values the ledger holds (text, integers within ±2^53, booleans, null, arrays,
    objects) orjson with sorted keys writes exactly the RFC 8785 bytes, as long as object keys
    sort alike by code point and by UTF-16 code unit, which holds when no character of the
    output is at or above U+D800; otherwise the reference implementation (``rfc8785``) writes
    them. Every string is checked to be NFC on the output: each sits between quotes, which
    compose with nothing, so the output is NFC when every string is, and when it is not (an
    escape such as ``\\n`` ends in a letter a combining mark could follow) the detailed check
    decides. The suite checks both paths against ``rfc8785`` on generated values and on the
    RFC's own examples.
    """
    try:
        _check_types(value)
        data = orjson.dumps(value, option=_ORJSON_OPTIONS)
    except (_NotCanonical, orjson.JSONEncodeError):
        check_canonical(value)  # raises, naming the path and the problem
        raise AssertionError("the fast and the detailed canonical checks disagree") from None
    if data.isascii():
        return data
    text = data.decode()
    if not unicodedata.is_normalized("NFC", text):
        check_canonical(value)  # raises unless only an escape made the output look decomposed
    if data.translate(None, _BYTES_BELOW_LEAD_OF_U_D000):
        return rfc8785.dumps(value)
    return data


def fingerprint(value: Any) -> bytes:
    """SHA-256 of a deterministic JSON encoding, for recognising repeated requests.

    Fingerprints never leave the database and are never part of what is signed, so they need
    determinism, not RFC 8785: sorted keys and orjson, several times faster than JCS. Values
    are the schema's normalised output (text in NFC, decimals as strings).
    """
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).digest()


def entry_bytes(envelope: dict[str, Any]) -> bytes:
    """The exact bytes stored and hashed for an envelope; refuses entries over the size limit."""
    data = ENTRY_PREFIX + canonical_json(envelope)
    if len(data) > MAX_ENTRY_BYTES:
        raise EntryTooLargeError(size=len(data), limit=MAX_ENTRY_BYTES)
    return data


def envelope_of(data: bytes) -> dict[str, Any]:
    """Parse stored entry bytes back into the envelope (for display, never for re-hashing)."""
    if not data.startswith(ENTRY_PREFIX):
        raise ValueError("entry bytes do not start with the entry prefix")
    envelope: dict[str, Any] = json.loads(data[len(ENTRY_PREFIX) :])
    return envelope


# --- decimals ------------------------------------------------------------------------------------


def decimal_value(value: Any) -> decimal.Decimal:
    """The exact number a decimal input denotes, before any bound on its size.

    Accepts decimal strings in plain notation (``-`` and digits, an optional fraction: no
    ``+``, no blanks, no exponent, no leading zeros), integers and finite
    :class:`decimal.Decimal` values; refuses floats, whose binary value is not the decimal the
    sender meant.
    """
    if isinstance(value, bool):
        raise ValueError(Message(N_("Expected a decimal number, not true/false.")))
    if isinstance(value, int):
        return decimal.Decimal(value)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValueError(Message(N_("Expected a finite decimal number.")))
        return value
    if isinstance(value, str):
        if len(value) > MAX_DECIMAL_TEXT or not _DECIMAL.fullmatch(value):
            shown = value if len(value) <= 40 else value[:40] + "…"
            raise ValueError(
                Message(
                    N_(
                        '{value!r} is not a decimal such as "12.5": digits, a point and more '
                        'digits, with no "+", blank, exponent or leading zero.'
                    ),
                    value=shown,
                )
            )
        return decimal.Decimal(value)
    if isinstance(value, float):
        raise ValueError(
            Message(N_('Send decimals as strings such as "12.5", not as binary floats.'))
        )
    raise ValueError(Message(N_("Expected a decimal number.")))


def decimal_places(number: decimal.Decimal) -> int:
    """How many decimals ``number`` needs (``1.500`` needs 1), read from its digits: rounding
    in a decimal context could change a long number, and ``1E-9999`` costs nothing here."""
    _, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int) or not any(digits):
        return 0
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing))


def canonical_decimal(value: Any) -> str:
    """Canonical decimal string: no exponent, no trailing zeros, no leading ``+``, ``0`` for zero.

    Takes what :func:`decimal_value` takes, with at most :data:`MAX_DECIMAL_DIGITS`
    significant digits, below ``10**38`` and with at most 38 decimals, so the canonical string
    stays short whatever exponent a :class:`~decimal.Decimal` carries.
    """
    number = decimal_value(value)
    digits = number.as_tuple().digits
    significant = len(digits) - next((i for i, d in enumerate(digits) if d), len(digits))
    if significant and (
        decimal_places(number) > MAX_DECIMAL_DIGITS or number.adjusted() >= MAX_DECIMAL_DIGITS
    ):
        raise ValueError(
            Message(
                N_("A decimal may have at most {limit} digits before and after the point."),
                limit=MAX_DECIMAL_DIGITS,
            )
        )
    if significant > MAX_DECIMAL_DIGITS:
        raise ValueError(
            Message(
                N_("A decimal may have at most {limit} significant digits."),
                limit=MAX_DECIMAL_DIGITS,
            )
        )
    normalised = number.normalize(_DECIMAL_CONTEXT)
    if normalised.is_zero():
        return "0"
    return format(normalised, "f")


# --- times ---------------------------------------------------------------------------------------


def canonical_time(value: str) -> str:
    """RFC 3339 with milliseconds and the sender's UTC offset (``Z`` for UTC).

    ``+00:00`` and ``-00:00`` become ``Z``. More than millisecond precision is refused rather than
    rounded, because rounding would change the recorded fact.
    """
    match = _RFC3339.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            Message(
                N_(
                    "{value!r} is not an RFC 3339 time with an offset, such as "
                    '"2026-07-15T08:30:00+07:00".'
                ),
                value=value,
            )
        )
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    fraction = fraction or ""
    if len(fraction) > 3 and set(fraction[3:]) != {"0"}:
        raise ValueError(Message(N_("{value!r} is more precise than a millisecond."), value=value))
    millis = int((fraction + "000")[:3])
    if offset in ("Z", "z", "+00:00", "-00:00"):
        tz: timezone = UTC
        offset_text = "Z"
    else:
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError(Message(N_("{value!r} has an invalid UTC offset."), value=value))
        delta = timedelta(hours=hours, minutes=minutes)
        tz = timezone(delta if offset[0] == "+" else -delta)
        offset_text = offset
    if not 1900 <= int(year) <= 2999:
        # Outside these years a time is a typing error, and near year 1 or 9999 the offset
        # would carry the instant beyond what datetime can represent.
        raise ValueError(
            Message(N_("{value!r} is not between the years 1900 and 2999."), value=value)
        )
    try:
        datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=tz)
    except ValueError:
        raise ValueError(
            Message(N_("{value!r} is not a valid calendar date and time."), value=value)
        ) from None
    return f"{year}-{month}-{day}T{hour}:{minute}:{second}.{millis:03d}{offset_text}"


def parse_time(value: str) -> datetime:
    """The instant a canonical time denotes, as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def utc_timestamp(moment: datetime) -> str:
    """``recorded_at`` form: UTC, milliseconds, ``Z``."""
    m = moment.astimezone(UTC)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 - the fastest way here
        m.year,
        m.month,
        m.day,
        m.hour,
        m.minute,
        m.second,
        m.microsecond // 1000,
    )
