"""Marshmallow fields that normalise input into the ledger's canonical values.

Every text is turned into NFC at the boundary, decimals into canonical decimal strings, times into
RFC 3339 with milliseconds and the original offset. Errors are
:class:`~ledger.common.messages.Message` objects so the web layer can show them in Vietnamese or
English.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import urllib.parse
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from biip import ParseError
from biip.gln import Gln
from biip.gtin import Gtin
from marshmallow import ValidationError, fields

from ledger.common.messages import N_, Message
from ledger.supplychain.vocabulary import Unit, amount_problem
from ledger.tlog.canonical import MAX_SAFE_INTEGER, canonical_decimal, canonical_time, decimal_value

#: GS1 AI encodable character set 82: what a lot or serial number may contain.
GS1_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
MAX_JSON_DEPTH = 16

# Marshmallow's own messages, listed so they are extracted into the translation catalogue.
MARSHMALLOW_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid list."),
    N_("Invalid type."),
    N_("Not a valid mapping type."),
    N_("Invalid input type."),
    N_("Unknown field."),
)


def normalise_text(value: str, *, multiline: bool = False) -> str:
    """NFC, refusing unpaired surrogates and control characters (newlines if ``multiline``)."""
    if _SURROGATE.search(value):
        raise ValidationError(Message(N_("Text contains an unpaired surrogate code point.")))
    text = unicodedata.normalize("NFC", value)
    if (_CONTROL if multiline else _CONTROL_OR_NEWLINE).search(text):
        raise ValidationError(Message(N_("Text contains a control character.")))
    return text


@functools.lru_cache(maxsize=65_536)
def check_gtin(value: str) -> str:
    if not re.fullmatch(r"[0-9]{14}", value):
        raise ValidationError(Message(N_("{value!r} is not a 14-digit GTIN."), value=value))
    try:
        Gtin.parse(value)
    except ParseError:
        raise ValidationError(
            Message(N_("GTIN {value} has a wrong check digit."), value=value)
        ) from None
    return value


@functools.lru_cache(maxsize=65_536)
def check_gln(value: str) -> str:
    if not re.fullmatch(r"[0-9]{13}", value):
        raise ValidationError(Message(N_("{value!r} is not a 13-digit GLN."), value=value))
    try:
        Gln.parse(value)
    except ParseError:
        raise ValidationError(
            Message(N_("GLN {value} has a wrong check digit."), value=value)
        ) from None
    return value


class Text(fields.String):
    """A string normalised to NFC, with bounded length and an optional pattern."""

    def __init__(
        self,
        *,
        max_length: int = 1000,
        pattern: str | None = None,
        pattern_hint: str | None = None,
        multiline: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length
        self.pattern = re.compile(pattern) if pattern else None
        self.pattern_hint = pattern_hint
        self.multiline = multiline

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = normalise_text(
            super()._deserialize(value, attr, data, **kwargs), multiline=self.multiline
        )
        if not text:
            raise ValidationError(Message(N_("Must not be empty.")))
        if len(text) > self.max_length:
            raise ValidationError(
                Message(N_("Must be at most {limit} characters long."), limit=self.max_length)
            )
        if self.pattern is not None and not self.pattern.fullmatch(text):
            raise ValidationError(
                Message(
                    N_("{value!r} does not have the form {hint}."),
                    value=text,
                    hint=self.pattern_hint or self.pattern.pattern,
                )
            )
        return text


def load_decimal(value: Any, unit: Unit | None = None) -> str:
    """A decimal sent as a string (or a JSON integer), as a canonical string.

    A JSON number with a fraction or an exponent (``12.5``, ``1E-40``) is refused even though
    the strict JSON reader keeps it exact: to most clients (JavaScript, spreadsheets) it is a
    binary float, so what was sent may not be what the sender meant, and an exponent may carry
    a number of any size. Integers are exact everywhere and stay welcome.

    With a ``unit`` the amount is checked against its step and largest value first, so that
    ``0.000…1`` in kg is told it is finer than a gram, however many zeros it has.
    """
    if isinstance(value, Decimal | float):
        raise ValidationError(
            Message(
                N_(
                    'Send decimals as strings such as "12.5"; a JSON number with a fraction or an '
                    "exponent is not accepted."
                )
            )
        )
    try:
        number = decimal_value(value)
        problem = amount_problem(number, unit) if unit is not None else None
        if problem is not None:
            raise ValidationError(problem)
        return canonical_decimal(number)
    except ValueError as error:
        raise ValidationError(error.args[0]) from None


class CanonicalDecimal(fields.Field[str]):
    """A decimal given as a string or a JSON integer, stored as a canonical string."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return load_decimal(value)


class CanonicalTime(fields.Field[str]):
    """An RFC 3339 time with offset, kept with its offset and millisecond precision."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError(Message(N_("Not a valid string.")))
        try:
            return canonical_time(value)
        except ValueError as error:
            raise ValidationError(error.args[0]) from None


class HexHash(fields.Field[bytes]):
    """A SHA-256 hash in lowercase hex, loaded as bytes."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bytes:
        if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
            raise ValidationError(
                Message(N_("{value!r} is not a SHA-256 hash in lowercase hex."), value=value)
            )
        return bytes.fromhex(value)


