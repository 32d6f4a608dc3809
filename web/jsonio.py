"""Strict JSON in: decimals stay exact, duplicate keys and NaN are refused.

A ledger must not silently keep the last of two duplicate keys or turn ``12.50`` into a binary
float: what the client meant would no longer be what is recorded.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, NoReturn

from flask import Request
from flask.json.provider import DefaultJSONProvider

from ledger.common.errors import InvalidInputError
from ledger.common.messages import N_, Message


class DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        result[key] = value
    return result


def _no_constants(name: str) -> NoReturn:
    raise ValueError(f"{name} is not allowed")


def strict_loads(text: str | bytes) -> Any:
    """``json.loads`` that keeps decimals exact and refuses duplicate keys, NaN and Infinity.

    Bytes are read as UTF-8 only (RFC 8259): ``json.loads`` would otherwise guess UTF-16 or
    UTF-32 from the first bytes."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    try:
        return json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_no_constants,
            object_pairs_hook=_no_duplicates,
        )
    except RecursionError:
        raise ValueError("nested too deeply") from None


def describe_json_error(error: Exception) -> Message:
    """What is wrong with a body, in words of our own: the parser's English (and Python's
    advice on its integer limit) is not for the person who sent it."""
    if isinstance(error, DuplicateKeyError):
        return Message(N_("The key {key!r} appears twice in one object."), key=error.args[0])
    if isinstance(error, json.JSONDecodeError):
        return Message(
            N_("Not valid JSON at line {line}, column {column}."),
            line=error.lineno,
            column=error.colno,
        )
    if isinstance(error, UnicodeDecodeError):
        return Message(N_("The body is not valid UTF-8."))
    if isinstance(error, ValueError) and "nested too deeply" in str(error):
        return Message(N_("The JSON is nested too deeply."))
    if isinstance(error, ValueError) and "digits" in str(error):
        return Message(N_("A number in the body has too many digits."))
    return Message(N_("Not valid JSON."))


class StrictJSONProvider(DefaultJSONProvider):
    ensure_ascii = False
    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_loads(s)


class StrictRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:
            raise InvalidInputError(
                errors={"$": [Message(N_("Send the body as application/json."))]}
            )
        raise InvalidInputError(errors={"$": [describe_json_error(e)]})
