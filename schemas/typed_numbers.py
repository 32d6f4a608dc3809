"""Numbers as people type them on a form, read into the API's canonical decimal strings.

A farmer types ``1,5`` (the Vietnamese decimal comma) as readily as ``1.5``; both mean one and a
half. What cannot be read safely is digit grouping: ``1.500`` is 1.5 to one reader and 1500 to
another (Vietnamese groups thousands with a point), so a form refuses it and asks for the number
without a separator instead of guessing. The JSON API stays strict
(:func:`schemas.fields.load_decimal`); this reader only turns what a person typed into what the
API takes, then applies the same unit checks.
"""

from __future__ import annotations

import re
import unicodedata

from marshmallow import ValidationError

from ledger.common.messages import N_, Message, excerpt
from ledger.supplychain.vocabulary import Unit
from schemas.fields import load_decimal

#: Digits with at most one decimal separator, comma or point.
_TYPED = re.compile(r"(?P<whole>[0-9]+)(?:(?P<separator>[.,])(?P<fraction>[0-9]+))?")
#: Digits grouped in threes by points, commas or blanks, as in ``1.500.000`` or ``1 500,5``.
_GROUPED = re.compile(r"[0-9]{1,3}(?:[., ][0-9]{3})+(?:[.,][0-9]+)?")

#: The messages of :func:`typed_decimal`, by the kind of problem: a page's script shows the
#: same ones, translated, as a number is typed (``web/static/field.js``).
TYPED_MESSAGES = {
    "empty": N_("Enter a number, such as 1,5."),
    "grouped": N_("Write {value} without a thousands separator, such as {plain}."),
    "not_number": N_(
        "{value} is not a number: type digits with at most one decimal comma or point, such as 1,5."
    ),
    "ambiguous_comma": N_(
        "{value} could mean {small} or {large}: type {large} without a separator, "
        "or {small} with a decimal comma."
    ),
    "ambiguous_point": N_(
        "{value} could mean {small} or {large}: type {large} without a "
        "separator, or {small} with a decimal point."
    ),
}


def typed_decimal(text: str, unit: Unit | None = None, *, decimal_sign: str = ",") -> str:
    """The canonical decimal string for ``text`` as typed on a form, checked against ``unit``.

    ``decimal_sign`` is the decimal separator of the form's language (``,`` in Vietnamese, ``.``
    in English). Either separator is read as the decimal one, except the other sign before
    exactly three digits: there it is that language's thousands separator (``1.500`` in
    Vietnamese, ``1,500`` in English) and the number is refused as ambiguous, while ``1,500`` in
    Vietnamese is 1.5 and ``12,345`` is 12.345, to the gram.

    Raises :class:`~marshmallow.ValidationError` with a message that says what to type instead:
    for letters, signs and exponents, for digit grouping, and for a value finer or larger than the
    unit allows.
    """
    value = unicodedata.normalize("NFC", text).strip()
    if not value:
        raise ValidationError(Message(TYPED_MESSAGES["empty"]))
    match = _TYPED.fullmatch(value)
    if match is None:
        if _GROUPED.fullmatch(value):
            raise ValidationError(
                Message(
                    TYPED_MESSAGES["grouped"],
                    value=value,
                    plain=excerpt(re.sub(r"[., ](?=[0-9]{3}(?:$|[., ]))", "", value)),
                )
            )
        raise ValidationError(Message(TYPED_MESSAGES["not_number"], value=value))
    whole = match["whole"].lstrip("0") or "0"
    fraction = match["fraction"]
    if _may_be_grouping(match, decimal_sign):
        small = f"{whole}{decimal_sign}{fraction.rstrip('0') or '0'}"
        raise ValidationError(
            Message(
                TYPED_MESSAGES["ambiguous_comma" if decimal_sign == "," else "ambiguous_point"],
                value=value,
                small=excerpt(small),
                large=excerpt(whole + fraction),
            )
        )
    canonical = whole if fraction is None else f"{whole}.{fraction}"
    return load_decimal(canonical, unit)


def _may_be_grouping(match: re.Match[str], decimal_sign: str) -> bool:
    """The separator is the language's thousands sign, before three digits, after one to three
    digits that do not start with a zero: what a reader of that language takes for grouping."""
    fraction = match["fraction"]
    return (
        fraction is not None
        and match["separator"] != decimal_sign
        and len(fraction) == 3
        and len(match["whole"]) <= 3
        and match["whole"][0] != "0"
    )