_TYPED_ID = re.compile(r"([a-z][a-z0-9_-]{0,31}):(.+)", re.DOTALL)
_GLN_TYPES = frozenset({"org", "plot", "location", "house", "site"})


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _percent_decoded(raw: str) -> str:
    """Ids are stored percent-decoded: ``lot:…/A%2F1`` (copied from a Digital Link) is ``A/1``.

    Decoding must give an id that decodes to itself, so a stored id sent back names the same
    subject: a ``%`` surviving the decoding, a ``%`` not followed by two hex digits, or escapes
    that are not UTF-8 are refused rather than guessed at.
    """
    if "%" not in raw:
        return raw
    if _BAD_ESCAPE.search(raw):
        raise ValidationError(
            Message(N_("{value!r} has a '%' that is not a percent-escape."), value=raw)
        )
    try:
        decoded = urllib.parse.unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise ValidationError(
            Message(N_("{value!r} has percent-escapes that are not UTF-8."), value=raw)
        ) from None
    if "%" in decoded:
        # A stored id must mean itself when sent back: it can hold no '%' at all.
        raise ValidationError(
            Message(
                N_("{value!r} would keep a '%' after decoding; ids cannot contain '%'."), value=raw
            )
        )
    return decoded


def _not_a_typed_id(raw: str) -> ValidationError:
    return ValidationError(
        Message(
            N_('{value!r} is not a typed id such as "lot:<GTIN-14>/<lot>" or "plot:<GLN>".'),
            value=raw,
        )
    )


@functools.lru_cache(maxsize=65_536)
def check_subject_id(raw: str) -> str:
    """Canonical typed id ``<type>:<value>``; known types are checked against GS1 rules.

    Memoised: a season names the same plots, lots and organisations over and over.
    """
    text = normalise_text(_percent_decoded(raw))
    match = _TYPED_ID.fullmatch(text)
    if match is None or len(text) > 256:
        raise _not_a_typed_id(raw)
    kind, value = match.groups()
    if kind == "lot":
        gtin, slash, lot = value.partition("/")
        if not slash:
            raise ValidationError(
                Message(N_('A lot id is "lot:<GTIN-14>/<lot>", got {value!r}.'), value=raw)
            )
        check_gtin(gtin)
        if not GS1_CSET82.fullmatch(lot):
            raise ValidationError(
                Message(
                    N_("Lot {lot!r} must be 1 to 20 characters of the GS1 character set 82."),
                    lot=lot,
                )
            )
    elif kind in _GLN_TYPES:
        check_gln(value)
    elif re.search(r"\s", value):
        raise _not_a_typed_id(raw)
    return text


class SubjectId(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return check_subject_id(super()._deserialize(value, attr, data, **kwargs))


class OrganisationId(fields.String):
    """An actor: ``org:<GLN>`` with a valid check digit."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = normalise_text(super()._deserialize(value, attr, data, **kwargs))
        if not text.startswith("org:"):
            raise ValidationError(
                Message(N_('{value!r} is not an organisation id "org:<GLN>".'), value=text)
            )
        check_gln(text[4:])
        return text


def normalise_json(value: Any, path: str = "", depth: int = 0) -> Any:
    """NFC every string and key of a free-form JSON value; refuse floats and huge integers.

    Raises :class:`ValidationError` whose message names the path of the offending value.
    """

    def fail(template: str, **params: Any) -> ValidationError:
        return ValidationError({path or "$": [Message(template, **params)]})

    if depth > MAX_JSON_DEPTH:
        raise fail(N_("Nested deeper than {limit} levels."), limit=MAX_JSON_DEPTH)
    if isinstance(value, str):
        try:
            return normalise_text(value, multiline=True)
        except ValidationError as error:
            raise ValidationError({path or "$": error.messages}) from None
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise fail(
                N_("Integer {value} is too large for JSON; send it as a decimal string."),
                value=value,
            )
        return value
    if isinstance(value, float | Decimal):
        raise fail(
            N_('Numbers with a fraction are not allowed; send a decimal string such as "12.5".')
        )
    if isinstance(value, list):
        return [normalise_json(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise fail(N_("Object keys must be text."))
            name = normalise_text(key)
            if not name or len(name) > 64:
                raise fail(N_("Object keys must be 1 to 64 characters long."))
            child = f"{path}.{name}" if path else name
            if name in result:
                raise ValidationError(
                    {child: [Message(N_("Duplicate key after Unicode normalisation."))]}
                )
            result[name] = normalise_json(item, child, depth + 1)
        return result
    raise fail(N_("Unsupported value of type {kind}."), kind=type(value).__name__)


class JSONObject(fields.Field[dict[str, Any]]):
    """A free-form JSON object, normalised by :func:`normalise_json`."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ValidationError(Message(N_("Not a valid mapping type.")))
        normalised: dict[str, Any] = normalise_json(value)
        return normalised
